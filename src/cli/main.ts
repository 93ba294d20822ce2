#!/usr/bin/env node
// The `slipway` executable: everything else is in program.ts, which tests run in process.
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv);
