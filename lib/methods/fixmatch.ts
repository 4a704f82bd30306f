// Exercise 2, online variant (FixMatch-style self-training with certainty weights).
//
// Every step takes B labeled images and mu*B unlabeled ones. The model labels a weakly augmented view of each
// unlabeled image (outside the gradient tape, so the pseudo-label is a fixed target; with BatchNorm in training
// mode, as FixMatch's shared forward pass has it: in inference mode the untrained moving statistics made a
// quarter of the first epoch's pseudo-labels confidently wrong, which wrecked the network: 0.22 test accuracy
// after 15 epochs on the H200, against 0.52 for Exercise 1); a
// strongly augmented view of the same image is then trained towards that pseudo-label, weighted by the
// certainty of the weak view: w = p_max if p_max >= threshold else 0 (FixMatch's hard mask, times the certainty).
// loss = CE(labeled) + lambda * mean(w * CE(strong view, pseudo-label)).
import * as tf from "@tensorflow/tfjs-core";
import { trainLabels } from "../data/study";
import type { ExperimentContext, ExperimentOutcome, Params } from "../experiments/experiment";
import { WEAK, batchTensor, strongAugment } from "../training/augment";
import { accuracy } from "../training/evaluate";
import { epochOrder } from "../training/epoch-order";
import { StepInputs, TrainingTask, train } from "../training/loop";
import type { Rng } from "../training/rng";
import { batchAccuracy, smoothedTargets, weightedCrossEntropy } from "./classification";
import { classifierOutcome, sgdTrainOptions } from "./recipe";
import { newClassifier } from "./supervised";
import type * as tfl from "@tensorflow/tfjs-layers";

const CLASSES = 100;

interface FixMatchOptions {
  batchSize: number;
  unlabeledRatio: number;
  threshold: number;
  unlabeledWeight: number;
  labelSmoothing: number;
}

/** Fraction of the confident pseudo-labels that equal the hidden true labels (a diagnostic, never a loss). */
export function pseudoLabelPrecision(pseudo: tf.Tensor2D, hidden: tf.Tensor2D, confident: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const correct = tf.sum(tf.mul(confident, tf.sum(tf.mul(pseudo, hidden), 1)));
    return tf.div(correct, tf.maximum(tf.sum(confident), 1)) as tf.Scalar;
  });
}

export function fixMatchTask(
  model: tfl.LayersModel,
  images: Uint8Array,
  labeled: { indices: Int32Array; labels: Int32Array },
  unlabeled: { indices: Int32Array; hiddenLabels: Int32Array },
  options: FixMatchOptions,
  evaluate: TrainingTask["evaluate"],
): TrainingTask {
  const unlabeledBatch = options.batchSize * options.unlabeledRatio;
  const epochs = epochOrder(labeled.indices.length, options.batchSize);
  return {
    models: [model],
    stepsPerEpoch: epochs.stepsPerEpoch,
    evaluate,
    batch(rng: Rng, _epoch: number, step: number): StepInputs {
      const picked = epochs.picked(rng, step);
      const u = Int32Array.from({ length: unlabeledBatch }, () => rng.int(unlabeled.indices.length));
      const pool = Int32Array.from(u, (i) => unlabeled.indices[i]);
      const weak = batchTensor(images, pool, WEAK, rng);
      const strongBase = batchTensor(images, pool, WEAK, rng);
      const strong = strongAugment(strongBase, rng);
      strongBase.dispose();
      const labels = Int32Array.from(picked, (i) => labeled.labels[i]);
      const x = tf.tidy(() => tf.concat([batchTensor(images, Int32Array.from(picked, (i) => labeled.indices[i]), WEAK, rng), strong]));
      strong.dispose();
      return {
        x,
        weak,
        targets: tf.tensor2d(smoothedTargets(labels, CLASSES, options.labelSmoothing), [picked.length, CLASSES]),
        // Hidden true labels of the unlabeled batch: only for the pseudo-label precision diagnostic, never in the loss.
        hidden: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(u, (i) => unlabeled.hiddenLabels[i]), "int32"), CLASSES), "float32")),
      };
    },
    // Pseudo-labels from the weak view, in training mode (BatchNorm on this batch's statistics, whose moving averages
    // it updates before the main pass does), outside the gradient: part of every (captured) step.
    prepare(inputs: StepInputs): StepInputs {
      return tf.tidy(() => {
        const probs = tf.softmax(model.apply(inputs.weak, { training: true }) as tf.Tensor2D);
        const confidence = tf.max(probs, 1);
        const w = tf.mul(confidence, tf.cast(tf.greaterEqual(confidence, options.threshold), "float32"));
        return { pseudo: tf.cast(tf.oneHot(tf.argMax(probs, 1), CLASSES), "float32"), weights: w, confident: tf.cast(tf.greater(w, 0), "float32") };
      });
    },
    step(inputs: StepInputs) {
      const pseudo = inputs.pseudo as tf.Tensor2D;
      const weights = inputs.weights as tf.Tensor1D;
      const confident = inputs.confident as tf.Tensor1D;
      const logits = model.apply(inputs.x, { training: true }) as tf.Tensor2D;
      const b = options.batchSize;
      const labeledLogits = tf.slice(logits, [0, 0], [b, CLASSES]);
      const strongLogits = tf.slice(logits, [b, 0], [unlabeledBatch, CLASSES]);
      const supervised = weightedCrossEntropy(labeledLogits, inputs.targets as tf.Tensor2D, null);
      const consistency = weightedCrossEntropy(strongLogits, pseudo, weights);
      return {
        loss: tf.add(supervised, tf.mul(consistency, options.unlabeledWeight)) as tf.Scalar,
        metrics: {
          trainAccuracy: batchAccuracy(labeledLogits, inputs.targets as tf.Tensor2D),
          maskRate: tf.mean(confident) as tf.Scalar,
          meanWeight: tf.mean(weights) as tf.Scalar,
          pseudoPrecision: pseudoLabelPrecision(pseudo, inputs.hidden as tf.Tensor2D, confident),
        },
      };
    },
  };
}

export async function runFixMatch(ctx: ExperimentContext, params: Params): Promise<ExperimentOutcome> {
  const { data, seed } = ctx;
  const images = data.cifar.train.images;
  const model = newClassifier(params, seed);
  const labels = trainLabels(data, data.labeled);
  if (params.weighting !== "confidence") throw new Error(`FixMatch supports weighting "confidence" only, not ${JSON.stringify(params.weighting)}`);
  const options: FixMatchOptions = {
    batchSize: params.batchSize as number,
    unlabeledRatio: params.unlabeledRatio as number,
    threshold: params.threshold as number,
    unlabeledWeight: params.unlabeledWeight as number,
    labelSmoothing: params.labelSmoothing as number,
  };
  const testAccuracy = () => accuracy(model, data.test.images, data.test.fine);
  const task = fixMatchTask(
    model, images,
    { indices: data.labeled, labels },
    { indices: data.unlabeled, hiddenLabels: trainLabels(data, data.unlabeled) },
    options,
    async () => ({ testAccuracy: await testAccuracy() }),
  );
  try {
    const run = await train(task, sgdTrainOptions(ctx, params));
    return await classifierOutcome(ctx, model, run, { usesUnlabeled: true });
  } finally {
    model.dispose();
  }
}
