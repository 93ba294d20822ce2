import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import type { NotifyEvent } from "../src/config/types.js";
import { Notifier, notifyText, type NotifyMessage } from "../src/notify/notifier.js";

const HOST = "127.0.0.1";
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Received {
  path: string;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

/** A real webhook receiver on port 0; `status` 0 means never answer. */
async function receiver(status = 200) {
  const received: Received[] = [];
  const srv = http.createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (text += chunk));
    req.on("end", () => {
      received.push({ path: req.url ?? "", contentType: req.headers["content-type"], body: JSON.parse(text) as Record<string, unknown> });
      if (status !== 0) res.writeHead(status).end("ok");
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, HOST, resolve));
  cleanups.push(() => new Promise((resolve) => (srv.closeAllConnections(), srv.close(resolve))));
  return { url: `http://${HOST}:${(srv.address() as AddressInfo).port}`, received };
}

const AT = "2025-05-01T12:00:00.000Z";
const message = (event: NotifyEvent, extra: Partial<NotifyMessage> = {}): NotifyMessage => ({
  event,
  app: "hello",
  release: 4,
  version: "v2",
  previousRelease: 3,
  strategy: "canary",
  message: "",
  at: AT,
  ...extra,
});

describe("Notifier", () => {
  it("POSTs the message as JSON with a Slack-compatible text", async () => {
    const { url, received } = await receiver();
    const notifier = new Notifier({ webhooks: [{ url: `${url}/hook`, events: "all" }], timeout: 2_000 });
    notifier.notify(message("rollout.started"));
    await notifier.flush();
    expect(received).toEqual([
      {
        path: "/hook",
        contentType: "application/json",
        body: {
          event: "rollout.started",
          app: "hello",
          release: 4,
          version: "v2",
          previousRelease: 3,
          strategy: "canary",
          message: "",
          at: AT,
          text: ":rocket: hello: release 4 (v2) rollout started (canary)",
        },
      },
    ]);
  });

  it("never waits for an endpoint that does not answer; flush resolves after the timeout", async () => {
    const { url, received } = await receiver(0);
    const errors: [string, string][] = [];
    const notifier = new Notifier({ webhooks: [{ url, events: "all" }], timeout: 300, onError: (u, e) => errors.push([u, e]) });
    const started = performance.now();
    notifier.notify(message("rollout.failed", { message: "readiness failed" }));
    expect(performance.now() - started).toBeLessThan(50);
    await notifier.flush();
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2_000);
    expect(received).toHaveLength(1);
    expect(errors).toEqual([[url, "timed out after 300ms"]]);
  });

  it("reports a failing endpoint through onError, without throwing", async () => {
    const { url } = await receiver(500);
    const errors: [string, string][] = [];
    const notifier = new Notifier({
      webhooks: [{ url, events: "all" }],
      timeout: 2_000,
      onError: (u, e) => {
        errors.push([u, e]);
        throw new Error("a broken handler is ignored too");
      },
    });
    expect(() => notifier.notify(message("rollout.succeeded"))).not.toThrow();
    await notifier.flush();
    expect(errors).toEqual([[url, "HTTP 500"]]);
  });

  it("reports an endpoint that refuses connections", async () => {
    const { url } = await receiver();
    await cleanups.pop()?.();
    const errors: string[] = [];
    const notifier = new Notifier({ webhooks: [{ url, events: "all" }], timeout: 2_000, onError: (_, e) => errors.push(e) });
    notifier.notify(message("rollout.started"));
    await notifier.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/ECONNREFUSED/);
  });

  it("sends each webhook only the events it subscribed to", async () => {
    const { url, received } = await receiver();
    const notifier = new Notifier({
      webhooks: [
        { url: `${url}/failures`, events: ["rollout.failed", "rollout.rolled-back"] },
        { url: `${url}/all`, events: "all" },
      ],
      timeout: 2_000,
    });
    for (const event of ["rollout.started", "rollout.failed", "rollout.rolled-back", "rollout.succeeded"] as const) {
      notifier.notify(message(event));
    }
    await notifier.flush();
    const events = (path: string) => received.filter((r) => r.path === path).map((r) => r.body["event"]);
    expect(events("/failures").sort()).toEqual(["rollout.failed", "rollout.rolled-back"]);
    expect(events("/all")).toHaveLength(4);
  });

  it("is idle only when no post is in flight", async () => {
    const { url, received } = await receiver();
    const notifier = new Notifier({ webhooks: [{ url, events: "all" }], timeout: 5_000 });
    expect(notifier.idle).toBe(true);
    notifier.notify(message("rollout.succeeded"));
    expect(notifier.idle).toBe(false);
    await notifier.flush();
    expect(notifier.idle).toBe(true);
    expect(received).toHaveLength(1);
  });

  it("flushes at once with nothing in flight", async () => {
    const notifier = new Notifier({ webhooks: [], timeout: 1_000 });
    notifier.notify(message("rollout.started"));
    await notifier.flush();
  });
});

describe("notifyText", () => {
  it.each(
    (
      [
        [message("rollout.started"), ":rocket: hello: release 4 (v2) rollout started (canary)"],
        [
          message("rollout.step", { step: "setWeight 25", message: "25% of traffic on release 4" }),
          ":arrow_forward: hello: release 4 (v2) rollout step setWeight 25: 25% of traffic on release 4",
        ],
        [
          message("rollout.paused", { step: "pause", message: "waiting for slipway promote" }),
          ":hourglass_flowing_sand: hello: release 4 (v2) rollout paused at pause: waiting for slipway promote",
        ],
        [
          message("rollout.promoted", { message: "all traffic on release 4" }),
          ":twisted_rightwards_arrows: hello: release 4 (v2) promoted: all traffic on release 4",
        ],
        [message("rollout.succeeded", { message: "done" }), ":white_check_mark: hello: release 4 (v2) rollout succeeded"],
        [
          message("rollout.failed", { message: "r4-1: readiness failed\n  GET /health -> 500" }),
          ":x: hello: release 4 (v2) rollout failed: r4-1: readiness failed | GET /health -&gt; 500",
        ],
        [
          message("rollout.aborted", { message: "aborted by alice" }),
          ":octagonal_sign: hello: release 4 (v2) rollout aborted: aborted by alice",
        ],
        [
          message("rollout.rolled-back", { message: "error rate 5% > 1%" }),
          ":rewind: hello: release 4 (v2) rolled back to release 3: error rate 5% &gt; 1%",
        ],
        [message("rollout.started", { release: null, version: null, strategy: undefined }), ":rocket: hello: rollout started"],
      ] as const
    ).map(([m, text], i) => ({ name: `${i} ${m.event}`, m, text })),
  )("$name", ({ m, text }) => {
    expect(notifyText(m)).toBe(text);
  });
});
