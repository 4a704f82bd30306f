// The training benchmark: images/s of model.trainOnBatch on random data, stock kernels vs project kernels.
//
// Both modes start from the same weights (a host snapshot), a fresh Adam and the same batch, so their losses
// after N steps must agree: the benchmark doubles as the "same loss" check. Each step is synchronised by
// reading the loss back (trainOnBatch awaits loss.data()), and the figure is the median over the timed steps.
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { FAST_KERNEL_NAMES, PROJECT_CONV2D_NAMES, projectConv2DEnabled, setFastWebGPUKernels } from "../kernels/webgpu/index";
import { countWebGPULaunches } from "./launches";
import { BenchModelName, buildBenchModel, compileForBench, IMAGE_SHAPE, NUM_CLASSES } from "./models";

/** "stock", "project", or "project without <kernel>" (leave-one-out ablation). */
export type KernelMode = string;

export interface BenchOptions {
  steps: number;
  warmup: number;
  seed: number;
  /** Also run tf.profile on one extra step per mode. */
  profile: boolean;
  /** Also time the project kernels with each one left out in turn. */
  ablate: boolean;
}

export interface KernelTime {
  name: string;
  count: number;
  ms: number;
}

export interface StepProfile {
  wallMs: number;
  /** Sum of GPU kernel times from timestamp queries (0 where the adapter has none). */
  kernelMs: number;
  /** tfjs kernels (ops) run in the step. */
  kernels: number;
  /** GPU programs by total time, then count. */
  programs: KernelTime[];
}

export interface ModeResult {
  mode: KernelMode;
  imagesPerSec: number;
  medianStepMs: number;
  /** Median host time to issue a step (until the loss is read back); null off WebGPU. */
  medianHostMs: number | null;
  stepMs: number[];
  losses: number[];
  /** GPU dispatches per timed step (null off WebGPU). */
  launchesPerStep: number | null;
  launchesByProgram: Record<string, number>;
  /** Host-to-GPU tensor uploads per timed step (null off WebGPU). */
  uploadsPerStep: number | null;
  profile: StepProfile | null;
}

export interface ModelResult {
  model: BenchModelName;
  batch: number;
  stock: ModeResult;
  /** Null when the backend is not WebGPU (there are no project kernels to compare). */
  project: ModeResult | null;
  speedup: number | null;
  /** With --ablate: the project kernels minus one each ("project without Conv2DBackpropInput", ...). */
  ablations: ModeResult[];
  /**
   * |final loss project - stock| / max(|stock|, 1): relative for losses above 1, absolute below (a memorised
   * batch drives the loss towards 0, where relative gaps of rounding-level differences mean nothing).
   */
  lossGap: number | null;
}

/** mulberry32: a tiny seeded PRNG, so the data is identical on every backend and run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One batch of random images (uniform in [-1, 1)) and random sparse labels, shape [batch, 1]. */
export function randomBatch(batch: number, seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const rand = seededRandom(seed);
  const pixels = new Float32Array(batch * IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2]);
  for (let i = 0; i < pixels.length; i++) pixels[i] = 2 * rand() - 1;
  const labels = new Float32Array(batch);
  for (let i = 0; i < batch; i++) labels[i] = Math.floor(rand() * NUM_CLASSES);
  return {
    x: tf.tensor4d(pixels, [batch, IMAGE_SHAPE[0], IMAGE_SHAPE[1], IMAGE_SHAPE[2]]),
    y: tf.tensor2d(labels, [batch, 1]),
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

type WeightSnapshot = { shape: number[]; values: Float32Array }[];

async function snapshotWeights(model: tfl.LayersModel): Promise<WeightSnapshot> {
  return Promise.all(model.getWeights().map(async (w) => ({ shape: w.shape, values: (await w.data()) as Float32Array })));
}

/** Restores the weights (BatchNorm statistics included) and gives the model a fresh Adam. */
function resetModel(model: tfl.LayersModel, weights: WeightSnapshot): void {
  const tensors = weights.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(tensors);
  tf.dispose(tensors);
  if (model.optimizer) model.optimizer.dispose();
  compileForBench(model);
}

async function trainStep(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<number> {
  const loss = await model.trainOnBatch(x, y);
  return Array.isArray(loss) ? loss[0] : loss;
}

interface ProfileKernel {
  name: string;
  kernelTimeMs: number | { error: string };
  extraInfo: string | Promise<string>;
}

/** "Conv2DDerFilterProgram: 1.5, BinaryOpProgram: 0.01" (the WebGPU backend's extraInfo) as program times. */
function parseProgramTimes(extraInfo: string): KernelTime[] {
  return extraInfo
    .split(", ")
    .map((entry) => entry.split(": "))
    .filter((parts) => parts.length === 2 && !Number.isNaN(Number(parts[1])))
    .map(([name, ms]) => ({ name, count: 1, ms: Number(ms) }));
}

async function profileStep(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<StepProfile> {
  const start = performance.now();
  const info = await tf.profile(async () => {
    await trainStep(model, x, y);
  });
  const wallMs = performance.now() - start;
  const programs = new Map<string, KernelTime>();
  let kernelMs = 0;
  for (const k of info.kernels as unknown as ProfileKernel[]) {
    if (typeof k.kernelTimeMs === "number") kernelMs += k.kernelTimeMs;
    for (const p of parseProgramTimes(String(await k.extraInfo))) {
      const entry = programs.get(p.name) ?? { name: p.name, count: 0, ms: 0 };
      entry.count += 1;
      entry.ms += p.ms;
      programs.set(p.name, entry);
    }
  }
  const sorted = [...programs.values()].sort((a, b) => b.ms - a.ms || b.count - a.count);
  return { wallMs, kernelMs, kernels: info.kernels.length, programs: sorted };
}

async function runMode(
  model: tfl.LayersModel,
  weights: WeightSnapshot,
  data: { x: tf.Tensor; y: tf.Tensor },
  mode: KernelMode,
  options: BenchOptions,
  except: string[] = [],
): Promise<ModeResult> {
  const onWebGPU = tf.getBackend() === "webgpu";
  if (onWebGPU) setFastWebGPUKernels(mode !== "stock", except);
  resetModel(model, weights);
  const counter = countWebGPULaunches();
  const batch = data.x.shape[0];
  const stepMs: number[] = [];
  const hostMs: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < options.warmup + options.steps; step++) {
    if (step === options.warmup) counter?.reset();
    counter?.markStep();
    const start = performance.now();
    losses.push(await trainStep(model, data.x, data.y));
    if (step < options.warmup) continue;
    stepMs.push(performance.now() - start);
    const host = counter?.hostMs();
    if (host != null) hostMs.push(host);
  }
  const launches = counter ? counter.total() / options.steps : null;
  const uploads = counter ? counter.uploads() / options.steps : null;
  const launchesByProgram = Object.fromEntries(
    [...(counter?.byProgram() ?? new Map<string, number>())].map(([name, n]) => [name, n / options.steps]),
  );
  const profile = options.profile ? await profileStep(model, data.x, data.y) : null;
  const medianStepMs = median(stepMs);
  return {
    mode,
    imagesPerSec: (1000 * batch) / medianStepMs,
    medianStepMs,
    medianHostMs: hostMs.length > 0 ? median(hostMs) : null,
    stepMs,
    losses,
    launchesPerStep: launches,
    launchesByProgram,
    uploadsPerStep: uploads,
    profile,
  };
}

/** Benchmarks one model at one batch size: stock kernels, then project kernels (WebGPU only). */
export async function benchmarkModel(name: BenchModelName, batch: number, options: BenchOptions): Promise<ModelResult> {
  const model = buildBenchModel(name);
  compileForBench(model);
  const weights = await snapshotWeights(model);
  const data = randomBatch(batch, options.seed);
  try {
    const stock = await runMode(model, weights, data, "stock", options);
    const onWebGPU = tf.getBackend() === "webgpu";
    const project = onWebGPU ? await runMode(model, weights, data, "project", options) : null;
    const ablations: ModeResult[] = [];
    const ablated = [...FAST_KERNEL_NAMES, ...(projectConv2DEnabled() ? PROJECT_CONV2D_NAMES : [])];
    for (const name of onWebGPU && options.ablate ? ablated : []) {
      ablations.push(await runMode(model, weights, data, `project without ${name}`, options, [name]));
    }
    const last = (r: ModeResult) => r.losses[r.losses.length - 1];
    return {
      model: name,
      batch,
      stock,
      project,
      speedup: project ? project.imagesPerSec / stock.imagesPerSec : null,
      ablations,
      lossGap: project ? Math.abs(last(project) - last(stock)) / Math.max(Math.abs(last(stock)), 1) : null,
    };
  } finally {
    tf.dispose([data.x, data.y]);
    if (model.optimizer) model.optimizer.dispose();
    model.dispose();
  }
}
