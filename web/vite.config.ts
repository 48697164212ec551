/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Relative base: the built app works from any path the server mounts it under.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  test: {
    // Pure modules test in Node (fast); component tests opt into jsdom with a
    // `// @vitest-environment jsdom` first line.
    environment: "node",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
  },
});
