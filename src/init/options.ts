import { SlipwayError } from "../errors.js";
import { LANGUAGES, type Language } from "./stack.js";

/** Rollout strategies init can write into slipway.yaml. */
export const INIT_STRATEGIES = ["rolling", "canary"] as const;
export type InitStrategy = (typeof INIT_STRATEGIES)[number];

/** What the user can override; everything else is detected. */
export interface InitOptions {
  name?: string;
  port?: number;
  stack?: Language;
  healthPath?: string;
  readyPath?: string;
  /** Image repository without a tag, e.g. ghcr.io/acme/web. */
  image?: string;
  strategy: InitStrategy;
}

/** The flags as commander hands them over (strings). */
export interface RawInitOptions {
  name?: string;
  port?: string;
  stack?: string;
  healthPath?: string;
  readyPath?: string;
  image?: string;
  strategy?: string;
}

const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const PATH = /^\/[\w\-./~]*$/;
const IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$|^[a-z0-9]+([._-][a-z0-9]+)*$/;

/**
 * Validates the flags of `slipway init`; the first bad one throws a USAGE error (one line and a hint).
 *
 * @example
 * normalizeInitOptions({ port: "8080", stack: "go" }); // { port: 8080, stack: "go", strategy: "rolling" }
 * normalizeInitOptions({ stack: "ruby" }); // throws "--stack ruby: unknown value"
 */
export function normalizeInitOptions(raw: RawInitOptions): InitOptions {
  const out: InitOptions = { strategy: choice("--strategy", raw.strategy ?? "rolling", INIT_STRATEGIES) };
  if (raw.stack !== undefined) out.stack = choice("--stack", raw.stack, LANGUAGES);
  if (raw.name !== undefined) {
    if (!NAME.test(raw.name) || raw.name.length > 63) {
      throw usage(`--name ${raw.name}: not a valid service name`, "use lowercase letters, digits and dashes (at most 63), like hello-api");
    }
    out.name = raw.name;
  }
  if (raw.port !== undefined) {
    const port = Number(raw.port);
    if (!/^\d+$/.test(raw.port) || port < 1 || port > 65535) throw usage(`--port ${raw.port}: not a port`, "use a number from 1 to 65535");
    out.port = port;
  }
  for (const [flag, key] of [
    ["--health-path", "healthPath"],
    ["--ready-path", "readyPath"],
  ] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    if (!PATH.test(value)) throw usage(`${flag} ${value}: not a URL path`, "use a path starting with /, like /healthz");
    out[key] = value;
  }
  if (raw.image !== undefined) {
    if (!IMAGE.test(raw.image)) {
      throw usage(`--image ${raw.image}: not an image repository`, "use a lowercase repository without a tag, like ghcr.io/acme/web");
    }
    out.image = raw.image;
  }
  return out;
}

function choice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw usage(`${flag} ${value}: unknown value`, `use one of ${choices.join(", ")}`);
}

function usage(message: string, hint: string): SlipwayError {
  return new SlipwayError("USAGE", message, { hint });
}
