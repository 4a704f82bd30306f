// Seeds: every experiment runs several, dependencies pair up by position, results aggregate with nodejs-polars,
// and the one noise rule decides what may be called better or worse.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { BackendInfo } from "../lib/backend";
import { PROFILES } from "../lib/config";
import type { StudyData } from "../lib/data/study";
import { seededResult, summarizeRuns, testAccuracies } from "../lib/experiments/aggregate";
import { Experiment, ExperimentOutcome, Runner, runInTurn, runOrLoad, runOrLoadAll } from "../lib/experiments/experiment";
import { compareSeeds } from "../lib/experiments/noise";
import { type ResultRecord, readAllResults, resultPath } from "../lib/experiments/results";
import { EXPERIMENTS } from "../lib/experiments/registry";
import { SEEDS_PER_EXPERIMENT } from "../lib/experiments/seeds";
import { silentProgress } from "../lib/training/progress";

const outcome = (testAccuracy: number, details: Record<string, unknown> = {}): ExperimentOutcome => ({
  complete: true, trainAccuracy: 0.9, testAccuracy, history: [], details, data: { labeled: 1, unlabeled: 1, test: 1 }, seconds: 2,
});

function withScratchDirs<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const saved = { results: process.env.RESULTS_DIR, checkpoints: process.env.CHECKPOINT_DIR };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seeds-"));
  process.env.RESULTS_DIR = path.join(dir, "results");
  process.env.CHECKPOINT_DIR = path.join(dir, "checkpoints");
  return body(dir).finally(() => {
    for (const [key, value] of [["RESULTS_DIR", saved.results], ["CHECKPOINT_DIR", saved.checkpoints]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

describe("seeds", () => {
  it("the registry gives every experiment three distinct seeds, the first one its committed result's", () => {
    assert.equal(SEEDS_PER_EXPERIMENT, 3);
    assert.equal(PROFILES.full.seedCount, 3);
    for (const e of EXPERIMENTS) assert.equal(new Set(e.seeds).size, 3, e.id);
  });

  it("run every seed, pair a dependency's seeds by position, and aggregate them in summary.json", async () => {
    await withScratchDirs(async (dir) => {
      const calls: string[] = [];
      const teacher: Experiment = {
        id: "teacher", exercise: 1, method: "t", title: "teacher", params: {}, seeds: [1, 2, 3],
        run: async (ctx) => (calls.push(`teacher ${ctx.seed}`), outcome(0.5 + ctx.seed / 100)),
      };
      const student: Experiment = {
        id: "student", exercise: 2, method: "s", title: "student", params: {}, seeds: [10, 20, 30],
        run: async (ctx) => {
          const t = await ctx.dependency("teacher");
          calls.push(`student ${ctx.seed} <- teacher ${t.seed}`);
          assert.equal(ctx.checkpointDirOf("teacher"), path.join(dir, "checkpoints", "smoke", "teacher", `seed-${t.seed}`));
          return outcome(t.testAccuracy + 0.1);
        },
      };
      const runner: Runner = {
        profile: { ...PROFILES.smoke, seedCount: 3 }, backend: { choice: "cpu", device: "test" } as BackendInfo, data: {} as StudyData,
        experiments: new Map([teacher, student].map((e) => [e.id, e])),
      };
      const finished: string[] = [];
      assert.equal(await runInTurn(runner, ["student"], { progress: silentProgress }, (r) => finished.push(`${r.experiment} ${r.seed}`)), null);
      assert.deepEqual(calls, ["teacher 1", "student 10 <- teacher 1", "teacher 2", "student 20 <- teacher 2", "teacher 3", "student 30 <- teacher 3"]);
      assert.deepEqual(finished, ["student 10", "student 20", "student 30"]);
      const second = JSON.parse(fs.readFileSync(resultPath("student", "smoke", 20), "utf8")) as ResultRecord;
      const teacher2 = JSON.parse(fs.readFileSync(resultPath("teacher", "smoke", 2), "utf8")) as ResultRecord;
      assert.deepEqual(second.dependencies, { teacher: { seed: 2, configHash: teacher2.configHash } }, "the run records what it started from");
      const summary = JSON.parse(fs.readFileSync(path.join(dir, "results", "smoke", "summary.json"), "utf8"));
      const row = summary.find((s: { experiment: string }) => s.experiment === "student");
      assert.deepEqual(row.seeds, [10, 20, 30]);
      assert.ok(Math.abs(row.testAccuracyMean - 0.62) < 1e-12 && Math.abs(row.testAccuracySd - 0.01) < 1e-12, JSON.stringify(row));
      assert.equal(row.testAccuracy, row.testAccuracyMean);

      // The notebooks' runOrLoad renders from the seeds on disk and never trains a missing one...
      calls.length = 0;
      fs.rmSync(resultPath("student", "smoke", 20));
      const present = await runOrLoad(runner, "student", { progress: silentProgress });
      assert.deepEqual([calls, present?.seeds], [[], [10, 30]]);
      assert.ok(Math.abs(present!.testAccuracy - 0.62) < 1e-12);
      // ...and trains every seed when none has a result.
      fs.rmSync(path.join(dir, "results", "smoke", "student"), { recursive: true });
      const fresh = await runOrLoad(runner, "student", { progress: silentProgress });
      assert.deepEqual(fresh?.seeds, [10, 20, 30]);
      assert.deepEqual(calls, ["student 10 <- teacher 1", "student 20 <- teacher 2", "student 30 <- teacher 3"]);

      // --seeds: one list for every experiment, dependencies included.
      calls.length = 0;
      await runInTurn({ ...runner, seeds: [7] }, ["student"], { progress: silentProgress }, () => {});
      assert.deepEqual(calls, ["teacher 7", "student 7 <- teacher 7"]);
      // --replicate 3: only the third seed of each list (one process per seed on the GPU host).
      calls.length = 0;
      fs.rmSync(path.join(dir, "results"), { recursive: true });
      await runInTurn({ ...runner, positions: [2] }, ["student"], { progress: silentProgress }, () => {});
      assert.deepEqual(calls, ["teacher 3", "student 30 <- teacher 3"]);
    });
  });
});

describe("experiments awaiting their run", () => {
  it("are left out of runOrLoadAll (never trained behind the reader's back) until they have a result, then included", async () => {
    await withScratchDirs(async () => {
      let ran = 0;
      const waiting: Experiment = {
        id: "waiting", exercise: 2, method: "m", title: "waiting", params: {}, seeds: [1], awaitingRun: "recipe changed",
        run: async () => (ran++, outcome(0.5)),
      };
      const plain: Experiment = { ...waiting, id: "plain", awaitingRun: undefined };
      const runner: Runner = {
        profile: PROFILES.smoke, backend: { choice: "cpu", device: "test" } as BackendInfo, data: {} as StudyData,
        experiments: new Map([waiting, plain].map((e) => [e.id, e])),
      };
      const first = await runOrLoadAll(runner, [waiting, plain], { progress: silentProgress });
      assert.deepEqual([first.results.map((r) => r.experiment), first.awaiting.map((e) => e.id), ran], [["plain"], ["waiting"], 1]);
      // npm run experiments trains it (runInTurn); from then on the notebooks show it.
      await runInTurn(runner, ["waiting"], { progress: silentProgress }, () => {});
      const second = await runOrLoadAll(runner, [waiting, plain], { progress: silentProgress });
      assert.deepEqual([second.results.map((r) => r.experiment), second.awaiting, ran], [["waiting", "plain"], [], 2]);
    });
  });
});

describe("aggregation over seeds (nodejs-polars)", () => {
  const run = (experiment: string, seed: number, testAccuracy: number): ResultRecord => ({
    experiment, exercise: 1, method: "m", title: experiment, profile: "full", params: {}, seed, configHash: "h",
    trainAccuracy: 1 - seed / 10, testAccuracy, seconds: seed, backend: "b", device: "d", commit: `c${seed}`,
    date: `2026-01-0${seed}`, data: { labeled: 1, unlabeled: 1, test: 1 }, history: [], details: { seed },
  });

  it("gives per experiment the seeds, mean and sample standard deviation, the latest commit and each run", () => {
    const rows = summarizeRuns([run("b", 3, 0.3), run("a", 2, 0.52), run("a", 1, 0.5), run("a", 3, 0.57)]);
    assert.deepEqual(rows.map((r) => r.experiment), ["a", "b"]);
    const [a, b] = rows;
    assert.deepEqual(a.seeds, [1, 2, 3]);
    assert.ok(Math.abs(a.testAccuracyMean - 0.53) < 1e-12);
    assert.ok(Math.abs(a.testAccuracySd! - Math.sqrt((0.03 ** 2 + 0.01 ** 2 + 0.04 ** 2) / 2)) < 1e-12);
    assert.ok(Math.abs(a.trainAccuracy - 0.8) < 1e-12 && a.seconds === 2);
    assert.equal(a.commit, "c3", "the most recent run's commit");
    assert.deepEqual(a.runs.map((r) => r.seed), [1, 2, 3]);
    assert.equal(b.testAccuracySd, null, "one seed has no spread");
    assert.deepEqual(rows.map((r) => r.deviceSharedBy), [1, 1], "a run without deviceSharedBy had the device to itself");
  });

  it("seededResult: means in the accuracy fields, the first seed's details, every run kept", () => {
    const r = seededResult([run("a", 2, 0.52), run("a", 1, 0.5)]);
    assert.deepEqual([r.seed, r.details, r.seeds, testAccuracies(r)], [1, { seed: 1 }, [1, 2], [0.5, 0.52]]);
    assert.ok(Math.abs(r.testAccuracy - 0.51) < 1e-12);
    assert.throws(() => seededResult([run("a", 1, 0.5), run("b", 1, 0.5)]), /mixes experiments/);
  });
});

describe("the noise rule", () => {
  const around = (m: number, sd: number) => [m - sd, m, m + sd]; // three seeds, sample sd = sd

  it("calls a difference better or worse only beyond twice its standard error", () => {
    // se = sqrt(2 * 0.01² / 3) = 0.00816; twice that is 0.0163.
    assert.equal(compareSeeds(around(0.55, 0.01), around(0.53, 0.01)).verdict, "better");
    assert.equal(compareSeeds(around(0.51, 0.01), around(0.53, 0.01)).verdict, "worse");
    assert.equal(compareSeeds(around(0.545, 0.01), around(0.53, 0.01)).verdict, "within-noise");
    const c = compareSeeds(around(0.545, 0.01), around(0.53, 0.01));
    assert.ok(Math.abs(c.difference - 0.015) < 1e-12 && Math.abs(c.standardError! - Math.sqrt((2 * 0.01 ** 2) / 3)) < 1e-12);
  });

  it("claims nothing from one seed, however large the difference", () => {
    const c = compareSeeds([0.7], around(0.5, 0.001));
    assert.deepEqual([c.verdict, c.standardError, c.seeds], ["within-noise", null, [1, 3]]);
  });
});

describe("committed results on disk", () => {
  it("live at results/<experiment>/seed-<n>.json, one file per seed", () => {
    const root = path.resolve(__dirname, "..", "results");
    for (const r of readAllResults("full", root)) assert.ok(fs.existsSync(path.join(root, r.experiment, `seed-${r.seed}.json`)));
  });
});
