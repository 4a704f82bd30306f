// The training loop's optimizers, behind one small interface so the loop can checkpoint and resume any of them:
//   SGD with Nesterov momentum and L2 weight decay on the convolution and dense kernels (not on BatchNorm
//   parameters or biases): the classification recipe (DAWNBench/airbench);
//   Adam (tfjs' own, whose update lib/kernels/webgpu/adam.ts fuses): reconstruction losses, whose small per-pixel
//   gradients SGD's fixed step follows poorly.
import * as tf from "@tensorflow/tfjs-core";

export type OptimizerConfig =
  | { kind?: "sgd-nesterov"; momentum: number; weightDecay: number }
  | { kind: "adam"; beta1: number; beta2: number; epsilon: number };

export interface LoopOptimizer {
  /** One update of every variable that has a gradient, at this step's learning rate. */
  apply(variables: tf.Variable[], grads: tf.NamedTensorMap, learningRate: number): void;
  /** The optimizer's state for a checkpoint (named tensors it keeps owning). */
  state(variables: tf.Variable[]): Promise<{ name: string; tensor: tf.Tensor }[]>;
  /** Restores what state() saved; `tensor(name)` creates a tensor the callee owns. */
  setState(variables: tf.Variable[], names: string[], tensor: (name: string) => tf.Tensor): Promise<void>;
  dispose(): void;
}

export function createOptimizer(config: OptimizerConfig): LoopOptimizer {
  return config.kind === "adam" ? new Adam(config) : new SgdNesterov(config);
}

export class SgdNesterov implements LoopOptimizer {
  private velocity = new Map<string, tf.Variable>();

  constructor(readonly config: { momentum: number; weightDecay: number }) {}

  /** Applies one update to each variable that has a gradient; disposes nothing it did not create. */
  apply(variables: tf.Variable[], grads: tf.NamedTensorMap, learningRate: number): void {
    for (const variable of variables) {
      const grad = grads[variable.name];
      if (!grad) continue;
      // Decay only weight matrices and kernels (rank > 1): decaying BatchNorm scales hurts (DAWNBench).
      const decay = variable.rank > 1 ? this.config.weightDecay : 0;
      tf.tidy(() => this.update(variable, grad, this.slot(variable), learningRate, decay));
    }
  }

  /**
   * One variable's step: g' = g + decay * w; v = momentum * v + g'; w -= lr * (g' + momentum * v).
   * Written with tf ops (about 8 kernels); lib/kernels/webgpu/sgd.ts replaces it with one dispatch on WebGPU.
   */
  update(variable: tf.Variable, grad: tf.Tensor, velocity: tf.Variable, learningRate: number, decay: number): void {
    const { momentum } = this.config;
    const g = decay > 0 ? tf.add(grad, tf.mul(variable, decay)) : grad;
    const v = tf.add(tf.mul(velocity, momentum), g);
    velocity.assign(v);
    variable.assign(tf.sub(variable, tf.mul(tf.add(g, tf.mul(v, momentum)), learningRate)));
  }

  private slot(variable: tf.Variable): tf.Variable {
    let v = this.velocity.get(variable.name);
    if (!v) {
      v = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
      this.velocity.set(variable.name, v);
    }
    return v;
  }

  /** Velocity tensors in the order of `variables` (zeros for variables not updated yet). */
  velocities(variables: tf.Variable[]): tf.Tensor[] {
    return variables.map((v) => this.slot(v));
  }

  async state(variables: tf.Variable[]): Promise<{ name: string; tensor: tf.Tensor }[]> {
    return this.velocities(variables).map((tensor, i) => ({ name: `velocity${i}`, tensor }));
  }

  async setState(variables: tf.Variable[], _names: string[], tensor: (name: string) => tf.Tensor): Promise<void> {
    variables.forEach((v, i) => {
      const value = tensor(`velocity${i}`);
      this.slot(v).assign(value);
      value.dispose();
    });
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}

/** tfjs' Adam driven by the loop's schedule (its learningRate field is read at every update). */
class Adam implements LoopOptimizer {
  private readonly optimizer: tf.AdamOptimizer;
  /** tfjs makes a new iteration-count scalar at every getWeights(): the last one is freed at the next call. */
  private iterations: tf.Tensor | null = null;

  constructor(config: { beta1: number; beta2: number; epsilon: number }) {
    this.optimizer = tf.train.adam(1e-3, config.beta1, config.beta2, config.epsilon);
  }

  apply(variables: tf.Variable[], grads: tf.NamedTensorMap, learningRate: number): void {
    (this.optimizer as unknown as { learningRate: number }).learningRate = learningRate;
    this.optimizer.applyGradients(variables.filter((v) => grads[v.name]).map((v) => ({ name: v.name, tensor: grads[v.name] })));
  }

  async state(): Promise<{ name: string; tensor: tf.Tensor }[]> {
    // The iteration count, then every first moment, then every second moment (tfjs' order).
    const weights = await this.optimizer.getWeights();
    this.iterations?.dispose();
    this.iterations = weights[0].tensor;
    return weights.map((w, i) => ({ name: `adam${i}`, tensor: w.tensor }));
  }

  async setState(_variables: tf.Variable[], names: string[], tensor: (name: string) => tf.Tensor): Promise<void> {
    const slots = names.filter((n) => n.startsWith("adam")).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
    const values = slots.map((name) => ({ name, tensor: tensor(name) }));
    await this.optimizer.setWeights(values); // the moments become variables sharing these tensors' data
    tf.dispose(values.map((v) => v.tensor));
  }

  dispose(): void {
    this.iterations?.dispose();
    this.optimizer.dispose();
  }
}
