#!/usr/bin/env node
/**
 * The daemon's own entry point, started in the background by `slipway up` or
 * `slipway deploy` (src/cli/daemon-control.ts). Kept apart from the CLI so
 * the long-running process loads neither the config schema nor the CLI:
 * node scripts/bench-daemon.mjs measures its memory.
 *
 *   node dist/daemon/main.js --root DIR [--listen HOST:PORT]
 *
 * Test seam: `SLIPWAY_TEST_VERSION`, when set, is the version the daemon's
 * ping reports instead of package.json's, so a test can start a daemon "of
 * another version" (test/daemon-version.test.ts). Nothing else reads it.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseAddress } from "../config/address.js";
import { SlipwayError } from "../errors.js";
import { acquireSingleton } from "../supervise/singleton.js";
import { Daemon } from "./daemon.js";
import { FaultLog } from "../fault-log.js";
import { resourceError } from "../resource-error.js";
import { keepRunningThroughResourceFaults } from "./last-resort.js";
import { statePaths } from "./paths.js";

try {
  const { values } = parseArgs({ options: { root: { type: "string" }, listen: { type: "string" } } });
  if (!values.root) throw new SlipwayError("USAGE", "--root DIR is required");
  const root = resolve(values.root);
  // One daemon per project: a second one (a `slipway up` racing the router's restart) leaves quietly.
  if (!(await acquireSingleton(root, "daemon"))) {
    console.log(`slipway daemon ${process.pid}: another daemon serves ${root}`);
    process.exit(0);
  }
  keepRunningThroughResourceFaults(new FaultLog(), statePaths(root).dir);
  const daemon = await Daemon.start({
    root,
    listen: values.listen ? parseAddress(values.listen) : undefined,
    onStopped: () => process.exit(0),
    version: process.env.SLIPWAY_TEST_VERSION || undefined,
  });
  const shutdown = () => void daemon.stop();
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  console.log(`slipway daemon ${process.pid} serving ${daemon.paths.socket}`);
} catch (err) {
  const e = err instanceof SlipwayError ? err : resourceError(err);
  console.error(`error: ${e?.message ?? (err instanceof Error ? err.message : String(err))}`);
  if (e?.hint) console.error(`hint: ${e.hint}`);
  if (!e && err instanceof Error) console.error(err.stack);
  process.exit(1);
}
