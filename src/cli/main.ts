#!/usr/bin/env node
// The `slipway` executable: everything else is in program.ts, which tests run in process.
// `slipway --version` answers before the command line (commander and the commands) loads.
import { PACKAGE_VERSION } from "../package-version.js";
import { VERSION_FLAGS } from "./version-flags.js";

if (VERSION_FLAGS.includes(process.argv[2] ?? "")) process.stdout.write(`${PACKAGE_VERSION}\n`);
else process.exitCode = await (await import("./program.js")).runCli(process.argv);
