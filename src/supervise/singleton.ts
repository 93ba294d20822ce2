import { createHash } from "node:crypto";
import { connect, createServer, type Server } from "node:net";

/** The roles that run at most once per project. */
export type Role = "daemon" | "router";

/**
 * The name of a project role's lock: a Linux abstract unix socket (no file,
 * released by the kernel the moment its process dies, so never stale).
 */
export function singletonName(root: string, role: Role): string {
  const digest = createHash("sha256").update(root).digest("hex").slice(0, 32);
  return `\0slipway-${role}-${digest}`;
}

/**
 * Takes the project's lock for `role`: resolves with the holding server, or
 * `null` when another live process holds it. Binding an abstract socket is
 * atomic, so two processes racing to start never both win.
 *
 * @example
 * const lock = await acquireSingleton(root, "router");
 * if (!lock) process.exit(0); // another router serves this project
 */
export function acquireSingleton(root: string, role: Role): Promise<Server | null> {
  return new Promise((resolve, reject) => {
    // Connections are only probes of "is it held?": close them at once.
    const server = createServer((socket) => socket.destroy());
    server.once("error", (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" ? resolve(null) : reject(err)));
    server.listen(singletonName(root, role), () => {
      server.unref();
      resolve(server);
    });
  });
}

/** Whether a live process holds the project's lock for `role`. */
export function singletonHeld(root: string, role: Role): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(singletonName(root, role));
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
