import { stringify } from "yaml";
import type { Config } from "../../config/types.js";

/**
 * `slipway deploy --dry-run`: the config is valid (checked before this); on
 * platform kubernetes the objects a deploy applies go to stdout as YAML
 * documents (`kubectl apply --dry-run=server -f -` takes them), or as a JSON
 * list with --json. Nothing is contacted or changed.
 */
export async function printDryRun(config: Config, o: { version: string; env: Record<string, string> }, json: boolean): Promise<void> {
  if (config.platform !== "kubernetes") {
    process.stdout.write(
      json
        ? `${JSON.stringify({ valid: true, platform: config.platform, objects: [] })}\n`
        : `${config.name}: the config is valid; platform ${config.platform} applies no manifests (--dry-run prints them for platform kubernetes)\n`,
    );
    return;
  }
  const { dryRunObjects } = await import("../../platform/kubernetes/dry-run.js");
  const objects = dryRunObjects(config, o);
  if (json) {
    process.stdout.write(`${JSON.stringify({ valid: true, platform: "kubernetes", objects }, null, 2)}\n`);
    return;
  }
  const head = `# slipway deploy --dry-run: what a first deploy of ${config.name} applies (release 0 in slot ping: the release id and slot are chosen at deploy)\n`;
  process.stdout.write(head + objects.map((obj) => stringify(obj, { lineWidth: 0 })).join("---\n"));
}
