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
    const { momentum, weightDecay } = this.config;
    for (const variable of variables) {
      const grad = grads[variable.name];
      if (!grad) continue;
      const velocity = this.slot(variable);
      tf.tidy(() => {
        // Decay only weight matrices and kernels (rank > 1): decaying BatchNorm scales hurts (DAWNBench).
        const g = variable.rank > 1 && weightDecay > 0 ? tf.add(grad, tf.mul(variable, weightDecay)) : grad;
        const v = tf.add(tf.mul(velocity, momentum), g);
        const step = tf.add(g, tf.mul(v, momentum));
        velocity.assign(v);
        variable.assign(tf.sub(variable, tf.mul(step, learningRate)));
      });
    }
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
