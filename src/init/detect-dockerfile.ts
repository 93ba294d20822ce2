import { DockerfileParser, type Instruction } from "dockerfile-ast";
import type { DockerfileFacts } from "./stack.js";

/** Users of common base images, by name, for Kubernetes `runAsUser` (which needs a number). */
export const KNOWN_UIDS: Readonly<Record<string, number>> = { node: 1000, bun: 1000, nobody: 65534, nonroot: 65532 };
/** runAsUser when the Dockerfile's user is a name we do not know. */
export const FALLBACK_UID = 10001;

/**
 * Facts from an existing Dockerfile's final stage (the last FROM): the first
 * EXPOSE port (else `ENV PORT=`), the path of the HEALTHCHECK's URL, and the
 * last USER.
 *
 * @example
 * readDockerfile('FROM node:22\nEXPOSE 8080\nUSER node\nHEALTHCHECK CMD wget -qO- http://localhost:8080/healthz\n');
 * // { port: 8080, healthPath: "/healthz", user: "node" }
 */
export function readDockerfile(text: string): DockerfileFacts {
  const all = DockerfileParser.parse(text).getInstructions();
  const lastFrom = all.map((i) => i.getKeyword()).lastIndexOf("FROM");
  const final = all.slice(lastFrom + 1);
  const args = (i: Instruction): string => i.getArgumentsContent() ?? "";
  const of = (kw: string): Instruction[] => final.filter((i) => i.getKeyword() === kw);
  const exposed = of("EXPOSE").map((i) => Number(/^(\d+)/.exec(args(i).trim())?.[1]));
  const envPort = of("ENV")
    .map((i) => /(?:^|\s)PORT[= ]\s*"?(\d+)/.exec(args(i))?.[1])
    .find((p) => p !== undefined);
  const port = [...exposed, Number(envPort)].find((p) => Number.isInteger(p) && p > 0 && p < 65536);
  const healthcheck = of("HEALTHCHECK").at(-1);
  const healthPath = healthcheck
    ? /https?:\/\/[^/\s"'$]*(?:\$\{?\w+\}?)?[^/\s"']*(\/[^\s"'?)\\]*)/.exec(args(healthcheck))?.[1]
    : undefined;
  const user = of("USER").at(-1);
  return {
    ...(port ? { port } : {}),
    ...(healthPath ? { healthPath } : {}),
    ...(user ? { user: args(user).trim() } : {}),
  };
}

/**
 * The numeric uid for a Dockerfile USER: a number as is, a known name mapped, else FALLBACK_UID.
 *
 * @example
 * uidOf("node"); // 1000
 * uidOf("10001:10001"); // 10001
 */
export function uidOf(user: string | undefined): { uid: number; known: boolean } {
  const name = (user ?? "").split(":")[0] ?? "";
  if (/^\d+$/.test(name)) return { uid: Number(name), known: true };
  const known = KNOWN_UIDS[name];
  return known === undefined ? { uid: FALLBACK_UID, known: false } : { uid: known, known: true };
}
