import type { Rule } from "./types.js";

/** Rules about slipway.yaml (SW6xxx) and the repository as a whole (SW7xxx). */
export const PROJECT_RULES: readonly Rule[] = [];
