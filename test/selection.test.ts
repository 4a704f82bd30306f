// No choice reads the test set: the validation split is held out of the labeled images, the validation profile
// evaluates on it, and the choices Exercise 5 depends on are the best variants there.
import { strict as assert } from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROFILES } from "../lib/config";
import { CHANNELS, IMAGE_SIZE } from "../lib/data/cifar100";
import { labeledSplit } from "../lib/data/split";
import { loadStudyData } from "../lib/data/study";
import { stratifiedHoldOut } from "../lib/data/validation";
import type { ResultRecord } from "../lib/experiments/results";
import { writeResult } from "../lib/experiments/results";
import { EX5_CHOICES } from "../lib/experiments/registry";
import { bestOnValidation } from "../lib/experiments/selection";

const IMAGE_BYTES = IMAGE_SIZE * IMAGE_SIZE * CHANNELS;

describe("the validation split", () => {
  const labels = new Int32Array(50000).map((_, i) => (i * 7919) % 100);
  const { labeled } = labeledSplit();

  it("holds out exactly `size` labeled images, per class in proportion, disjoint from the rest, the same every time", () => {
    const held = stratifiedHoldOut(labeled, labels, 1000);
    assert.equal(held.validation.length, 1000);
    assert.equal(held.train.length, labeled.length - 1000);
    const all = new Set([...held.train, ...held.validation]);
    assert.equal(all.size, labeled.length, "disjoint");
    assert.ok([...all].every((i) => labeled.includes(i)), "only labeled images");
    const perClass = (xs: Int32Array) => xs.reduce((m, i) => m.set(labels[i], (m.get(labels[i]) ?? 0) + 1), new Map<number, number>());
    const total = perClass(labeled);
    for (const [c, n] of perClass(held.validation)) assert.ok(Math.abs(n - (1000 * total.get(c)!) / labeled.length) < 1, `class ${c}: ${n}`);
    assert.deepEqual(stratifiedHoldOut(labeled, labels, 1000), held);
    assert.notDeepEqual(stratifiedHoldOut(labeled, labels, 1000, 7).validation, held.validation, "the seed matters");
  });

  it("is what the validation profile trains and evaluates on: labeled training images only, no test image", async function () {
    this.timeout(120_000);
    const data = await loadStudyData(PROFILES.validation);
    const held = stratifiedHoldOut(data.split.labeled, data.cifar.train.fine, 1000);
    assert.equal(data.evaluation, "validation");
    assert.deepEqual(data.labeled, held.train);
    assert.equal(data.test.count, 1000);
    const digest = (images: Uint8Array, i: number) => createHash("sha1").update(images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES)).digest("hex");
    held.validation.forEach((index, k) => {
      assert.equal(digest(data.test.images, k), digest(data.cifar.train.images, index), `evaluation image ${k} is training image ${index}`);
      assert.equal(data.test.fine[k], data.cifar.train.fine[index]);
    });
    const testImages = new Set(Array.from({ length: data.cifar.test.count }, (_, i) => digest(data.cifar.test.images, i)));
    assert.equal(Array.from({ length: 1000 }, (_, k) => digest(data.test.images, k)).filter((d) => testImages.has(d)).length, 0, "no test image");
    const full = await loadStudyData(PROFILES.full);
    assert.equal(full.evaluation, "test");
    assert.equal(full.labeled.length, 10080, "the final runs train on every labeled image");
  });
});

describe("choices made on the validation split", () => {
  const run = (profile: string, experiment: string, testAccuracy: number): ResultRecord => ({
    experiment, exercise: 2, method: "m", title: experiment, profile, params: {}, seed: 1, configHash: "h", trainAccuracy: 1,
    testAccuracy, seconds: 1, backend: "b", device: "d", commit: "c", date: "2026-12-02", data: { labeled: 1, unlabeled: 1, test: 1 }, history: [], details: {},
  });

  it("read the validation profile's results only: a better test-set result changes nothing", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "selection-"));
    try {
      writeResult(run("validation", "a", 0.5), root);
      writeResult(run("validation", "b", 0.6), root);
      writeResult(run("full", "a", 0.9), root);
      assert.deepEqual(bestOnValidation(["a", "b"], root).best, "b");
      assert.deepEqual(bestOnValidation(["a", "b", "c"], root), { ...bestOnValidation(["a", "b", "c"], root), best: null, missing: ["c"] });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("Exercise 5 repeats, per exercise, the best candidate on the committed validation results", () => {
    const root = path.resolve(__dirname, "..", "results");
    for (const choice of EX5_CHOICES) {
      const { best, missing, ranking } = bestOnValidation(choice.candidates, root);
      assert.deepEqual(missing, [], `exercise ${choice.exercise}: no validation result for ${missing.join(", ")}`);
      assert.equal(choice.chosen, best, `exercise ${choice.exercise}: ${ranking.map((r) => `${r.experiment} ${r.testAccuracyMean.toFixed(4)}`).join(", ")}`);
    }
  });
});
