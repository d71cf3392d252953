// Runs this client's operations against a monolambda stack and prints, as JSON, the round
// trips each took and the job it submitted, watched to its end over the WebSocket API:
//
//   node dist/main.js GRAPHQL_URL WEBSOCKET_URL trusted|apq IMAGE.png   (token in MONOLAMBDA_TOKEN)
//
// trusted: the registered operations only, by their manifest's ids; apq: hashes made as they
// are sent, and an operation this client has not registered besides.
import { gql } from "@apollo/client";
import { readFileSync } from "node:fs";
import { createApolloClient, SESSION_ENDED, type Mode } from "./client.js";
import {
  RecentJobsDocument,
  SessionDocument,
  SubmitJobDocument,
  WatchJobDocument,
} from "./gql/graphql.js";

// An operation this client has not registered (it is in no .graphql file, so in no
// manifest): a stack that does not restrict documents runs it and registers it on its first
// request (two trips), so later ones take one; a trusted-only stack refuses it.
const UNREGISTERED = gql`
  query Version {
    version {
      version
      gitRevision
    }
  }
`;

const [graphqlUrl, websocketUrl, mode, image] = process.argv.slice(2);
if (!graphqlUrl || !websocketUrl || (mode !== "trusted" && mode !== "apq") || !image) {
  console.error("usage: node dist/main.js GRAPHQL_URL WEBSOCKET_URL trusted|apq IMAGE.png");
  process.exit(2);
}

const trips: Record<string, number> = {};
const client = createApolloClient({
  graphqlUrl,
  websocketUrl,
  mode: mode as Mode,
  token: () => process.env.MONOLAMBDA_TOKEN ?? "",
  onRequest: (name) => {
    trips[name] = (trips[name] ?? 0) + 1;
  },
  onSessionEnded: () => console.error(SESSION_ENDED),
});

const report: Record<string, unknown> = { mode };
try {
  for (const round of ["first", "second"]) {
    const session = await client.query({ query: SessionDocument });
    report[`session_${round}`] = session.data?.me?.sub ?? null;
    const jobs = await client.query({ query: RecentJobsDocument, variables: { first: 5 } });
    report[`jobs_${round}`] = jobs.data?.jobs.edges.length ?? null;
    if (mode === "apq") {
      const version = await client.query<{ version: { version: string } }>({ query: UNREGISTERED });
      report[`version_${round}`] = version.data?.version.version ?? null;
    }
  }
  const submitted = await client.mutate({
    mutation: SubmitJobDocument,
    variables: { input: { images: [readFileSync(image).toString("base64")], model: "digits" } },
  });
  const job = submitted.data?.submitJob.job;
  if (!job) throw new Error("no job was submitted");
  const statuses: string[] = [];
  const best = await new Promise<string | null>((resolve, reject) => {
    const watching = client.subscribe({ query: WatchJobDocument, variables: { id: job.id } }).subscribe({
      next: ({ data, error }) => {
        if (error) return reject(error);
        const update = data?.jobUpdated;
        if (!update) return;
        statuses.push(update.status);
        if (["SUCCEEDED", "FAILED", "CANCELLED"].includes(update.status)) {
          watching.unsubscribe();
          resolve(update.results?.[0]?.labels[0]?.label ?? null);
        }
      },
      error: reject,
    });
  });
  report.statuses = statuses;
  report.best = best;
  report.trips = trips;
  console.log(JSON.stringify(report));
} catch (error) {
  console.log(JSON.stringify({ ...report, trips, error: String(error) }));
  process.exitCode = 1;
} finally {
  client.stop();
  process.exit();
}
