import { strict as assert } from "assert";
import { PROFILES } from "../lib/config";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { BackendInfo } from "../lib/backend";
import type { StudyData } from "../lib/data/study";
import { Experiment, ExperimentOutcome, configHash, deviceSharing, effectiveParams, runInTurn } from "../lib/experiments/experiment";
import { silentProgress } from "../lib/training/progress";
import { timeOf } from "../lib/report/common";
import { finishedLine, type ResultRecord } from "../lib/experiments/results";
import { projectRoot } from "../lib/paths";
import { EXPERIMENTS_BY_ID, selectExperiments } from "../lib/experiments/registry";

describe("experiment configurations", () => {
  const ex1 = EXPERIMENTS_BY_ID.get("ex1-supervised")!;

  it("caps epochs and batch sizes, and scales widths, under a smaller profile", () => {
    const smoke = effectiveParams({ epochs: 60, autoencoderEpochs: 10, batchSize: 256, labeledBatchSize: 128, peakLearningRate: 0.2 }, PROFILES.smoke);
    assert.deepEqual(smoke, { epochs: 2, autoencoderEpochs: 2, batchSize: 64, labeledBatchSize: 64, peakLearningRate: 0.2, widthScale: 0.25 });
    assert.deepEqual(effectiveParams({ epochs: 60, batchSize: 256 }, PROFILES.full), { epochs: 60, batchSize: 256, widthScale: 1 });
  });

  it("hashes everything that changes a result: parameters, seed, profile and its data sizes", () => {
    const seed = ex1.seeds[0];
    const base = configHash(ex1, PROFILES.full, seed);
    assert.notEqual(configHash({ ...ex1, params: { ...ex1.params, epochs: 61 } }, PROFILES.full, seed), base);
    assert.notEqual(configHash(ex1, PROFILES.full, ex1.seeds[1]), base);
    assert.notEqual(configHash(ex1, PROFILES.smoke, seed), base);
    assert.notEqual(configHash(ex1, { ...PROFILES.smoke, labeledLimit: 512 }, seed), configHash(ex1, PROFILES.smoke, seed));
    // The full profile's key as the committed results/ex1-supervised.json was made: if it changes, every committed
    // result stops matching and would be retrained.
    assert.equal(base, "261ee2f1b5327291", "the full profile's hash of ex1-supervised is that of its committed result");
  });

  it("selects by id, prefix and glob, and rejects unknown names", () => {
    assert.deepEqual(selectExperiments(["ex1-supervised"]).map((e) => e.id), ["ex1-supervised"]);
    assert.ok(selectExperiments(["ex2"]).every((e) => e.id.startsWith("ex2-")) && selectExperiments(["ex2"]).length >= 3);
    assert.ok(selectExperiments(["ex2-self*"]).every((e) => e.id.startsWith("ex2-self")));
    assert.throws(() => selectExperiments(["ex9"]), /no experiment matches "ex9"/);
    assert.throws(() => selectExperiments([]), /no experiments selected/, "an empty selection is not all");
  });

  it("records and shows that a run shared the GPU with other experiment processes (DEVICE_SHARED_BY)", () => {
    const saved = process.env.DEVICE_SHARED_BY;
    try {
      delete process.env.DEVICE_SHARED_BY;
      assert.deepEqual(deviceSharing(), {});
      process.env.DEVICE_SHARED_BY = "1";
      assert.deepEqual(deviceSharing(), {}, "alone");
      process.env.DEVICE_SHARED_BY = "9";
      assert.deepEqual(deviceSharing(), { deviceSharedBy: 9 });
      process.env.DEVICE_SHARED_BY = "many";
      assert.throws(() => deviceSharing(), /DEVICE_SHARED_BY=many: expected the number of experiment processes/);
    } finally {
      if (saved === undefined) delete process.env.DEVICE_SHARED_BY;
      else process.env.DEVICE_SHARED_BY = saved;
    }
    const r = { seconds: 300 } as ResultRecord;
    assert.equal(timeOf(r), "5.0 min");
    assert.equal(timeOf({ ...r, deviceSharedBy: 9 }), "5.0 min (GPU compartida por hasta 9 ejecuciones)");
  });
});

describe("runInTurn (the runners' loop over experiments)", () => {
  it("runs the experiments in order, reports each result, and stops at the first that pauses", async () => {
    const saved = { results: process.env.RESULTS_DIR, checkpoints: process.env.CHECKPOINT_DIR };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "run-in-turn-"));
    process.env.RESULTS_DIR = path.join(dir, "results");
    process.env.CHECKPOINT_DIR = path.join(dir, "checkpoints");
    const ran: string[] = [];
    const outcome = (complete: boolean): ExperimentOutcome => ({
      complete, trainAccuracy: 0.5, testAccuracy: 0.25, history: [], details: {}, data: { labeled: 1, unlabeled: 1, test: 1 }, seconds: 1,
    });
    const experiment = (id: string, complete: boolean): Experiment => ({
      id, exercise: 1, method: "test", title: id, params: {}, seeds: [1],
      run: async () => (ran.push(id), outcome(complete)),
    });
    const experiments = [experiment("first", true), experiment("second", false), experiment("third", true)];
    const runner = {
      profile: PROFILES.smoke, backend: { choice: "cpu", device: "test" } as BackendInfo, data: {} as StudyData,
      experiments: new Map(experiments.map((e) => [e.id, e])),
    };
    try {
      const finished: string[] = [];
      const report = (r: ResultRecord, reused: boolean) => finished.push(`${r.experiment}${reused ? " reused" : ""}`);
      const paused = await runInTurn(runner, experiments.map((e) => e.id), { progress: silentProgress }, report);
      assert.equal(paused, "second seed 1");
      assert.deepEqual(ran, ["first", "second"], "nothing runs after the experiment that paused");
      assert.deepEqual(finished, ["first"]);
      assert.ok(fs.existsSync(path.join(dir, "results", "smoke", "first", "seed-1.json")) && !fs.existsSync(path.join(dir, "results", "smoke", "second")));
      // Again: the finished one loads from its result file without running, and says so.
      ran.length = 0;
      finished.length = 0;
      assert.equal(await runInTurn(runner, ["first"], { progress: silentProgress }, report), null);
      assert.deepEqual(ran, []);
      assert.deepEqual(finished, ["first reused"]);
      // --force retrains: not reused.
      finished.length = 0;
      await runInTurn(runner, ["first"], { progress: silentProgress, force: true }, report);
      assert.deepEqual([ran, finished], [["first"], ["first"]]);
    } finally {
      for (const [key, value] of [["RESULTS_DIR", saved.results], ["CHECKPOINT_DIR", saved.checkpoints]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("finishedLine (what the runners print per experiment)", () => {
  const result = {
    experiment: "ex1-supervised", profile: "full", seed: 1, testAccuracy: 0.52514, trainAccuracy: 0.99991, seconds: 163.6,
    device: "NVIDIA H200", date: "2026-11-26T22:18:54.576Z",
  } as ResultRecord;

  it("gives the accuracies of a run trained now", () => {
    assert.equal(finishedLine(result, false), "ex1-supervised seed 1: test accuracy 0.5251 (train 0.9999, 164 s)");
  });

  it("names the reused file, and the device and date it was trained on, instead of the accuracies", () => {
    const root = path.join(projectRoot(), "results");
    assert.equal(finishedLine(result, true, root), "ex1-supervised seed 1: reused results/ex1-supervised/seed-1.json (trained on NVIDIA H200, 2026-11-26 22:18 UTC)");
    const smoke = { ...result, profile: "smoke" };
    assert.match(finishedLine(smoke, true, root), /^ex1-supervised seed 1: reused results\/smoke\/ex1-supervised\/seed-1\.json \(/);
    assert.match(finishedLine(result, true, "/elsewhere"), /reused \/elsewhere\/ex1-supervised\/seed-1\.json/, "outside the project: the absolute path");
  });
});

describe("npm run experiments: the command line", () => {
  const run = (...args: string[]) => {
    const script = path.resolve(__dirname, "..", "scripts", "experiments.ts");
    // RESULTS_DIR points nowhere useful, so that a run that wrongly starts training cannot reuse or write results.
    const env = { ...process.env, RESULTS_DIR: path.join(os.tmpdir(), "no-results"), PROFILE: "" };
    const out = spawnSync(process.execPath, ["--import", "tsx", script, ...args], { env, encoding: "utf8", timeout: 60_000 });
    return { status: out.status, stdout: out.stdout, stderr: out.stderr };
  };

  it("prints the usage for --help and -h, and exits 0", () => {
    for (const flag of ["--help", "-h"]) {
      const { status, stdout, stderr } = run(flag);
      assert.equal(status, 0, stderr);
      assert.match(stdout, /^usage: npm run experiments -- <selection\.\.\.> \[options\]/);
      assert.match(stdout, /--time-budget S/);
    }
  });

  it("requires an explicit selection: one error with the usage, exit 2, no stack trace", () => {
    for (const args of [[], ["--force"], ["ex9"], ["--profile"], ["ex1", "--profile", "huge"], ["--bogus"]]) {
      const { status, stdout, stderr } = run(...args);
      assert.equal(status, 2, `${args.join(" ")}: ${stderr}`);
      assert.equal(stdout, "");
      assert.match(stderr, /^experiments: .+\n\nusage: npm run experiments/, args.join(" "));
      assert.doesNotMatch(stderr, /\n    at /, "no stack trace");
    }
    assert.match(run().stderr, /no experiments selected: name them, or all/);
  });

  it("--reuse-partial reuses an experiment with some of its seeds, lists the missing ones, and trains nothing", function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reuse-partial-"));
    try {
      // One committed seed of three: the experiment is partial in this results folder whatever main has committed.
      fs.mkdirSync(path.join(dir, "ex5-autoencoder-finetuned"));
      fs.copyFileSync(path.resolve(__dirname, "..", "results", "ex5-autoencoder-finetuned", "seed-4.json"), path.join(dir, "ex5-autoencoder-finetuned", "seed-4.json"));
      const script = path.resolve(__dirname, "..", "scripts", "experiments.ts");
      const env = { ...process.env, RESULTS_DIR: dir, CHECKPOINT_DIR: path.join(dir, "checkpoints"), PROFILE: "" };
      const out = spawnSync(process.execPath, ["--import", "tsx", script, "ex5-autoencoder-finetuned", "ex2-fixmatch-confidence", "--reuse-partial", "--time-budget", "30"], { env, encoding: "utf8", timeout: 100_000 });
      assert.equal(out.status, 0, out.stderr);
      assert.match(out.stdout, /ex5-autoencoder-finetuned: reused 1 of 3 seeds; seeds 104, 204 missing/);
      assert.match(out.stdout, /ex2-fixmatch-confidence: awaits its run, skipped/);
      assert.deepEqual(fs.readdirSync(path.join(dir, "ex5-autoencoder-finetuned")), ["seed-4.json"], "no seed trained");
      assert.ok(!fs.existsSync(path.join(dir, "checkpoints")), "no training started");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
