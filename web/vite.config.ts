// The browser client, built to dist/ as static files with relative URLs: the local stack
// serves them at http://127.0.0.1:3000/, and any static host (S3 + CloudFront) can, beside a
// config.json that names a stack's URLs (README, "The browser client").
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    target: "es2022",
    // The report's figures (script size, gzipped) come from bench/web.py, not from here.
    reportCompressedSize: false,
    sourcemap: false,
  },
});
