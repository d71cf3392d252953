// Types for every operation in src/graphql/ from the committed schema (../schema.graphql),
// and the trusted-documents manifest (src/gql/persisted-documents.json: sha256 -> document)
// that `make web-types` copies into the function. `make test` runs it with --check.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/graphql/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: "embedHashInDocument", hashAlgorithm: "sha256" },
      },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: "string" },
      },
    },
  },
};

export default config;
