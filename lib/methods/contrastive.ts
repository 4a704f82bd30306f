// Exercise 6: "Hay vida más allá del autoencoder" — contrastive representation learning with a cluster head,
// in place of the autoencoder of Exercises 3-5.
//
// The network is the encoder of Exercises 3 and 4 (the Exercise 1 classifier minus its Dense layer and the global
// average pooling before it). Each image of a batch gives two views (random crop + flip on the host, then on the
// GPU a random resized crop of 20-100% of the area, brightness/contrast/saturation jitter, a hue rotation of up to
// +-36 degrees and, with probability 0.2, greyscale); both views go
// through the encoder in one forward pass over the concatenated batch. Then:
//   h = GAP(encoder(view))     the classifier's own pooling layer (no weights): the vector its Dense layer reads
//   p = W2 relu(W1 h)          a projection head (SimCLR's): Dense(C, relu) then Dense(128), used by the loss only
//   Z = p / ||p||              unit rows; Z1, Z2 for the two views (batch B x 128)
//   M = Z1 Z2^T / tau          B x B similarities; row i must pick column i (its own other view)
//   c = softmax((W BN(h) + b) / T)  the cluster head on h, beside the classifier's Dense layer: BatchNorm, one Dense
//                              layer with K = 100 units, and a softmax at temperature T
// and the loss is
//   L = InfoNCE + lambda [G(c of view 1) + G(c of view 2)] + beta (ln K - H(mean of c over both views))
//   InfoNCE = (CE(M, I) + CE(M^T, I)) / 2       softmax cross-entropy against the identity, both directions
//   G(c)    = mean over the batch of sum_k c_k (1 - c_k)   0 for one-hot assignments
//   H(p)    = -sum_k p_k ln p_k                 the entropy of the batch's mean assignment: ln K - H is 0 when
//             the clusters are used equally, ln K when every image falls into one cluster.
// G alone is minimised by sending every image to the same cluster (a constant output is perfectly one-hot);
// the last term keeps the clusters balanced. tau = 0.2, lambda = 0.5, beta = 1, T = 0.3 (params below).
// Why the hue rotation, the greyscale and tau = 0.2 (8-epoch ablation on an H200, scripts/ablate-contrastive.ts,
// bench/results/contrastive-ablation/; k-NN probe of h, untrained 0.142, +-0.026 noise between two runs):
//   brightness/contrast/saturation only, tau 0.5 (the first full runs)   0.146   (40 epochs: 0.136, flat)
//   + hue rotation and greyscale                                         0.173
//   + hue rotation and greyscale, tau 0.2                                 0.230   <- these params (40 epochs: 0.286)
//   + hue rotation and greyscale, crop area down to 0.08                  0.181
//   + hue rotation and greyscale, no cluster terms (lambda = beta = 0)    0.203   (the cluster terms cost a little,
//   brightness/contrast/saturation only, no cluster terms                 0.122    but the technique needs them)
// Brightness, contrast and saturation keep each pixel's hue, so two views share their hue histogram and can be
// matched by it without learning what they show; a lower temperature weighs the hard negatives (similar images) more.
// Why the projection head and the resized crops (measured, full profile, H100): with InfoNCE on h itself and the
// pad-and-shift crops of Exercise 1 plus a cutout, the k-NN probe on h fell from 0.142 (untrained network) to
// 0.073 after 15 epochs while the instance accuracy rose to 0.46: h is a ReLU average, so Z >= 0 and every cosine
// is in [0, 1], and with tau = 0.5 the only way to tell 512 images apart is to make their features sparse and
// orthogonal, which throws away what similar images share; and views that differ by a few pixels' shift can be
// matched by their colours alone. A linear output can be negative, and crops of different scales cannot be
// matched that way (Chen et al., 2020, found both essential).
// Why BatchNorm and T: the impurity's gradient with respect to the logits, -2 c_k (c_k - sum_j c_j^2), vanishes
// near a uniform assignment (c_k ~ 1/K = 0.01), and raw pooled features of ReLU maps are positive and alike, so a
// plain softmax head starts, and stays, almost uniform (measured: the term stuck at 0.96-0.98 of its maximum).
// Standardising the features and sharpening the softmax start it where the term has a gradient.
//
// The two-step variant (Exercise 3's shape) pretrains the encoder and cluster head on every training image, then
// trains the classifier on the labeled images with the encoder frozen or fine-tuned; the pretraining stage is keyed
// by its own parameters so both variants share it. The one-step variant is lib/methods/contrastive-joint.ts.
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { trainLabels } from "../data/study";
import type { ExperimentContext, ExperimentOutcome, Params } from "../experiments/experiment";
import {
  ClassifierConfig, DEFAULT_CLASSIFIER, HEAD_POOLING_LAYER, buildClassifier, encoderOf, scaleWidths,
} from "../models/classifier";
import { WEAK, batchTensor, randomResizedCrop, strongAugment } from "../training/augment";
import { epochOrder } from "../training/epoch-order";
import { EpochRecord, StepInputs, TrainingTask, train } from "../training/loop";
import type { Rng } from "../training/rng";
import { KNN_TEMPERATURE, ProbeSets, l2Normalize, probe } from "./contrastive-probe";
import { pausedOutcome } from "./recipe";
import { trainOnPretrainedEncoder } from "./two-step";

export const CLUSTER_LAYER = "cluster";
export const PROJECTION_LAYER = "projection";

/** The loss of the technique (shared by the two-step and one-step variants). */
export const CONTRASTIVE_LOSS_PARAMS: Params = {
  contrastiveTemperature: 0.2,
  contrastiveProjection: 128,
  contrastiveCropMinArea: 0.2,
  contrastiveHue: 0.1,
  contrastiveGreyscale: 0.2,
  contrastiveClusters: 100,
  contrastiveClusterTemperature: 0.3,
  contrastiveClusterWeight: 0.5,
  contrastiveBalanceWeight: 1,
};

/** The k-NN probe evaluated after every epoch. */
export const PROBE_PARAMS: Params = {
  probeK: 20,
  probeQueries: 2000,
};

/** Step 1 of the two-step variant: contrastive pretraining on all training images. */
export const CONTRASTIVE_PARAMS: Params = {
  ...CONTRASTIVE_LOSS_PARAMS,
  ...PROBE_PARAMS,
  // 40 epochs: the k-NN probe still rises at the end (H200: 0.233 after 9 epochs, 0.278 after 30, 0.285 after 40);
  // contrastive methods are known to need long schedules.
  contrastiveEpochs: 40,
  contrastiveBatchSize: 512,
  contrastivePeakLearningRate: 0.2,
  contrastiveWarmup: 0.1,
  contrastiveMomentum: 0.9,
  contrastiveWeightDecay: 5e-4,
};

export interface ContrastiveFamily {
  /** The Exercise 1 architecture; its encoder layers are the contrastive network. */
  classifier: tfl.LayersModel;
  /** The classifier minus its Dense layer and the pooling before it (as in Exercises 3 and 4). */
  encoder: tfl.LayersModel;
  /** image -> [h = GAP(encoder), cluster logits, projection p]: what the contrastive loss trains. */
  contrastive: tfl.LayersModel;
  /** image -> [h, cluster logits, class logits, p]: the one-step model. */
  joint: tfl.LayersModel;
}

/** Builds the classifier, its encoder and the cluster head on the encoder's pooled features, sharing every layer. */
export function buildContrastiveFamily(config: ClassifierConfig, clusters: number, projection: number): ContrastiveFamily {
  const classifier = buildClassifier(config);
  const encoder = encoderOf(classifier);
  const h = classifier.getLayer(HEAD_POOLING_LAYER).output as tfl.SymbolicTensor;
  // BatchNorm first: it standardises each pooled feature over the batch, so the head sees what differs between
  // images at unit scale (see the header on why the head must not start uniform).
  const standardised = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `${CLUSTER_LAYER}_bn` }).apply(h) as tfl.SymbolicTensor;
  const c = tfl.layers
    .dense({
      units: clusters,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: config.seed * 1000 + 777 }),
      name: CLUSTER_LAYER,
    })
    .apply(standardised) as tfl.SymbolicTensor;
  const hidden = tfl.layers
    .dense({ units: h.shape[1] as number, activation: "relu", kernelInitializer: tfl.initializers.glorotUniform({ seed: config.seed * 1000 + 778 }), name: `${PROJECTION_LAYER}_hidden` })
    .apply(h) as tfl.SymbolicTensor;
  const p = tfl.layers
    .dense({ units: projection, kernelInitializer: tfl.initializers.glorotUniform({ seed: config.seed * 1000 + 779 }), name: PROJECTION_LAYER })
    .apply(hidden) as tfl.SymbolicTensor;
  const contrastive = tfl.model({ inputs: classifier.inputs, outputs: [h, c, p], name: "contrastive" });
  const joint = tfl.model({ inputs: classifier.inputs, outputs: [h, c, classifier.outputs[0], p], name: "contrastive_joint" });
  return { classifier, encoder, contrastive, joint };
}

export function buildFamily(params: Params, seed: number): ContrastiveFamily {
  return buildContrastiveFamily(
    { ...scaleWidths(DEFAULT_CLASSIFIER, params.widthScale as number), seed }, params.contrastiveClusters as number, params.contrastiveProjection as number,
  );
}

/**
 * Symmetric InfoNCE of two views' unit features (row i of z1 and row i of z2 are the same image):
 * (CE(M, I) + CE(M^T, I)) / 2 with M = z1 z2^T / tau, computed as the mean of the row and column log-sum-exps
 * minus the mean positive similarity. Also the share of rows whose most similar column is their own pair.
 */
export function infoNce(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): { loss: tf.Scalar; accuracy: tf.Scalar } {
  return tf.tidy(() => {
    const m = tf.mul(tf.matMul(z1, z2, false, true), 1 / temperature) as tf.Tensor2D;
    const positives = tf.mul(tf.sum(tf.mul(z1, z2), 1), 1 / temperature);
    const lse = tf.add(tf.mean(tf.logSumExp(m, 1)), tf.mean(tf.logSumExp(m, 0)));
    const loss = tf.sub(tf.mul(lse, 0.5), tf.mean(positives)) as tf.Scalar;
    const hits = tf.equal(tf.argMax(m, 1), tf.range(0, z1.shape[0], 1, "int32"));
    return { loss, accuracy: tf.mean(tf.cast(hits, "float32")) as tf.Scalar };
  });
}

/** Mean over the rows of sum_k c_k (1 - c_k) = 1 - sum_k c_k^2: 0 for one-hot rows, 1 - 1/K for uniform ones. */
export function clusterImpurity(c: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sub(1, tf.mean(tf.sum(tf.square(c), 1))) as tf.Scalar);
}

/** ln K - H(mean of the rows of c): 0 when the batch uses every cluster equally, ln K when it uses one. */
export function balanceDeficit(c: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.mean(c, 0);
    const entropy = tf.neg(tf.sum(tf.mul(p, tf.log(tf.add(p, 1e-12)))));
    return tf.sub(Math.log(c.shape[1]), entropy) as tf.Scalar;
  });
}

export interface ContrastiveLossOptions {
  temperature: number;
  /** The smallest share of the image a view's random resized crop keeps. */
  cropMinArea: number;
  /** A view's hue rotation, up to this share of a full turn either way. */
  hue: number;
  /** Probability that a view loses its colour. */
  greyscale: number;
  /** The cluster head's softmax temperature: c = softmax(logits / clusterTemperature). */
  clusterTemperature: number;
  clusterWeight: number;
  balanceWeight: number;
}

export interface ContrastiveLoss {
  /** InfoNCE + lambda (G1 + G2) + beta (ln K - H). */
  loss: tf.Scalar;
  /** The three weighted terms (they sum to the loss) and the instance-discrimination accuracy. */
  parts: { infoNce: tf.Scalar; clusterTerm: tf.Scalar; balanceTerm: tf.Scalar; instanceAccuracy: tf.Scalar };
}

/**
 * The technique's loss from one forward pass over [view 1; view 2] (2B rows): `p` the projections, `c` the
 * cluster probabilities. G1 + G2 = 2 * (mean impurity over the 2B rows) since both views have B rows.
 */
export function contrastiveLoss(p: tf.Tensor2D, c: tf.Tensor2D, options: Pick<ContrastiveLossOptions, "temperature" | "clusterWeight" | "balanceWeight">): ContrastiveLoss {
  const b = p.shape[0] / 2;
  const z = l2Normalize(p);
  const z1 = tf.slice(z, [0, 0], [b, z.shape[1]]);
  const z2 = tf.slice(z, [b, 0], [b, z.shape[1]]);
  const nce = infoNce(z1, z2, options.temperature);
  const clusterTerm = tf.mul(clusterImpurity(c), 2 * options.clusterWeight) as tf.Scalar;
  const balanceTerm = tf.mul(balanceDeficit(c), options.balanceWeight) as tf.Scalar;
  return {
    loss: tf.addN([nce.loss, clusterTerm, balanceTerm]) as tf.Scalar,
    parts: { infoNce: nce.loss, clusterTerm, balanceTerm, instanceAccuracy: nce.accuracy },
  };
}

/** The cluster head's assignments: softmax(logits / clusterTemperature). */
export function clusterProbabilities(logits: tf.Tensor2D, clusterTemperature: number): tf.Tensor2D {
  return tf.tidy(() => tf.softmax(tf.mul(logits, 1 / clusterTemperature)) as tf.Tensor2D);
}

export function lossOptions(params: Params): ContrastiveLossOptions {
  return {
    temperature: params.contrastiveTemperature as number,
    cropMinArea: params.contrastiveCropMinArea as number,
    hue: params.contrastiveHue as number,
    greyscale: params.contrastiveGreyscale as number,
    clusterTemperature: params.contrastiveClusterTemperature as number,
    clusterWeight: params.contrastiveClusterWeight as number,
    balanceWeight: params.contrastiveBalanceWeight as number,
  };
}

export type ViewOptions = Pick<ContrastiveLossOptions, "cropMinArea" | "hue" | "greyscale">;

/**
 * Two views of `images[pool]`, stacked as [view 1; view 2]: one host gather (independent crops and flips of the
 * doubled index list), one upload, then random resized crops and colour jitter of all 2B rows on the device.
 */
export function twoViews(images: Uint8Array, pool: Int32Array, rng: Rng, views: ViewOptions): tf.Tensor4D {
  const doubled = new Int32Array(2 * pool.length);
  doubled.set(pool, 0);
  doubled.set(pool, pool.length);
  const weak = batchTensor(images, doubled, WEAK, rng);
  const cropped = randomResizedCrop(weak, rng, views.cropMinArea);
  weak.dispose();
  const strong = strongAugment(cropped, rng, { cutout: false, hue: views.hue, greyscale: views.greyscale });
  cropped.dispose();
  return strong;
}

/** Contrastive pretraining on `images[indices]` (no labels): each step B images, two views each. */
export function contrastiveTask(
  family: ContrastiveFamily,
  images: Uint8Array,
  indices: Int32Array,
  batchSize: number,
  options: ContrastiveLossOptions,
  evaluate?: TrainingTask["evaluate"],
): TrainingTask {
  if (indices.length < batchSize) throw new Error(`contrastive pretraining needs one full batch: ${indices.length} images < batch size ${batchSize}`);
  const epochs = epochOrder(indices.length, batchSize);
  return {
    models: [family.contrastive],
    stepsPerEpoch: epochs.stepsPerEpoch,
    evaluate,
    batch(rng: Rng, _epoch: number, step: number): StepInputs {
      const picked = epochs.picked(rng, step);
      return { x: twoViews(images, Int32Array.from(picked, (i) => indices[i]), rng, options) };
    },
    step(inputs: StepInputs) {
      const [, logits, p] = family.contrastive.apply(inputs.x, { training: true }) as tf.Tensor2D[];
      const { loss, parts } = contrastiveLoss(p, clusterProbabilities(logits, options.clusterTemperature), options);
      return { loss, metrics: parts };
    },
  };
}

/** The probe's memory (labeled training images) and queries (the first test images) for this run's data. */
export function probeSets(ctx: ExperimentContext, params: Params): ProbeSets {
  const { data } = ctx;
  const queries = Math.min(params.probeQueries as number, data.test.count);
  return {
    images: data.cifar.train.images,
    memory: { indices: data.labeled, labels: trainLabels(data, data.labeled) },
    queryImages: data.test.images,
    queries: { indices: Int32Array.from({ length: queries }, (_, i) => i), labels: Int32Array.from(data.test.fine.subarray(0, queries)) },
  };
}

export function probeEvaluation(model: tfl.LayersModel, ctx: ExperimentContext, params: Params): () => Promise<Record<string, number>> {
  const sets = probeSets(ctx, params);
  const projection = model.outputNames.indexOf(PROJECTION_LAYER);
  return () => probe(model, sets, params.contrastiveClusters as number, { k: params.probeK as number, temperature: KNN_TEMPERATURE, numClasses: 100 }, projection >= 0 ? projection : null);
}

/**
 * `task` with its evaluation also run once before training (epoch 0: the untrained network), kept in the
 * checkpoint's task state so a resumed or finished run still has it. `initial()` reads it after training.
 */
export async function withInitialEvaluation(task: TrainingTask, checkpointDir: string | null): Promise<{ task: TrainingTask; initial: () => Record<string, number> | null }> {
  let initial: Record<string, number> | null = null;
  if (task.evaluate && !(checkpointDir && fs.existsSync(checkpointDir))) initial = await task.evaluate(0);
  return {
    task: {
      ...task,
      saveState: () => ({ initial }),
      loadState: (state: unknown) => {
        initial = (state as { initial?: Record<string, number> | null } | undefined)?.initial ?? null;
      },
    },
    initial: () => initial,
  };
}

export interface ContrastiveStage {
  complete: boolean;
  history: EpochRecord[];
  seconds: number;
  /** The probe and cluster statistics of the untrained network (epoch 0) and of the finished stage. */
  initial: Record<string, number> | null;
  final: Record<string, number>;
  images: number;
}

function stageHash(params: Params, ctx: ExperimentContext): string {
  // The stage's own parameters, the data filter (Exercise 5's variant trains it again without the outliers) and
  // the number of images (a profile with other limits trains it again).
  const own = (k: string) => k.startsWith("contrastive") || k.startsWith("probe") || k === "widthScale" || k === "outliersRemovedBy";
  const keys = Object.keys(params).filter(own).sort();
  const images = [ctx.data.labeled.length, ctx.data.unlabeled.length, ctx.data.test.count];
  const key = JSON.stringify({ stage: "contrastive", profile: ctx.profile.name, seed: ctx.seed, images, params: keys.map((k) => [k, params[k]]) });
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** Step 1: trains (or resumes, or loads when finished) the contrastive network on every training image of the run. */
export async function pretrainContrastive(ctx: ExperimentContext, params: Params, family: ContrastiveFamily): Promise<ContrastiveStage> {
  const { data } = ctx;
  const hash = stageHash(params, ctx);
  const all = Int32Array.from([...data.labeled, ...data.unlabeled]).sort();
  const evaluate = probeEvaluation(family.contrastive, ctx, params);
  const checkpointDir = ctx.sharedCheckpointDir(`contrastive-${hash}`);
  const { task, initial } = await withInitialEvaluation(
    contrastiveTask(family, data.cifar.train.images, all, params.contrastiveBatchSize as number, lossOptions(params), evaluate), checkpointDir,
  );
  ctx.progress.note(`contrastive pretraining: ${all.length} training images, ${params.contrastiveEpochs} epochs (step 1, shared by the two-step variants)`);
  const run = await train(task, {
    epochs: params.contrastiveEpochs as number,
    schedule: { peak: params.contrastivePeakLearningRate as number, warmup: params.contrastiveWarmup as number, decay: "linear" },
    optimizer: { momentum: params.contrastiveMomentum as number, weightDecay: params.contrastiveWeightDecay as number },
    seed: ctx.seed,
    checkpointDir,
    configHash: hash,
    deadline: ctx.deadline,
    progress: ctx.progress,
  });
  if (!run.complete) return { complete: false, history: run.history, seconds: run.seconds, initial: initial(), final: {}, images: all.length };
  const last = run.history[run.history.length - 1];
  const final = Object.fromEntries(
    ["knnAccuracy", "largestClusterShare", "nonEmptyClusters", "clusterSizeEntropy", "clusterNmi"].map((k) => [k, last[k]]),
  );
  return { complete: true, history: run.history, seconds: run.seconds, initial: initial(), final, images: all.length };
}

export async function runContrastiveTwoStep(ctx: ExperimentContext, params: Params): Promise<ExperimentOutcome> {
  const family = buildFamily(params, ctx.seed);
  try {
    const stage = await pretrainContrastive(ctx, params, family);
    if (!stage.complete) return pausedOutcome([], stage.seconds);
    return await trainOnPretrainedEncoder(ctx, params, family, stage.seconds, () => ({
      contrastive: { history: stage.history, seconds: stage.seconds, initial: stage.initial, final: stage.final, images: stage.images },
    }));
  } finally {
    family.joint.dispose(); // the joint model holds every layer of the family
  }
}
