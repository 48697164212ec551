// Generates src/api/schema.ts from openapi.json (the server's schema, written by
// `python -m shoal.server._openapi web/openapi.json`) with openapi-typescript.
//   node scripts/schema-types.mjs          write it (npm run gen:types)
//   node scripts/schema-types.mjs --check  exit 1 when it differs (npm run build, the tests)
import { readFile, writeFile } from "node:fs/promises";
import openapiTS from "openapi-typescript";

const SCHEMA = new URL("../openapi.json", import.meta.url);
const TYPES = new URL("../src/api/schema.ts", import.meta.url);
const REGENERATE = "make web-types";

const generated = await openapiTS(JSON.parse(await readFile(SCHEMA, "utf8")));
if (process.argv.includes("--check")) {
  const current = await readFile(TYPES, "utf8").catch(() => null);
  if (current !== generated) {
    console.error(`web/src/api/schema.ts is not what openapi-typescript makes of web/openapi.json: run \`${REGENERATE}\` (or \`npm run gen:types\` in web/)`);
    process.exit(1);
  }
} else {
  await writeFile(TYPES, generated);
}
