// Adam in one dispatch per variable instead of fourteen.
//
// Adam's update written with tf ops is mul, mul, add (m), square, mul, mul, add (v), div, div (bias correction),
// sqrt, add, div, mul, add (the step), and every JS number in it (beta1, 1 - beta1, epsilon, ...) becomes a scalar
// tensor uploaded through its own staging buffer: 14 launches and several uploads per variable and step, about 530
// of the bench ResNet's 1,240 launches. Here one program reads (value, gradient, m, v, step scalars) and writes
// (value', m', v') with the same arithmetic in the same order. The betas and epsilon are uniforms (fixed for a run);
// the learning rate and the bias corrections 1 - beta^t are read from the step-scalars tensor
// [lr, 1 - beta1^t, 1 - beta2^t], which changes every step (a captured step replays the dispatch with new scalars).
// New tensors replace the old ones with Variable.assign, so clones and snapshots are never written in place.
//
// Two callers: the training loop's Adam (lib/training/optimizer.ts), and tfjs' own AdamOptimizer, which the bench's
// model.trainOnBatch uses.
import * as tf from "@tensorflow/tfjs-core";
import { Adam } from "../../training/optimizer";
import type { KernelOverride } from "./override";
import { MultiOutputProgram, MultiOutputShader, runMultiOutput, WebGPUBackendInternals } from "./multi-output";

class FusedAdamProgram extends MultiOutputProgram {}

const ADAM_SHADER: MultiOutputShader = {
  key: "projectFusedAdam",
  inputs: ["value", "gradient", "m", "v", "scalars"],
  outputs: ["newValue", "newM", "newV"],
  uniforms: [
    { name: "size", type: "i32" },
    { name: "beta1", type: "f32" },
    { name: "oneMinusBeta1", type: "f32" },
    { name: "beta2", type: "f32" },
    { name: "oneMinusBeta2", type: "f32" },
    { name: "epsilon", type: "f32" },
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
  let mHat = m1 / scalars[1];
  let vHat = v1 / scalars[2];
  newValue[i] = (mHat / (sqrt(vHat) + uniforms.epsilon)) * -scalars[0] + value[i];
  newM[i] = m1;
  newV[i] = v1;
}`,
};

interface AdamConfig {
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** One fused update of `value` with moments m, v; returns the new (value, m, v) tensors. */
function fusedUpdate(config: AdamConfig, value: tf.Tensor, gradient: tf.Tensor, m: tf.Tensor, v: tf.Tensor, scalars: tf.Tensor1D): tf.Tensor[] {
  const backend = tf.backend() as unknown as WebGPUBackendInternals;
  const uniforms = [value.size, config.beta1, 1 - config.beta1, config.beta2, 1 - config.beta2, config.epsilon];
  const outputs = runMultiOutput(backend, FusedAdamProgram, ADAM_SHADER, [value, gradient, m, v, scalars],
    [value.shape, value.shape, value.shape], value.size, uniforms);
  return outputs.map((info) => tf.engine().makeTensorFromTensorInfo(info));
}

/** The fields of tfjs-core 4.22's AdamOptimizer that the fused step reads and maintains. */
interface TfAdamState extends AdamConfig {
  learningRate: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  iterations: number;
  incrementIterations(): void;
}

type Gradients = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];

/** tfjs' AdamOptimizer.applyGradients, fused: the bias corrections from its iteration count on the host. */
function tfAdamStep(opt: TfAdamState, grads: Gradients): void {
  const named = Array.isArray(grads) ? grads : Object.keys(grads).map((name) => ({ name, tensor: grads[name] }));
  const step = opt.iterations + 1; // stock keeps accBeta = beta^step in a variable; we compute it on the host
  tf.tidy(() => {
    const scalars = tf.tensor1d([opt.learningRate, 1 - opt.beta1 ** step, 1 - opt.beta2 ** step]);
    named.forEach(({ name, tensor: gradient }, i) => {
      const value = tf.engine().registeredVariables[name];
      opt.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      opt.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      if (gradient == null) return;
      const m = opt.accumulatedFirstMoment[i].variable;
      const v = opt.accumulatedSecondMoment[i].variable;
      const [newValue, newM, newV] = fusedUpdate(opt, value, gradient, m, v, scalars);
      m.assign(newM);
      v.assign(newV);
      value.assign(newValue);
    });
    opt.accBeta1.assign(tf.scalar(opt.beta1 ** (step + 1)));
    opt.accBeta2.assign(tf.scalar(opt.beta2 ** (step + 1)));
  });
  opt.incrementIterations();
}

type Update = Adam["update"];
type ApplyGradients = (this: tf.AdamOptimizer, grads: Gradients) => void;

/** Patches the loop's Adam.update and tfjs' AdamOptimizer.applyGradients: fused on webgpu, stock anywhere else. */
export function fusedAdamOverride(): KernelOverride {
  let stock: { update: Update; applyGradients: ApplyGradients } | null = null;
  return {
    name: "Adam (fused update)",
    enable() {
      if (stock) return;
      const original = (stock = { update: Adam.prototype.update, applyGradients: tf.AdamOptimizer.prototype.applyGradients as ApplyGradients });
      Adam.prototype.update = function (this: Adam, variable, grad, m, v, scalars) {
        if (tf.getBackend() !== "webgpu" || variable.dtype !== "float32") return original.update.call(this, variable, grad, m, v, scalars);
        const [newValue, newM, newV] = fusedUpdate(this.config, variable, grad, m, v, scalars);
        m.assign(newM);
        v.assign(newV);
        variable.assign(newValue);
        tf.dispose([newValue, newM, newV]);
      };
      tf.AdamOptimizer.prototype.applyGradients = function (this: tf.AdamOptimizer, grads) {
        if (tf.getBackend() !== "webgpu") return original.applyGradients.call(this, grads);
        tfAdamStep(this as unknown as TfAdamState, grads);
      };
    },
    disable() {
      if (!stock) return;
      Adam.prototype.update = stock.update;
      tf.AdamOptimizer.prototype.applyGradients = stock.applyGradients;
      stock = null;
    },
  };
}
