/* eslint-disable */
import * as types from './graphql';
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
    "fragment JobRow on Job {\n  id\n  model\n  version\n  status\n  progress {\n    done\n    total\n    failed\n  }\n  createdAt\n  updatedAt\n  finishedAt\n  error {\n    code\n    message\n  }\n}\n\nquery Jobs($first: Int!, $after: String, $status: JobStatus) {\n  jobs(first: $first, after: $after, status: $status) {\n    edges {\n      node {\n        ...JobRow\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery JobResults($id: ID!) {\n  job(id: $id) {\n    id\n    resultUrl\n    results(first: 100) {\n      index\n      labels {\n        label\n        score\n      }\n      error {\n        code\n        message\n      }\n    }\n  }\n}\n\nsubscription JobsUpdated {\n  jobsUpdated {\n    ...JobRow\n  }\n}\n\nmutation CreateUpload($contentType: String!, $size: Int!) {\n  createUpload(contentType: $contentType, size: $size, purpose: PREDICTION) {\n    url\n    key\n    fields {\n      name\n      value\n    }\n  }\n}\n\nmutation SubmitJob($input: SubmitJobInput!) {\n  submitJob(input: $input) {\n    created\n    job {\n      ...JobRow\n    }\n  }\n}\n\nmutation CancelJob($id: ID!) {\n  cancelJob(id: $id) {\n    ...JobRow\n  }\n}": typeof types.JobRowFragmentDoc,
    "query Predict($input: PredictInput!) {\n  predict(input: $input) {\n    model\n    version\n    labels {\n      label\n      score\n    }\n    timings {\n      decodeMs\n      inferenceMs\n    }\n  }\n}": typeof types.PredictDocument,
    "query Session {\n  me {\n    sub\n    groups\n    anonymous\n  }\n  models {\n    name\n    current\n    description\n    labels\n  }\n}": typeof types.SessionDocument,
};
const documents: Documents = {
    "fragment JobRow on Job {\n  id\n  model\n  version\n  status\n  progress {\n    done\n    total\n    failed\n  }\n  createdAt\n  updatedAt\n  finishedAt\n  error {\n    code\n    message\n  }\n}\n\nquery Jobs($first: Int!, $after: String, $status: JobStatus) {\n  jobs(first: $first, after: $after, status: $status) {\n    edges {\n      node {\n        ...JobRow\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery JobResults($id: ID!) {\n  job(id: $id) {\n    id\n    resultUrl\n    results(first: 100) {\n      index\n      labels {\n        label\n        score\n      }\n      error {\n        code\n        message\n      }\n    }\n  }\n}\n\nsubscription JobsUpdated {\n  jobsUpdated {\n    ...JobRow\n  }\n}\n\nmutation CreateUpload($contentType: String!, $size: Int!) {\n  createUpload(contentType: $contentType, size: $size, purpose: PREDICTION) {\n    url\n    key\n    fields {\n      name\n      value\n    }\n  }\n}\n\nmutation SubmitJob($input: SubmitJobInput!) {\n  submitJob(input: $input) {\n    created\n    job {\n      ...JobRow\n    }\n  }\n}\n\nmutation CancelJob($id: ID!) {\n  cancelJob(id: $id) {\n    ...JobRow\n  }\n}": types.JobRowFragmentDoc,
    "query Predict($input: PredictInput!) {\n  predict(input: $input) {\n    model\n    version\n    labels {\n      label\n      score\n    }\n    timings {\n      decodeMs\n      inferenceMs\n    }\n  }\n}": types.PredictDocument,
    "query Session {\n  me {\n    sub\n    groups\n    anonymous\n  }\n  models {\n    name\n    current\n    description\n    labels\n  }\n}": types.SessionDocument,
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
export function graphql(source: "fragment JobRow on Job {\n  id\n  model\n  version\n  status\n  progress {\n    done\n    total\n    failed\n  }\n  createdAt\n  updatedAt\n  finishedAt\n  error {\n    code\n    message\n  }\n}\n\nquery Jobs($first: Int!, $after: String, $status: JobStatus) {\n  jobs(first: $first, after: $after, status: $status) {\n    edges {\n      node {\n        ...JobRow\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery JobResults($id: ID!) {\n  job(id: $id) {\n    id\n    resultUrl\n    results(first: 100) {\n      index\n      labels {\n        label\n        score\n      }\n      error {\n        code\n        message\n      }\n    }\n  }\n}\n\nsubscription JobsUpdated {\n  jobsUpdated {\n    ...JobRow\n  }\n}\n\nmutation CreateUpload($contentType: String!, $size: Int!) {\n  createUpload(contentType: $contentType, size: $size, purpose: PREDICTION) {\n    url\n    key\n    fields {\n      name\n      value\n    }\n  }\n}\n\nmutation SubmitJob($input: SubmitJobInput!) {\n  submitJob(input: $input) {\n    created\n    job {\n      ...JobRow\n    }\n  }\n}\n\nmutation CancelJob($id: ID!) {\n  cancelJob(id: $id) {\n    ...JobRow\n  }\n}"): (typeof documents)["fragment JobRow on Job {\n  id\n  model\n  version\n  status\n  progress {\n    done\n    total\n    failed\n  }\n  createdAt\n  updatedAt\n  finishedAt\n  error {\n    code\n    message\n  }\n}\n\nquery Jobs($first: Int!, $after: String, $status: JobStatus) {\n  jobs(first: $first, after: $after, status: $status) {\n    edges {\n      node {\n        ...JobRow\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery JobResults($id: ID!) {\n  job(id: $id) {\n    id\n    resultUrl\n    results(first: 100) {\n      index\n      labels {\n        label\n        score\n      }\n      error {\n        code\n        message\n      }\n    }\n  }\n}\n\nsubscription JobsUpdated {\n  jobsUpdated {\n    ...JobRow\n  }\n}\n\nmutation CreateUpload($contentType: String!, $size: Int!) {\n  createUpload(contentType: $contentType, size: $size, purpose: PREDICTION) {\n    url\n    key\n    fields {\n      name\n      value\n    }\n  }\n}\n\nmutation SubmitJob($input: SubmitJobInput!) {\n  submitJob(input: $input) {\n    created\n    job {\n      ...JobRow\n    }\n  }\n}\n\nmutation CancelJob($id: ID!) {\n  cancelJob(id: $id) {\n    ...JobRow\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Predict($input: PredictInput!) {\n  predict(input: $input) {\n    model\n    version\n    labels {\n      label\n      score\n    }\n    timings {\n      decodeMs\n      inferenceMs\n    }\n  }\n}"): (typeof documents)["query Predict($input: PredictInput!) {\n  predict(input: $input) {\n    model\n    version\n    labels {\n      label\n      score\n    }\n    timings {\n      decodeMs\n      inferenceMs\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Session {\n  me {\n    sub\n    groups\n    anonymous\n  }\n  models {\n    name\n    current\n    description\n    labels\n  }\n}"): (typeof documents)["query Session {\n  me {\n    sub\n    groups\n    anonymous\n  }\n  models {\n    name\n    current\n    description\n    labels\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;