// scripts/gpu-batch.sh, the GPU host's batch runner, run here with a runner that trains nothing: what it restores on
// a fresh host and which checkpoints it sends back.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..");

function write(file: string, text: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

describe("scripts/gpu-batch.sh", () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-batch-"));
    // The call's working tree: the two scripts, the job lines, and the results so far as .gpu/state/state.tgz.
    fs.mkdirSync(path.join(root, "scripts"));
    for (const script of ["gpu-batch.sh", "full-runs.sh"]) fs.copyFileSync(path.join(REPO, "scripts", script), path.join(root, "scripts", script));
    write(path.join(root, ".gpu", "job-lines"), "ex2-fixmatch-confidence --replicate 1;ex5-oneclass --replicate 1");
    write(path.join(root, "state", "results", "ex5-oneclass", "seed-6.json"), "{}");
    fs.mkdirSync(path.join(root, ".gpu", "state"), { recursive: true });
    execFileSync("tar", ["czf", path.join(root, ".gpu", "state", "state.tgz"), "-C", path.join(root, "state"), "results"]);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const call = (out: string) => {
    fs.mkdirSync(out, { recursive: true });
    return execFileSync("bash", ["scripts/gpu-batch.sh"], {
      cwd: root,
      encoding: "utf8",
      env: {
        ...process.env,
        RUNNER: "true", // trains nothing: the test is about what travels
        OUT: out,
        RESULTS_DIR: path.join(root, "host", "results"),
        CHECKPOINT_DIR: path.join(root, "host", "ckpt"),
        STAGE_DIR: path.join(root, "host", "stage"),
        LOG_DIR: path.join(root, "host", "logs"),
        CALL_BUDGET: "40",
        CALL_LIMIT: "60",
      },
    });
  };
  const listing = (tgz: string) => execFileSync("tar", ["tzf", tgz], { encoding: "utf8" }).split("\n").filter(Boolean);

  it("sends back the checkpoint of each unfinished run only, and restores them on a fresh host", () => {
    // A paused FixMatch run (no result yet) and the finished one-class run (its result came with the state).
    write(path.join(root, "host", "ckpt", "full", "ex2-fixmatch-confidence", "seed-3", "checkpoint.json"), '{"epoch":20}');
    write(path.join(root, "host", "ckpt", "full", "ex5-oneclass", "seed-6", "checkpoint.json"), '{"epoch":30}');
    const first = path.join(root, "out-1");
    call(first);
    assert.deepEqual(fs.readdirSync(first).sort(), ["ckpt-1.tgz", "results.tgz"]);
    assert.ok(listing(path.join(first, "ckpt-1.tgz")).includes("full/ex2-fixmatch-confidence/seed-3/checkpoint.json"));
    assert.ok(listing(path.join(first, "results.tgz")).includes("results/ex5-oneclass/seed-6.json"));

    // The host is lost; the checkpoint arrives in a staging call (remote.sh keeps it under the stage folder).
    fs.rmSync(path.join(root, "host"), { recursive: true });
    fs.mkdirSync(path.join(root, "host", "stage", "ckpt"), { recursive: true });
    fs.copyFileSync(path.join(first, "ckpt-1.tgz"), path.join(root, "host", "stage", "ckpt", "ckpt-1.tgz"));
    const log = call(path.join(root, "out-2"));
    assert.match(log, /restored full\/ex2-fixmatch-confidence\/seed-3/);
    const restored = path.join(root, "host", "ckpt", "full", "ex2-fixmatch-confidence", "seed-3", "checkpoint.json");
    assert.equal(fs.readFileSync(restored, "utf8"), '{"epoch":20}');
    assert.ok(fs.existsSync(path.join(root, "host", "results", "ex5-oneclass", "seed-6.json")), "the state's results are unpacked too");
  });
});
