/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The dev server proxies /api to a backend started with `make run` (port 8000).
export default defineConfig({
  plugins: [react()],
  build: {
    target: "es2022",
    // No inline scripts or styles in index.html: the nginx CSP forbids inline scripts.
    assetsInlineLimit: 0,
    sourcemap: false,
    // .vite/manifest.json: the service worker reads it to cache every screen's files.
    manifest: true,
    // The login page is a page of its own, without React (src/login.ts).
    rolldownOptions: { input: { index: "index.html", login: "login.html" } },
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
