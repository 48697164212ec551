/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Relative base: the built app works from any path the server mounts it under. The build
// goes into the Python package, which serves it at `/` (src/shoal/server/_webapp.py).
export default defineConfig({
  base: "./",
  plugins: [react()],
  publicDir: false,
  build: { outDir: "../src/shoal/server/_webapp", emptyOutDir: true, sourcemap: false },
  test: {
    // Pure modules test in Node (fast); component tests opt into jsdom with a
    // `// @vitest-environment jsdom` first line.
    environment: "node",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    // A view test awaits several fetches and renders; under load 5 s is not enough.
    testTimeout: 30_000,
  },
});
