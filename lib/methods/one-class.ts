// Exercise 5, first half: the one-class network ("lab9", after the One-Class Neural Network of Chalapathy et al.).
//
// The network is the Exercise 1 architecture with its output layer replaced by one linear unit without bias: the
// score is <w, g(x)>, g the pooled features, as in OC-NN. Trained on the labeled (normal) images only, with L2
// weight penalties on every kernel, w included (the optimizer's coupled weight decay: OC-NN's 0.5 ||w||^2 terms),
// and the loss
//     (1 / nu) * mean(max(0, r - score))
// The radius r of the course's rule is not trained: before training and after every epoch it is reset to the
// (1 - nu) quantile of the scores of the labeled images (the value at index floor(N (1 - nu)) of the sorted
// scores), so a fraction 1 - nu of them falls below r. It decides which images are atypical and when training stops:
// once r moved less than `radiusTolerance` standard deviations of the labeled scores for `radiusPatience` epochs in
// a row (or after `epochs`). nu = 0.9. Unlabeled images scoring below r are the atypical ones, removed before
// Exercises 2-4 are repeated (lib/methods/outliers.ts).
//
// The score was a sigmoid. The loss only ever pushes scores up, so they piled up against 1: on the full run every
// score lay in 0.998-1.000 (r = 0.9994), where float32 rounding and the BatchNorm mode (training vs inference)
// decide the order more than the images do. A linear score cannot saturate. Two other ways were tried and dropped
// (1,024 labeled images, quarter widths, 10 epochs, CPU):
// - r taken over each step's own batch, so the loss acts on 1 - nu of every batch: the loss never reaches 0, and
//   nothing but weight decay pulls the scores down, so they all rose ever faster (r from 0.9 to 1,000 in 10 epochs,
//   the labeled scores' 10%-90% spread 6% of it); with the epoch's r the rise pauses within an epoch once the
//   batches score above r, and the scores stay spread (quantiles 0.1/0.5/0.9 at 5.2/6.1/7.3 after 8 epochs).
// - A standardised score (BatchNorm on the unit): it cannot rise, so the loss reshapes the distribution instead and
//   half of the labeled images piled up within 0.1 standard deviations just above r.
// The price of the epoch's r: within an epoch the training batches rise above it, so the share of batch scores
// below r (history: shareBelowRadius) falls well under 1 - nu after the first epochs; the final r, taken from the
// final scores, still puts 1 - nu of the labeled images below it (details: fractionBelowRadiusTrain). And the rise
// does not stop for good: each reset puts 1 - nu of the labeled images below r again and the next epoch lifts them,
// so the level keeps climbing (r = 5.5, 17, 48 after 25, 40, 60 epochs in test/methods.test.ts, the 10%-90% spread
// 16%, 8%, 7% of it), weight decay slowing it only slowly. The stopping rule, in standard deviations of the scores,
// may then never be met: expect all `epochs` to run.
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { trainLabels } from "../data/study";
import type { ExperimentContext, ExperimentOutcome, Params } from "../experiments/experiment";
import { OUTPUT_LAYER, withOutputLayer } from "../models/classifier";
import { NONE, WEAK, batchTensor } from "../training/augment";
import { epochOrder } from "../training/epoch-order";
import { StepInputs, TrainingTask, train } from "../training/loop";
import { Rng } from "../training/rng";
import { pausedOutcome, sgdTrainOptions } from "./recipe";
import { newClassifier } from "./supervised";
import { populationSd } from "../stats";

export const ONE_CLASS_PARAMS: Params = {
  // A parameter, so results and checkpoints of the sigmoid version (another configuration hash) are never reused.
  score: "linear",
  nu: 0.9,
  epochs: 30,
  batchSize: 256,
  peakLearningRate: 0.05,
  warmup: 0.1,
  momentum: 0.9,
  weightDecay: 5e-4,
  /** In standard deviations of the labeled images' scores (a linear score has no fixed scale). */
  radiusTolerance: 0.025,
  radiusPatience: 3,
};

export const SCORE_LAYER = "one_class_score";

export function buildOneClassNetwork(params: Params, seed: number): { classifier: tfl.LayersModel; oneClass: tfl.LayersModel } {
  if (params.score !== "linear") throw new Error(`the one-class score is "linear", not ${JSON.stringify(params.score)}`);
  const classifier = newClassifier(params, seed);
  const score = tfl.layers.dense({
    units: 1, // linear: a sigmoid saturates (see the header)
    useBias: false, // OC-NN's <w, g(x)>: a bias would lift every score at no cost in weight decay
    kernelInitializer: tfl.initializers.glorotUniform({ seed: seed * 1000 + 998 }),
    name: SCORE_LAYER,
  });
  return { classifier, oneClass: withOutputLayer(classifier, score, "one_class") };
}

/** The value at index floor(N (1 - nu)) of the sorted scores. */
export function radiusOf(scores: Float32Array, nu: number): number {
  const sorted = Float32Array.from(scores).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * (1 - nu)))];
}

/** (1 / nu) * mean(max(0, r - score)). */
export function oneClassLoss(scores: tf.Tensor, radius: number, nu: number): tf.Scalar {
  return tf.tidy(() => tf.div(tf.mean(tf.relu(tf.sub(radius, scores))), nu) as tf.Scalar);
}

/** Scores of `images[indices]` in inference mode, batch by batch. */
export async function scoreImages(model: tfl.LayersModel, images: Uint8Array, indices: ArrayLike<number>, batchSize = 1000): Promise<Float32Array> {
  const scores = new Float32Array(indices.length);
  for (let start = 0; start < indices.length; start += batchSize) {
    const end = Math.min(indices.length, start + batchSize);
    const x = batchTensor(images, Int32Array.from({ length: end - start }, (_, i) => indices[start + i]), NONE, new Rng(0));
    const y = model.predict(x) as tf.Tensor;
    scores.set((await y.data()) as Float32Array, start);
    tf.dispose([x, y]);
  }
  return scores;
}

interface RadiusState {
  radius: number;
  /** |r_new - r_old| after each epoch so far. */
  moves: number[];
}

export function oneClassTask(
  model: tfl.LayersModel,
  images: Uint8Array,
  labeled: Int32Array,
  params: Params,
  state: RadiusState,
): TrainingTask {
  const batchSize = params.batchSize as number;
  const nu = params.nu as number;
  const epochs = epochOrder(labeled.length, batchSize);
  return {
    models: [model],
    stepsPerEpoch: epochs.stepsPerEpoch,
    batch(rng: Rng, _epoch: number, step: number): StepInputs {
      const picked = epochs.picked(rng, step);
      return { x: batchTensor(images, Int32Array.from(picked, (i) => labeled[i]), WEAK, rng) };
    },
    step(inputs: StepInputs) {
      const scores = model.apply(inputs.x, { training: true }) as tf.Tensor;
      return {
        loss: oneClassLoss(scores, state.radius, nu),
        metrics: { shareBelowRadius: tf.mean(tf.cast(tf.less(scores, state.radius), "float32")) as tf.Scalar },
      };
    },
    // After every epoch: r is reset to the (1 - nu) quantile of the labeled images' scores; it moved by `move`
    // standard deviations of those scores.
    async evaluate() {
      const scores = await scoreImages(model, images, labeled);
      const radius = radiusOf(scores, nu);
      const spread = populationSd(scores);
      const move = Math.abs(radius - state.radius) / (spread || 1);
      state.moves.push(move);
      state.radius = radius;
      return { radius, radiusMove: move, scoreSpread: spread };
    },
    endEpoch() {
      const patience = params.radiusPatience as number;
      const recent = state.moves.slice(-patience);
      if (recent.length === patience && recent.every((m) => m < (params.radiusTolerance as number))) return "stop";
    },
    saveState: () => ({ ...state, moves: [...state.moves] }),
    loadState(saved: unknown) {
      Object.assign(state, saved as RadiusState);
    },
  };
}

/** Counts of `values` in `bins` equal bins over [lo, hi]. */
function histogram(values: Float32Array, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins || 1;
  for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
  return counts;
}

/** The scores at fractions `at` of the sorted scores (nearest rank). */
export function quantiles(scores: Float32Array, at: number[]): { at: number; score: number }[] {
  const sorted = Float32Array.from(scores).sort();
  return at.map((q) => ({ at: q, score: sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))] }));
}

function extremes(scores: Float32Array, indices: Int32Array, count: number): { most: number[]; least: number[] } {
  const order = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b]);
  return { least: order.slice(0, count).map((i) => indices[i]), most: order.slice(-count).reverse().map((i) => indices[i]) };
}

export async function runOneClass(ctx: ExperimentContext, params: Params): Promise<ExperimentOutcome> {
  const { data, seed } = ctx;
  const images = data.cifar.train.images;
  const { classifier, oneClass } = buildOneClassNetwork(params, seed);
  try {
    const state: RadiusState = { radius: radiusOf(await scoreImages(oneClass, images, data.labeled), params.nu as number), moves: [] };
    // Constant learning rate after the warm-up: the radius rule, not a schedule, decides when training ends.
    const run = await train(oneClassTask(oneClass, images, data.labeled, params, state), sgdTrainOptions(ctx, params, { decay: "constant" }));
    if (!run.complete) return pausedOutcome(run.history, run.seconds);
    const started = Date.now();
    const r = state.radius;
    const [labeledScores, unlabeledScores, testScores] = [
      await scoreImages(oneClass, images, data.labeled),
      await scoreImages(oneClass, images, data.unlabeled),
      await scoreImages(oneClass, data.test.images, Int32Array.from({ length: data.test.count }, (_, i) => i)),
    ];
    const removed = Array.from(data.unlabeled).filter((_, i) => unlabeledScores[i] < r);
    const share = (scores: Float32Array) => scores.filter((s) => s >= r).length / Math.max(1, scores.length);
    const hidden = trainLabels(data, Int32Array.from(removed));
    const removedByClass = new Array<number>(data.cifar.fineNames.length).fill(0);
    for (const label of hidden) removedByClass[label]++;
    const lo = [...labeledScores, ...unlabeledScores].reduce((a, b) => Math.min(a, b), Infinity);
    const hi = [...labeledScores, ...unlabeledScores].reduce((a, b) => Math.max(a, b), -Infinity);
    return {
      complete: true,
      // For the one-class network: the share of labeled (train) and of test images scored at or above r.
      trainAccuracy: share(labeledScores),
      testAccuracy: share(testScores),
      history: run.history,
      details: {
        accuracyMeaning: "share of the labeled (train) and test images scored at or above the final radius r",
        radius: r,
        stoppedEarly: run.stoppedEarly,
        epochsRun: run.history.length,
        // What nu = 0.9 asks for: 1 - nu of the labeled images below r (by the quantile rule, unless scores tie).
        fractionBelowRadiusTrain: 1 - share(labeledScores),
        fractionBelowRadiusTest: 1 - share(testScores),
        removedFraction: removed.length / Math.max(1, data.unlabeled.length),
        labeledScoreQuantiles: quantiles(labeledScores, [0, 0.01, 0.1, 0.5, 0.9, 0.99, 1]),
        removed,
        removedCount: removed.length,
        keptCount: data.unlabeled.length - removed.length,
        removedByClass,
        scoreHistogram: { lo, hi, labeled: histogram(labeledScores, lo, hi, 40), unlabeled: histogram(unlabeledScores, lo, hi, 40) },
        typicalUnlabeled: extremes(unlabeledScores, data.unlabeled, 12),
        tiesAtRadius: unlabeledScores.filter((s) => s === r).length,
      },
      data: { labeled: data.labeled.length, unlabeled: data.unlabeled.length, test: data.test.count },
      seconds: run.seconds + (Date.now() - started) / 1000,
    };
  } finally {
    oneClass.dispose();
    classifier.getLayer(OUTPUT_LAYER).dispose(); // the one layer of the classifier the one-class network lacks
  }
}
