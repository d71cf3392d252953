// A second team's client of monolambda: Apollo Client 4 with
// - queries and mutations over HTTP, each named by the SHA-256 of its persisted document
//   (PersistedQueryLink): from Apollo's manifest of this client's operations (trusted mode:
//   a stack running TrustedDocumentsOnly serves registered operations only), or hashed as
//   it sends them (automatic persisted queries: the API registers an unknown hash sent
//   again with its text, so later requests take one trip);
// - subscriptions over the API's WebSocket API (graphql-ws, graphql-transport-ws), whose
//   connectionParams are a function: a reconnect sends the current token, not the first;
// - the client's name in Apollo's client-awareness headers (the API counts by it);
// - one rule for errors: an UNAUTHENTICATED answer or API Gateway's own 401 means the
//   session has ended, anything else is the request's own problem.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { CombinedGraphQLErrors, ServerError } from "@apollo/client/errors";
import { ErrorLink } from "@apollo/client/link/error";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { generatePersistedQueryIdsFromManifest } from "@apollo/persisted-query-lists";
import { getMainDefinition } from "@apollo/client/utilities";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

export type Mode = "trusted" | "apq";

export interface Options {
  graphqlUrl: string;
  websocketUrl: string;
  /** The current token: called for every request and every (re)connection. */
  token: () => string;
  mode: Mode;
  /** Each HTTP request the link sends, by operation name (the round trips). */
  onRequest?: (operationName: string) => void;
  /** Called once when the API says the session has ended. */
  onSessionEnded?: () => void;
}

export const CLIENT_NAME = "apollo-example";
export const SESSION_ENDED = "Your session has ended — sign in again.";
const MANIFEST = new URL("../persisted-query-manifest.json", import.meta.url);

export function createApolloClient(options: Options): ApolloClient {
  const http = new HttpLink({
    uri: options.graphqlUrl,
    fetch: async (uri, init) => {
      options.onRequest?.(operationName(init?.body));
      const headers = new Headers(init?.headers);
      headers.set("authorization", `Bearer ${options.token()}`);
      return fetch(uri, { ...init, headers });
    },
  });
  // --8<-- [start:persisted]
  const persisted =
    options.mode === "trusted"
      ? new PersistedQueryLink(
          generatePersistedQueryIdsFromManifest({
            loadManifest: () => JSON.parse(readFileSync(MANIFEST, "utf8")),
          }),
        )
      : new PersistedQueryLink({
          sha256: (text) => createHash("sha256").update(text).digest("hex"),
        });
  // --8<-- [end:persisted]
  // --8<-- [start:sockets]
  const sockets = new GraphQLWsLink(
    createClient({
      url: options.websocketUrl,
      webSocketImpl: WebSocket,
      lazy: true,
      connectionParams: () => ({ Authorization: `Bearer ${options.token()}` }),
    }),
  );
  // --8<-- [end:sockets]
  // --8<-- [start:errors]
  let ended = false;
  const errors = new ErrorLink(({ error }) => {
    const refused =
      (CombinedGraphQLErrors.is(error) &&
        error.errors.some((e) => e.extensions?.code === "UNAUTHENTICATED")) ||
      (ServerError.is(error) && error.statusCode === 401);
    if (refused && !ended) {
      ended = true;
      options.onSessionEnded?.();
    }
  });
  // --8<-- [end:errors]
  // Every operation by hash, subscriptions included (the WebSocket link sends the hash in
  // the subscribe message's extensions, beside the text).
  const link = ApolloLink.from([
    persisted,
    ApolloLink.split(
      ({ query }) => {
        const main = getMainDefinition(query);
        return main.kind === "OperationDefinition" && main.operation === "subscription";
      },
      sockets,
      http,
    ),
  ]);
  // --8<-- [start:client]
  return new ApolloClient({
    link: ApolloLink.from([errors, link]),
    cache: new InMemoryCache(),
    clientAwareness: { name: CLIENT_NAME, version: "1.0.0" },
    defaultOptions: { query: { fetchPolicy: "network-only" } },
  });
  // --8<-- [end:client]
}

function operationName(body: unknown): string {
  try {
    const parsed = JSON.parse(String(body)) as { operationName?: string };
    return parsed.operationName ?? "anonymous";
  } catch {
    return "anonymous";
  }
}
