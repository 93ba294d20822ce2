import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { helloConfig, TestProject, waitFor } from "./support/project.js";

/** How long the receiver holds its answer: longer than `slipway down` takes without waiting for webhooks. */
const ANSWER_AFTER = 3_000;

interface Answered {
  event: string;
  /** Whether the daemon's connection was still open when the answer was written. */
  open: boolean;
}

const cleanups: (() => unknown)[] = [];
let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A webhook receiver that answers every post ANSWER_AFTER ms after it arrived. */
async function slowReceiver(): Promise<{ url: string; received: string[]; answered: Answered[] }> {
  const received: string[] = [];
  const answered: Answered[] = [];
  const srv = http.createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (text += chunk));
    req.on("end", () => {
      const { event } = JSON.parse(text) as { event: string };
      received.push(event);
      setTimeout(() => {
        answered.push({ event, open: !req.socket.destroyed });
        res.writeHead(200).end("ok");
      }, ANSWER_AFTER);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => (srv.closeAllConnections(), srv.close(resolve))));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`, received, answered };
}

it("slipway down waits for a webhook post still in flight: the notification sent just before it is delivered", async () => {
  const hook = await slowReceiver();
  project = await TestProject.create((port) => helloConfig(port, `notify:\n  webhooks: [${hook.url}]\n  timeout: 20s\n`));
  const deploy = await project.run("deploy", "--version", "v1");
  expect(deploy.code).toBe(0);
  await waitFor("rollout.succeeded to reach the receiver", () => hook.received.includes("rollout.succeeded"));
  expect(hook.answered.map((a) => a.event)).not.toContain("rollout.succeeded"); // still in flight

  const down = await project.run("down");
  expect(down.code).toBe(0);
  // The daemon stayed for the answer: its connection was open when the receiver wrote it.
  const answer = await waitFor("the answer to rollout.succeeded", () => hook.answered.find((a) => a.event === "rollout.succeeded"));
  expect(answer.open).toBe(true);
});
