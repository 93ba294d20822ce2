import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Debian's chromium (CI installs it with apt); never a downloaded one. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * A headless Chromium for the dashboard tests, driven by playwright-core.
 * Fails with a hint when the browser is missing (`.ci/run` installs it).
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
