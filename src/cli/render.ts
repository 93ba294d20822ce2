import type logUpdate from "log-update";
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

  private constructor(
    private readonly mode: OutputMode,
    private readonly title: string,
    private readonly draw: typeof logUpdate | null,
  ) {}

  /** A view for `mode`; the terminal redraw (log-update) loads only for "live". */
  static async open(mode: OutputMode, title: string): Promise<ProgressView> {
    return new ProgressView(mode, title, mode === "live" ? await liveRedraw() : null);
  }

  update(m: ProgressMessage): void {
    if (this.mode === "json") return void process.stdout.write(JSON.stringify(m) + "\n");
    if (m.type === "event") {
      const line = `${clock(m.event.at)}  ${m.event.message}`;
      if (this.mode === "plain") return void process.stdout.write(line + "\n");
      this.recent.push(line);
      if (this.recent.length > 6) this.recent.shift();
    }
    if (m.type === "status") this.status = m.status as DaemonStatus;
    this.draw?.(this.frame());
  }

  done(): void {
    this.draw?.done();
  }

  private frame(): string {
    const lines = [this.title, ""];
    if (this.status) lines.push(...statusLines(this.status), "");
    lines.push(...this.recent);
    return lines.join("\n");
  }
}

/** log-update, loaded on first use: only a terminal's live views redraw. */
export async function liveRedraw(): Promise<typeof logUpdate> {
  return (await import("log-update")).default;
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

/** ": 2 of 2 instances ready", or degraded when some are not and no rollout is replacing them. */
function currentHealth(s: DaemonStatus): string {
  const current = s.current;
  if (!current?.replicas) return "";
  const ready = s.instances.filter((i) => i.release === current.id && i.state === "ready").length;
  const count = `${ready} of ${current.replicas} instances ready`;
  return ready >= current.replicas || s.rollout ? `: ${count}` : `: DEGRADED, ${count} (supervision restarts the others)`;
}

export function trafficLine(s: DaemonStatus): string {
  if (!s.traffic) return s.servedBy ? `traffic: ${s.servedBy}` : "router: not listening";
  const where = routerWhere(s.traffic);
  if (!s.traffic.targets.length) return `router ${where} -> nothing ready (503)`;
  const groups = s.traffic.groups.filter((g) => g.targets.length || g.weight);
  const split =
    groups.length > 1
      ? groups.map((g) => `${g.name} ${g.weight}%: ${g.targets.join(", ") || "-"}`).join(" | ")
      : s.traffic.targets.join(", ");
  const ejected = s.traffic.ejected?.length ? ` (refusing connections, skipped: ${s.traffic.ejected.join(", ")})` : "";
  return `router ${where} -> ${split}${ejected}`;
}

/**
 * One line per automatic certificate: `certificate shop.test: valid until 2027-03-01 (renews 2027-02-01)`,
 * `certificate down.test: FAILED: down.test: <what the CA said> (retrying at ...)`, or pending.
 */
export function certificateLines(s: DaemonStatus): string[] {
  const day = (iso: string | undefined) => (iso ? iso.slice(0, 16).replace("T", " ") : "?");
  return (s.traffic?.certificates ?? []).map((c) => {
    if (c.state === "valid") {
      const failing = c.error ? `; renewal FAILED: ${c.error} (retrying at ${day(c.retryAt)})` : "";
      return `certificate ${c.host}: valid until ${day(c.notAfter)} (renews ${day(c.renewAt)})${failing}`;
    }
    if (c.state === "failed") return `certificate ${c.host}: FAILED: ${c.error ?? "?"} (retrying at ${day(c.retryAt)})`;
    return `certificate ${c.host}: pending (ordering from the CA)`;
  });
}

/** `http://0.0.0.0:80 + https://0.0.0.0:443 (a.test, b.test)`: the router's addresses and host names. */
function routerWhere(t: NonNullable<DaemonStatus["traffic"]>): string {
  const at = (scheme: string, a: { host: string; port: number }) =>
    `${scheme}://${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
  const hosts = t.hosts?.length ? ` (${t.hosts.join(", ")})` : "";
  return `${at("http", t.listen)}${t.tls ? ` + ${at("https", t.tls)}` : ""}${hosts}`;
}

/** The whole of `slipway status`: release, rollout with steps and analysis, traffic, instances. */
export function statusLines(s: DaemonStatus): string[] {
  const lines = [
    s.current
      ? `current release: ${s.current.id} (${s.current.version})${currentHealth(s)}`
      : "current release: none (nothing deployed yet)",
  ];
  const r = s.rollout;
  if (r) {
    lines.push(
      `rollout #${r.id}: ${r.kind} to release ${r.release} (${r.version}), ${r.strategy}, ${r.phase}, by ${r.holder} since ${clock(r.startedAt)}`,
    );
    if (r.step)
      lines.push(`  step ${r.step.index}/${r.step.total}: ${r.step.description}${r.weight !== null ? `, canary weight ${r.weight}%` : ""}`);
    if (r.pausedReason) lines.push(`  paused: ${r.pausedReason}`);
    if (r.previewUrl) lines.push(`  preview: ${r.previewUrl}`);
    if (r.analysis) {
      const a = r.analysis;
      lines.push(`  ${a.label} #${a.n}: ${a.verdict} (failures ${a.failures}, inconclusive ${a.inconclusives})`);
      for (const reason of a.reasons) lines.push(`    ${reason}`);
    }
  }
  if (s.lock?.waiting) lines.push(`deploy lock: ${s.lock.what} by ${s.lock.holder}; ${s.lock.waiting} more waiting for it (--wait-lock)`);
  if (s.standby)
    lines.push(
      `standby: release ${s.standby.release} (${s.standby.version}) until ${clock(s.standby.until)}; slipway rollback switches back at once`,
    );
  lines.push(trafficLine(s), ...certificateLines(s), "", ...instanceTable(s));
  for (const i of s.instances) {
    if (i.lastFailure) lines.push(`  ${i.id} last failed at ${clock(i.lastFailure.at)} (restarts: ${i.restarts}): ${i.lastFailure.reason}`);
  }
  const rec = s.recovery;
  if (rec && (rec.adopted.length || rec.stopped.length || rec.interruptedRollouts.length)) {
    lines.push(
      "",
      `recovered at ${clock(rec.at)}: adopted ${rec.adopted.length}, stopped ${rec.stopped.length} orphan(s), interrupted rollouts: ${rec.interruptedRollouts.join(", ") || "none"}`,
    );
  }
  return lines;
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
