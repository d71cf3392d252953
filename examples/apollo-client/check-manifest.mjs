// `npm run manifest:check`: fails when persisted-query-manifest.json is not what Apollo's
// generator makes of today's operations (as `codegen:check` does for the types).
import { readFileSync } from "node:fs";
import { generatePersistedQueryManifest } from "@apollo/generate-persisted-query-manifest";

const made = await generatePersistedQueryManifest(
  { documents: ["src/operations/**/*.graphql"] },
  undefined,
);
const committed = JSON.parse(readFileSync("persisted-query-manifest.json", "utf8"));
if (JSON.stringify(made) !== JSON.stringify(committed)) {
  console.error("persisted-query-manifest.json is out of date: run `npm run manifest`");
  process.exit(1);
}
