// Inference over image sets in batches: accuracy, and class probabilities for pseudo-labelling.
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { NONE, batchTensor, gatherBatch } from "./augment";
import { CapturedStep, captureWanted, recordStep } from "../kernels/webgpu/capture";
import { Rng } from "./rng";

const NO_RNG = new Rng(0);

function* chunks(count: number, size: number): Generator<[number, number]> {
  for (let start = 0; start < count; start += size) yield [start, Math.min(count, start + size)];
}

function range(start: number, end: number, indices?: ArrayLike<number>): Int32Array {
  const out = new Int32Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = indices ? indices[i] : i;
  return out;
}

/** Model outputs (logits) for `images[indices]` (all images when indices is omitted), batch by batch. */
async function forEachBatch(
  model: tfl.LayersModel,
  images: Uint8Array,
  count: number,
  indices: ArrayLike<number> | undefined,
  batchSize: number,
  use: (logits: tf.Tensor2D, start: number, end: number) => Promise<void>,
): Promise<void> {
  for (const [start, end] of chunks(count, batchSize)) {
    const x = batchTensor(images, range(start, end, indices), NONE, NO_RNG);
    const logits = model.predict(x) as tf.Tensor2D;
    x.dispose();
    try {
      await use(logits, start, end);
    } finally {
      logits.dispose();
    }
  }
}

/** Top-1 accuracy of `model` on the labelled images `images[indices]` (labels given per index entry). */
export async function accuracy(
  model: tfl.LayersModel,
  images: Uint8Array,
  labels: ArrayLike<number>,
  options: { indices?: ArrayLike<number>; batchSize?: number } = {},
): Promise<number> {
  if (captureWanted()) return capturedAccuracy(model, images, labels, options.indices, options.batchSize ?? 1000);
  const count = labels.length;
  let correct = 0;
  await forEachBatch(model, images, count, options.indices, options.batchSize ?? 1000, async (logits, start, end) => {
    const predicted = tf.tidy(() => tf.argMax(logits, 1));
    const values = await predicted.data();
    predicted.dispose();
    for (let i = start; i < end; i++) if (values[i - start] === labels[i]) correct++;
  });
  return count === 0 ? 0 : correct / count;
}

export interface Predictions {
  /** Most probable class per image. */
  labels: Int32Array;
  /** Its softmax probability (the model's certainty). */
  confidence: Float32Array;
}

/** Predicted class and confidence for `images[indices]`. */
export async function predict(
  model: tfl.LayersModel,
  images: Uint8Array,
  indices: ArrayLike<number>,
  batchSize = 1000,
): Promise<Predictions> {
  const labels = new Int32Array(indices.length);
  const confidence = new Float32Array(indices.length);
  await forEachBatch(model, images, indices.length, indices, batchSize, async (logits, start) => {
    const [top, arg] = tf.tidy(() => {
      const p = tf.softmax(logits);
      return [tf.max(p, 1), tf.argMax(p, 1)];
    });
    const [topValues, argValues] = await Promise.all([top.data(), arg.data()]);
    tf.dispose([top, arg]);
    confidence.set(topValues as Float32Array, start);
    labels.set(argValues as Int32Array, start);
  });
  return { labels, confidence };
}

/** One evaluation batch of exactly `size` rows: the last, partial batch is padded with black images labelled -1. */
function paddedBatch(images: Uint8Array, labels: ArrayLike<number>, indices: ArrayLike<number> | undefined, start: number, end: number, size: number) {
  const x = new Float32Array(size * 3072);
  x.set(gatherBatch(images, range(start, end, indices), NONE, NO_RNG));
  const y = new Int32Array(size).fill(-1);
  for (let i = start; i < end; i++) y[i - start] = labels[i];
  return { x: tf.tensor4d(x, [size, 32, 32, 3]), y: tf.tensor1d(y, "int32") };
}

/**
 * accuracy() on WebGPU: the first batch's forward pass (inference mode) and count of correct predictions is recorded,
 * every other batch replays it (a padded last batch included), and the counts are read back once at the end.
 */
async function capturedAccuracy(
  model: tfl.LayersModel, images: Uint8Array, labels: ArrayLike<number>, indices: ArrayLike<number> | undefined, batchSize: number,
): Promise<number> {
  const count = labels.length;
  if (count === 0) return 0;
  const size = Math.min(batchSize, count);
  let recording: CapturedStep | null = null;
  const firstCounts: tf.Tensor[] = [];
  try {
    for (const [start, end] of chunks(count, size)) {
      const inputs = paddedBatch(images, labels, indices, start, end, size);
      try {
        if (recording) {
          recording.replay(inputs);
        } else {
          const recorded = recordStep(inputs, () => tf.tidy(() => {
            const predicted = tf.argMax(model.apply(inputs.x, { training: false }) as tf.Tensor2D, 1);
            return { correct: tf.sum(tf.cast(tf.equal(predicted, inputs.y), "float32")) as tf.Scalar };
          }));
          recording = recorded.step;
          firstCounts.push(recorded.result.correct);
        }
      } finally {
        tf.dispose([inputs.x, inputs.y]);
      }
    }
    const replayed = recording ? await recording.readOutputs() : new Float32Array(0);
    const first = await Promise.all(firstCounts.map((t) => t.data()));
    const correct = [...first.map((v) => v[0]), ...replayed].reduce((a, b) => a + b, 0);
    return correct / count;
  } finally {
    tf.dispose(firstCounts);
    recording?.dispose();
  }
}
