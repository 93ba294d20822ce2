/**
 * The live suite (test/kubernetes-live.test.ts) run against the fake API
 * server, so the scenarios meant for a real cluster keep working on machines
 * that have none: KUBECONFIG names the fake before the suite is loaded.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { FakeKubeApi } from "./support/fake-kube-api.js";

const fake = await new FakeKubeApi().start();
const dir = mkdtempSync(join(tmpdir(), "slipway-kubeconfig-"));
process.env.KUBECONFIG = fake.writeKubeconfig(join(dir, "kubeconfig"));
afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});
await import("./kubernetes-live.test.js");
