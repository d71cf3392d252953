// The browser client, built to dist/ as static files with relative URLs: the local stack
// serves them at http://127.0.0.1:3000/, and any static host (S3 + CloudFront) can, beside a
// config.json that names a stack's URLs (README, "The browser client").
//
// `npm run dev` (or `make web-dev`): Vite's dev server with hot reload, in front of a running
// `make dev` stack (MONOLAMBDA_STACK, else http://127.0.0.1:3000). The page's config, its
// sign-in and the API (HTTP and WebSocket) are reached through Vite's proxy, so the page is
// same-origin with all of them, as it is when the stack serves it.
import { defineConfig } from "vite";

const stack = process.env.MONOLAMBDA_STACK ?? "http://127.0.0.1:3000";

export default defineConfig({
  base: "./",
  server: {
    host: "127.0.0.1",
    port: Number(process.env.WEB_DEV_PORT ?? 5173),
    strictPort: true,
    proxy: {
      "/config.json": { target: stack, changeOrigin: true },
      "/_devstack": { target: stack, changeOrigin: true },
      "/graphql": { target: stack, changeOrigin: true, ws: true },
    },
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    target: "es2022",
    // The report's figures (script size, gzipped) come from bench/web.py, not from here.
    reportCompressedSize: false,
    sourcemap: false,
  },
});
