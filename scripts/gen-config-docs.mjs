#!/usr/bin/env node
// Regenerates docs/config.md (the slipway.yaml reference) and
// docs/slipway.schema.json (the JSON Schema for editors) from the zod schema.
// Run after `npm run build`: node scripts/gen-config-docs.mjs
// test/config.test.ts fails when either file is out of date.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { configJsonSchema } from "../dist/config/json-schema.js";
import { configReference } from "../dist/config/reference.js";

const docs = fileURLToPath(new URL("../docs/", import.meta.url));
writeFileSync(`${docs}config.md`, configReference());
writeFileSync(`${docs}slipway.schema.json`, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log("wrote docs/config.md and docs/slipway.schema.json");
