// Diagnostics of the contrastive representation (Exercise 6), computed after every epoch through the loop's
// `evaluate` hook so they land in the history:
//   - a k-NN probe: the labeled training images are the memory, the first test images the queries; features are
//     the encoder's pooled vectors h, L2-normalised (inference mode), similarity is the cosine, and each of the k
//     nearest neighbours votes for its label with weight exp(similarity / 0.07) (Wu et al., 2018); the same probe
//     on the projection p that the loss compares, when the model has one, shows what the loss itself shapes;
//   - the cluster head's assignments (argmax) on the memory images: the share of the largest cluster, how many
//     clusters are used, the entropy of the cluster sizes, and their normalised mutual information with the
//     true labels (a diagnostic only: no label enters the contrastive loss).
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { NONE, batchTensor } from "../training/augment";
import { Rng } from "../training/rng";

const NO_RNG = new Rng(0);

export interface ProbeOptions {
  /** Neighbours that vote. */
  k: number;
  /** Temperature of the vote weights exp(similarity / temperature). */
  temperature: number;
  numClasses: number;
}

export const KNN_TEMPERATURE = 0.07;

/** Rows scaled to unit L2 norm (a zero row stays zero). */
export function l2Normalize(h: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(h, tf.rsqrt(tf.add(tf.sum(tf.square(h), 1, true), 1e-12))) as tf.Tensor2D);
}

/**
 * k-NN classification of `queries` (unit rows) against `memory` (unit rows, labels `memoryLabels`): cosine
 * similarity, the k most similar memory rows vote with weight exp(s / temperature). Returns the predicted class
 * of each query. Similarities are computed on the device in chunks of queries; only the top k come back.
 */
export async function knnPredict(
  memory: tf.Tensor2D,
  memoryLabels: ArrayLike<number>,
  queries: tf.Tensor2D,
  options: ProbeOptions,
  chunk = 256,
): Promise<Int32Array> {
  const n = queries.shape[0];
  const k = Math.min(options.k, memory.shape[0]);
  const predicted = new Int32Array(n);
  const votes = new Float64Array(options.numClasses);
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    const [values, indices] = tf.tidy(() => {
      const sims = tf.matMul(tf.slice(queries, [start, 0], [size, queries.shape[1]]), memory, false, true);
      const top = tf.topk(sims, k, true);
      return [top.values, top.indices];
    });
    const [v, idx] = await Promise.all([values.data(), indices.data()]);
    tf.dispose([values, indices]);
    for (let q = 0; q < size; q++) {
      votes.fill(0);
      for (let j = 0; j < k; j++) votes[memoryLabels[idx[q * k + j]]] += Math.exp((v[q * k + j] - 1) / options.temperature);
      let best = 0;
      for (let c = 1; c < votes.length; c++) if (votes[c] > votes[best]) best = c;
      predicted[start + q] = best;
    }
  }
  return predicted;
}

export interface ClusterStats {
  /** Share of the images in the largest cluster (1/K when balanced, 1 when collapsed). */
  largestClusterShare: number;
  /** Clusters holding at least one image. */
  nonEmptyClusters: number;
  /** Entropy of the cluster sizes in nats (ln K when balanced, 0 when collapsed). */
  clusterSizeEntropy: number;
  /** Normalised mutual information between clusters and true labels, in [0, 1] (a diagnostic). */
  clusterNmi: number;
}

function entropy(counts: ArrayLike<number>, total: number): number {
  let h = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) h -= (counts[i] / total) * Math.log(counts[i] / total);
  return h;
}

/** Cluster-size statistics of hard assignments, and their NMI (arithmetic normalisation) with `labels`. */
export function clusterStats(assignments: ArrayLike<number>, clusters: number, labels?: ArrayLike<number>, numClasses = 100): ClusterStats {
  const n = assignments.length;
  const sizes = new Float64Array(clusters);
  for (let i = 0; i < n; i++) sizes[assignments[i]]++;
  let largest = 0;
  let nonEmpty = 0;
  for (const s of sizes) {
    largest = Math.max(largest, s);
    if (s > 0) nonEmpty++;
  }
  const hClusters = entropy(sizes, n);
  let nmi = NaN;
  if (labels) {
    const classSizes = new Float64Array(numClasses);
    const joint = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      classSizes[labels[i]]++;
      const key = assignments[i] * numClasses + labels[i];
      joint.set(key, (joint.get(key) ?? 0) + 1);
    }
    const hClasses = entropy(classSizes, n);
    let mutual = 0;
    for (const [key, count] of joint) {
      const cluster = Math.floor(key / numClasses);
      const label = key % numClasses;
      mutual += (count / n) * Math.log((count * n) / (sizes[cluster] * classSizes[label]));
    }
    nmi = hClusters + hClasses > 0 ? (2 * mutual) / (hClusters + hClasses) : 0;
  }
  return { largestClusterShare: n > 0 ? largest / n : 0, nonEmptyClusters: nonEmpty, clusterSizeEntropy: hClusters, clusterNmi: nmi };
}

export interface Embedded {
  /** Unit-norm features Z, one row per image (on the device; the caller disposes it). */
  z: tf.Tensor2D;
  /** Unit-norm projections, when asked for (on the device; the caller disposes it). */
  projection: tf.Tensor2D | undefined;
  /** Argmax of the cluster head per image. */
  clusters: Int32Array;
}

function concatRows(parts: tf.Tensor2D[]): tf.Tensor2D {
  if (parts.length === 1) return parts[0];
  const all = tf.concat(parts) as tf.Tensor2D;
  tf.dispose(parts);
  return all;
}

/**
 * Unit pooled features and cluster assignments of `images[indices]` (unaugmented, inference mode) with `model`: image ->
 * [features h, cluster probabilities, ...]; also the unit projections when `projectionOutput` names their output.
 */
export async function embed(model: tfl.LayersModel, images: Uint8Array, indices: ArrayLike<number>, projectionOutput: number | null = null, batchSize = 500): Promise<Embedded> {
  const features: tf.Tensor2D[] = [];
  const projections: tf.Tensor2D[] = [];
  const clusters = new Int32Array(indices.length);
  for (let start = 0; start < indices.length; start += batchSize) {
    const end = Math.min(indices.length, start + batchSize);
    const x = batchTensor(images, Int32Array.from({ length: end - start }, (_, i) => indices[start + i]), NONE, NO_RNG);
    const [z, assigned, p] = tf.tidy(() => {
      const out = model.predict(x) as tf.Tensor2D[];
      return [l2Normalize(out[0]), tf.argMax(out[1], 1), ...(projectionOutput === null ? [] : [l2Normalize(out[projectionOutput])])];
    });
    x.dispose();
    clusters.set(await assigned.data(), start);
    assigned.dispose();
    features.push(z as tf.Tensor2D);
    if (p) projections.push(p as tf.Tensor2D);
  }
  return { z: concatRows(features), projection: projections.length > 0 ? concatRows(projections) : undefined, clusters };
}

export interface ProbeSets {
  images: Uint8Array;
  memory: { indices: Int32Array; labels: Int32Array };
  queryImages: Uint8Array;
  queries: { indices: Int32Array; labels: Int32Array };
}

async function knnAccuracy(memory: tf.Tensor2D, queries: tf.Tensor2D, sets: ProbeSets, options: ProbeOptions): Promise<number> {
  const predicted = await knnPredict(memory, sets.memory.labels, queries, options);
  let correct = 0;
  predicted.forEach((p, i) => (correct += p === sets.queries.labels[i] ? 1 : 0));
  return correct / Math.max(1, predicted.length);
}

/**
 * The per-epoch diagnostics: k-NN accuracy on the queries (of h, and of the projection p when `projectionOutput`
 * names it) and the cluster statistics on the memory images.
 */
export async function probe(model: tfl.LayersModel, sets: ProbeSets, clusters: number, options: ProbeOptions, projectionOutput: number | null = null): Promise<Record<string, number>> {
  const memory = await embed(model, sets.images, sets.memory.indices, projectionOutput);
  const queries = await embed(model, sets.queryImages, sets.queries.indices, projectionOutput);
  try {
    const out: Record<string, number> = { knnAccuracy: await knnAccuracy(memory.z, queries.z, sets, options) };
    if (memory.projection && queries.projection) out.knnProjectionAccuracy = await knnAccuracy(memory.projection, queries.projection, sets, options);
    return { ...out, ...clusterStats(memory.clusters, clusters, sets.memory.labels, options.numClasses) };
  } finally {
    tf.dispose([memory.z, queries.z, memory.projection, queries.projection]); // skips undefined projections
  }
}
