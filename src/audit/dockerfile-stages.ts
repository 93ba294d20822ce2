import type { From, Instruction } from "dockerfile-ast";

/** One build stage: its FROM, its `AS` name, and the instructions up to the next FROM. */
export interface Stage {
  from: From;
  name: string | null;
  instructions: Instruction[];
}

/** 1-based line of an instruction. */
export const lineOf = (i: Instruction): number => i.getRange().start.line + 1;

/**
 * Groups instructions by FROM (instructions before the first FROM, ARGs, belong to no stage).
 *
 * @example
 * splitStages(DockerfileParser.parse("FROM a AS b\nRUN x\nFROM b\n").getInstructions()).map((s) => s.name); // ["b", null]
 */
export function splitStages(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const i of instructions) {
    if (i.getKeyword() === "FROM") {
      const from = i as From;
      stages.push({ from, name: from.getBuildStage(), instructions: [] });
    } else stages.at(-1)?.instructions.push(i);
  }
  return stages;
}

/**
 * The stage and the earlier stages it is built FROM, nearest first: what the image of
 * `stages[index]` inherits (USER, WORKDIR, HEALTHCHECK, CMD, files).
 *
 * @example
 * lineage(stages, 2); // [stages[2], stages[0]] for "FROM node AS base ... FROM x ... FROM base"
 */
export function lineage(stages: readonly Stage[], index: number): Stage[] {
  const out: Stage[] = [];
  let current: Stage | undefined = stages[index];
  let at = index;
  while (current) {
    out.push(current);
    const image = current.from.getImage()?.toLowerCase();
    do at--;
    while (at >= 0 && stages[at]?.name?.toLowerCase() !== image);
    current = stages[at];
  }
  return out;
}

/** The last instruction with this keyword in the stage or what it inherits, or undefined. */
export function inherited(chain: readonly Stage[], keyword: string): Instruction | undefined {
  for (const stage of chain) {
    const found = stage.instructions.filter((i) => i.getKeyword() === keyword).at(-1);
    if (found) return found;
  }
  return undefined;
}
