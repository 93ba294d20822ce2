/**
 * What `slipway config validate` warns about in `app.command`: anything that
 * looks like a variable but will not hold a value when the instance starts.
 * Warnings, not problems: the config still deploys. Pure.
 */
import { commandVarNames } from "./command-vars.js";
import { DEFAULT_PASS_ENV } from "./defaults.js";
import { passes } from "./pass-env.js";
import type { Problem } from "./problem.js";
import type { Config } from "./types.js";

/** `$NAME`, `${NAME}` or `${NAME<operator>...}`; `$$` first, so an escaped `$` is skipped. */
const LOOKS_LIKE_VAR = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Variables the shell sets itself. */
const SHELL_VARS = ["PWD", "OLDPWD", "PPID", "IFS", "OPTIND", "OPTARG", "LINENO", "HOSTNAME"];

/** Shells whose `-c` argument is a script (`["sh", "-c", "..."]` written as a list). */
const SHELLS = new Set(["sh", "bash", "dash", "ash", "zsh"]);

/** Names referenced in `text`, each once, in order; with `shell`, text in single quotes or after a backslash is skipped. */
export function referencedNames(text: string, shell: boolean): string[] {
  const scanned = shell ? text.replace(/\\./g, "").replace(/'[^']*'/g, "") : text;
  const names = [...scanned.matchAll(LOOKS_LIKE_VAR)].map((m) => m[1] ?? m[2]).filter((n): n is string => n !== undefined);
  return [...new Set(names)];
}

/** Names a shell script assigns before use (`NAME=...`, `for NAME in`, `read NAME`). */
function assignedNames(script: string): string[] {
  const assigned = [...script.matchAll(/(?:^|[\s;&|(])([A-Za-z_][A-Za-z0-9_]*)=/g), ...script.matchAll(/\b(?:for|read)\s+([A-Za-z_]\w*)/g)];
  return assigned.map((m) => m[1] ?? "");
}

function listWarnings(config: Config): Problem[] {
  const { command } = config.app;
  const names = commandVarNames(config.platform, config.app.env);
  const scriptAt = SHELLS.has(command[0]?.split("/").pop() ?? "") && command[1] === "-c" ? 2 : -1;
  return command.flatMap((word, index) => {
    if (index === scriptAt) return scriptWarnings(config, word, [index], names);
    const kubernetesStyle = [...word.matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1] ?? "");
    return [
      ...referencedNames(word, false)
        .filter((name) => !names.includes(name))
        .map((name) => ({
          path: ["app", "command", index],
          message: `$${name} is not expanded: a list command expands only PORT, SLIPWAY_* and the release's env (app.env, deploy --env) (add ${name} to app.env or pass it with deploy --env, write $$ for a literal $, or give the command as a string to run it with sh -c)`,
        })),
      ...[...new Set(kubernetesStyle)].map((name) => ({
        path: ["app", "command", index],
        message: `$(${name}) stays as written: that is Kubernetes' syntax; write $${name} or \${${name}}`,
      })),
    ];
  });
}

function scriptWarnings(config: Config, script: string, at: number[], known: readonly string[]): Problem[] {
  const container = config.platform !== "process";
  const passed = [...DEFAULT_PASS_ENV, ...config.app.passEnv];
  const assigned = assignedNames(script);
  const unknown = referencedNames(script, true).filter(
    (name) => !known.includes(name) && !passes(name, passed) && !SHELL_VARS.includes(name) && !assigned.includes(name),
  );
  const gets = container
    ? "PORT, SLIPWAY_*, app.env and app.passEnv (and what its image sets)"
    : "PORT, SLIPWAY_*, app.env, app.passEnv and PATH, HOME...";
  return unknown.map((name) => ({
    path: ["app", "command", ...at],
    message: `$${name} is not set for the instance, which gets ${gets}: the shell will expand it to nothing (add ${name} to app.env or app.passEnv, or give it with deploy --env)`,
  }));
}

/**
 * The warnings about `app.command` of a valid config: references that stay
 * literal in a list command, variables a shell command expects that the
 * instance will not have, and (docker, swarm) a compound shell command whose
 * sh may stay between the app and the stop signal (see `shellStaysWarning`).
 *
 * @example
 * commandWarnings(config); // [{ path: ["app", "command", 3], message: "$DATA is not expanded: ..." }]
 */
export function commandWarnings(given: Config, deployEnv: readonly string[] = []): Problem[] {
  // A variable the deploy's --env gives is part of the release's env, like app.env.
  const config =
    deployEnv.length === 0
      ? given
      : { ...given, app: { ...given.app, env: { ...Object.fromEntries(deployEnv.map((n) => [n, ""])), ...given.app.env } } };
  const { command, commandForm } = config.app;
  if (command.length === 0) return [];
  if (commandForm === "words") return listWarnings(config);
  if (commandForm !== "shell") return [];
  const script = command[2] ?? "";
  const warnings = scriptWarnings(config, script, [], commandVarNames(config.platform, config.app.env));
  if (config.platform !== "process" && !/(^|[\s;&|(])exec\s/.test(script)) warnings.push(shellStaysWarning(config));
  return warnings;
}

/** Why sh stays: dash, the sh of Debian-based images, never execs a last command itself (busybox sh and bash do). */
const SH_STAYS = "unless it execs the app (dash, the sh of Debian-based images like node:20-slim, does not exec a last command by itself)";

/**
 * A compound `sh -c` script in a container. With docker.init, docker-init
 * passes the stop signal to sh alone: sh ends on SIGTERM (the app, orphaned,
 * is killed when docker-init exits) or ignores SIGINT while it waits (the app
 * is killed at the timeout); the app never gets it. Without, sh is PID 1 and
 * ignores the signal. Both checked on a real engine (test/docker-init.test.ts).
 */
function shellStaysWarning(config: Config): Problem {
  const { signal } = config.app.shutdown;
  const fix = 'start its last command with exec, e.g. "... && exec node server.js"';
  const message = config.docker.init
    ? `sh stays between docker-init and the app ${SH_STAYS}, and docker-init passes ${signal} to sh alone: the app never gets it and is killed when sh ends or after app.shutdown.timeout (${fix})`
    : `sh stays PID 1 of the container ${SH_STAYS}, where it ignores ${signal} (docker.init is false): the app is killed after app.shutdown.timeout (${fix})`;
  return { path: ["app", "command"], message };
}
