// SGD with Nesterov momentum and L2 weight decay on the convolution and dense kernels (not on BatchNorm
// parameters or biases), the optimizer of the DAWNBench/airbench CIFAR recipes. Written here rather than taken
// from tf.train so the decay mask and the state layout (for checkpoints) are explicit.
import * as tf from "@tensorflow/tfjs-core";

export interface OptimizerConfig {
  momentum: number;
  weightDecay: number;
}

export const SGD_NESTEROV: OptimizerConfig = { momentum: 0.9, weightDecay: 5e-4 };

export class SgdNesterov {
  private velocity = new Map<string, tf.Variable>();

  constructor(readonly config: OptimizerConfig) {}

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

  /** Velocity tensors in the order of `variables` (zeros for variables not updated yet), for checkpoints. */
  state(variables: tf.Variable[]): tf.Tensor[] {
    return variables.map((v) => this.slot(v));
  }

  setState(variables: tf.Variable[], values: tf.Tensor[]): void {
    variables.forEach((v, i) => this.slot(v).assign(values[i]));
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}
