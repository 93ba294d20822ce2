import { cpSync, existsSync, lstatSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO, TestProject } from "./support/project.js";
import { visit, visitsConfig } from "./support/visits-app.js";

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe("app.shared, process platform", () => {
  it("a visit count in data/ continues across v1, v2, a rollback and pruning by retain, and outlives slipway down", async () => {
    const p = (project = await TestProject.create((port) => visitsConfig(port)));
    cpSync(join(REPO, "test/fixtures/visits-app"), p.dir, { recursive: true }); // data/visits.txt holds 100
    const shared = join(p.dir, ".slipway/shared/data/visits.txt");

    const v1 = await p.run("deploy", "--version", "v1");
    expect(v1.code).toBe(0);
    expect(v1.stdout).toContain(`shared data: seeded from ${join(p.dir, "data")}`);
    expect(readlinkSync(join(p.dir, ".slipway/releases/1/data"))).toBe("../../shared/data");
    expect(await visit(p)).toEqual({ visits: 101, version: "v1" });
    expect(await visit(p)).toEqual({ visits: 102, version: "v1" }); // two instances, one count

    writeFileSync(join(p.dir, "data/visits.txt"), "0\n"); // the app's own copy never reseeds the shared one
    const v2 = await p.run("deploy", "--version", "v2");
    expect(v2.code).toBe(0);
    expect(v2.stdout).not.toContain("shared data:");
    expect(await visit(p)).toEqual({ visits: 103, version: "v2" });

    await p.ok("rollback");
    expect(await visit(p)).toEqual({ visits: 104, version: "v1" });

    await p.ok("deploy", "--version", "v3"); // retain 2: release 1's snapshot goes
    expect(existsSync(join(p.dir, ".slipway/releases/1"))).toBe(false);
    expect(await visit(p)).toEqual({ visits: 105, version: "v3" });
    expect(readFileSync(shared, "utf8")).toBe("105\n");
    expect(readFileSync(join(p.dir, "data/visits.txt"), "utf8")).toBe("0\n");

    await p.ok("down");
    expect(readFileSync(shared, "utf8")).toBe("105\n");
    expect(lstatSync(join(p.dir, ".slipway/releases/3/data")).isSymbolicLink()).toBe(true);
  });

  it("an app that saves a shared file by rename: the link is put back at each rollout, the newest copy kept, with a warning", async () => {
    const p = (project = await TestProject.create((port) => visitsConfig(port, { shared: "[visits.txt]" })));
    cpSync(join(REPO, "test/fixtures/visits-app/server.mjs"), join(p.dir, "server.mjs"));
    writeFileSync(join(p.dir, "visits.txt"), "10\n"); // a shared file must exist in the app on first deploy
    const env = ["--env", "VISITS_FILE=visits.txt", "--env", "SAVE=rename"];
    await p.ok("deploy", "--version", "v1", ...env);
    expect(await visit(p)).toEqual({ visits: 11, version: "v1" });
    expect(lstatSync(join(p.dir, ".slipway/releases/1/visits.txt")).isSymbolicLink()).toBe(false); // the rename replaced the link

    const v2 = await p.run("deploy", "--version", "v2", ...env);
    expect(v2.code).toBe(0);
    expect(v2.stdout).toMatch(
      /warning: shared visits\.txt: release 1 had replaced its link with a file .*its copy, the newest data, is the shared one now \(the previous shared copy is in \.slipway\/shared-replaced\/release-1-\d+\/visits\.txt\).*Share the directory that holds it instead/,
    );
    expect(readlinkSync(join(p.dir, ".slipway/releases/1/visits.txt"))).toBe("../../shared/visits.txt");
    expect(await visit(p)).toEqual({ visits: 12, version: "v2" }); // v1's count carried over

    const back = await p.run("rollback");
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/warning: shared visits\.txt: release 2 had replaced its link/);
    expect(await visit(p)).toEqual({ visits: 13, version: "v1" }); // not release 1's stale copy (11)
  });

  it("creates an empty shared directory when the app has none, and a path added later is seeded then", async () => {
    const p = (project = await TestProject.create((port) => visitsConfig(port)));
    cpSync(join(REPO, "test/fixtures/visits-app/server.mjs"), join(p.dir, "server.mjs"));
    const v1 = await p.run("deploy", "--version", "v1");
    expect(v1.code).toBe(0);
    expect(v1.stdout).toContain("shared data: created as an empty directory (nothing at that path in the app)");
    expect(await visit(p)).toEqual({ visits: 1, version: "v1" });

    p.writeConfig(visitsConfig(p.port).replace("shared: [data]", "shared: [data, motd.txt]"));
    const refused = await p.run("deploy", "--version", "v2"); // named like a file, nothing to seed it: refused, nothing made
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `error: app.shared: motd.txt is not in ${p.dir}, and a shared file cannot start empty: Slipway would make a directory there\n` +
        "hint: create it before the first deploy (touch motd.txt), or share a directory the app creates it in (app.shared: [data], the app writing data/motd.txt)\n",
    );
    expect(existsSync(join(p.dir, ".slipway/shared/motd.txt"))).toBe(false);
    expect((await p.json<unknown[]>("releases")).length).toBe(1);

    writeFileSync(join(p.dir, "motd.txt"), "hello\n");
    const v2 = await p.run("deploy", "--version", "v2");
    expect(v2.code).toBe(0);
    expect(v2.stdout).toContain(`shared motd.txt: seeded from ${join(p.dir, "motd.txt")}`);
    expect(readFileSync(join(p.dir, ".slipway/releases/2/motd.txt"), "utf8")).toBe("hello\n");
    expect(await visit(p)).toEqual({ visits: 2, version: "v2" });

    p.writeConfig(visitsConfig(p.port).replace("shared: [data]", "shared: [motd.txt]"));
    const v3 = await p.run("deploy", "--version", "v3");
    expect(v3.code).toBe(0);
    expect(v3.stdout).toContain(
      "warning: shared data: not in app.shared any more; its data stays in .slipway/shared/data, and release 3 uses the app's own copy",
    );
  });
});
