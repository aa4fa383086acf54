/// <reference types="vitest/config" />
// The web app's build. Everything it emits must load under the api's Content Security Policy
// (`script-src 'self'; style-src 'self'; img-src 'self' blob:`, no 'unsafe-inline'), so:
// no inline script (the module-preload polyfill is one), no asset inlined as a data: URL, and
// hashed file names under assets/ that the api can cache forever.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

declare const process: { env: Record<string, string | undefined> };

// `npm run dev` forwards the api's routes to a running api (ENCLAVE_API, default the local stack's).
const api = process.env.ENCLAVE_API ?? "https://localhost:8443";

export default defineConfig({
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    cssCodeSplit: true,
    sourcemap: false,
    modulePreload: { polyfill: false },
    target: "es2022",
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      "/api": { target: api, changeOrigin: false, secure: false },
      "/auth": { target: api, changeOrigin: false, secure: false },
    },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
