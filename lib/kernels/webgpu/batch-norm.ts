// BatchNormalization in training: 3 dispatches forward and 3 backward, instead of ~55 launches per layer.
//
// tfjs-layers normalises a training batch with tf.moments (Mean, Sub, Square, Mean: each Mean over N, H, W first
// transposes the whole activation), the FusedBatchNorm kernel, six ops for the moving averages, and a gradient
// assembled from ~30 more ops. With 12 BatchNorms that was ~660 of the ResNet's 758 launches left after fused
// Adam. Here, on the webgpu backend and for the usual case (last axis, center and scale on, float32):
//   forward:  per-split partial mean and M2 over the rows  ->  Chan's combine, which also writes the new moving
//             mean and variance  ->  y = (x - mean) / sqrt(var + eps) * gamma + beta
//   backward: per-split partial sums of dy and dy * (x - mean)  ->  dgamma, dbeta  ->
//             dx = gamma / sqrt(var + eps) * (dy - dbeta / R - xhat * dgamma / R)
// The layer's `call` is patched (switchably, like every override here); every other case runs tfjs' own code.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers"; // registers the BatchNormalization class we patch
import { MultiOutputProgram, MultiOutputShader, runMultiOutput, WebGPUBackendInternals } from "./multi-output";
import type { KernelOverride } from "./override";
import { ceilDiv, i32, SELF_INDEXED_LAYOUT, WebGPUBackendLike, WebGPUProgram } from "./program";

/** Aim for about this many workgroups in a partial-sums pass. */
const TARGET_WORKGROUPS = 512;
/** At most this many splits, so the per-channel combine loops stay short. */
const MAX_SPLITS = 256;

export interface RowSplit {
  rows: number;
  channels: number;
  /** Channels per workgroup (16, 32 or 64); the other 256 / tileC threads of a workgroup stride over rows. */
  tileC: number;
  splits: number;
  rowsPerSplit: number;
}

export function planRowSplit(rows: number, channels: number): RowSplit {
  const tileC = channels <= 16 ? 16 : channels <= 32 ? 32 : 64;
  const wanted = ceilDiv(TARGET_WORKGROUPS, ceilDiv(channels, tileC));
  const rowsPerSplit = ceilDiv(rows, Math.min(MAX_SPLITS, wanted, ceilDiv(rows, 64)));
  return { rows, channels, tileC, splits: ceilDiv(rows, rowsPerSplit), rowsPerSplit };
}

/**
 * Per split s and channel c, two partial sums over the split's rows of x viewed as [rows, channels]:
 * "stats": mean and M2 = sum (x - mean)^2 (two passes over the split, the second from cache);
 * "grad": sum dy and sum dy * (x - mean[c]). Output [splits, 2, channels].
 */
class ChannelPartialSumsProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms = "rows : i32, channels : i32, rowsPerSplit : i32,";
  dispatchLayout = SELF_INDEXED_LAYOUT;
  outputShape: number[];
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  shaderKey: string;

  constructor(private plan: RowSplit, private kind: "stats" | "grad") {
    this.variableNames = kind === "stats" ? ["x"] : ["x", "dy", "mean"];
    this.outputShape = [plan.splits, 2, plan.channels];
    this.workgroupSize = [plan.tileC, 256 / plan.tileC, 1];
    this.dispatch = [ceilDiv(plan.channels, plan.tileC), plan.splits, 1];
    this.shaderKey = `projectChannelPartialSums_${kind}_${plan.tileC}`;
  }

  getUserCode(): string {
    const TC = this.plan.tileC;
    const lanes = 256 / TC;
    const rowLoop = (body: string) => `
    for (var r = r0 + i32(localId.y); r < r1; r += ${lanes}) {
      if (c < uniforms.channels) {
        let i = r * uniforms.channels + c;
        ${body}
      }
    }`;
    const stats = `
    var sum = 0.0;${rowLoop("sum += x[i];")}
    let mean = columnTotal(sum) / f32(r1 - r0);
    var m2 = 0.0;${rowLoop("let d = x[i] - mean; m2 += d * d;")}
    let first = mean;
    let second = columnTotal(m2);`;
    const grad = `
    var sumDy = 0.0;
    var sumDyXc = 0.0;
    let mu = mean[min(c, uniforms.channels - 1)];${rowLoop("let g = dy[i]; sumDy += g; sumDyXc += g * (x[i] - mu);")}
    let first = columnTotal(sumDy);
    let second = columnTotal(sumDyXc);`;
    return `
  var<workgroup> lanes : array<f32, 256>;

  // Sum of v over the ${lanes} row lanes of this thread's channel, returned to every lane.
  fn columnTotal(v : f32) -> f32 {
    workgroupBarrier();
    lanes[localIndex] = v;
    workgroupBarrier();
    var total = 0.0;
    for (var l = 0u; l < ${lanes}u; l++) {
      total += lanes[l * ${TC}u + localId.x];
    }
    return total;
  }

  fn main() {
    let c = i32(workgroupId.x) * ${TC} + i32(localId.x);
    let split = i32(workgroupId.y);
    let r0 = split * uniforms.rowsPerSplit;
    let r1 = min(r0 + uniforms.rowsPerSplit, uniforms.rows);
    ${this.kind === "stats" ? stats : grad}
    if (localId.y == 0u && c < uniforms.channels) {
      result[(2 * split) * uniforms.channels + c] = first;
      result[(2 * split + 1) * uniforms.channels + c] = second;
    }
  }
`;
  }
}

class BatchNormStatsProgram extends MultiOutputProgram {}
class BatchNormNormalizeProgram extends MultiOutputProgram {}
class BatchNormGradSumsProgram extends MultiOutputProgram {}
class BatchNormGradInputProgram extends MultiOutputProgram {}

const splitUniforms: MultiOutputShader["uniforms"] = [
  { name: "size", type: "i32" },
  { name: "splits", type: "i32" },
  { name: "rows", type: "i32" },
  { name: "rowsPerSplit", type: "i32" },
];

/** Per channel: Chan's merge of the split (count, mean, M2) triples; moving averages as tfjs-layers does them. */
const STATS_SHADER: MultiOutputShader = {
  key: "projectBatchNormStats",
  inputs: ["partial", "movingMean", "movingVariance"],
  outputs: ["meanOut", "varianceOut", "newMovingMean", "newMovingVariance"],
  uniforms: [...splitUniforms, { name: "decay", type: "f32" }],
  workgroupSize: 64,
  body: `
fn run(c : i32) {
  if (c >= uniforms.size) {
    return;
  }
  var n = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var s = 0; s < uniforms.splits; s++) {
    let nb = f32(min(uniforms.rowsPerSplit, uniforms.rows - s * uniforms.rowsPerSplit));
    let delta = partial[2 * s * uniforms.size + c] - mean;
    let total = n + nb;
    mean += delta * (nb / total);
    m2 += partial[(2 * s + 1) * uniforms.size + c] + delta * delta * (n * nb / total);
    n = total;
  }
  let variance = m2 / n;
  meanOut[c] = mean;
  varianceOut[c] = variance;
  newMovingMean[c] = movingMean[c] - (movingMean[c] - mean) * uniforms.decay;
  newMovingVariance[c] = movingVariance[c] - (movingVariance[c] - variance) * uniforms.decay;
}`,
};

const NORMALIZE_SHADER: MultiOutputShader = {
  key: "projectBatchNormNormalize",
  inputs: ["x", "mean", "variance", "gamma", "beta"],
  outputs: ["y"],
  uniforms: [{ name: "size", type: "i32" }, { name: "channels", type: "i32" }, { name: "epsilon", type: "f32" }],
  workgroupSize: 256,
  body: `
fn run(i : i32) {
  if (i >= uniforms.size) {
    return;
  }
  let c = i % uniforms.channels;
  y[i] = (x[i] - mean[c]) * gamma[c] / sqrt(variance[c] + uniforms.epsilon) + beta[c];
}`,
};

const GRAD_SUMS_SHADER: MultiOutputShader = {
  key: "projectBatchNormGradSums",
  inputs: ["partial", "variance"],
  outputs: ["dgamma", "dbeta"],
  uniforms: [{ name: "size", type: "i32" }, { name: "splits", type: "i32" }, { name: "epsilon", type: "f32" }],
  workgroupSize: 64,
  body: `
fn run(c : i32) {
  if (c >= uniforms.size) {
    return;
  }
  var sumDy = 0.0;
  var sumDyXc = 0.0;
  for (var s = 0; s < uniforms.splits; s++) {
    sumDy += partial[2 * s * uniforms.size + c];
    sumDyXc += partial[(2 * s + 1) * uniforms.size + c];
  }
  dgamma[c] = sumDyXc / sqrt(variance[c] + uniforms.epsilon);
  dbeta[c] = sumDy;
}`,
};

const GRAD_INPUT_SHADER: MultiOutputShader = {
  key: "projectBatchNormGradInput",
  inputs: ["x", "dy", "mean", "variance", "gamma", "dgamma", "dbeta"],
  outputs: ["dx"],
  uniforms: [{ name: "size", type: "i32" }, { name: "channels", type: "i32" }, { name: "rows", type: "f32" }, { name: "epsilon", type: "f32" }],
  workgroupSize: 256,
  body: `
fn run(i : i32) {
  if (i >= uniforms.size) {
    return;
  }
  let c = i % uniforms.channels;
  let invStd = 1.0 / sqrt(variance[c] + uniforms.epsilon);
  let xHat = (x[i] - mean[c]) * invStd;
  dx[i] = gamma[c] * invStd * (dy[i] - dbeta[c] / uniforms.rows - xHat * dgamma[c] / uniforms.rows);
}`,
};

const toTensor = (info: tf.TensorInfo) => tf.engine().makeTensorFromTensorInfo(info);

function partialSums(plan: RowSplit, kind: "stats" | "grad", inputs: tf.TensorInfo[]): tf.TensorInfo {
  const backend = tf.backend() as unknown as WebGPUBackendLike;
  const program = new ChannelPartialSumsProgram(plan, kind);
  return backend.runWebGPUProgram(program, inputs, "float32", [i32(plan.rows), i32(plan.channels), i32(plan.rowsPerSplit)]);
}

/** Batch mean and (biased) variance per channel, and the moving averages updated with `momentum`. */
function batchStats(x: tf.Tensor, movingMean: tf.Tensor, movingVariance: tf.Tensor, momentum: number): tf.Tensor[] {
  const channels = x.shape[x.rank - 1];
  const plan = planRowSplit(x.size / channels, channels);
  const backend = tf.backend() as unknown as WebGPUBackendInternals & WebGPUBackendLike;
  const partial = partialSums(plan, "stats", [x]);
  const c = [channels];
  const out = runMultiOutput(backend, BatchNormStatsProgram, STATS_SHADER, [partial, movingMean, movingVariance], [c, c, c, c],
    channels, [channels, plan.splits, plan.rows, plan.rowsPerSplit, 1 - momentum]);
  backend.disposeData(partial.dataId);
  return out.map(toTensor);
}

/** d(loss)/d(x, gamma, beta) of y = (x - mean) / sqrt(var + eps) * gamma + beta with batch mean and var. */
function batchNormGrad(x: tf.Tensor, dy: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor, epsilon: number): tf.Tensor[] {
  const channels = x.shape[x.rank - 1];
  const plan = planRowSplit(x.size / channels, channels);
  const backend = tf.backend() as unknown as WebGPUBackendInternals & WebGPUBackendLike;
  const partial = partialSums(plan, "grad", [x, dy, mean]);
  const c = [channels];
  const [dgamma, dbeta] = runMultiOutput(backend, BatchNormGradSumsProgram, GRAD_SUMS_SHADER, [partial, variance], [c, c],
    channels, [channels, plan.splits, epsilon]);
  backend.disposeData(partial.dataId);
  const [dx] = runMultiOutput(backend, BatchNormGradInputProgram, GRAD_INPUT_SHADER, [x, dy, mean, variance, gamma, dgamma, dbeta],
    [x.shape], x.size, [x.size, channels, plan.rows, epsilon]);
  return [toTensor(dx), toTensor(dgamma), toTensor(dbeta)];
}

/** The fields of tfjs-layers 4.22's BatchNormalization layer that the fused path reads and writes. */
interface LayerVariable {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}

interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: LayerVariable;
  beta: LayerVariable;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
  invokeCallHook(inputs: unknown, kwargs: unknown): void;
}

type Call = (this: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }) => tf.Tensor;

function fusable(layer: BatchNormLayer, x: tf.Tensor, training: boolean | undefined): boolean {
  return training === true && tf.getBackend() === "webgpu" && layer.center && layer.scale && x.dtype === "float32" &&
    x.rank >= 2 && (layer.axis === -1 || layer.axis === x.rank - 1);
}

/** The training branch of BatchNormalization.call, fused: same outputs and moving-average updates. */
function fusedTrainingCall(layer: BatchNormLayer, x: tf.Tensor): tf.Tensor {
  const epsilon = layer.epsilon;
  return tf.tidy(() => {
    const [mean, variance, newMovingMean, newMovingVariance] =
      batchStats(x, layer.movingMean.read(), layer.movingVariance.read(), layer.momentum);
    layer.movingMean.write(newMovingMean);
    layer.movingVariance.write(newMovingVariance);
    const normalize = tf.customGrad((xIn, gamma, beta, save) => {
      const [x4, g, b] = [xIn, gamma, beta] as tf.Tensor[];
      const backend = tf.backend() as unknown as WebGPUBackendInternals;
      const [y] = runMultiOutput(backend, BatchNormNormalizeProgram, NORMALIZE_SHADER, [x4, mean, variance, g, b], [x4.shape],
        x4.size, [x4.size, x4.shape[x4.rank - 1], epsilon]);
      (save as tf.GradSaveFunc)([x4, mean, variance, g]);
      return {
        value: toTensor(y),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => batchNormGrad(saved[0], dy, saved[1], saved[2], saved[3], epsilon),
      };
    });
    return normalize(x, layer.gamma.read(), layer.beta.read());
  });
}

/** Patches tfjs-layers' BatchNormalization.prototype.call: fused in training on webgpu, stock otherwise. */
export function fusedBatchNormOverride(): KernelOverride {
  let stock: Call | null = null;
  const layerClass = () => {
    const entry = tf.serialization.SerializationMap.getMap().classNameMap["BatchNormalization"];
    if (!entry) throw new Error("tfjs-layers' BatchNormalization is not registered");
    return entry[0] as unknown as { prototype: { call: Call } };
  };
  return {
    name: "BatchNormalization (fused training)",
    enable() {
      if (stock) return;
      const original = (stock = layerClass().prototype.call);
      layerClass().prototype.call = function (this: BatchNormLayer, inputs, kwargs) {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        if (!fusable(this, x, kwargs?.training) || (Array.isArray(inputs) && inputs.length !== 1)) {
          return original.call(this, inputs, kwargs);
        }
        this.invokeCallHook(inputs, kwargs);
        return fusedTrainingCall(this, x);
      };
    },
    disable() {
      if (!stock) return;
      layerClass().prototype.call = stock;
      stock = null;
    },
  };
}
