import { SIDE_HOST } from "./ports.js";
import { helloConfig } from "./project.js";

/**
 * The hello app with the blue-green strategy, its preview on SIDE_HOST:previewPort.
 * `blueGreen`: more lines of the `strategy.blueGreen` section, indented by four spaces.
 *
 * @example
 * blueGreenConfig(port, previewPort, "    scaleDownDelay: 60s");
 */
export function blueGreenConfig(port: number, previewPort: number, blueGreen: string): string {
  return helloConfig(port).replace(
    /strategy:\n {2}type: rolling\n/,
    `strategy:
  type: blue-green
  blueGreen:
    previewListen: ${SIDE_HOST}:${previewPort}
${blueGreen}
`,
  );
}
