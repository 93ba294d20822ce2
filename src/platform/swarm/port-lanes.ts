import { SlipwayError } from "../../errors.js";

/**
 * Ports for the tasks of a host-networked Swarm service. Swarm expands Go
 * templates in a task's environment (`{{.Task.Slot}}`, a string) but has no
 * arithmetic, so the port of task slot N is written as the base's leading
 * digits followed by N zero-padded to the base's trailing zeros:
 * base 41000 → slot 1 gets `41` + `001` = 41001, slot 12 gets 41012.
 *
 * A start-first update runs the old and the new task of one slot side by
 * side, so each update moves the service to the other of two lanes:
 * `portBase` and `portBase + width` (41000 ↔ 42000).
 */

/** Widest lane: up to 999 tasks a service. */
export const MAX_LANE_WIDTH = 1000;
const MAX_PORT = 65535;

/**
 * How many ports one lane spans: 10^(trailing zeros of the base), at most 1000.
 *
 * @example
 * laneWidth(41000); // 1000
 * laneWidth(4100); // 100
 */
export function laneWidth(portBase: number): number {
  let width = 1;
  while (width < MAX_LANE_WIDTH && portBase % (width * 10) === 0) width *= 10;
  return width;
}

/**
 * Check that `portBase` can hold `replicas` tasks in both lanes; throws a
 * CONFIG_INVALID error saying why not.
 *
 * @example
 * checkPortBase(41000, 3); // ok
 * checkPortBase(41001, 3); // SlipwayError: swarm portBase 41001 must end in 0 ...
 */
export function checkPortBase(portBase: number, replicas: number): void {
  const width = laneWidth(portBase);
  const problem =
    !Number.isInteger(portBase) || portBase < 1024
      ? "must be an integer from 1024"
      : width === 1
        ? "must end in 0 (tasks get base + slot, written by Swarm as digits after the base's leading ones)"
        : replicas >= width
          ? `leaves room for ${width - 1} tasks, not ${replicas}: use a base ending in more zeros`
          : portBase + 2 * width > MAX_PORT
            ? `is too high: its second lane would end at ${portBase + 2 * width - 1}`
            : undefined;
  if (problem) {
    throw new SlipwayError("CONFIG_INVALID", `swarm portBase ${portBase} ${problem}`, {
      hint: "e.g. portBase: 41000 (tasks on 41001..., then 42001...)",
    });
  }
}

/**
 * The lane the next spec runs in: the other one than `currentBase`.
 *
 * @example
 * nextLane(41000, 41000); // 42000
 * nextLane(41000, 42000); // 41000
 * nextLane(41000, undefined); // 41000 (a new service)
 */
export function nextLane(portBase: number, currentBase: number | undefined): number {
  return currentBase === portBase ? portBase + laneWidth(portBase) : portBase;
}

/**
 * The Swarm env template that gives each task `laneBase + slot`.
 *
 * @example
 * portTemplate(41000, 1000); // "41{{if eq (len .Task.Slot) 1}}00{{else if eq (len .Task.Slot) 2}}0{{end}}{{.Task.Slot}}"
 */
export function portTemplate(laneBase: number, width: number): string {
  const digits = String(width).length - 1;
  const branches = Array.from({ length: digits - 1 }, (_, i) => `if eq (len .Task.Slot) ${i + 1}}}${"0".repeat(digits - 1 - i)}`);
  const pad = branches.length === 0 ? "" : `{{${branches.join("{{else ")}{{end}}`;
  return `${laneBase / width}${pad}{{.Task.Slot}}`;
}
