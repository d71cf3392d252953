// The operations as Apollo Client sends them (its document transforms applied: __typename
// added), hashed as its PersistedQueryLink hashes them: the manifest the API trusts. Read
// from the operations' own files, as Code Generator reads them: Code Generator's persisted
// documents sort each selection's fields, and Apollo Client sends them as written, so a
// manifest made from those would not be what the WebSocket link sends.
import type { PersistedQueryManifestConfig } from "@apollo/generate-persisted-query-manifest";

const config: PersistedQueryManifestConfig = {
  documents: ["src/operations/**/*.graphql"],
  output: "persisted-query-manifest.json",
};

export default config;
