// Bundles runner scripts for the offline GPU host (see README "Running on the GPU host").
//
// The host has node (from .gpu/base) but no node_modules and no network, and one call carries at most 64 MB.
// esbuild folds each runner and its pure-JS dependencies into one CommonJS file; the only native piece, Dawn's
// dawn.node (21 MB), travels beside it as a minimal node_modules/webgpu package that `require("webgpu")` finds.
//
//   npx tsx scripts/build-gpu-bundle.ts scripts/bench.ts scripts/experiments.ts   -> .gpu/app/{bench,experiments}.cjs
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const OUT_DIR = path.join(ROOT, ".gpu", "app");
const WEBGPU_FILES = ["package.json", "index.js", path.join("dist", "linux-x64", "dawn.node")];

function gitCommit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: ROOT, encoding: "utf8" }).trim();
    return dirty === "" ? head : `${head}-dirty`;
  } catch {
    return "unknown";
  }
}

function copyWebGPUPackage(): void {
  const source = path.join(ROOT, "node_modules", "webgpu");
  const target = path.join(OUT_DIR, "node_modules", "webgpu");
  for (const file of WEBGPU_FILES) {
    fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    fs.copyFileSync(path.join(source, file), path.join(target, file));
  }
}

async function bundle(entry: string, commit: string): Promise<string> {
  const outfile = path.join(OUT_DIR, `${path.basename(entry, path.extname(entry))}.cjs`);
  await build({
    entryPoints: [path.resolve(ROOT, entry)],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // Native or optional packages are resolved at run time on the host (or skipped by the backend chain).
    external: ["webgpu", "@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu", "nodejs-polars", "@resvg/resvg-js", "tslab"],
    // The host has no git: results record the commit the bundle was built from.
    define: { "process.env.BUNDLED_GIT_COMMIT": JSON.stringify(commit) },
    // Class names as in the sources: profiles and launch counts name programs by their class (esbuild would
    // otherwise rename the ones that clash in the bundle: BinaryOpProgram2, Conv2DMMProgram2, ...).
    keepNames: true,
    logLevel: "warning",
  });
  return outfile;
}

async function main(): Promise<void> {
  const entries = process.argv.slice(2);
  if (entries.length === 0) {
    console.error("usage: npx tsx scripts/build-gpu-bundle.ts <runner.ts> [...]   (writes .gpu/app/<runner>.cjs)");
    process.exit(2);
  }
  fs.rmSync(OUT_DIR, { recursive: true, force: true });
  fs.mkdirSync(OUT_DIR, { recursive: true });
  copyWebGPUPackage();
  const commit = gitCommit();
  for (const entry of entries) {
    const outfile = await bundle(entry, commit);
    console.log(`${path.relative(ROOT, outfile)}  ${(fs.statSync(outfile).size / 1e6).toFixed(1)} MB  (commit ${commit})`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
