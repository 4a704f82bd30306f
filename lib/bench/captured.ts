// The captured-steps benchmark: the training loop's own step (variableGrads, then the loop optimizer's fused
// update) timed eagerly with the project kernels and replayed from a recording (lib/kernels/webgpu/capture.ts),
// from the same weights on the same batch, so the two modes' per-step losses must agree (the same-loss check).
//
// Models: the study's classifier (lib/models, SGD-Nesterov as in Exercise 1) and the two bench models (Adam).
// img/s counts the timed steps over the wall time until their last loss is back on the host; host ms/step is the
// time JavaScript takes to issue a step (for replays: writing the batch and re-issuing the recorded dispatches).
//
// With `profile`, one more replay after the timed ones times every dispatch on the GPU (timestamp queries,
// CapturedStep.profileReplay): GPU ms per tfjs program, against the timed replays' step ms.
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { CapturedStep, ProgramTime, ReplayProfile, recordStep } from "../kernels/webgpu/capture";
import { conv2DTiles, formatConv2DTiles } from "../kernels/webgpu/conv2d";
import { fastWebGPUKernels } from "../kernels/webgpu/index";
import { DEFAULT_CLASSIFIER, buildClassifier } from "../models/classifier";
import { LoopOptimizer, OptimizerConfig, createOptimizer } from "../training/optimizer";
import { buildBenchModel } from "./models";
import { randomBatch } from "./runner";

export type CapturedBenchModel = "study" | "refcnn" | "resnet";
export const CAPTURED_BENCH_MODELS: readonly CapturedBenchModel[] = ["study", "refcnn", "resnet"];
export const CAPTURED_BENCH_BATCH: Record<CapturedBenchModel, number> = { study: 256, refcnn: 512, resnet: 256 };

export interface CapturedMode {
  mode: "project (eager)" | "captured";
  imagesPerSec: number;
  stepMs: number;
  hostMsPerStep: number;
  losses: number[];
}

export interface CapturedBenchResult {
  model: CapturedBenchModel;
  batch: number;
  /** The forward convolution the run used: "stock" (tfjs' Conv2DMM) or "project TMxTNxTK" (absent in older records). */
  conv2d?: string;
  dispatchesPerStep: number;
  eager: CapturedMode;
  captured: CapturedMode;
  /** Largest relative gap between the two modes' per-step losses. */
  lossGap: number;
  /** GPU ms per program in one profiled replay, most first (null unless profiled). */
  capturedPrograms: ProgramTime[] | null;
  /** That replay's totals: summed dispatch GPU ms, first-to-last timestamp span, against the timed replays' step ms. */
  capturedProfile: { dispatches: number; gpuMs: number; spanMs: number; replayedStepMs: number; quantized: boolean } | null;
}

export interface CapturedBenchOptions {
  /** One extra replay after the timed ones with every dispatch timed (needs timestamp queries). */
  profile?: boolean;
}

const SGD: OptimizerConfig = { momentum: 0.9, weightDecay: 5e-4 };
const ADAM: OptimizerConfig = { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

function build(name: CapturedBenchModel): { model: tfl.LayersModel; logits: boolean; optimizer: OptimizerConfig; learningRate: number } {
  if (name === "study") return { model: buildClassifier({ ...DEFAULT_CLASSIFIER, seed: 1 }), logits: true, optimizer: SGD, learningRate: 0.05 };
  return { model: buildBenchModel(name), logits: false, optimizer: ADAM, learningRate: 1e-3 };
}

/** Cross-entropy of one-hot `y` against the model's logits (study) or probabilities (bench models end in softmax). */
function crossEntropy(out: tf.Tensor2D, y: tf.Tensor2D, logits: boolean): tf.Scalar {
  const logProbs = logits ? tf.logSoftmax(out) : tf.log(tf.add(out, 1e-7));
  return tf.neg(tf.mean(tf.sum(tf.mul(y, logProbs), 1))) as tf.Scalar;
}

interface Run {
  model: tfl.LayersModel;
  variables: tf.Variable[];
  optimizer: LoopOptimizer;
  x: tf.Tensor;
  y: tf.Tensor2D;
  hostX: Float32Array;
  hostY: Float32Array;
  logits: boolean;
  learningRate: number;
}

function stepInputs(run: Run): Record<string, tf.Tensor> {
  // New tensors from host values every step, as the training loop's batch() makes them (uploaded by eager steps,
  // written into the recording's buffers by replays).
  return {
    x: tf.tensor(run.hostX, run.x.shape), y: tf.tensor(run.hostY, run.y.shape),
    stepScalars: tf.tensor1d(run.optimizer.stepScalars(run.learningRate)),
  };
}

function eagerStep(run: Run, inputs: Record<string, tf.Tensor>): { loss: tf.Scalar } {
  const { value, grads } = tf.variableGrads(() => crossEntropy(run.model.apply(inputs.x, { training: true }) as tf.Tensor2D, inputs.y as tf.Tensor2D, run.logits), run.variables);
  run.optimizer.apply(run.variables, grads, inputs.stepScalars as tf.Tensor1D);
  tf.dispose(grads);
  return { loss: value };
}

async function timeEager(run: Run, warmup: number, steps: number): Promise<CapturedMode> {
  for (let i = 0; i < warmup; i++) {
    const inputs = stepInputs(run);
    const { loss } = eagerStep(run, inputs);
    await loss.data();
    tf.dispose([loss, ...Object.values(inputs)]);
  }
  const losses: tf.Scalar[] = [];
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    const inputs = stepInputs(run);
    losses.push(eagerStep(run, inputs).loss);
    tf.dispose(Object.values(inputs));
  }
  const issued = performance.now();
  const values = await tf.stack(losses).data();
  const ms = performance.now() - start;
  tf.dispose(losses);
  return mode("project (eager)", run, steps, ms, issued - start, Array.from(values));
}

async function timeCaptured(run: Run, warmup: number, steps: number, profile: boolean): Promise<{ mode: CapturedMode; dispatches: number; profile: ReplayProfile | null }> {
  // Two recorded steps (the first creates the optimizer slots), then replays.
  let recording: CapturedStep | null = null;
  for (let i = 0; i < 2; i++) {
    const inputs = stepInputs(run);
    const { result, step } = recordStep(inputs, () => eagerStep(run, inputs));
    await result.loss.data();
    tf.dispose([result.loss, ...Object.values(inputs)]);
    recording?.dispose();
    recording = step;
  }
  const replay = recording!;
  try {
    for (let i = 0; i < warmup; i++) {
      const inputs = stepInputs(run);
      replay.replay(inputs);
      tf.dispose(Object.values(inputs));
    }
    await replay.readOutputs();
    const start = performance.now();
    for (let i = 0; i < steps; i++) {
      const inputs = stepInputs(run);
      replay.replay(inputs);
      tf.dispose(Object.values(inputs));
    }
    const issued = performance.now();
    const values = await replay.readOutputs();
    const ms = performance.now() - start;
    let profiled: ReplayProfile | null = null;
    if (profile) {
      const inputs = stepInputs(run);
      try {
        profiled = await replay.profileReplay(inputs);
      } finally {
        tf.dispose(Object.values(inputs));
      }
      await replay.readOutputs(); // the profiled step's loss: not one of the timed steps
    }
    return { mode: mode("captured", run, steps, ms, issued - start, Array.from(values)), dispatches: replay.dispatches, profile: profiled };
  } finally {
    replay.dispose();
  }
}

function mode(name: CapturedMode["mode"], run: Run, steps: number, ms: number, hostMs: number, losses: number[]): CapturedMode {
  const batch = run.x.shape[0];
  return { mode: name, imagesPerSec: (steps * batch * 1000) / ms, stepMs: ms / steps, hostMsPerStep: hostMs / steps, losses };
}

/**
 * Eager (project kernels) and captured training steps of `name` from the same initial weights on one random batch.
 * Both modes take `warmup` + `steps` steps after the same two first steps, so their timed losses are comparable.
 */
export async function benchmarkCaptured(
  name: CapturedBenchModel, batch: number, steps: number, warmup: number, seed: number, options: CapturedBenchOptions = {},
): Promise<CapturedBenchResult> {
  const { model, logits, optimizer, learningRate } = build(name);
  const snapshot = model.getWeights().map((w) => tf.clone(w));
  const data = randomBatch(batch, seed);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.cast(tf.squeeze(data.y, [1]), "int32"), 100), "float32")) as tf.Tensor2D;
  const hostX = (await data.x.data()) as Float32Array;
  const hostY = (await y.data()) as Float32Array;
  const fresh = (): Run => {
    model.setWeights(snapshot);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    return { model, variables, optimizer: createOptimizer(optimizer), x: data.x, y, hostX, hostY, logits, learningRate };
  };
  try {
    const eagerRun = fresh();
    // Two untimed steps first, as the captured mode records two.
    for (let i = 0; i < 2; i++) {
      const inputs = stepInputs(eagerRun);
      const { loss } = eagerStep(eagerRun, inputs);
      await loss.data();
      tf.dispose([loss, ...Object.values(inputs)]);
    }
    const eager = await timeEager(eagerRun, warmup, steps);
    eagerRun.optimizer.dispose();
    const capturedRun = fresh();
    const { mode: captured, dispatches, profile } = await timeCaptured(capturedRun, warmup, steps, options.profile ?? false);
    capturedRun.optimizer.dispose();
    const lossGap = Math.max(...eager.losses.map((l, i) => Math.abs(captured.losses[i] - l) / Math.max(Math.abs(l), 1e-12)));
    return {
      model: name, batch, conv2d: forwardConv2D(), dispatchesPerStep: dispatches, eager, captured, lossGap,
      capturedPrograms: profile?.programs ?? null,
      capturedProfile: profile && { dispatches: profile.dispatches, gpuMs: profile.gpuMs, spanMs: profile.spanMs, replayedStepMs: captured.stepMs, quantized: profile.quantized },
    };
  } finally {
    tf.dispose([...snapshot, data.x, data.y, y]);
    model.dispose();
  }
}

/** The forward convolution now registered: "stock" or "project TMxTNxTK" (the requested tile; narrow layers halve it). */
export function forwardConv2D(): string {
  return fastWebGPUKernels().includes(tf.FusedConv2D) ? `project ${formatConv2DTiles(conv2DTiles())}` : "stock";
}

export function formatCaptured(results: CapturedBenchResult[]): string {
  const rows = results.flatMap((r) => [r.eager, r.captured].map((m) =>
    `| ${r.model} | ${r.batch} | ${r.conv2d ?? "-"} | ${m.mode} | ${m.imagesPerSec.toFixed(0)} | ${m.stepMs.toFixed(2)} | ${m.hostMsPerStep.toFixed(2)} |`));
  return ["| model | batch | forward conv | mode | img/s | step ms | host ms/step |", "|---|---:|---|---|---:|---:|---:|", ...rows,
    ...results.map((r) => `${r.model}${r.conv2d ? ` (${r.conv2d})` : ""}: ${r.dispatchesPerStep} dispatches per step; largest per-step loss gap eager vs captured ${r.lossGap.toExponential(2)}`)].join("\n");
}

/**
 * Per model run with several forward convolutions (--conv2d): each variant's captured img/s against the model's
 * first variant, and the largest per-step loss gap between their captured runs (same weights, data and steps).
 */
export function compareConv2D(results: CapturedBenchResult[]): { text: string; maxGap: number } {
  const lines: string[] = [];
  let maxGap = 0;
  for (const model of [...new Set(results.map((r) => r.model))]) {
    const runs = results.filter((r) => r.model === model);
    if (runs.length < 2) continue;
    const base = runs[0];
    const parts = runs.map((r) => {
      const gap = Math.max(...base.captured.losses.map((l, i) => Math.abs(r.captured.losses[i] - l) / Math.max(Math.abs(l), 1)));
      maxGap = Math.max(maxGap, gap);
      const speed = r === base ? "" : ` (${(r.captured.imagesPerSec / base.captured.imagesPerSec).toFixed(2)}x, loss gap ${gap.toExponential(1)})`;
      return `${r.conv2d}: ${r.captured.imagesPerSec.toFixed(1)} img/s${speed}`;
    });
    lines.push(`${model} b${base.batch} captured: ${parts.join("; ")}`);
  }
  return { text: lines.join("\n"), maxGap };
}

/** The profiled replay of `r` as a table: GPU ms per program, its share of the dispatches' sum and of the timed step. */
export function formatCapturedProfile(r: CapturedBenchResult, top = 15): string {
  const p = r.capturedProfile;
  if (!p || !r.capturedPrograms) return `${r.model} b${r.batch}: no profile of a replayed step`;
  const pct = (ms: number, of: number) => (of > 0 ? `${((100 * ms) / of).toFixed(1)}%` : "-");
  const rows = r.capturedPrograms.slice(0, top).map((q) =>
    `| ${q.program} | ${q.dispatches} | ${q.gpuMs.toFixed(3)} | ${pct(q.gpuMs, p.gpuMs)} | ${pct(q.gpuMs, p.replayedStepMs)} |`);
  const rest = r.capturedPrograms.slice(top);
  if (rest.length > 0) {
    const ms = rest.reduce((a, q) => a + q.gpuMs, 0);
    rows.push(`| (${rest.length} other programs) | ${rest.reduce((a, q) => a + q.dispatches, 0)} | ${ms.toFixed(3)} | ${pct(ms, p.gpuMs)} | ${pct(ms, p.replayedStepMs)} |`);
  }
  return [
    `${r.model} b${r.batch}: GPU ms per program in one replayed step (timestamp queries, one compute pass per dispatch)` +
      (r.conv2d ? `, forward conv ${r.conv2d}` : ""),
    "| program | dispatches | GPU ms | % of GPU sum | % of step |", "|---|---:|---:|---:|---:|", ...rows,
    `sum ${p.gpuMs.toFixed(2)} ms over ${p.dispatches} dispatches (${pct(p.gpuMs, p.replayedStepMs)} of the timed replayed step, ${p.replayedStepMs.toFixed(2)} ms); ` +
      `first-to-last timestamp ${p.spanMs.toFixed(2)} ms` + (p.quantized ? "; timestamps QUANTIZED to 65.5 us (Dawn's timestamp_quantization is on): short dispatches read 0" : ""),
  ].join("\n");
}
