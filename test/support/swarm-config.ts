import { SIDE_HOST } from "./ports.js";

/**
 * The strategy and swarm sections the swarm end-to-end tests share: a
 * rolling update one task at a time, a one-task canary at 50% that pauses,
 * blue-green previewed on a side port, tasks on the given port lane.
 */
export function swarmStrategyYaml(previewPort: number, portBase: number): string {
  return `strategy:
  type: rolling
  rolling: { maxSurge: 1, maxUnavailable: 0, minReady: 2s }
  canary:
    replicas: 1
    stickiness: none # exact weighted round-robin per request
    steps: [{ setWeight: 50 }, { pause: {} }]
  blueGreen: { previewListen: ${SIDE_HOST}:${previewPort} }
swarm: { portBase: ${portBase} }
`;
}
