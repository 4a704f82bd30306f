import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROFILES } from "../lib/config";
import { configHash } from "../lib/experiments/experiment";
import { InterruptedRun, LoggedRun, parseTrainingLog, readInterruptedRuns, stitchRun } from "../lib/experiments/interrupted-runs";
import { EXPERIMENTS, EXPERIMENTS_BY_ID } from "../lib/experiments/registry";
import { readAllResults } from "../lib/experiments/results";
import { en } from "../lib/report/text/en";
import { interruptedChart, interruptedFacts, interruptedMarkdown, interruptedOnlineRuns } from "../lib/report/ex2";
import type { EpochRecord } from "../lib/training/loop";
import { formatRecord } from "../lib/training/progress";
import { inEnglish } from "./helpers/report-lang";

const REPO_ROOT = path.resolve(__dirname, "..");
const RESULTS = path.join(REPO_ROOT, "results");

function record(epoch: number, maskRate: number, correctConfident: number): EpochRecord {
  return { epoch, loss: 4 - epoch / 10, trainAccuracy: 0.05 * epoch, maskRate, correctConfident, testAccuracy: 0.03 * epoch, learningRate: 0.05 - epoch / 1000, seconds: 40.5 };
}

/** A runner's log as scripts/experiments.ts prints it, with the epoch lines of lib/training/progress.ts. */
function logOf(seed: number, hash: string, records: EpochRecord[], epochs = 30): string {
  return [
    "backend: webgpu (tf.getBackend() = webgpu), device: NVIDIA H200, NVIDIA: 580, vendor nvidia",
    "  webgpu: chosen",
    `experiment ex2-fixmatch-confidence (Online (FixMatch-style), weights = confidence above 0.95), seed ${seed}, profile full, config ${hash}`,
    "captured steps: 234 GPU dispatches recorded once, replayed every step",
    ...records.map((r) => formatRecord(r, epochs)),
    "paused at the time budget: ex2-fixmatch-confidence seed 3; run the same command again to resume",
  ].join("\n");
}

const PROVENANCE = { cause: "host-lost" as const, commit: "0".repeat(40), date: "2026-12-03" };

describe("interrupted runs, read back from the runner's logs", () => {
  it("parses the epoch lines the training loop prints, every metric, per experiment of the log", () => {
    const records = [record(1, 0.001, 0.0004), record(2, 0.0123, 0.011)];
    const text = `${logOf(3, "abc123", records)}\n${logOf(103, "def456", [record(1, 0.5, 0.25)], 20)}`;
    const [first, second] = parseTrainingLog(text, "call-1/0.log");
    assert.deepEqual(
      { ...first, epochs: first.epochs.map((e) => e.epoch) },
      { experiment: "ex2-fixmatch-confidence", seed: 3, profile: "full", configHash: "abc123", backend: "webgpu", device: "NVIDIA H200, NVIDIA: 580, vendor nvidia", epochsPlanned: 30, epochs: [1, 2] },
    );
    assert.deepEqual(first.epochs[1], { ...record(2, 0.0123, 0.011), learningRate: 0.048 }, "the log keeps 4 decimals and 3 digits of the learning rate");
    assert.deepEqual([second.seed, second.configHash, second.epochsPlanned, second.epochs[0].maskRate], [103, "def456", 20, 0.5]);
    assert.throws(() => parseTrainingLog(formatRecord(record(1, 0, 0), 30), "x.log"), /x\.log:1: an epoch line before any "experiment \.\.\." line/);
    const cut = logOf(3, "abc123", records).replace("maskRate 0.0123", "maskRate 0.01x3");
    assert.throws(() => parseTrainingLog(cut, "cut.log"), /cut\.log:6: "0\.01x3" is not a number; is the log cut or changed\?/);
  });

  it("stitches the calls of one run in epoch order and refuses gaps, other runs and finished ones", () => {
    const stretch = (from: number, to: number, hash = "abc", log = `call-${from}.log`) => ({
      run: parseTrainingLog(logOf(3, hash, Array.from({ length: to - from + 1 }, (_, i) => record(from + i, 0.1, 0.09))), log)[0],
      log,
    });
    const run = stitchRun([stretch(9, 20), stretch(1, 8)], PROVENANCE);
    assert.deepEqual(run.history.map((h) => h.epoch), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.deepEqual([run.logs, run.epochsPlanned, run.cause, run.date], [["call-1.log", "call-9.log"], 30, "host-lost", "2026-12-03"]);
    assert.throws(() => stitchRun([stretch(1, 8), stretch(10, 20)], PROVENANCE), /epoch 9 is missing from the logs \(found epoch 10 next\)/);
    assert.throws(() => stitchRun([stretch(1, 8), stretch(1, 8), stretch(9, 20)], PROVENANCE), /epoch 1 appears twice in the logs; give each call's log once/);
    assert.throws(() => stitchRun([stretch(1, 8), stretch(9, 20, "0ff1ce")], PROVENANCE), /call-9\.log logs ex2-fixmatch-confidence seed 3, profile full, config 0ff1ce/);
    assert.throws(() => stitchRun([stretch(1, 30)], PROVENANCE), /finished all its epochs: it is a result/);
  });
});

describe("committed interrupted runs", () => {
  const experiments = fs.existsSync(path.join(RESULTS, "interrupted")) ? fs.readdirSync(path.join(RESULTS, "interrupted")) : [];

  it("are what their committed logs say, of the registry's current configuration, and only of experiments without a finished run", () => {
    const finished = new Set(readAllResults("full", RESULTS).map((r) => r.experiment));
    for (const id of experiments) {
      const experiment = EXPERIMENTS_BY_ID.get(id);
      assert.ok(experiment, `results/interrupted/${id}: no such experiment in the registry`);
      assert.ok(!finished.has(id), `${id} has finished results: delete results/interrupted/${id}`);
      const runs = Object.keys(PROFILES).flatMap((profile) => readInterruptedRuns(id, profile, RESULTS));
      assert.equal(runs.length, fs.readdirSync(path.join(RESULTS, "interrupted", id)).length, "every file is a run of a known profile");
      for (const run of runs) {
        assert.equal(run.configHash, configHash(experiment, PROFILES[run.profile as keyof typeof PROFILES], run.seed), `${id} seed ${run.seed} ran another configuration`);
        const stretches = run.logs.flatMap((log) =>
          parseTrainingLog(fs.readFileSync(path.join(REPO_ROOT, log), "utf8"), log)
            .filter((r: LoggedRun) => r.experiment === id && r.seed === run.seed)
            .map((r) => ({ run: r, log })));
        const provenance = { cause: run.cause, commit: run.commit, date: run.date };
        assert.deepEqual(stitchRun(stretches, provenance), run, `results/interrupted/${id}/seed-${run.seed}.json differs from its logs`);
      }
    }
  });

  it("belong to experiments that the notebooks leave out of the comparisons (awaitingRun), and only to their profile", () => {
    const awaiting = EXPERIMENTS.filter((e) => e.awaitingRun).map((e) => e.id);
    assert.deepEqual(experiments.filter((id) => !awaiting.includes(id)), []);
    const groups = interruptedOnlineRuns("full", RESULTS);
    assert.deepEqual(groups.map((runs) => [runs[0].experiment, runs.length]), [["ex2-fixmatch-confidence", 3]], "notebook 02 shows these");
    assert.deepEqual(interruptedOnlineRuns("smoke", RESULTS), [], "the smoke notebooks show no H200 curves");
  });

  it("say which file is broken and what to do", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "interrupted-"));
    try {
      const file = path.join(root, "interrupted", "ex2-fixmatch-confidence", "seed-3.json");
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, "{\"experiment\": ");
      assert.throws(() => readInterruptedRuns("ex2-fixmatch-confidence", "full", root), new RegExp(`${file.replace(/[.]/g, "\\.")} is not valid JSON .*restore it from git or write it again with scripts/interrupted-run\\.ts`));
      fs.writeFileSync(file, "{\"experiment\": \"ex2-fixmatch-confidence\", \"seed\": 3}");
      assert.throws(() => readInterruptedRuns("ex2-fixmatch-confidence", "full", root), /is not an interrupted run \(experiment, seed, profile, backend, history\)/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("the interrupted runs in the report", () => {
  const run = (seed: number, records: EpochRecord[]): InterruptedRun => ({
    experiment: "ex2-fixmatch-confidence", seed, profile: "full", configHash: "abc", epochsPlanned: 30, history: records,
    cause: "host-lost", backend: "webgpu", device: "NVIDIA H200, NVIDIA: 580", commit: "0".repeat(40), date: "2026-12-03", logs: [],
  });
  const { threshold, peakLearningRate } = EXPERIMENTS_BY_ID.get("ex2-fixmatch-confidence")!.params;
  const a = run(3, [record(1, 0.001, 0.0002), record(2, 0.01, 0.0094), record(3, 0.2, 0.18)]);
  const b = run(103, [record(1, 0.002, 0.0002), record(2, 0.004, 0.002), record(3, 0.25, 0.2), record(4, 0.3, 0.27)]);

  it("gives the range over the seeds at the last epoch all reached, and the precision once the mask is not tiny", () => {
    const facts = interruptedFacts([a, b])!;
    assert.deepEqual([facts.stoppedAt, facts.epochsRun], [[3, 4], 3]);
    assert.deepEqual(facts.maskRate, [0.2, 0.25]);
    assert.deepEqual(facts.precision!.map((x) => x.toFixed(2)), ["0.80", "0.90"]);
    assert.deepEqual(facts.precisionOnceMasked!.map((x) => x.toFixed(2)), ["0.80", "0.94"], "epoch 1 (masks of 0.1-0.2%) left out");
    assert.deepEqual([facts.firstEpochMasked, facts.device, facts.seeds, facts.threshold], [2, "NVIDIA H200", [3, 103], threshold]);
    const text = inEnglish(() => interruptedMarkdown([a, b]));
    assert.match(text, /its 2 seeds \(3, 103\) stopped at epochs 3-4 of 30 \(the GPU host was lost with their checkpoints; profile `full`, webgpu on NVIDIA H200, 2026-12-03\)\. The figures are at epoch 3, the last every seed reached\./);
    assert.match(text, new RegExp(`at epoch 3, 20\\.0%-25\\.0% of the unlabeled images passed the ${threshold} threshold and 80%-90% of those pseudo-labels were right \\(80%-94% over every epoch`));
    assert.match(text, new RegExp(`test accuracy 0\\.0900, at a learning rate of 0\\.047 \\(peak ${peakLearningRate}\\)`));
    const same = inEnglish(() => interruptedMarkdown([a, run(103, b.history.slice(0, 3))]));
    assert.match(same, /stopped at epoch 3 of 30 \(/);
    assert.doesNotMatch(same, /the last every seed reached/);
  });

  it("claims no precision where no pseudo-label was confident, and says nothing without runs", () => {
    const text = inEnglish(() => interruptedMarkdown([run(3, [record(1, 0, 0)])]));
    assert.match(text, /its 1 seed \(3\) stopped at epoch 1 of 30/);
    assert.match(text, /passed the [\d.]+ threshold; test accuracy/);
    assert.equal(interruptedMarkdown([]), "");
  });

  it("charts the precision only in the epochs the text counts it", () => {
    const spec = interruptedChart([a, b]) as unknown as { data: { values: { epoch: number; series: string; seed: string }[] } };
    const label = en.ex2.interruptedPanels[1];
    const values = inEnglish(() => interruptedChart([a, b]) as unknown as typeof spec).data.values;
    const precisionEpochs = values.filter((v) => v.series === label).map((v) => `${v.seed}:${v.epoch}`);
    assert.deepEqual(precisionEpochs, ["3:2", "3:3", "103:3", "103:4"]);
    assert.equal(spec.data.values.length, 7 * 2 + 4, "mask rate and test accuracy every epoch");
  });
});
