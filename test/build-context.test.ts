import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extract } from "tar-stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { packContext } from "../src/platform/docker/build-context.js";

/** Names in a tar stream, in order. */
async function names(tar: NodeJS.ReadableStream): Promise<string[]> {
  const out: string[] = [];
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on("entry", (header, stream, next) => {
      out.push(header.type === "directory" ? `${header.name.replace(/\/$/, "")}/` : header.name);
      stream.on("end", next);
      stream.resume();
    });
    reader.on("finish", resolve);
    reader.on("error", reject);
  });
  tar.pipe(reader);
  await done;
  return out.sort();
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-context-"));
  writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
  writeFileSync(join(dir, ".dockerignore"), "logs\nnode_modules\n!node_modules/keep\n");
  mkdirSync(join(dir, "logs"));
  writeFileSync(join(dir, "logs/a.log"), "x");
  mkdirSync(join(dir, "node_modules/keep"), { recursive: true });
  mkdirSync(join(dir, "node_modules/drop"), { recursive: true });
  writeFileSync(join(dir, "node_modules/keep/index.js"), "x");
  writeFileSync(join(dir, "node_modules/drop/index.js"), "x");
  symlinkSync("keep", join(dir, "node_modules/alias")); // excluded: a link to a directory is not walked
  writeFileSync(join(dir, "server.js"), "x");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("walks excluded directories only for exceptions, telling directories by their readdir entry", async () => {
  expect(await names(await packContext(dir))).toEqual(
    [
      "./",
      ".dockerignore",
      "Dockerfile",
      "logs/",
      "node_modules/",
      "node_modules/drop/",
      "node_modules/keep/",
      "node_modules/keep/index.js",
      "server.js",
    ].sort(),
  );
});

it("says what is missing before packing anything", async () => {
  await expect(packContext(join(dir, "nope"))).rejects.toThrow(/is not a directory/);
  await expect(packContext(dir, "Other.Dockerfile")).rejects.toThrow(/Dockerfile Other.Dockerfile not found/);
});
