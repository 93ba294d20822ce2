import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import type { Command } from "commander";
import { formatAddress, parseAddress } from "../../config/address.js";
import type { ListenAddress } from "../../config/types.js";
import { isLoopback } from "../../dashboard/host-guard.js";
import { statePaths } from "../../daemon/paths.js";
import { SlipwayError } from "../../errors.js";
import { systemClock } from "../../clock.js";
import { earlyListen, ensureDaemon } from "../daemon-control.js";
import { load, projectRoot, type GlobalOptions } from "../options.js";

interface DashboardFlags {
  listen?: string;
  open?: boolean;
  insecure?: boolean;
}

/** `slipway dashboard`: the web UI, served from this process until Ctrl-C (see src/dashboard/). */
export function registerDashboardCommands(program: Command): void {
  program
    .command("dashboard")
    .description("serve the web dashboard (live rollout, releases, delivery metrics, actions) and print its one-time link")
    .option("--listen <address>", "address to serve on (default dashboard.listen, 127.0.0.1:7070)")
    .option("--open", "open the link in a browser")
    .option("--insecure", "allow a non-loopback address without TLS (trusted networks only)")
    .action(async (flags: DashboardFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const flagListen = flags.listen === undefined ? undefined : listenOption(flags.listen);
      const { config } = await load(g);
      const listen = flagListen ?? config.dashboard.listen;
      const tls = config.dashboard.tls;
      requireSafeListen(listen, tls !== undefined, Boolean(flags.insecure));
      const pem = tls && { cert: readPem("dashboard.tls.cert", tls.cert), key: readPem("dashboard.tls.key", tls.key) };
      const root = projectRoot(g);
      await ensureDaemon(root, earlyListen(config));
      const { startDashboard } = await import("../../dashboard/dashboard-server.js");
      const dashboard = await startDashboard({
        socketPath: statePaths(root).socket,
        listen,
        ...(pem && { tls: pem }),
        hosts: config.dashboard.hosts,
        app: config.name,
        operator: `${userInfo().username}@${hostname()}`,
        clock: systemClock,
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "EADDRINUSE")
          throw new SlipwayError("USAGE", `cannot serve the dashboard on ${formatAddress(listen)}: the address is in use`, {
            hint: "another slipway dashboard may run there; pass --listen 127.0.0.1:0 for any free port",
          });
        throw err;
      });
      if (g.json) console.log(JSON.stringify({ url: dashboard.url }));
      else {
        console.log(`dashboard of ${config.name}: ${dashboard.url}`);
        console.log("the link works once (it becomes a browser session); Ctrl-C stops the dashboard");
      }
      if (flags.open) openBrowser(dashboard.url);
      await new Promise<void>((resolve) => {
        for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, resolve);
      });
      await dashboard.close();
    });
}

function listenOption(value: string): ListenAddress {
  try {
    return parseAddress(value);
  } catch (err) {
    throw new SlipwayError("USAGE", `--listen ${value}: ${(err as Error).message.replace(/^invalid address "[^"]*": /, "")}`, {
      hint: "e.g. --listen 127.0.0.1:7070",
    });
  }
}

/** Only loopback is served in the clear unless `--insecure` says the network is trusted. */
function requireSafeListen(listen: ListenAddress, tls: boolean, insecure: boolean): void {
  if (isLoopback(listen.host) || tls || insecure) return;
  throw new SlipwayError("USAGE", `the dashboard would listen on ${formatAddress(listen)} without TLS`, {
    hint: "set dashboard.tls (cert and key files) in slipway.yaml, or pass --insecure on a network you trust",
  });
}

function readPem(key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new SlipwayError("CONFIG_INVALID", `${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`, {
      hint: "point it at a PEM file readable by this user",
    });
  }
}

/** `--open`: the system's opener (xdg-open, open); a missing one is a notice, not a failure. */
function openBrowser(url: string): void {
  const opener = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  const child = spawn(opener, [url], { stdio: "ignore", detached: true });
  child.on("error", () => process.stderr.write(`notice: could not run ${opener}; open the link above by hand\n`));
  child.unref();
}
