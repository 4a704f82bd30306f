// Exercise 3: the convolutional autoencoder in two steps.
//
// Step 1 trains the autoencoder (lib/models/autoencoder.ts) to reconstruct all 50,000 training images, labeled
// and unlabeled, without any label: mean squared error on pixels in [0, 1], random crop + flip, Adam (small
// per-pixel gradients suit Adam's scale-free steps better than SGD's). Both Exercise 3 variants share this
// step: its checkpoint is keyed by its own parameters, so it is trained once.
// Step 2 trains the classifier, whose encoder is the autoencoder's, on the labeled images with the Exercise 1
// recipe, either with the encoder frozen (only the Dense layer learns, on features computed in inference mode)
// or fine-tuned (every layer learns, starting from the autoencoder's weights).
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { createHash } from "node:crypto";
import type { ExperimentContext, ExperimentOutcome, Params } from "../experiments/experiment";
import { AutoencoderFamily, buildAutoencoderFamily } from "../models/autoencoder";
import { DEFAULT_CLASSIFIER, scaleWidths } from "../models/classifier";
import { NONE, WEAK, WeakAugmentation, batchTensor } from "../training/augment";
import { epochOrder } from "../training/epoch-order";
import { EpochRecord, StepInputs, TrainingTask, train } from "../training/loop";
import { Rng } from "../training/rng";
import { pausedOutcome } from "./recipe";
import { trainOnPretrainedEncoder } from "./two-step";

export const AUTOENCODER_PARAMS: Params = {
  autoencoderEpochs: 10,
  autoencoderBatchSize: 256,
  autoencoderPeakLearningRate: 2e-3,
  autoencoderWarmup: 0.05,
};

export function buildFamily(params: Params, seed: number): AutoencoderFamily {
  return buildAutoencoderFamily({ ...scaleWidths(DEFAULT_CLASSIFIER, params.widthScale as number), seed });
}

export function reconstructionError(reconstruction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(reconstruction, target)) as tf.Scalar);
}

/** Reconstructing `images[indices]` (no labels): each step a batch, its augmented view as input and as target. */
export function reconstructionTask(
  autoencoder: tfl.LayersModel,
  images: Uint8Array,
  indices: Int32Array,
  batchSize: number,
  augmentation: WeakAugmentation,
  evaluate?: TrainingTask["evaluate"],
): TrainingTask {
  const epochs = epochOrder(indices.length, batchSize);
  return {
    models: [autoencoder],
    stepsPerEpoch: epochs.stepsPerEpoch,
    evaluate,
    batch(rng: Rng, _epoch: number, step: number): StepInputs {
      const picked = epochs.picked(rng, step);
      return { x: batchTensor(images, Int32Array.from(picked, (i) => indices[i]), augmentation, rng) };
    },
    step(inputs: StepInputs) {
      const reconstruction = autoencoder.apply(inputs.x, { training: true }) as tf.Tensor;
      return { loss: reconstructionError(reconstruction, inputs.x) };
    },
  };
}

/** Mean squared reconstruction error over the first `count` images of a set (inference mode). */
export async function meanReconstructionError(autoencoder: tfl.LayersModel, images: Uint8Array, count: number, batchSize = 500): Promise<number> {
  let sum = 0;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const x = batchTensor(images, Int32Array.from({ length: n }, (_, i) => start + i), NONE, new Rng(0));
    const error = tf.tidy(() => tf.mul(reconstructionError(autoencoder.predict(x) as tf.Tensor, x), n));
    sum += (await error.data())[0];
    tf.dispose([x, error]);
  }
  return sum / Math.max(1, count);
}

export interface ReconstructionSamples {
  /** Indices into the test set. */
  indices: number[];
  /** Base64 of the uint8 NHWC pixels of the originals and of their reconstructions. */
  original: string;
  reconstructed: string;
}

/** The first `count` test images and their reconstructions, stored in the result so notebooks can show them. */
export async function reconstructionSamples(autoencoder: tfl.LayersModel, images: Uint8Array, count = 12): Promise<ReconstructionSamples> {
  const indices = Array.from({ length: count }, (_, i) => i);
  const x = batchTensor(images, indices, NONE, new Rng(0));
  const y = tf.tidy(() => tf.cast(tf.round(tf.mul(autoencoder.predict(x) as tf.Tensor, 255)), "int32"));
  const pixels = Uint8Array.from(await y.data());
  tf.dispose([x, y]);
  const original = images.subarray(0, count * 32 * 32 * 3);
  return { indices, original: Buffer.from(original).toString("base64"), reconstructed: Buffer.from(pixels).toString("base64") };
}

export interface AutoencoderStage {
  complete: boolean;
  history: EpochRecord[];
  seconds: number;
  testReconstructionError: number;
  samples: ReconstructionSamples | null;
}

function stageHash(params: Params, ctx: ExperimentContext): string {
  // The stage's own parameters, and the data filter (Exercise 5 trains it again without the outliers).
  const keys = Object.keys(params).filter((k) => k.startsWith("autoencoder") || k === "widthScale" || k === "outliersRemovedBy").sort();
  const key = JSON.stringify({ stage: "autoencoder", profile: ctx.profile.name, seed: ctx.seed, params: keys.map((k) => [k, params[k]]) });
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** Step 1: trains (or resumes, or loads when finished) the autoencoder on every training image of the profile. */
export async function pretrainAutoencoder(ctx: ExperimentContext, params: Params, family: AutoencoderFamily): Promise<AutoencoderStage> {
  const { data } = ctx;
  const hash = stageHash(params, ctx);
  const all = Int32Array.from([...data.labeled, ...data.unlabeled]).sort();
  const evaluationCount = Math.min(2000, data.test.count);
  const task = reconstructionTask(
    family.autoencoder, data.cifar.train.images, all, params.autoencoderBatchSize as number, WEAK,
    async () => ({ testReconstructionError: await meanReconstructionError(family.autoencoder, data.test.images, evaluationCount) }),
  );
  ctx.progress.note(`autoencoder: ${all.length} training images, ${params.autoencoderEpochs} epochs (step 1, shared by the Exercise 3 variants)`);
  const run = await train(task, {
    epochs: params.autoencoderEpochs as number,
    schedule: { peak: params.autoencoderPeakLearningRate as number, warmup: params.autoencoderWarmup as number, decay: "linear" },
    optimizer: { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    seed: ctx.seed,
    checkpointDir: ctx.sharedCheckpointDir(`autoencoder-${hash}`),
    configHash: hash,
    deadline: ctx.deadline,
    progress: ctx.progress,
  });
  if (!run.complete) return { complete: false, history: run.history, seconds: run.seconds, testReconstructionError: NaN, samples: null };
  return {
    complete: true,
    history: run.history,
    seconds: run.seconds,
    testReconstructionError: await meanReconstructionError(family.autoencoder, data.test.images, data.test.count),
    samples: await reconstructionSamples(family.autoencoder, data.test.images),
  };
}

export async function runTwoStep(ctx: ExperimentContext, params: Params): Promise<ExperimentOutcome> {
  const { data, seed } = ctx;
  const family = buildFamily(params, seed);
  try {
    const stage = await pretrainAutoencoder(ctx, params, family);
    if (!stage.complete) return pausedOutcome([], stage.seconds);
    return await trainOnPretrainedEncoder(ctx, params, family, stage.seconds, () => ({
      autoencoder: {
        history: stage.history,
        seconds: stage.seconds,
        testReconstructionError: stage.testReconstructionError,
        samples: stage.samples,
        images: data.labeled.length + data.unlabeled.length,
      },
    }));
  } finally {
    family.joint.dispose();
  }
}
