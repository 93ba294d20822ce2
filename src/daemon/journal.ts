import type { Config } from "../config/types.js";
import type { Ledger } from "../ledger/ledger.js";
import type { LedgerEvent, Release } from "../ledger/types.js";
import { Notifier, type NotifyMessage } from "../notify/notifier.js";

/** Rollout events that also go to webhooks (`notify.webhooks`). */
export type RolloutEvent =
  | "rollout.started"
  | "rollout.step"
  | "rollout.paused"
  | "rollout.promoted"
  | "rollout.succeeded"
  | "rollout.failed"
  | "rollout.aborted"
  | "rollout.rolled-back";

/**
 * The story of one rollout: every line goes to the ledger; rollout events
 * also go to the configured webhooks, without ever waiting for them.
 */
export class Journal {
  private readonly notifier: Notifier | null;

  constructor(
    private readonly ledger: Ledger,
    private readonly rollout: { id: number; strategy: string; target: Release; previous: Release | null },
    config: Config,
  ) {
    const webhooks = config.notify?.webhooks ?? [];
    this.notifier = webhooks.length ? new Notifier({ webhooks, timeout: config.notify?.timeout ?? 5000 }) : null;
    this.app = config.name;
  }

  private readonly app: string;

  /** A rollout event: ledger and webhooks. */
  event(event: RolloutEvent, message: string, data?: Record<string, unknown>): void {
    // The ledger's time (its injected clock) dates the webhook message too.
    const recorded = this.line(event, message, data);
    const { target, previous, strategy } = this.rollout;
    const m: NotifyMessage = {
      event,
      app: this.app,
      release: target.id,
      version: target.version,
      previousRelease: previous?.id ?? null,
      strategy,
      message,
      at: new Date(recorded.at).toISOString(),
    };
    this.notifier?.notify(m);
  }

  /** A ledger line only (instance changes, analysis figures, hook output). */
  line(type: string, message: string, data?: Record<string, unknown>, instanceId?: string | null): LedgerEvent {
    return this.ledger.record({ type, rolloutId: this.rollout.id, releaseId: this.rollout.target.id, instanceId, message, data });
  }

  /** Whether no webhook post is in flight. */
  get idle(): boolean {
    return this.notifier?.idle ?? true;
  }

  /** Waits for webhook posts still in flight (shutdown, tests). */
  flush(): Promise<void> {
    return this.notifier?.flush() ?? Promise.resolve();
  }
}
