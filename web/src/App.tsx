import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Provider, useQuery } from "@urql/preact";
import { loadConfig, type AppConfig } from "./config";
import { completeOidc, renew, renewalDue, restore, signOut, type SignedIn } from "./auth";
import { connect } from "./client";
import { SessionDocument, type JobRowFragment } from "./gql/graphql";
import { problemOf, SESSION_ENDED, type Problem } from "./errors";
import { ProblemNotice } from "./components/Problem";
import { SignIn } from "./components/SignIn";
import { Predict } from "./components/Predict";
import { Batch } from "./components/Batch";
import { Jobs } from "./components/Jobs";

export function App() {
  const [config, setConfig] = useState<AppConfig | null>(null);
  const [session, setSession] = useState<SignedIn | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [ended, setEnded] = useState(false);

  useEffect(() => {
    (async () => {
      const loaded = await loadConfig();
      setConfig(loaded);
      setSession((await completeOidc(loaded.auth)) ?? restore(loaded.auth));
    })().catch((error) => setProblem(problemOf(error)));
  }, []);

  if (problem) return <main><ProblemNotice problem={problem} /></main>;
  if (!config) return <main><p class="loading">Loading…</p></main>;
  if (!session) {
    return (
      <SignIn
        auth={config.auth}
        notice={ended ? { sentence: SESSION_ENDED, code: "UNAUTHENTICATED" } : null}
        onSignedIn={(signedIn) => {
          setEnded(false);
          setSession(signedIn);
        }}
      />
    );
  }
  const leave = (why: "signed-out" | "ended") => {
    void signOut(config.auth, session);
    if (config.auth.kind === "none") return;
    setEnded(why === "ended");
    setSession(null);
  };
  return (
    <SignedInApp
      key={session.user}
      config={config}
      session={session}
      onRenewed={setSession}
      onEnded={() => leave("ended")}
      onSignOut={() => leave("signed-out")}
    />
  );
}

/** The signed-in page: its token renewed before it expires, and again whenever the API
 * refuses it (then the refused operation is sent again); a session that cannot be renewed
 * has ended. One API client per user, for the page's life: a renewal keeps the WebSocket
 * and its subscriptions. */
function SignedInApp(props: {
  config: AppConfig;
  session: SignedIn;
  onRenewed: (session: SignedIn) => void;
  onEnded: () => void;
  onSignOut: () => void;
}) {
  const current = useRef(props.session);
  current.current = props.session;
  const renewing = useRef<Promise<void> | null>(null);
  const callbacks = useRef(props);
  callbacks.current = props;

  function renewNow(): Promise<void> {
    renewing.current ??= renew(props.config.auth, current.current)
      .then((renewed) => {
        current.current = renewed;
        callbacks.current.onRenewed(renewed);
      })
      .catch((error) => {
        callbacks.current.onEnded();
        throw error;
      })
      .finally(() => {
        renewing.current = null;
      });
    return renewing.current;
  }

  useEffect(() => {
    const due = renewalDue(props.session);
    if (due === null) return;
    const timer = setTimeout(() => void renewNow().catch(() => undefined), Math.max(0, due - Date.now()));
    return () => clearTimeout(timer);
  }, [props.session.token]);

  const api = useMemo(() => connect(props.config, () => current.current.token, renewNow), [props.config]);
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
