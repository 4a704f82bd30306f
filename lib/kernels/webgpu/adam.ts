// Adam in one dispatch per variable instead of fourteen.
//
// tfjs' AdamOptimizer.applyGradients builds the update from ops: mul, mul, add (m), square, mul, mul, add (v),
// div, div (bias correction), sqrt, add, div, mul, add (the step), and every JS number in them (beta1, 1 - beta1,
// epsilon, -lr, ...) becomes a scalar tensor uploaded through its own staging buffer. That is 14 launches and
// several uploads per variable and step: about 530 of the ResNet's 1,240 launches. Here one program reads
// (value, gradient, m, v) and writes (value', m', v') with the same arithmetic in the same order; the bias
// corrections 1 - beta^t come from the iteration count on the host. The new tensors replace the old ones with
// Variable.assign, exactly as tfjs does, so clones and snapshots of the weights are never written in place.
import * as tf from "@tensorflow/tfjs-core";
import type { KernelOverride } from "./override";
import { MultiOutputProgram, MultiOutputShader, runMultiOutput, WebGPUBackendInternals } from "./multi-output";

class FusedAdamProgram extends MultiOutputProgram {}

const ADAM_SHADER: MultiOutputShader = {
  key: "projectFusedAdam",
  inputs: ["value", "gradient", "m", "v"],
  outputs: ["newValue", "newM", "newV"],
  uniforms: [
    { name: "size", type: "i32" },
    { name: "beta1", type: "f32" },
    { name: "oneMinusBeta1", type: "f32" },
    { name: "beta2", type: "f32" },
    { name: "oneMinusBeta2", type: "f32" },
    { name: "oneMinusAccBeta1", type: "f32" },
    { name: "oneMinusAccBeta2", type: "f32" },
    { name: "epsilon", type: "f32" },
    { name: "negLearningRate", type: "f32" },
  ],
  workgroupSize: 256,
  body: `
fn run(i : i32) {
  if (i >= uniforms.size) {
    return;
  }
  let g = gradient[i];
  let m1 = m[i] * uniforms.beta1 + g * uniforms.oneMinusBeta1;
  let v1 = v[i] * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;
  let mHat = m1 / uniforms.oneMinusAccBeta1;
  let vHat = v1 / uniforms.oneMinusAccBeta2;
  newValue[i] = (mHat / (sqrt(vHat) + uniforms.epsilon)) * uniforms.negLearningRate + value[i];
  newM[i] = m1;
  newV[i] = v1;
}`,
};

/** The fields of tfjs-core 4.22's AdamOptimizer that the fused step reads and maintains. */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  iterations: number;
  incrementIterations(): void;
}

type Gradients = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];

type ApplyGradients = (this: tf.AdamOptimizer, grads: Gradients) => void;

function fusedStep(opt: AdamState, grads: Gradients): void {
  const named = Array.isArray(grads) ? grads : Object.keys(grads).map((name) => ({ name, tensor: grads[name] }));
  const step = opt.iterations + 1; // stock keeps accBeta = beta^step in a variable; we compute it on the host
  const uniformsFor = (size: number) => [
    size, opt.beta1, 1 - opt.beta1, opt.beta2, 1 - opt.beta2,
    1 - opt.beta1 ** step, 1 - opt.beta2 ** step, opt.epsilon, -opt.learningRate,
  ];
  const backend = tf.backend() as unknown as WebGPUBackendInternals;
  tf.tidy(() => {
    named.forEach(({ name, tensor: gradient }, i) => {
      const value = tf.engine().registeredVariables[name];
      opt.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      opt.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      if (gradient == null) return;
      const m = opt.accumulatedFirstMoment[i].variable;
      const v = opt.accumulatedSecondMoment[i].variable;
      const outputs = runMultiOutput(backend, FusedAdamProgram, ADAM_SHADER, [value, gradient, m, v],
        [value.shape, value.shape, value.shape], value.size, uniformsFor(value.size));
      const [newValue, newM, newV] = outputs.map((info) => tf.engine().makeTensorFromTensorInfo(info));
      m.assign(newM);
      v.assign(newV);
      value.assign(newValue);
    });
    opt.accBeta1.assign(tf.scalar(opt.beta1 ** (step + 1)));
    opt.accBeta2.assign(tf.scalar(opt.beta2 ** (step + 1)));
  });
  opt.incrementIterations();
}

/** Patches AdamOptimizer.prototype.applyGradients: fused on the webgpu backend, stock anywhere else. */
export function fusedAdamOverride(): KernelOverride {
  let stock: ApplyGradients | null = null;
  return {
    name: "Adam (fused update)",
    enable() {
      if (stock) return;
      const original = (stock = tf.AdamOptimizer.prototype.applyGradients as ApplyGradients);
      tf.AdamOptimizer.prototype.applyGradients = function (this: tf.AdamOptimizer, grads) {
        if (tf.getBackend() !== "webgpu") return original.call(this, grads);
        fusedStep(this as unknown as AdamState, grads);
      };
    },
    disable() {
      if (!stock) return;
      tf.AdamOptimizer.prototype.applyGradients = stock;
      stock = null;
    },
  };
}
