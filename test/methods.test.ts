import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { initBackend } from "../lib/backend";
import { mixedBatches, smoothedTargets, weightedCrossEntropy } from "../lib/methods/classification";
import { Rng } from "../lib/training/rng";
import { correctConfidentShare, fixMatchTask, withPseudoPrecision } from "../lib/methods/fixmatch";
import { stopGradient } from "../lib/methods/stop-gradient";
import { certaintyWeights, histogram } from "../lib/methods/self-training";
import { ONE_CLASS_PARAMS, buildOneClassNetwork, oneClassLoss, oneClassTask, radiusOf, scoreImages } from "../lib/methods/one-class";
import { OUTPUT_LAYER } from "../lib/models/classifier";
import { train } from "../lib/training/loop";
import { silentProgress } from "../lib/training/progress";

const value = async (t: tf.Tensor) => {
  const v = (await t.data())[0];
  t.dispose();
  return v;
};

describe("method building blocks", () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("smooths one-hot targets so each row sums to 1", () => {
    const t = smoothedTargets([2, 0], 4, 0.2);
    assert.deepEqual(Array.from(t).map((x) => +x.toFixed(4)), [0.05, 0.05, 0.85, 0.05, 0.85, 0.05, 0.05, 0.05]);
  });

  it("weights each example's cross-entropy and averages over the whole batch", async () => {
    const logits = tf.tensor2d([[2, 0], [0, 2]]);
    const targets = tf.tensor2d([[1, 0], [1, 0]]);
    const ce = [Math.log(1 + Math.exp(-2)), Math.log(1 + Math.exp(2))];
    assert.ok(Math.abs((await value(weightedCrossEntropy(logits, targets, null))) - (ce[0] + ce[1]) / 2) < 1e-5);
    const w = tf.tensor1d([1, 0]);
    assert.ok(Math.abs((await value(weightedCrossEntropy(logits, targets, w))) - ce[0] / 2) < 1e-5, "a zero weight removes the example, the mean stays over the batch");
    tf.dispose([logits, targets, w]);
  });

  it("counts the confident pseudo-labels that equal the hidden labels; an epoch's precision is the ratio of the means", async () => {
    const pseudo = tf.oneHot(tf.tensor1d([0, 1, 2, 3], "int32"), 4);
    const hidden = tf.oneHot(tf.tensor1d([0, 1, 0, 0], "int32"), 4);
    const confident = tf.tensor1d([1, 0, 1, 1]); // right, (not counted), wrong, wrong
    assert.ok(Math.abs((await value(correctConfidentShare(pseudo as tf.Tensor2D, hidden as tf.Tensor2D, confident))) - 1 / 4) < 1e-6);
    tf.dispose([pseudo, hidden, confident]);
    // Two steps: 1 of 1 confident right, then 1 of 3: 2 of 4 over the epoch (the mean of per-step precisions is 2/3).
    const record = { epoch: 1, loss: 0, learningRate: 0, seconds: 0, maskRate: (1 / 4 + 3 / 4) / 2, correctConfident: (1 / 4 + 1 / 4) / 2 };
    assert.equal(withPseudoPrecision(record).pseudoPrecision, 0.5);
    assert.equal(withPseudoPrecision({ ...record, maskRate: 0, correctConfident: 0 }).pseudoPrecision, 0);
  });

  it("stops the gradient through the pseudo-labels' certainty", async () => {
    const x = tf.tensor1d([1, 2, 3]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(stopGradient(t), t)))(x); // d/dt of sg(t) * t = sg(t) = t
    assert.deepEqual(Array.from(await g.data()), [1, 2, 3]);
    tf.dispose([x, g]);
  });

  it("records the precision of the FixMatch pseudo-labels of each step's unlabeled rows as the hidden labels give it", async () => {
    // Uniform images (crops and flips leave them as they are) whose green channel encodes their index, so the test
    // can tell which image each weak row is; the hidden label of an unlabeled image is the tiny model's own prediction
    // for even indices and another class for odd ones: misaligned hidden labels would give another precision.
    const count = 48;
    const rng = new Rng(3);
    const colours = Array.from({ length: count }, (_, i) => [rng.int(256), 5 * i, rng.int(256)]);
    const images = new Uint8Array(count * 3072).map((_, p) => colours[Math.floor(p / 3072)][p % 3]);
    const model = tfl.sequential({
      layers: [
        tfl.layers.globalAveragePooling2d({ inputShape: [32, 32, 3] }),
        tfl.layers.dense({ units: 100, kernelInitializer: tfl.initializers.randomNormal({ stddev: 8, seed: 1 }) }),
      ],
    });
    const x = tf.tensor4d(Float32Array.from(images, (v) => v / 255), [count, 32, 32, 3]);
    const probs = tf.tidy(() => tf.softmax(model.predict(x) as tf.Tensor2D));
    const predicted = Array.from(await tf.argMax(probs, 1).data());
    const certainty = Array.from(await tf.max(probs, 1).data());
    tf.dispose([x, probs]);
    const unlabeledIndices = Int32Array.from({ length: 32 }, (_, i) => 16 + i);
    const hiddenLabels = Int32Array.from(unlabeledIndices, (i) => (i % 2 === 0 ? predicted[i] : (predicted[i] + 1) % 100));
    const threshold = [...certainty.slice(16)].sort((a, b) => a - b)[16]; // about half of them confident
    const labeled = { indices: Int32Array.from({ length: 16 }, (_, i) => i), labels: Int32Array.from({ length: 16 }, (_, i) => i % 100) };
    const options = { batchSize: 4, unlabeledRatio: 3, threshold, unlabeledWeight: 1, labelSmoothing: 0 };
    const task = fixMatchTask(model, images, labeled, { indices: unlabeledIndices, hiddenLabels }, options, undefined);
    const sums = { maskRate: 0, correctConfident: 0, confident: 0, correct: 0 };
    const before = tf.memory().numTensors;
    for (let step = 0; step < task.stepsPerEpoch; step++) {
      const inputs = task.batch(rng, 1, step);
      // The loop runs step() under the gradient tape, which frees its intermediates; tidy does here.
      const [maskRate, correctConfident] = tf.tidy(() => {
        const { metrics } = task.step(inputs);
        return [metrics!.maskRate, metrics!.correctConfident];
      });
      const green = tf.slice(inputs.x, [4, 16, 16, 1], [12, 1, 1, 1]); // green at (16, 16) of the 12 weak rows
      const weakImages = Array.from(await green.data(), (g) => Math.round((g * 255) / 5));
      const confident = weakImages.filter((i) => certainty[i] >= threshold);
      sums.confident += confident.length;
      sums.correct += confident.filter((i) => i % 2 === 0).length;
      sums.maskRate += await value(maskRate);
      sums.correctConfident += await value(correctConfident);
      tf.dispose([green, ...Object.values(inputs)]);
    }
    assert.equal(tf.memory().numTensors, before, "batch() and step() leave no tensor behind");
    const steps = task.stepsPerEpoch;
    assert.ok(sums.confident > 0 && sums.correct > 0 && sums.correct < sums.confident, `a mixed sample: ${sums.correct} of ${sums.confident}`);
    assert.ok(Math.abs(sums.maskRate / steps - sums.confident / (12 * steps)) < 1e-6, "mask rate");
    const record = withPseudoPrecision({ epoch: 1, loss: 0, learningRate: 0, seconds: 0, maskRate: sums.maskRate / steps, correctConfident: sums.correctConfident / steps });
    assert.ok(Math.abs(record.pseudoPrecision - sums.correct / sums.confident) < 1e-6, `precision ${record.pseudoPrecision} vs ${sums.correct / sums.confident}`);
    model.dispose();
  });

  it("weights pseudo-labels by certainty: raw, or SoftMatch's truncated Gaussian", () => {
    const c = Float32Array.from([0.2, 0.5, 0.8, 0.9]);
    assert.deepEqual(Array.from(certaintyWeights(c, "confidence")), Array.from(c));
    const soft = certaintyWeights(c, "softmatch");
    assert.equal(soft[2], 1);
    assert.equal(soft[3], 1, "at or above the mean certainty the weight is 1");
    // Below the mean (0.6; variance 0.075): exp(-(c - 0.6)^2 / 0.15), i.e. exp(-16/15) for 0.2 and exp(-1/15) for 0.5.
    assert.ok(Math.abs(soft[0] - Math.exp(-16 / 15)) < 1e-5, `weight of 0.2: ${soft[0]}`);
    assert.ok(Math.abs(soft[1] - Math.exp(-1 / 15)) < 1e-5, `weight of 0.5: ${soft[1]}`);
    assert.deepEqual(histogram([0, 0.05, 0.5, 0.999, 1], 4), [2, 0, 1, 2]);
  });

  it("sets the one-class radius to the value at index floor(N (1 - nu)) of the sorted scores", () => {
    const scores = Float32Array.from({ length: 20 }, (_, i) => (19 - i) / 20); // 0.95 .. 0
    assert.equal(radiusOf(scores, 0.75), Math.fround(5 / 20)); // index floor(20 * 0.25) = 5 of the ascending order
    // As in the course's Python, floor(N * (1 - nu)) in floating point: 1 - 0.9 = 0.0999..., so N = 20 gives index 1.
    assert.equal(radiusOf(scores, 0.9), Math.fround(1 / 20));
    assert.equal(radiusOf(Float32Array.from([0.3, 0.1, 0.2]), 0.9), Math.fround(0.1));
  });

  it("computes the one-class loss (1/nu) mean(max(0, r - score))", async () => {
    const scores = tf.tensor1d([0.2, 0.5, 0.9]);
    assert.ok(Math.abs((await value(oneClassLoss(scores, 0.6, 0.9))) - (0.4 + 0.1) / 3 / 0.9) < 1e-6);
    scores.dispose();
  });

  it("stops once the radius moved less than the tolerance for `patience` epochs in a row", () => {
    const state = { radius: 0.5, moves: [0.1, 0.01, 0.02] };
    const task = oneClassTask(null as never, new Uint8Array(0), new Int32Array(0), ONE_CLASS_PARAMS, state);
    assert.equal(task.endEpoch!({ epoch: 3, loss: 0, learningRate: 0, seconds: 0 }), undefined, "two small moves are not enough");
    state.moves.push(0.024);
    assert.equal(task.endEpoch!({ epoch: 4, loss: 0, learningRate: 0, seconds: 0 }), "stop");
    state.moves.push(0.03);
    assert.equal(task.endEpoch!({ epoch: 5, loss: 0, learningRate: 0, seconds: 0 }), undefined);
  });

  it("trains a one-class score that does not saturate; 1 - nu of the training images end below r", async () => {
    // 64 blocky images in 4 brightness groups, the study's layers at widths 2-4-8-16, 40 epochs of 4 steps. The
    // sigmoid score of the first version ends with every score in 0.966-0.990: its 10%-90% quantiles 1.4% apart
    // (0.5% after 60 epochs, 0.1% on the full run); the linear score's are 8% apart.
    const count = 64;
    const rng = new Rng(5);
    const images = new Uint8Array(count * 3072);
    for (let i = 0; i < count; i++) {
      const colours = Array.from({ length: 48 }, () => rng.int(128) + 32 * (i % 4));
      for (let p = 0; p < 1024; p++) for (let ch = 0; ch < 3; ch++) images[i * 3072 + p * 3 + ch] = colours[(Math.floor(p / 256) * 4 + Math.floor((p % 32) / 8)) * 3 + ch];
    }
    const indices = Int32Array.from({ length: count }, (_, i) => i);
    const params = { ...ONE_CLASS_PARAMS, widthScale: 0.0625, batchSize: 16, radiusPatience: 1000 };
    const { classifier, oneClass } = buildOneClassNetwork(params, 5);
    const before = tf.memory().numTensors;
    const state = { radius: radiusOf(await scoreImages(oneClass, images, indices), 0.9), moves: [] as number[] };
    await train(oneClassTask(oneClass, images, indices, params, state), {
      epochs: 40, schedule: { peak: 0.05, warmup: 0.1, decay: "constant" }, optimizer: { momentum: 0.9, weightDecay: 5e-4 },
      seed: 2, checkpointDir: null, configHash: "one-class-test", progress: silentProgress,
    });
    assert.equal(tf.memory().numTensors, before, "training leaves no tensor behind");
    const scores = await scoreImages(oneClass, images, indices);
    const sorted = Float32Array.from(scores).sort();
    const below = scores.filter((s) => s < state.radius).length / count;
    const spread = (sorted[57] - sorted[6]) / Math.abs(sorted[32]); // from the 10% to the 90% quantile, relative to the median
    assert.ok(new Set(scores).size >= count - 2, `distinct scores: ${new Set(scores).size} of ${count}`);
    assert.ok(spread > 0.04, `scores between the 10% and 90% quantiles: ${sorted[6]} .. ${sorted[57]}`);
    assert.ok(Math.abs(below - 0.1) <= 0.03, `share of the training images below r = ${state.radius}: ${below}`);
    oneClass.dispose();
    classifier.getLayer(OUTPUT_LAYER).dispose();
  });

  it("mixes labeled images in epoch order with random unlabeled ones (one-step batches)", () => {
    const labeled = { indices: Int32Array.from([10, 11, 12, 13, 14, 15, 16]), labels: Int32Array.from([0, 1, 2, 3, 4, 5, 6]) };
    const unlabeled = Int32Array.from([100, 101, 102]);
    const batches = mixedBatches(labeled, unlabeled, 3, 2);
    assert.equal(batches.stepsPerEpoch, 2);
    const rng = new Rng(5);
    const seen: number[] = [];
    for (let step = 0; step < batches.stepsPerEpoch; step++) {
      const { pool, labels } = batches.next(rng, step);
      assert.equal(pool.length, 5);
      pool.subarray(0, 3).forEach((image, i) => assert.equal(labels[i], image - 10, "each label belongs to its image"));
      pool.subarray(3).forEach((image) => assert.ok(unlabeled.includes(image)));
      assert.deepEqual(Array.from(labels.subarray(3)), [0, 0], "unlabeled rows carry label 0 (weight 0)");
      seen.push(...pool.subarray(0, 3));
    }
    assert.equal(new Set(seen).size, 6, "no labeled image twice in an epoch");
    assert.throws(() => mixedBatches(labeled, unlabeled, 8, 2), /needs one full labeled batch: 7 < 8/);
  });
});
