// The project's folders, found from the working directory (notebooks run in notebooks/, scripts at the root,
// bundles on the GPU host in a copy of the tree): tslab and esbuild move compiled code elsewhere, so
// __dirname cannot be trusted.
import * as fs from "node:fs";
import * as path from "node:path";

const PACKAGE_NAME = "cifar100-semi-supervised-tfjs";

export function projectRoot(start = process.cwd()): string {
  let dir = path.resolve(start);
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // Not ours or not JSON: keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`no ${PACKAGE_NAME} package.json above ${start}: run from inside the project (or its notebooks/ folder)`);
    }
    dir = parent;
  }
}

/** Where checkpoints go (CHECKPOINT_DIR overrides; never committed). */
export function checkpointsRoot(): string {
  return process.env.CHECKPOINT_DIR ?? path.join(projectRoot(), "checkpoints");
}
