// Supervised classification on (possibly weighted) examples: Exercise 1, and each round of Exercise 2's
// self-training, where pseudo-labelled images carry their certainty as the example weight.
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { WeakAugmentation, batchTensor } from "../training/augment";
import { epochOrder } from "../training/epoch-order";
import type { StepInputs, TrainingTask } from "../training/loop";
import type { Rng } from "../training/rng";

export interface WeightedExamples {
  /** Indices into the image pool. */
  indices: Int32Array;
  /** Class per example (true label or pseudo-label). */
  labels: Int32Array;
  /** Weight per example (null: all 1). */
  weights: Float32Array | null;
}

export interface ClassificationOptions {
  batchSize: number;
  numClasses: number;
  /** Label smoothing of the cross-entropy targets (0.1 in the recipes here). */
  labelSmoothing: number;
  augmentation: WeakAugmentation;
}

/** Smoothed one-hot targets, built on the host: one upload instead of a oneHot kernel per step. */
export function smoothedTargets(labels: ArrayLike<number>, numClasses: number, smoothing: number): Float32Array {
  const off = smoothing / numClasses;
  const targets = new Float32Array(labels.length * numClasses).fill(off);
  for (let i = 0; i < labels.length; i++) targets[i * numClasses + labels[i]] += 1 - smoothing;
  return targets;
}

/** mean_i w_i * CE(targets_i, softmax(logits_i)): weights scale each example's pull, not the batch's mean. */
export function weightedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D, weights: tf.Tensor1D | null): tf.Scalar {
  return tf.tidy(() => {
    const perExample = tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1));
    return tf.mean(weights ? tf.mul(perExample, weights) : perExample) as tf.Scalar;
  });
}

/** Fraction of rows whose argmax equals the argmax of the targets. */
export function batchAccuracy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(targets, 1)), "float32")) as tf.Scalar);
}

export interface ClassificationExtras extends Pick<TrainingTask, "evaluate" | "trainableVariables"> {
  /** Logits of a training batch (default: the whole model in training mode; a frozen encoder runs in inference mode). */
  forward?: (x: tf.Tensor) => tf.Tensor2D;
}

export function classificationTask(
  model: tfl.LayersModel,
  images: Uint8Array,
  examples: WeightedExamples,
  options: ClassificationOptions,
  extra: ClassificationExtras = {},
): TrainingTask {
  const { forward = (x: tf.Tensor) => model.apply(x, { training: true }) as tf.Tensor2D, ...taskExtras } = extra;
  const count = examples.indices.length;
  if (count < options.batchSize) {
    throw new Error(`classification needs at least one full batch: ${count} examples < batch size ${options.batchSize}`);
  }
  const epochs = epochOrder(count, options.batchSize);
  return {
    models: [model],
    stepsPerEpoch: epochs.stepsPerEpoch,
    ...taskExtras,
    batch(rng: Rng, _epoch: number, step: number): StepInputs {
      const picked = epochs.picked(rng, step);
      const poolIndices = Int32Array.from(picked, (i) => examples.indices[i]);
      const labels = Int32Array.from(picked, (i) => examples.labels[i]);
      const inputs: StepInputs = {
        x: batchTensor(images, poolIndices, options.augmentation, rng),
        targets: tf.tensor2d(smoothedTargets(labels, options.numClasses, options.labelSmoothing), [picked.length, options.numClasses]),
      };
      if (examples.weights) inputs.weights = tf.tensor1d(Float32Array.from(picked, (i) => examples.weights![i]));
      return inputs;
    },
    step(inputs: StepInputs) {
      const logits = forward(inputs.x);
      const targets = inputs.targets as tf.Tensor2D;
      return {
        loss: weightedCrossEntropy(logits, targets, (inputs.weights as tf.Tensor1D | undefined) ?? null),
        metrics: { trainAccuracy: batchAccuracy(logits, targets) },
      };
    },
  };
}

/**
 * The one-step methods' batches: each step `nL` labeled images in epoch order (reshuffled every epoch; an epoch is
 * one pass over them) followed by `nU` unlabeled images drawn at random. The model sees `views` stacked copies of
 * that pool ([view 1; view 2; ...]); per row, `labels` holds the label (0 on unlabeled rows) and `rowWeights` the
 * classification weight that makes the weighted cross-entropy the mean over the labeled rows only.
 */
export function mixedBatches(labeled: { indices: Int32Array; labels: Int32Array }, unlabeled: Int32Array, nL: number, nU: number, views = 1) {
  if (labeled.indices.length < nL) throw new Error(`a one-step model needs one full labeled batch: ${labeled.indices.length} < ${nL}`);
  const n = nL + nU;
  const epochs = epochOrder(labeled.indices.length, nL);
  return {
    stepsPerEpoch: epochs.stepsPerEpoch,
    rowWeights: Float32Array.from({ length: views * n }, (_, i) => (i % n < nL ? n / nL : 0)),
    next(rng: Rng, step: number): { pool: Int32Array; labels: Int32Array } {
      const picked = epochs.picked(rng, step);
      const pool = Int32Array.from([
        ...Array.from(picked, (i) => labeled.indices[i]),
        ...Array.from({ length: nU }, () => unlabeled[rng.int(unlabeled.length)]),
      ]);
      return { pool, labels: Int32Array.from({ length: views * n }, (_, i) => (i % n < nL ? labeled.labels[picked[i % n]] : 0)) };
    },
  };
}

/** A mixed batch's classification targets (smoothed one-hot; the unlabeled rows' are ignored) and row weights. */
export function mixedTargets(labels: Int32Array, rowWeights: Float32Array, numClasses: number, smoothing: number): { targets: tf.Tensor2D; weights: tf.Tensor1D } {
  return { targets: tf.tensor2d(smoothedTargets(labels, numClasses, smoothing), [labels.length, numClasses]), weights: tf.tensor1d(rowWeights) };
}

/**
 * The classification part of a one-step loss over a mixed batch: the weighted cross-entropy (the mean over the
 * labeled rows) and the accuracy on the first `nL` rows (the first view's labeled images).
 */
export function mixedClassification(logits: tf.Tensor2D, targets: tf.Tensor2D, weights: tf.Tensor1D, nL: number): { loss: tf.Scalar; trainAccuracy: tf.Scalar } {
  const classes = logits.shape[1];
  return {
    loss: weightedCrossEntropy(logits, targets, weights),
    trainAccuracy: batchAccuracy(tf.slice(logits, [0, 0], [nL, classes]), tf.slice(targets, [0, 0], [nL, classes])),
  };
}
