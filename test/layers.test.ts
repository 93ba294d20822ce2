import { ESLint } from "eslint";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "./support/project.js";

/** The rule ids ESLint (the repository's config) reports for `code` as if it were the file at `path`. */
async function ruleIds(path: string, code: string): Promise<(string | null)[]> {
  const eslint = new ESLint({ cwd: REPO });
  const [result] = await eslint.lintText(code, { filePath: join(REPO, path) });
  return result!.messages.map((m) => m.ruleId);
}

describe("layers (eslint.config.js)", () => {
  it("src/rollout/ may not import src/daemon/, types included", async () => {
    const code = 'import type { Fleet } from "../daemon/fleet.js";\nexport type F = Fleet;\n';
    expect(await ruleIds("src/rollout/example.ts", code)).toEqual(["no-restricted-imports"]);
  });

  it("src/daemon/ may import src/rollout/", async () => {
    const code = 'import type { FleetView } from "../rollout/fleet-view.js";\nexport type F = FleetView;\n';
    expect(await ruleIds("src/daemon/example.ts", code)).toEqual([]);
  });
});
