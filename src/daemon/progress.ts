import type { LedgerEvent } from "../ledger/types.js";

/** One line of a streamed control-API response (NDJSON). */
export type ProgressMessage =
  | { type: "event"; event: LedgerEvent }
  | { type: "status"; status: unknown }
  | { type: "result"; result: Record<string, unknown> }
  | { type: "error"; error: { code: string; message: string; hint?: string; details: string[] } };

export type ProgressSink = (message: ProgressMessage) => void;
