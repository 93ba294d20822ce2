import type { Rule } from "./types.js";

/** Rules of the live checks (`slipway audit --url URL`): SW8xxx. See live.ts. */
export const LIVE_RULES: readonly Rule[] = [];
