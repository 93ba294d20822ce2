/**
 * Webhook notifications (`notify.webhooks`): each rollout event is POSTed as
 * JSON, with a one-line Slack-compatible `text`, to every webhook that wants
 * it. Fire and forget: `notify()` returns at once, a post is abandoned after
 * `timeout`, and a slow or failing endpoint never blocks or throws.
 */
import type { NotifyEvent, WebhookConfig } from "../config/types.js";
import { formatDuration } from "../config/duration.js";

/** One rollout event, as POSTed (plus `text`). */
export interface NotifyMessage {
  event: NotifyEvent;
  app: string;
  release: number | null;
  version: string | null;
  previousRelease?: number | null;
  strategy?: string;
  /** The current step, e.g. `setWeight 25` (rollout.step, rollout.paused). */
  step?: string;
  /** Human detail: the reason of a failure, what a step did... */
  message: string;
  /** ISO 8601 time of the event. */
  at: string;
}

/** What a webhook receives. */
export type NotifyPayload = NotifyMessage & { text: string };

export interface NotifierOptions {
  webhooks: readonly WebhookConfig[];
  /** ms after which a post is abandoned. */
  timeout: number;
  /** Called (never awaited) when a post fails: a network error, a timeout or a non-2xx answer. */
  onError?: (url: string, error: string) => void;
}

const EMOJI: Record<NotifyEvent, string> = {
  "rollout.started": ":rocket:",
  "rollout.step": ":arrow_forward:",
  "rollout.paused": ":hourglass_flowing_sand:",
  "rollout.promoted": ":twisted_rightwards_arrows:",
  "rollout.succeeded": ":white_check_mark:",
  "rollout.failed": ":x:",
  "rollout.aborted": ":octagonal_sign:",
  "rollout.rolled-back": ":rewind:",
};

/** Longest `message` part of `text`. */
const MAX_DETAIL = 300;

function headline(m: NotifyMessage): string {
  switch (m.event) {
    case "rollout.started":
      return `rollout started${m.strategy ? ` (${m.strategy})` : ""}`;
    case "rollout.step":
      return `rollout step${m.step ? ` ${m.step}` : ""}`;
    case "rollout.paused":
      return `rollout paused${m.step ? ` at ${m.step}` : ""}`;
    case "rollout.promoted":
      return "promoted";
    case "rollout.succeeded":
      return "rollout succeeded";
    case "rollout.failed":
      return "rollout failed";
    case "rollout.aborted":
      return "rollout aborted";
    case "rollout.rolled-back":
      return `rolled back${m.previousRelease != null ? ` to release ${m.previousRelease}` : ""}`;
  }
}

/** Slack's three control characters. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * The one-line, Slack-compatible summary of an event. The message is added
 * except to started and succeeded, whose headline says it all.
 *
 * @example
 * notifyText({ event: "rollout.started", app: "hello", release: 4, version: "v2", strategy: "canary", message: "", at });
 * // ":rocket: hello: release 4 (v2) rollout started (canary)"
 */
export function notifyText(m: NotifyMessage): string {
  const release =
    m.release != null ? `release ${m.release}${m.version ? ` (${m.version})` : ""} ` : m.version ? `version ${m.version} ` : "";
  const oneLine = m.message.trim().replace(/\s*\n\s*/g, " | ");
  const short = oneLine.length > MAX_DETAIL ? `${oneLine.slice(0, MAX_DETAIL - 1)}…` : oneLine;
  const detail = short && m.event !== "rollout.started" && m.event !== "rollout.succeeded" ? `: ${short}` : "";
  return `${EMOJI[m.event]} ${escapeSlack(`${m.app}: ${release}${headline(m)}${detail}`)}`;
}

function failureReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Sends rollout events to webhooks without ever waiting for them.
 *
 * @example
 * const notifier = new Notifier({ ...config.notify, onError: (url, error) => log(`webhook ${url}: ${error}`) });
 * notifier.notify({ event: "rollout.failed", app: "hello", release: 4, version: "v2", message: "readiness failed", at: new Date().toISOString() });
 * await notifier.flush(); // on shutdown
 */
export class Notifier {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: NotifierOptions) {}

  /** Posts `m` to every webhook subscribed to its event; returns at once, never throws. */
  notify(m: NotifyMessage): void {
    try {
      const targets = this.o.webhooks.filter((hook) => hook.events === "all" || hook.events.includes(m.event));
      if (targets.length === 0) return;
      const body = JSON.stringify({ ...m, text: notifyText(m) } satisfies NotifyPayload);
      for (const { url } of targets) {
        const post: Promise<void> = this.post(url, body).finally(() => this.inFlight.delete(post));
        this.inFlight.add(post);
      }
    } catch (error) {
      this.report("(all webhooks)", `not sent: ${failureReason(error)}`);
    }
  }

  /** Whether no post is in flight. */
  get idle(): boolean {
    return this.inFlight.size === 0;
  }

  /** Resolves when every post in flight has been answered, has failed or has timed out. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async post(url: string, body: string): Promise<void> {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "slipway" },
        body,
        signal: AbortSignal.timeout(this.o.timeout),
      });
      await res.body?.cancel();
      if (!res.ok) this.report(url, `HTTP ${res.status}`);
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      this.report(url, timedOut ? `timed out after ${formatDuration(this.o.timeout)}` : failureReason(error));
    }
  }

  private report(url: string, error: string): void {
    try {
      this.o.onError?.(url, error);
    } catch {
      // a failing error handler must not break the rollout either
    }
  }
}
