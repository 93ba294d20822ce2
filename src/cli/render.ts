import logUpdate from "log-update";
import type { ProgressMessage } from "../daemon/progress.js";
import type { DaemonStatus } from "../daemon/status.js";

export type OutputMode = "live" | "plain" | "json";

export function outputMode(json: boolean): OutputMode {
  if (json) return "json";
  return process.stdout.isTTY && !process.env.CI ? "live" : "plain";
}

export function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 19);
}

/**
 * Shows a streamed rollout: a redrawn view of instances, health and traffic
 * on a terminal; one plain line per event otherwise; raw NDJSON with --json.
 */
export class ProgressView {
  private status: DaemonStatus | null = null;
  private readonly recent: string[] = [];

  constructor(
    private readonly mode: OutputMode,
    private readonly title: string,
  ) {}

  update(m: ProgressMessage): void {
    if (this.mode === "json") return void process.stdout.write(JSON.stringify(m) + "\n");
    if (m.type === "event") {
      const line = `${clock(m.event.at)}  ${m.event.message}`;
      if (this.mode === "plain") return void process.stdout.write(line + "\n");
      this.recent.push(line);
      if (this.recent.length > 6) this.recent.shift();
    }
    if (m.type === "status") this.status = m.status as DaemonStatus;
    if (this.mode === "live") logUpdate(this.frame());
  }

  done(): void {
    if (this.mode === "live") logUpdate.done();
  }

  private frame(): string {
    const lines = [this.title, ""];
    if (this.status) lines.push(...instanceTable(this.status), "", trafficLine(this.status), "");
    lines.push(...this.recent);
    return lines.join("\n");
  }
}

export function instanceTable(s: DaemonStatus): string[] {
  if (s.instances.length === 0) return ["  (no instances)"];
  const rows = s.instances.map((i) => [
    i.id,
    `r${i.release} ${i.version}`,
    i.state,
    i.inRotation ? "serving" : "-",
    i.restarts ? `${i.restarts} restarts` : "",
    i.health,
  ]);
  return table(["INSTANCE", "RELEASE", "STATE", "TRAFFIC", "", "HEALTH"], rows);
}

export function trafficLine(s: DaemonStatus): string {
  if (!s.traffic) return "router: not listening";
  const { host, port } = s.traffic.listen;
  return `router http://${host}:${port} -> ${s.traffic.targets.length ? s.traffic.targets.join(", ") : "nothing ready (503)"}`;
}

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const fmt = (r: string[]) =>
    "  " +
    r
      .map((v, c) => v.padEnd(widths[c] ?? 0))
      .join("  ")
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}
