import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { SlipwayError } from "../../errors.js";
import { engineMessage } from "./engine-error.js";

/** Where the engine listens when DOCKER_HOST is unset. */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";
/** How long the first ping may take before the engine counts as unreachable. */
export const PING_TIMEOUT_MS = 5000;

/** An engine address and how it was chosen, for error messages. */
export interface EngineAddress {
  /** "DOCKER_HOST (unset) and /var/run/docker.sock", "DOCKER_HOST=tcp://10.0.0.5:2375", ... */
  tried: string;
  options: Dockerode.DockerOptions;
}

/**
 * The engine address from `DOCKER_HOST` (unix:// or tcp://; TLS with
 * DOCKER_TLS_VERIFY=1 and the certificates in DOCKER_CERT_PATH or ~/.docker),
 * else the default socket. Every connection field is set, so docker-modem's
 * own reading of `process.env` never mixes in.
 *
 * @example
 * engineAddress({ DOCKER_HOST: "tcp://10.0.0.5:2375" }).options; // { host: "10.0.0.5", port: 2375, protocol: "http", ... }
 */
export function engineAddress(env: NodeJS.ProcessEnv): EngineAddress {
  const none = { socketPath: undefined, host: undefined, port: undefined, ca: undefined, cert: undefined, key: undefined };
  const dockerHost = env.DOCKER_HOST?.trim();
  if (!dockerHost) {
    return {
      tried: `DOCKER_HOST (unset) and ${DEFAULT_DOCKER_SOCKET}`,
      options: { ...none, socketPath: DEFAULT_DOCKER_SOCKET, protocol: "http" },
    };
  }
  const tried = `DOCKER_HOST=${dockerHost}`;
  if (dockerHost.startsWith("unix://")) {
    return { tried, options: { ...none, socketPath: dockerHost.slice("unix://".length) || DEFAULT_DOCKER_SOCKET, protocol: "http" } };
  }
  if (dockerHost.startsWith("tcp://")) {
    const url = new URL(dockerHost.replace(/^tcp:/, "http:"));
    const tls = env.DOCKER_TLS_VERIFY === "1" || url.port === "2376";
    const port = Number(url.port || (tls ? 2376 : 2375));
    return { tried, options: { ...none, host: url.hostname, port, protocol: tls ? "https" : "http", ...(tls ? certificates(env) : {}) } };
  }
  throw new SlipwayError("PLATFORM", `DOCKER_HOST=${dockerHost} is not supported`, {
    hint: "use unix:///path/to/docker.sock or tcp://host:port",
  });
}

/**
 * Connect to the Docker engine and ping it. Throws one PLATFORM error line
 * saying where it looked and what it got when nothing answers.
 *
 * @example
 * const docker = await connectDocker(); // DOCKER_HOST or /var/run/docker.sock
 * // SlipwayError: no Docker engine reachable: tried DOCKER_HOST (unset) and /var/run/docker.sock (ENOENT)
 */
export async function connectDocker(env: NodeJS.ProcessEnv = process.env): Promise<Dockerode> {
  const { tried, options } = engineAddress(env);
  const docker = new Dockerode(options);
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), PING_TIMEOUT_MS);
  try {
    await (docker.ping as (options: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal: timeout.signal });
    return docker;
  } catch (err) {
    const reason = timeout.signal.aborted ? `no answer within ${PING_TIMEOUT_MS / 1000}s` : failureReason(err);
    throw new SlipwayError("PLATFORM", `no Docker engine reachable: tried ${tried} (${reason})`, {
      hint: "start the Docker engine (dockerd) or set DOCKER_HOST",
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** ENOENT, ECONNREFUSED, EACCES... or the engine's message. */
function failureReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : engineMessage(err);
}

function certificates(env: NodeJS.ProcessEnv): Pick<Dockerode.DockerOptions, "ca" | "cert" | "key"> {
  const dir = env.DOCKER_CERT_PATH || join(homedir(), ".docker");
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file));
    } catch (err) {
      throw new SlipwayError("PLATFORM", `cannot read the Docker TLS certificate ${join(dir, file)}: ${(err as Error).message}`, {
        hint: "set DOCKER_CERT_PATH to the directory holding ca.pem, cert.pem and key.pem",
        cause: err,
      });
    }
  };
  return { ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem") };
}
