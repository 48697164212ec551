// src/api/schema.ts must be what openapi-typescript makes of openapi.json (the server's
// schema, which tests/test_openapi_schema.py keeps current): run by `npm test`.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const script = fileURLToPath(new URL("./schema-types.mjs", import.meta.url));

it("src/api/schema.ts is generated from openapi.json as it is now", () => {
  const run = spawnSync(process.execPath, [script, "--check"], { encoding: "utf8" });
  // On failure the message says how to regenerate (make web-types).
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
});
