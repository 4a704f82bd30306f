// Where a result came from: the commit of the code that produced it (the GPU host has no git: bundles carry
// the commit they were built from), and the time.
import { execFileSync } from "node:child_process";

let cached: string | null = null;

/** HEAD's commit, with "-dirty" when tracked files differ from it; "unknown" outside a git checkout. */
export function gitCommit(): string {
  if (cached) return cached;
  const bundled = process.env.BUNDLED_GIT_COMMIT;
  if (bundled) return (cached = bundled);
  try {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no", "--", "lib", "scripts"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    cached = dirty === "" ? head : `${head}-dirty`;
  } catch {
    cached = "unknown";
  }
  return cached;
}
