import { readFileSync } from "node:fs";

/**
 * The version of this Slipway install (package.json), read once: the CLI's
 * `--version`, and what the daemon's ping reports so a CLI of another
 * version can say so (src/cli/daemon-control.ts).
 */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
  .version;
