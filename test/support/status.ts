/**
 * What `slipway status --json` prints, as the e2e tests read it: the daemon's
 * own status type, so a field renamed in the daemon fails to type-check here
 * instead of reading `undefined` in a test.
 *
 * @example
 * const s: Status = await project.status();
 * s.instances.filter((i) => i.state === "ready");
 */
export type { DaemonStatus as Status, InstanceStatus } from "../../src/daemon/status.js";
