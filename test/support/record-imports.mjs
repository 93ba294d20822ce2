// node --import ./test/support/record-imports.mjs ...: appends every module URL the
// process loads (ESM and CommonJS) to the file in SLIPWAY_RECORD_IMPORTS, one per line.
// Used to check which modules a command loads (test/cli-start.test.ts).
import { appendFileSync } from "node:fs";
import Module, { register } from "node:module";

const out = process.env.SLIPWAY_RECORD_IMPORTS;
if (out) {
  register(
    `data:text/javascript,${encodeURIComponent(`
      import { appendFileSync } from "node:fs";
      export async function resolve(specifier, context, next) {
        const r = await next(specifier, context);
        appendFileSync(${JSON.stringify(out)}, r.url + "\\n");
        return r;
      }`)}`,
  );
  const load = Module._load;
  Module._load = function (request, parent, ...rest) {
    const loaded = load.call(this, request, parent, ...rest);
    try {
      appendFileSync(out, `cjs:${Module._resolveFilename(request, parent)}\n`);
    } catch {
      // builtins resolve to themselves; nothing to record
    }
    return loaded;
  };
}
