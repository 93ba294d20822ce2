import { describe, expect, it } from "vitest";
import { isSimpleCommand, shellArgv } from "../src/config/command.js";
import { commandVarNames, expandCommand, wordPieces } from "../src/config/command-vars.js";
import { parseConfig } from "../src/config/load.js";
import { storedConfig } from "../src/ledger/ledger.js";
import { instanceArgv } from "../src/platform/instance-argv.js";
import { taskArgs } from "../src/platform/swarm/task-command.js";
import { instanceSpec } from "../src/daemon/release-runtime.js";
import type { Release } from "../src/ledger/types.js";
import type { Config } from "../src/config/types.js";

/** A release as the ledger gives it, with what instanceSpec reads. */
function release(id: number, env: Record<string, string>, config: Config): Release {
  const at = { status: "active", createdAt: 0, activatedAt: null, configText: "", configFile: "slipway.yaml", environment: null } as const;
  return { ...at, id, version: `v${id}`, config, env, snapshot: `/srv/a/.slipway/releases/${id}`, image: null, reason: null, git: null };
}

const ENV = { PORT: "4001", SLIPWAY_RELEASE: "3", DATA: "/srv/data", HOME: "/root" };
const NAMES = ["PORT", "SLIPWAY_RELEASE", "DATA"];

describe("list commands: $NAME expansion", () => {
  it.each([
    ["$PORT", "4001"],
    ["${PORT}", "4001"],
    ["--port=$PORT", "--port=4001"],
    ["--listen=127.0.0.1:${PORT}x", "--listen=127.0.0.1:4001x"],
    ["$PORTX", "$PORTX"], // another name, not declared
    ["$HOME", "$HOME"], // passed, not declared: stays as written
    ["${HOME:-/tmp}", "${HOME:-/tmp}"],
    ["$$PORT", "$PORT"],
    ["$${PORT}", "${PORT}"],
    ["100$$", "100$"],
    ["$$$PORT", "$4001"],
    ["$DATA/db.sqlite", "/srv/data/db.sqlite"],
    ["r$SLIPWAY_RELEASE", "r3"],
    ["$", "$"],
    ["$1 $@", "$1 $@"],
    ["a b $PORT", "a b 4001"], // one word stays one word
  ])("%s -> %s", (word, expanded) => {
    expect(expandCommand([word], NAMES, ENV)).toEqual([expanded]);
  });

  it("expands a declared name the env lacks to nothing, and leaves the command words apart", () => {
    expect(expandCommand(["node", "s.js", "$DATA", "$PORT"], NAMES, { PORT: "1" })).toEqual(["node", "s.js", "", "1"]);
  });

  it("splits a word into text and references", () => {
    expect(wordPieces("--port=${PORT}x$HOME$$", ["PORT"])).toEqual(["--port=", { name: "PORT" }, "x$HOME$"]);
    expect(wordPieces("", ["PORT"])).toEqual([]);
  });

  it("names Slipway's variables per platform, then the release's", () => {
    expect(commandVarNames("process", { LOG: "1", PORT: "9" })).toEqual([
      "PORT",
      "SLIPWAY_RELEASE",
      "SLIPWAY_VERSION",
      "SLIPWAY_INSTANCE",
      "LOG",
    ]);
    expect(commandVarNames("swarm", {})).toEqual(["PORT", "SLIPWAY_RELEASE", "SLIPWAY_VERSION", "SLIPWAY_SLOT", "SLIPWAY_TASK_ID"]);
  });

  it("expands an instance's argv only when its spec says which names (older specs run as recorded)", () => {
    const command = ["node", "s.js", "--port", "$PORT"];
    expect(instanceArgv({ command, expand: ["PORT"], env: ENV })).toEqual(["node", "s.js", "--port", "4001"]);
    expect(instanceArgv({ command, env: ENV })).toEqual(command);
  });
});

describe("string commands: sh -c", () => {
  it.each([
    ["node server.js --port $PORT", "exec node server.js --port $PORT"],
    ["  node server.js\n", "exec node server.js"],
    ['node "my app.js" > out.log 2>&1', 'exec node "my app.js" > out.log 2>&1'],
    ["node -e 'a(); b()'", "exec node -e 'a(); b()'"],
    ['gunicorn -b "0.0.0.0:$PORT" "app:create_app()"', 'exec gunicorn -b "0.0.0.0:$PORT" "app:create_app()"'],
    ["node $(cat entry; echo) x", "exec node $(cat entry; echo) x"],
    ["exec node server.js", "exec node server.js"],
    ["./migrate && exec node server.js", "./migrate && exec node server.js"],
    ["node a.js; node b.js", "node a.js; node b.js"],
    ["node a.js | tee log", "node a.js | tee log"],
    ["node a.js &", "node a.js &"],
    ["cd web\nnode s.js", "cd web\nnode s.js"],
    ["cd web", "cd web"],
    ["NODE_ENV=production node s.js", "NODE_ENV=production node s.js"],
    ["if true; then node s.js; fi", "if true; then node s.js; fi"],
    ["(node s.js)", "(node s.js)"],
    ["node `cat entry`", "node `cat entry`"],
  ])("%j runs as sh -c %j", (line, script) => {
    expect(shellArgv(line)).toEqual(["sh", "-c", script]);
  });

  it("never puts exec before exec, a builtin or a keyword", () => {
    for (const line of ["exec node s.js", "cd web", "export A=1", "while true", "{ node s.js; }", "! node s.js"])
      expect(isSimpleCommand(line)).toBe(false);
  });

  it("parses a string into sh -c and a list into words, each with its form", () => {
    const parse = (command: string) =>
      parseConfig(`name: a\napp:\n  command: ${command}\n`, { file: "slipway.yaml", root: "/srv/a" }).config.app;
    expect(parse("node s.js --port $PORT")).toMatchObject({ command: ["sh", "-c", "exec node s.js --port $PORT"], commandForm: "shell" });
    expect(parse("[node, s.js, --port, $PORT]")).toMatchObject({ command: ["node", "s.js", "--port", "$PORT"], commandForm: "words" });
  });

  it("reads a release recorded before string commands ran with sh -c as split words, run as they were", () => {
    const stored = { name: "a", platform: "process", app: { command: ["node", "s.js", "$PORT"], cwd: "/srv/a", env: {} } };
    const config = storedConfig(JSON.stringify(stored));
    expect(config.app.commandForm).toBe("split");
    const spec = instanceSpec(release(1, {}, config), config, 1);
    expect(spec).not.toHaveProperty("expand");
    expect(instanceArgv({ ...spec, env: { PORT: "4001" } })).toEqual(["node", "s.js", "$PORT"]);
  });

  it("records which names a list command expands: Slipway's and the release's env (app.env and --env)", () => {
    const parse = (command: string) =>
      parseConfig(`name: a\napp:\n  command: ${command}\n  env: { DATA: x }\n`, { file: "slipway.yaml", root: "/srv/a" }).config;
    const env = { DATA: "x", EXTRA: "from --env" };
    const list = instanceSpec(release(2, env, parse("[node, s.js, $PORT, $EXTRA]")), parse("[node, s.js, $PORT, $EXTRA]"), 1);
    expect(list.expand).toEqual(["PORT", "SLIPWAY_RELEASE", "SLIPWAY_VERSION", "SLIPWAY_INSTANCE", "DATA", "EXTRA"]);
    expect(instanceArgv({ ...list, env: { ...list.env, PORT: "4001" } })).toEqual(["node", "s.js", "4001", "from --env"]);
    expect(instanceSpec(release(2, env, parse("node s.js $PORT")), parse("node s.js $PORT"), 1)).not.toHaveProperty("expand");
  });
});

describe("swarm: a list command's Args", () => {
  const names = commandVarNames("swarm", { DATA: "/srv/data" });
  const env = { DATA: "/srv/data", SLIPWAY_RELEASE: "3", SLIPWAY_VERSION: "v1" };

  it("puts the values the spec knows in place", () => {
    expect(taskArgs(["node", "s.js", "$DATA", "r${SLIPWAY_RELEASE}", "$$HOME"], names, env)).toEqual([
      "node",
      "s.js",
      "/srv/data",
      "r3",
      "$HOME",
    ]);
  });

  it("leaves per-task variables to a shell, every word quoted", () => {
    expect(taskArgs(["node", "my app.js", "--port=$PORT", "it's", "", "$DATA"], names, env)).toEqual([
      "sh",
      "-c",
      `exec 'node' 'my app.js' '--port='"\${PORT}" 'it'\\''s' '' '/srv/data'`,
    ]);
  });
});

describe("config validate: variables that will not be set", () => {
  const warnings = (...lines: string[]) =>
    parseConfig(["name: a", ...lines, ""].join("\n"), { file: "slipway.yaml", root: "/srv/a" }).warnings;

  it("says nothing when every variable will hold a value", () => {
    expect(warnings("app:", "  command: node s.js --port $PORT --home $HOME --v $$ $1", "  env: { DATA: x }")).toEqual([]);
    expect(
      warnings("app:", '  command: \'[ -n "$DATA" ] && exec node s.js --port "${PORT}" r$SLIPWAY_RELEASE\'', "  env: { DATA: x }"),
    ).toEqual([]);
    expect(warnings("app:", "  command: [node, s.js, --port, $PORT, $DATA, $$LITERAL]", "  env: { DATA: x }")).toEqual([]);
    expect(warnings("app:", "  command: \"X=1; exec node s.js $X '$NOT_A_VAR' \\\\$ESCAPED $OTEL_URL\"", "  passEnv: [OTEL_*]")).toEqual(
      [],
    );
  });

  it("warns about a list word that stays literal, with its index and line", () => {
    expect(warnings("app:", "  command: [node, s.js, --db, $DB_URL, '${HOME:-/tmp}']")).toEqual([
      "app.command[3]: $DB_URL is not expanded: a list command expands only PORT, SLIPWAY_* and the release's env (app.env, deploy --env) (add DB_URL to app.env or pass it with deploy --env, write $$ for a literal $, or give the command as a string to run it with sh -c) (slipway.yaml:3)",
      "app.command[4]: $HOME is not expanded: a list command expands only PORT, SLIPWAY_* and the release's env (app.env, deploy --env) (add HOME to app.env or pass it with deploy --env, write $$ for a literal $, or give the command as a string to run it with sh -c) (slipway.yaml:3)",
    ]);
  });

  it("warns about Kubernetes' $(NAME) in a list, which stays literal; in a string it is the shell's command substitution", () => {
    expect(warnings("app:", "  command: [node, s.js, --port, $(PORT)]")).toEqual([
      "app.command[3]: $(PORT) stays as written: that is Kubernetes' syntax; write $PORT or ${PORT} (slipway.yaml:3)",
    ]);
    expect(warnings("app:", "  command: [node, s.js, $$(PORT)]")).toEqual([]); // escaped: a literal $(PORT) on purpose
    expect(warnings("app:", "  command: exec node s.js --port $PORT --at $(date +%s)")).toEqual([]);
  });

  it("leaves out a variable the deploy's --env gives, in a list and in a string", () => {
    const given = (...lines: string[]) =>
      parseConfig(["name: a", ...lines, ""].join("\n"), { file: "slipway.yaml", root: "/srv/a", deployEnv: ["FOO", "BAR"] }).warnings;
    expect(warnings("app:", "  command: [node, s.js, $FOO]")).toHaveLength(1);
    expect(warnings("app:", "  command: node s.js $BAR")).toHaveLength(1);
    expect(given("app:", "  command: [node, s.js, $FOO]")).toEqual([]);
    expect(given("app:", "  command: node s.js $BAR $BAZ")).toEqual([expect.stringMatching(/^app\.command: \$BAZ is not set/)]);
    expect(given("app:", "  command: [node, s.js, --port, $(PORT)]")).toHaveLength(1); // not about a variable's value
  });

  it("warns about a variable a shell command reads that the instance will not have", () => {
    expect(warnings("app:", "  command: node s.js --port $PORT --db $DB_URL")).toEqual([
      "app.command: $DB_URL is not set for the instance, which gets PORT, SLIPWAY_*, app.env, app.passEnv and PATH, HOME...: the shell will expand it to nothing (add DB_URL to app.env or app.passEnv, or give it with deploy --env) (slipway.yaml:3)",
    ]);
    // A list that runs a shell: its script is read the shell's way.
    expect(warnings("app:", "  command: [sh, -c, 'exec node s.js --port $PORT --db ${DB_URL}']")).toHaveLength(1);
  });

  it("warns on docker and swarm about a compound command whose sh keeps the stop signal from the app, with docker.init and without", () => {
    const docker = ["platform: docker", "app:", "  image: a:1"];
    const stays =
      "sh stays between docker-init and the app unless it execs the app (dash, the sh of Debian-based images like node:20-slim, does not exec a last command by itself)";
    expect(warnings(...docker, "  command: ./migrate && node s.js")).toEqual([
      `app.command: ${stays}, and docker-init passes SIGTERM to sh alone: the app never gets it and is killed when sh ends or after app.shutdown.timeout (start its last command with exec, e.g. "... && exec node server.js") (slipway.yaml:5)`,
    ]);
    expect(warnings("platform: swarm", "app:", "  image: a:1", "  command: ./migrate && node s.js")).toEqual([
      expect.stringMatching(/^app\.command: sh stays between docker-init and the app .* \(slipway\.yaml:5\)$/),
    ]);
    expect(warnings(...docker, "  command: ./migrate && node s.js", "  shutdown: { signal: SIGINT }", "docker:", "  init: false")).toEqual([
      'app.command: sh stays PID 1 of the container unless it execs the app (dash, the sh of Debian-based images like node:20-slim, does not exec a last command by itself), where it ignores SIGINT (docker.init is false): the app is killed after app.shutdown.timeout (start its last command with exec, e.g. "... && exec node server.js") (slipway.yaml:5)',
    ]);
    expect(warnings(...docker, "  command: ./migrate && exec node s.js")).toEqual([]);
    expect(warnings(...docker, "  command: node s.js")).toEqual([]);
    expect(warnings("app:", "  command: ./migrate && node s.js")).toEqual([]); // process: the group gets the signal
  });

  it("locates a warning in the environment overlay that sets the command", () => {
    const text = [
      "name: a",
      "app:",
      "  command: node s.js",
      "environments:",
      "  prod:",
      "    app:",
      "      command: [node, s.js, $NOPE]",
      "",
    ].join("\n");
    expect(parseConfig(text, { file: "slipway.yaml", root: "/srv/a", environment: "prod" }).warnings).toEqual([
      expect.stringMatching(/^environments\.prod\.app\.command\[2\]: \$NOPE is not expanded: .*\(slipway\.yaml:7\)$/),
    ]);
  });
});
