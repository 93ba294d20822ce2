/**
 * `slipway --version`, `-V` (and the older `--cli-version`): only as the
 * first argument, since `slipway deploy --version v2` is a release label.
 * main.ts answers them before loading anything else.
 */
export const VERSION_FLAGS: readonly string[] = ["--version", "-V", "--cli-version"];
