// Types for the operations in src/operations/ from monolambda's schema.graphql (the API's
// contract; prod turns introspection off, so a client builds from this file). The persisted
// manifest is Apollo's own (persisted-query-manifest.config.ts).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/operations/*.graphql"],
  ignoreNoDocuments: false,
  // Node's ES modules need the files' extensions in their imports.
  emitLegacyCommonJSImports: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        // The schema's one custom scalar: an ISO 8601 date-time, sent as a string. Without
        // this mapping a stock client preset types it `unknown`.
        scalars: { DateTime: "string" },
      },
    },
  },
};

export default config;
