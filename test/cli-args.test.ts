import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { statsFlags } from "../src/cli/commands/stats-commands.js";
import { commandOf, runCli } from "../src/cli/program.js";
import { PACKAGE_VERSION } from "../src/package-version.js";

/** Runs a command line in this process, its own output captured. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(["node", "slipway", ...args], {
    out: { write: (s: string) => ((out += s), true) },
    err: { write: (s: string) => ((err += s), true) },
  });
  return { code, out, err };
}

describe("the command line's argument handling, in process", () => {
  let dir = "";
  let config = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "slipway-cli-args-"));
    config = join(dir, "slipway.yaml");
    writeFileSync(config, "name: args\napp:\n  command: node server.js\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Bad input changes nothing: no state directory, no daemon, no release. */
  const untouched = () => expect(readdirSync(dir)).toEqual(["slipway.yaml"]);

  it("prints its version and its help on stdout, exit 0", async () => {
    for (const flag of ["--version", "-V", "--cli-version"])
      expect(await cli(flag), flag).toEqual({ code: 0, out: `${PACKAGE_VERSION}\n`, err: "" });
    const help = await cli("--help");
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: slipway \[options\] \[command\]/);
    expect(help.out).toMatch(/^ {2}-V, --version +print Slipway's version/m);
    expect(help.out).toContain("deploy [options]");
    expect(help.out).toContain("completion <shell>");
    expect(help.out).toMatch(/^ {2}stats \[options\] +delivery metrics from the ledger/m);
    // after a command, --version is deploy's release label, not Slipway's version
    const label = await cli("deploy", "--version");
    expect(label).toMatchObject({ code: 2, out: "" });
    expect(label.err).toContain("error: option '--version <label>' argument missing");
    expect(await cli("--json", "--version")).toEqual({ code: 0, out: `${PACKAGE_VERSION}\n`, err: "" });
    expect(await cli("status", "--version")).toEqual({
      code: 2,
      out: "",
      err: "error: status takes no --version\nhint: slipway --version prints Slipway's version; deploy --version LABEL names a release\n",
    });
  });

  it("suggests the command meant by a typo, with the help hint, exit 2", async () => {
    const r = await cli("deplyo");
    expect(r.code).toBe(2);
    expect(r.err).toBe("error: unknown command 'deplyo'\n(Did you mean deploy?)\nhint: see slipway --help\n");
    expect(r.out).toBe("");
  });

  it("refuses an unknown option of a command", async () => {
    const r = await cli("rollback", "--too", "3");
    expect(r.code).toBe(2);
    expect(r.err).toContain("error: unknown option '--too'");
    expect(r.err).toContain("(Did you mean --to?)");
  });

  it("refuses each bad flag value in one line with a hint, before reading the config or starting anything", async () => {
    const cases: [string[], string][] = [
      [["rollback", "--to", "two"], "error: --to two: must be a whole number\nhint: e.g. --to 3\n"],
      [["deploy", "--wait-lock", "soon"], "error: --wait-lock soon: not a duration\nhint: use a duration like 30s or 5m\n"],
      // a flag without "=" may be a pasted secret: never echoed
      [
        ["deploy", "--env", "sk_live_51Hx"],
        'error: --env takes KEY=VALUE; this one has no "=" (its text is not shown: it may be a secret)\nhint: e.g. --env LOG_LEVEL=debug\n',
      ],
      [
        ["deploy", "--env", "A=1", "--env", "tok_9f2"],
        'error: --env takes KEY=VALUE; this one (the 2nd --env) has no "=" (its text is not shown: it may be a secret)\nhint: e.g. --env LOG_LEVEL=debug\n',
      ],
      [
        ["deploy", "--env", "BAD KEY=s3cret"],
        'error: --env "BAD KEY"=...: not a variable name\nhint: names are letters, digits and _, not starting with a digit; e.g. --env LOG_LEVEL=debug\n',
      ],
      [
        ["deploy", "--env", "=x"],
        'error: --env=...: the name before "=" is empty\nhint: names are letters, digits and _, not starting with a digit; e.g. --env LOG_LEVEL=debug\n',
      ],
      [
        ["deploy", "--env", "postgres://admin:hunter2@db/app?sslmode=require"],
        'error: --env: the text before "=" is not a variable name (not shown: it may be a secret)\nhint: names are letters, digits and _, not starting with a digit; e.g. --env LOG_LEVEL=debug\n',
      ],
      [
        ["deploy", "--version", "v".repeat(5000)],
        `error: --version "${"v".repeat(40)}...": is 5000 characters long, at most 128\nhint: e.g. --version v1.4.2 or --version 2026-12-02.1\n`,
      ],
      [
        ["deploy", "--version", "v 2"],
        'error: --version "v 2": must be letters, digits, "_", "." and "-" (not starting with "." or "-")\nhint: e.g. --version v1.4.2 or --version 2026-12-02.1\n',
      ],
      [
        ["deploy", "--strategy", "sideways"],
        "error: --strategy sideways: unknown strategy\nhint: use one of rolling, blue-green, canary\n",
      ],
      [
        ["stats", "--since", "yesterdayish"],
        'error: --since "yesterdayish": neither a duration nor a date\nhint: use a duration back from now (30d, 12h, 2w) or an ISO date (2026-11-01, UTC)\n',
      ],
      [["stats", "--bucket", "month"], "error: --bucket month: not a bucket size\nhint: use one of day, week\n"],
      [
        ["stats", "--until", "2026-02-30"],
        "error: --until 2026-02-30: not a date\nhint: use an ISO date or date and time (UTC unless it says otherwise), e.g. --until 2026-11-01 or --until 2026-11-01T09:30\n",
      ],
      [
        ["stats", "--failure-window", "soon"],
        "error: --failure-window soon: not a duration\nhint: use a duration like 12h, 2d or 1w, e.g. --failure-window 24h\n",
      ],
      [
        ["stats", "--since", "2026-12-01", "--until", "2026-11-01"],
        "error: the period is empty: --since 2026-12-01T00:00:00.000Z is not before --until 2026-11-01T00:00:00.000Z\nhint: pick a --since earlier than --until\n",
      ],
      [
        ["stats", "--since", "2020-01-01", "--until", "2026-11-01"],
        "error: 2496 days is too many buckets, at most 1000\nhint: use --bucket week, or a shorter period\n",
      ],
    ];
    for (const [args, err] of cases) {
      expect(await cli("-c", config, ...args), args.join(" ")).toEqual({ code: 2, out: "", err });
      untouched();
    }
  });

  it("refuses a dashboard address it cannot serve safely, before starting anything", async () => {
    expect(await cli("-c", config, "dashboard", "--listen", "nowhere")).toEqual({
      code: 2,
      out: "",
      err: "error: --listen nowhere: expected host:port, :port or a port number\nhint: e.g. --listen 127.0.0.1:7070\n",
    });
    expect(await cli("-c", config, "dashboard", "--listen", "0.0.0.0:7070")).toEqual({
      code: 2,
      out: "",
      err:
        "error: the dashboard would listen on 0.0.0.0:7070 without TLS\n" +
        "hint: set dashboard.tls (cert and key files) in slipway.yaml, or pass --insecure on a network you trust\n",
    });
    writeFileSync(config, "name: args\napp:\n  command: node server.js\ndashboard: { tls: { cert: c.pem, key: k.pem } }\n");
    const missing = await cli("-c", config, "dashboard");
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(
      `error: dashboard.tls.cert: cannot read ${join(dir, "c.pem")} (ENOENT)\nhint: point it at a PEM file readable by this user\n`,
    );
    untouched();
  });

  it("names a config file that does not exist, exit 2", async () => {
    const r = await cli("-c", join(dir, "missing.yaml"), "config", "validate");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: .*missing\.yaml/);
    expect(r.err).toContain("hint: ");
    expect(existsSync(join(dir, ".slipway"))).toBe(false);
  });

  it("reads the period of stats: a duration back from now or an ISO date, UTC unless it names an offset", () => {
    const now = Date.UTC(2026, 11, 2, 12);
    const flags = { since: "30d", bucket: "day", failureWindow: "24h" };
    expect(statsFlags(flags, now)).toEqual({ since: now - 30 * 86_400_000, until: now, bucket: "day", failureWindowMs: 86_400_000 });
    expect(statsFlags({ ...flags, since: "2w12h", bucket: "week", failureWindow: "2d" }, now)).toMatchObject({
      since: now - 348 * 3_600_000,
      bucket: "week",
      failureWindowMs: 172_800_000,
    });
    expect(statsFlags({ ...flags, since: "2026-11-01", until: "2026-12-01T09:30+01:00" }, now)).toMatchObject({
      since: Date.UTC(2026, 10, 1),
      until: Date.UTC(2026, 11, 1, 8, 30),
    });
    expect(statsFlags({ ...flags, since: "2026-11-01 06:00:05.5", until: "2026-11-02T00:00Z" }, now)).toMatchObject({
      since: Date.UTC(2026, 10, 1, 6, 0, 5, 500),
      until: Date.UTC(2026, 10, 2),
    });
  });

  it("finds the command after the root options, so only its module loads", () => {
    expect(commandOf(["stats", "--since", "7d"])).toBe("stats");
    expect(commandOf(["status", "--json"])).toBe("status");
    expect(commandOf(["-c", "deploy.yaml", "--json", "rollback", "--to", "3"])).toBe("rollback");
    expect(commandOf(["--config", "x.yaml", "-e", "prod", "promote"])).toBe("promote");
    expect(commandOf(["--config=x.yaml", "logs"])).toBe("logs");
    expect(commandOf(["--json"])).toBeUndefined();
    expect(commandOf([])).toBeUndefined();
  });
});
