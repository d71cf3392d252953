import { useEffect, useMemo, useState } from "preact/hooks";
import { Provider, useQuery } from "@urql/preact";
import { loadConfig, type AppConfig } from "./config";
import { completeOidc, restore, signOut, type SignedIn } from "./auth";
import { connect } from "./client";
import { SessionDocument, type JobRowFragment } from "./gql/graphql";
import { problemOf, type Problem } from "./errors";
import { ProblemNotice } from "./components/Problem";
import { SignIn } from "./components/SignIn";
import { Predict } from "./components/Predict";
import { Batch } from "./components/Batch";
import { Jobs } from "./components/Jobs";

export function App() {
  const [config, setConfig] = useState<AppConfig | null>(null);
  const [session, setSession] = useState<SignedIn | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  useEffect(() => {
    (async () => {
      const loaded = await loadConfig();
      setConfig(loaded);
      setSession((await completeOidc(loaded.auth)) ?? restore(loaded.auth));
    })().catch((error) => setProblem(problemOf(error)));
  }, []);

  if (problem) return <main><ProblemNotice problem={problem} /></main>;
  if (!config) return <main><p class="loading">Loading…</p></main>;
  if (!session) return <SignIn auth={config.auth} onSignedIn={setSession} />;
  return (
    <SignedInApp
      config={config}
      session={session}
      onSignOut={() => {
        signOut();
        setSession(config.auth.kind === "none" ? session : null);
      }}
    />
  );
}

function SignedInApp(props: { config: AppConfig; session: SignedIn; onSignOut: () => void }) {
  const api = useMemo(() => connect(props.config, props.session.token), [props.config, props.session.token]);
  useEffect(() => () => void api.sockets.dispose(), [api]);
  return (
    <Provider value={api.client}>
      <header class="top">
        <h1>monolambda</h1>
        <p class="who">
          Signed in as <strong>{props.session.user}</strong>
          {props.config.auth.kind !== "none" && (
            <button type="button" class="link" onClick={props.onSignOut}>
              Sign out
            </button>
          )}
        </p>
      </header>
      <Workspace />
    </Provider>
  );
}

function Workspace() {
  const [session] = useQuery({ query: SessionDocument });
  const [known, setKnown] = useState<JobRowFragment[]>([]);
  const remember = (job: JobRowFragment) => setKnown((jobs) => [job, ...jobs.filter((j) => j.id !== job.id)]);
  if (session.error) {
    return (
      <main>
        <ProblemNotice problem={problemOf(session.error, session.extensions)} />
      </main>
    );
  }
  const models = session.data?.models ?? [];
  if (!session.data) return <main><p class="loading">Loading…</p></main>;
  const batchModel = models.some((m) => m.name === "digits") ? "digits" : models[0]?.name ?? "";
  return (
    <main class="workspace">
      <Predict models={models} />
      <Batch model={batchModel} onSubmitted={remember} />
      <Jobs known={known} onChanged={remember} />
    </main>
  );
}
