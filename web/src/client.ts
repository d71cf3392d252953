// One urql client: queries and mutations over HTTP, subscriptions over the WebSocket API
// (graphql-ws, the graphql-transport-ws protocol), every operation named by the hash of its
// trusted document rather than sent in full (persistedExchange). The hashes are GraphQL Code
// Generator's, the same the function's manifest holds. Everything goes by POST: the API's
// GET route has no authorizer (it serves GraphiQL's page), so a GET runs as nobody.
//
// The token is asked for at each request and each (re)connection, never captured: a renewed
// token is used from the next request on, and the open WebSocket keeps its subscriptions
// (a connection is authorised once, at connection_init; a reconnect sends the current one).
import { Client, fetchExchange, subscriptionExchange, type CombinedError } from "@urql/core";
import { authExchange } from "@urql/exchange-auth";
import type { DocumentNode } from "graphql";
import { persistedExchange } from "@urql/exchange-persisted";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import type { AppConfig } from "./config";

export interface Api {
  client: Client;
  sockets: WsClient;
}

export const CLIENT_NAME = "web";

/** `token`: the current one; `renew`: a fresh one (rejects when the session has ended),
 * after which an operation refused for its token is sent again, once. */
export function connect(
  config: AppConfig,
  token: () => string | null,
  renew: () => Promise<void>,
): Api {
  const authorization = (): Record<string, string> => {
    const current = token();
    return current ? { Authorization: `Bearer ${current}` } : {};
  };
  // --8<-- [start:sockets]
  const sockets = createWsClient({
    url: config.websocketUrl,
    connectionParams: authorization,
    lazy: true,
    retryAttempts: 5,
  });
  // --8<-- [end:sockets]
  const client = new Client({
    url: config.graphqlUrl,
    requestPolicy: "network-only",
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { "apollographql-client-name": CLIENT_NAME } }),
    exchanges: [
      // API Gateway's own 401, or the API's UNAUTHENTICATED: renew the token, then send the
      // operation again; the user notices nothing unless the session has ended.
      authExchange(async (utils) => ({
        addAuthToOperation: (operation) => utils.appendHeaders(operation, authorization()),
        didAuthError: refusesTheSession,
        refreshAuth: () => renew().catch(() => undefined),
      })),
      persistedExchange({
        // A stack built from another commit may not know a hash: the link then sends the
        // text, which runs unless that stack runs trusted documents only.
        enforcePersistedQueries: false,
        enableForMutation: true,
        enableForSubscriptions: true,
        preferGetForPersistedQueries: false,
        generateHash: async (_query, document) => hashOf(document),
      }),
      fetchExchange,
      // --8<-- [start:subscriptions]
      subscriptionExchange({
        forwardSubscription(request) {
          return {
            subscribe(sink) {
              // graphql-ws sends no subscribe without a string query: by hash, an empty one
              // (the API reads it as none).
              const payload = { ...request, query: request.query ?? "" };
              return { unsubscribe: sockets.subscribe(payload, sink) };
            },
          };
        },
      }),
      // --8<-- [end:subscriptions]
    ],
  });
  return { client, sockets };
}

/** An answer that refuses the caller rather than the request. */
export function refusesTheSession(error: CombinedError): boolean {
  const status = (error.response as Response | undefined)?.status;
  return (
    status === 401 || error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED")
  );
}

function hashOf(document: DocumentNode): string {
  const hash = (document as DocumentNode & { __meta__?: { hash?: string } }).__meta__?.hash;
  if (!hash) throw new Error("an operation without a trusted-document hash: run make web-types");
  return hash.replace(/^sha256:/, "");
}
