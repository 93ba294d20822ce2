import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import { runHook } from "../src/hooks/hook-runner.js";

const cleanups: (() => unknown)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

const ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  SLIPWAY_RELEASE: "4",
  SLIPWAY_VERSION: "v2",
  SLIPWAY_PREVIOUS_RELEASE: "3",
  SLIPWAY_STRATEGY: "canary",
};
const options = (extra: { cwd?: string; timeout?: number } = {}) => ({ env: ENV, cwd: tmpdir(), timeout: 5_000, ...extra });

describe("runHook", () => {
  it("does nothing, successfully, without a command", async () => {
    expect(await runHook("preDeploy", undefined, options())).toEqual({
      ran: false,
      ok: true,
      exitCode: null,
      timedOut: false,
      message: "no preDeploy hook",
      output: [],
      durationMs: 0,
    });
  });

  it("passes the caller's environment plus SLIPWAY_HOOK, in cwd", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "slipway-hook-"));
    cleanups.push(() => rmSync(cwd, { recursive: true, force: true }));
    writeFileSync(
      join(cwd, "migrate.sh"),
      'echo "$SLIPWAY_HOOK $SLIPWAY_RELEASE $SLIPWAY_VERSION $SLIPWAY_PREVIOUS_RELEASE $SLIPWAY_STRATEGY"\n',
    );
    const result = await runHook("postDeploy", ["sh", "migrate.sh"], options({ cwd }));
    expect(result).toEqual({
      ran: true,
      ok: true,
      exitCode: 0,
      timedOut: false,
      message: "postDeploy hook: sh migrate.sh exited 0",
      output: ["postDeploy 4 v2 3 canary"],
      durationMs: expect.any(Number),
    });
  });

  it("reports a failure with its exit code and last 20 output lines", async () => {
    const script = "for i in $(seq 1 25); do echo step $i; done; echo 'migration 0042 failed' >&2; exit 2";
    const result = await runHook("preDeploy", ["sh", "-c", script], options());
    expect(result).toMatchObject({ ran: true, ok: false, exitCode: 2, timedOut: false });
    expect(result.message).toBe(`preDeploy hook: sh -c ${script} exited 2`);
    expect(result.output).toHaveLength(20);
    expect(result.output[0]).toBe("step 7");
    expect(result.output.at(-1)).toBe("migration 0042 failed");
  });

  it("kills a hook that runs past its timeout", async () => {
    const result = await runHook("prePromote", ["sh", "-c", "echo warming; sleep 30"], options({ timeout: 200 }));
    expect(result).toMatchObject({ ran: true, ok: false, exitCode: null, timedOut: true, output: ["warming"] });
    expect(result.message).toBe("prePromote hook: sh -c echo warming; sleep 30 timed out after 200ms (killed)");
    expect(result.durationMs).toBeGreaterThanOrEqual(190);
    expect(result.durationMs).toBeLessThan(2_000);
  });

  it("reports a hook that cannot start", async () => {
    const result = await runHook("postRollback", ["./page-oncall"], options());
    expect(result).toMatchObject({ ran: true, ok: false, exitCode: null });
    expect(result.message).toBe("postRollback hook: ./page-oncall could not start: spawn ./page-oncall ENOENT");
  });

  it("runs the words of a configured hook without a shell", async () => {
    const text = ["name: hello", "app: { command: node server.js }", `hooks: { preDeploy: "echo '$SLIPWAY_VERSION && more'" }`].join("\n");
    const { config } = parseConfig(text, { file: "slipway.yaml", root: tmpdir() });
    const result = await runHook("preDeploy", config.hooks.preDeploy, options({ timeout: config.hooks.timeout }));
    expect(result.output).toEqual(["$SLIPWAY_VERSION && more"]);
  });
});
