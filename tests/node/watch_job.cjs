// The npm graphql-ws client, as a Node app uses it (with the ws package for its WebSocket):
// watches one job through jobUpdated and prints each event as a JSON line, then "done".
// Usage: node watch_job.cjs <ws-url> <token|-> <job-id> [subscribers]
"use strict";
const { createRequire } = require("node:module");
const path = require("node:path");
const fromDevstack = createRequire(path.join(__dirname, "..", "..", "devstack", "package.json"));
const { createClient } = fromDevstack("graphql-ws");
const WebSocket = fromDevstack("ws");

const [url, token, jobId, count] = process.argv.slice(2);
const subscribers = Number(count || 1);
const query = "subscription($id: ID!) { jobUpdated(id: $id) { id status progress { done total } } }";

function watch(n) {
  return new Promise((resolve) => {
    // --8<-- [start:subscribe]
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: token === "-" ? {} : { Authorization: `Bearer ${token}` },
      on: { closed: (event) => console.log(JSON.stringify({ n, closed: event.code })) },
    });
    client.subscribe(
      { query, variables: { id: jobId } },
      {
        next: (value) => console.log(JSON.stringify({ n, next: value })),
        error: (error) => {
          const shown = Array.isArray(error) ? error : { message: String(error && (error.reason || error.message || error.code || error)) };
          console.log(JSON.stringify({ n, error: shown }));
          client.dispose();
          resolve();
        },
        complete: () => {
          console.log(JSON.stringify({ n, complete: true }));
          client.dispose();
          resolve();
        },
      },
    );
    // --8<-- [end:subscribe]
  });
}

Promise.all(Array.from({ length: subscribers }, (_, n) => watch(n))).then(() => {
  console.log("done");
  process.exit(0);
});
