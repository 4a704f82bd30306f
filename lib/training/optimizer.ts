// The training loop's optimizers, behind one small interface so the loop can checkpoint and resume any of them:
//   SGD with Nesterov momentum and L2 weight decay on the convolution and dense kernels (not on BatchNorm
//   parameters or biases): the classification recipe (DAWNBench/airbench);
//   Adam: reconstruction losses, whose small per-pixel gradients SGD's fixed step follows poorly.
// Both are written with tf ops here; lib/kernels/webgpu/{sgd,adam}.ts replace each variable's update with one
// dispatch on WebGPU. What changes from step to step (the learning rate, Adam's bias corrections) reaches the
// update as a small tensor, `stepScalars`, not as JS numbers: a captured step (lib/kernels/webgpu/capture.ts)
// replays the update with new scalars written into that tensor's buffer.
import * as tf from "@tensorflow/tfjs-core";

export type OptimizerConfig =
  | { kind?: "sgd-nesterov"; momentum: number; weightDecay: number }
  | { kind: "adam"; beta1: number; beta2: number; epsilon: number };

export interface LoopOptimizer {
  /** This step's scalars (learning rate first); call once per step, it advances the optimizer's step count. */
  stepScalars(learningRate: number): Float32Array;
  /** One update of every variable that has a gradient, with `scalars` from stepScalars() as a tensor. */
  apply(variables: tf.Variable[], grads: tf.NamedTensorMap, scalars: tf.Tensor1D): void;
  /** The optimizer's state for a checkpoint (named tensors it keeps owning). */
  state(variables: tf.Variable[]): Promise<{ name: string; tensor: tf.Tensor }[]>;
  /** Restores what state() saved; `tensor(name)` creates a tensor the callee owns. */
  setState(variables: tf.Variable[], names: string[], tensor: (name: string) => tf.Tensor): Promise<void>;
  dispose(): void;
}

export function createOptimizer(config: OptimizerConfig): LoopOptimizer {
  return config.kind === "adam" ? new Adam(config) : new SgdNesterov(config);
}

/** Zero-initialised optimizer slots (velocities, moments), one per variable name. */
class Slots {
  private readonly slots = new Map<string, tf.Variable>();

  get(variable: tf.Variable): tf.Variable {
    let v = this.slots.get(variable.name);
    if (!v) {
      v = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
      this.slots.set(variable.name, v);
    }
    return v;
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}

/** One tf-op update per variable that has a gradient, each in its own tidy. */
function eachUpdate(variables: tf.Variable[], grads: tf.NamedTensorMap, update: (variable: tf.Variable, grad: tf.Tensor) => void): void {
  for (const variable of variables) {
    const grad = grads[variable.name];
    if (grad) tf.tidy(() => update(variable, grad));
  }
}

export class SgdNesterov implements LoopOptimizer {
  private readonly velocity = new Slots();

  constructor(readonly config: { momentum: number; weightDecay: number }) {}

  stepScalars(learningRate: number): Float32Array {
    return Float32Array.of(learningRate);
  }

  /** Applies one update to each variable that has a gradient; disposes nothing it did not create. */
  apply(variables: tf.Variable[], grads: tf.NamedTensorMap, scalars: tf.Tensor1D): void {
    // Decay only weight matrices and kernels (rank > 1): decaying BatchNorm scales hurts (DAWNBench).
    eachUpdate(variables, grads, (variable, grad) =>
      this.update(variable, grad, this.velocity.get(variable), scalars, variable.rank > 1 ? this.config.weightDecay : 0));
  }

  /**
   * One variable's step: g' = g + decay * w; v = momentum * v + g'; w -= lr * (g' + momentum * v), lr = scalars[0].
   * Written with tf ops (about 8 kernels); lib/kernels/webgpu/sgd.ts replaces it with one dispatch on WebGPU.
   */
  update(variable: tf.Variable, grad: tf.Tensor, velocity: tf.Variable, scalars: tf.Tensor1D, decay: number): void {
    const { momentum } = this.config;
    const learningRate = tf.slice(scalars, 0, 1);
    const g = decay > 0 ? tf.add(grad, tf.mul(variable, decay)) : grad;
    const v = tf.add(tf.mul(velocity, momentum), g);
    velocity.assign(v);
    variable.assign(tf.sub(variable, tf.mul(tf.add(g, tf.mul(v, momentum)), learningRate)));
  }

  /** Velocity tensors in the order of `variables` (zeros for variables not updated yet). */
  velocities(variables: tf.Variable[]): tf.Tensor[] {
    return variables.map((v) => this.velocity.get(v));
  }

  async state(variables: tf.Variable[]): Promise<{ name: string; tensor: tf.Tensor }[]> {
    return this.velocities(variables).map((tensor, i) => ({ name: `velocity${i}`, tensor }));
  }

  async setState(variables: tf.Variable[], _names: string[], tensor: (name: string) => tf.Tensor): Promise<void> {
    variables.forEach((v, i) => {
      const value = tensor(`velocity${i}`);
      this.velocity.get(v).assign(value);
      value.dispose();
    });
  }

  dispose(): void {
    this.velocity.dispose();
  }
}

/**
 * Adam (Kingma & Ba) with tfjs' arithmetic: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * w += -lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). The bias corrections come from the host's step count.
 */
export class Adam implements LoopOptimizer {
  private readonly first = new Slots();
  private readonly second = new Slots();
  private iterations = 0;
  /** The iteration-count scalar of the last state() call, freed at the next one. */
  private iterationTensor: tf.Tensor | null = null;

  constructor(readonly config: { beta1: number; beta2: number; epsilon: number }) {}

  /** [learning rate, 1 - beta1^t, 1 - beta2^t] for the step t about to be taken. */
  stepScalars(learningRate: number): Float32Array {
    const t = ++this.iterations;
    return Float32Array.of(learningRate, 1 - this.config.beta1 ** t, 1 - this.config.beta2 ** t);
  }

  apply(variables: tf.Variable[], grads: tf.NamedTensorMap, scalars: tf.Tensor1D): void {
    eachUpdate(variables, grads, (variable, grad) => this.update(variable, grad, this.first.get(variable), this.second.get(variable), scalars));
  }

  /** One variable's step with tf ops; lib/kernels/webgpu/adam.ts replaces it with one dispatch on WebGPU. */
  update(variable: tf.Variable, grad: tf.Tensor, m: tf.Variable, v: tf.Variable, scalars: tf.Tensor1D): void {
    const { beta1, beta2, epsilon } = this.config;
    const [learningRate, correction1, correction2] = tf.split(scalars, 3);
    const m1 = tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1));
    const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2));
    const step = tf.div(tf.div(m1, correction1), tf.add(tf.sqrt(tf.div(v1, correction2)), epsilon));
    m.assign(m1);
    v.assign(v1);
    variable.assign(tf.add(tf.mul(step, tf.neg(learningRate)), variable));
  }

  /** The iteration count, then every first moment, then every second moment (tfjs' AdamOptimizer layout). */
  async state(variables: tf.Variable[]): Promise<{ name: string; tensor: tf.Tensor }[]> {
    this.iterationTensor?.dispose();
    this.iterationTensor = tf.scalar(this.iterations, "int32");
    const moments = [...variables.map((v) => this.first.get(v)), ...variables.map((v) => this.second.get(v))];
    return [this.iterationTensor, ...moments].map((tensor, i) => ({ name: `adam${i}`, tensor }));
  }

  async setState(variables: tf.Variable[], names: string[], tensor: (name: string) => tf.Tensor): Promise<void> {
    const count = tensor("adam0");
    this.iterations = (await count.data())[0];
    count.dispose();
    const n = variables.length;
    if (!names.includes(`adam${2 * n}`)) throw new Error(`the checkpoint holds Adam moments for fewer than ${n} variables`);
    variables.forEach((v, i) => {
      for (const [slots, index] of [[this.first, 1 + i], [this.second, 1 + n + i]] as const) {
        const value = tensor(`adam${index}`);
        slots.get(v).assign(value);
        value.dispose();
      }
    });
  }

  dispose(): void {
    this.iterationTensor?.dispose();
    this.first.dispose();
    this.second.dispose();
  }
}
