import { homedir } from "node:os";
import { join } from "node:path";

/** What a unit needs to know about the project and this installation. */
export interface UnitOptions {
  /** The app's name (slipway.yaml `name`). */
  name: string;
  /** The project root (holds `.slipway/`). */
  root: string;
  /** The config file, absolute. */
  configFile: string;
  /** `-e NAME` overlay, if any. */
  environment?: string;
  /** Absolute paths of node and of Slipway's CLI entry. */
  node: string;
  cli: string;
  /** PATH the app's commands are resolved with (the installing shell's). */
  path: string;
  /** A user unit (`systemctl --user`) rather than a system one. */
  user: boolean;
  /** Run as this user (system units only). */
  runAs?: string;
  /** Seconds `slipway down` may take: drain plus the app's shutdown timeout, with margin. */
  stopTimeoutSec: number;
}

/** The unit's file name, e.g. `slipway-hello.service`. */
export function unitName(appName: string): string {
  return `slipway-${appName.replace(/[^A-Za-z0-9:_.-]/g, "-")}.service`;
}

/** Where the unit file goes: /etc/systemd/system, or ~/.config/systemd/user for `--user`. */
export function unitPath(appName: string, user: boolean, home = homedir()): string {
  return join(user ? join(home, ".config/systemd/user") : "/etc/systemd/system", unitName(appName));
}

/**
 * The systemd unit that brings a project's Slipway stack (daemon and router)
 * up at boot and down at shutdown. A oneshot that stays active: `slipway up`
 * starts the daemon and the router, which supervise each other from then
 * on (a killed one is restarted by the other), and `slipway down` drains and
 * stops everything before systemd cleans up the unit's cgroup.
 *
 * @example
 * unitText({ name: "hello", root: "/srv/hello", configFile: "/srv/hello/slipway.yaml", node: "/usr/bin/node",
 *   cli: "/srv/hello/node_modules/slipway/dist/cli/main.js", path: "/usr/bin:/bin", user: false, stopTimeoutSec: 90 });
 */
export function unitText(o: UnitOptions): string {
  const cli = [o.node, o.cli, "--config", o.configFile, ...(o.environment ? ["--environment", o.environment] : [])];
  const lines = [
    "# Written by `slipway service install`; `slipway service install --dry-run` shows what it would write.",
    "[Unit]",
    `Description=Slipway: ${o.name} (${o.root})`,
    "Documentation=https://github.com/slipway/slipway/blob/main/docs/router.md",
    ...(o.user ? [] : ["After=network-online.target", "Wants=network-online.target"]),
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    ...(o.runAs && !o.user ? [`User=${o.runAs}`] : []),
    `WorkingDirectory=${quote(o.root)}`,
    `Environment=${quote(`PATH=${o.path}`)}`,
    `ExecStart=${command([...cli, "up"])}`,
    `ExecStop=${command([...cli, "down"])}`,
    `TimeoutStartSec=60`,
    `TimeoutStopSec=${o.stopTimeoutSec}`,
    "",
    "[Install]",
    `WantedBy=${o.user ? "default.target" : "multi-user.target"}`,
    "",
  ];
  return lines.join("\n");
}

/** A command line in systemd's syntax: each word double-quoted, `%` and `$` taken literally. */
function command(words: string[]): string {
  return words.map(quote).join(" ");
}

function quote(word: string): string {
  const escaped = word.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$");
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped) ? escaped : `"${escaped}"`;
}
