import type { Command } from "commander";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SlipwayError } from "../../errors.js";
import { unitName, unitPath, unitText } from "../../service/systemd-unit.js";
import { load, type GlobalOptions } from "../options.js";

/** Margin added to drain plus shutdown time for systemd's stop timeout. */
const STOP_MARGIN_SEC = 30;

interface InstallOptions {
  user?: boolean;
  dryRun?: boolean;
  force?: boolean;
}

/** `slipway service install|uninstall`: a systemd unit that brings the stack back at boot. */
export function registerServiceCommands(program: Command): void {
  const service = program.command("service").description("run the project's daemon and router as a systemd service");
  service
    .command("install")
    .description("write a systemd unit that runs `slipway up` at boot and `slipway down` at shutdown")
    .option("--user", "a user unit (~/.config/systemd/user) instead of a system one")
    .option("--dry-run", "print the unit and where it would go; write nothing")
    .option("--force", "replace an existing unit file")
    .action(async (opts: InstallOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const loaded = await load(g);
      const { config } = loaded;
      const user = opts.user === true;
      const file = unitPath(config.name, user);
      const text = unitText({
        name: config.name,
        root: loaded.root,
        configFile: resolve(loaded.file),
        environment: g.environment,
        node: process.execPath,
        cli: fileURLToPath(new URL("../main.js", import.meta.url)),
        path: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
        user,
        runAs: user ? undefined : userInfo().username,
        stopTimeoutSec: Math.ceil((config.drain.timeout + config.app.shutdown.timeout) / 1000) + STOP_MARGIN_SEC,
      });
      const name = unitName(config.name);
      const ctl = user ? "systemctl --user" : "systemctl";
      if (opts.dryRun) {
        if (g.json) return void console.log(JSON.stringify({ file, unit: text, written: false }));
        return void process.stdout.write(`# ${file}\n${text}`);
      }
      if (existsSync(file) && !opts.force) {
        throw new SlipwayError("USAGE", `${file} already exists`, { hint: "pass --force to replace it, or --dry-run to see the new one" });
      }
      try {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text, { mode: 0o644 });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new SlipwayError("USAGE", `cannot write ${file} (${code ?? (err as Error).message})`, {
          hint: code === "EACCES" ? "run it with sudo, or install a user unit with --user" : undefined,
          cause: err,
        });
      }
      if (g.json) return void console.log(JSON.stringify({ file, unit: text, written: true }));
      console.log(`wrote ${file}`);
      console.log(`next: ${ctl} daemon-reload && ${ctl} enable --now ${name}`);
      if (user) console.log(`      loginctl enable-linger ${userInfo().username}   # so it starts at boot, not at login`);
    });
}
