/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query RecentJobs($first: Int!) {\n  jobs(first: $first) {\n    edges {\n      node {\n        id\n        status\n        createdAt\n      }\n    }\n  }\n}": typeof types.RecentJobsDocument,
    "query Session {\n  me {\n    sub\n    groups\n  }\n  models {\n    name\n    current\n  }\n}": typeof types.SessionDocument,
    "mutation SubmitJob($input: SubmitJobInput!) {\n  submitJob(input: $input) {\n    created\n    job {\n      id\n      status\n    }\n  }\n}": typeof types.SubmitJobDocument,
    "subscription WatchJob($id: ID!) {\n  jobUpdated(id: $id) {\n    id\n    status\n    progress {\n      done\n      total\n    }\n    results(first: 10) {\n      index\n      labels {\n        label\n        score\n      }\n    }\n  }\n}": typeof types.WatchJobDocument,
};
const documents: Documents = {
    "query RecentJobs($first: Int!) {\n  jobs(first: $first) {\n    edges {\n      node {\n        id\n        status\n        createdAt\n      }\n    }\n  }\n}": types.RecentJobsDocument,
    "query Session {\n  me {\n    sub\n    groups\n  }\n  models {\n    name\n    current\n  }\n}": types.SessionDocument,
    "mutation SubmitJob($input: SubmitJobInput!) {\n  submitJob(input: $input) {\n    created\n    job {\n      id\n      status\n    }\n  }\n}": types.SubmitJobDocument,
    "subscription WatchJob($id: ID!) {\n  jobUpdated(id: $id) {\n    id\n    status\n    progress {\n      done\n      total\n    }\n    results(first: 10) {\n      index\n      labels {\n        label\n        score\n      }\n    }\n  }\n}": types.WatchJobDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query RecentJobs($first: Int!) {\n  jobs(first: $first) {\n    edges {\n      node {\n        id\n        status\n        createdAt\n      }\n    }\n  }\n}"): (typeof documents)["query RecentJobs($first: Int!) {\n  jobs(first: $first) {\n    edges {\n      node {\n        id\n        status\n        createdAt\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Session {\n  me {\n    sub\n    groups\n  }\n  models {\n    name\n    current\n  }\n}"): (typeof documents)["query Session {\n  me {\n    sub\n    groups\n  }\n  models {\n    name\n    current\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SubmitJob($input: SubmitJobInput!) {\n  submitJob(input: $input) {\n    created\n    job {\n      id\n      status\n    }\n  }\n}"): (typeof documents)["mutation SubmitJob($input: SubmitJobInput!) {\n  submitJob(input: $input) {\n    created\n    job {\n      id\n      status\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription WatchJob($id: ID!) {\n  jobUpdated(id: $id) {\n    id\n    status\n    progress {\n      done\n      total\n    }\n    results(first: 10) {\n      index\n      labels {\n        label\n        score\n      }\n    }\n  }\n}"): (typeof documents)["subscription WatchJob($id: ID!) {\n  jobUpdated(id: $id) {\n    id\n    status\n    progress {\n      done\n      total\n    }\n    results(first: 10) {\n      index\n      labels {\n        label\n        score\n      }\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;