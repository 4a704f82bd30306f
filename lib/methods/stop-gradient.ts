// A stop-gradient for tfjs (which has none): what a method computes from the model's outputs but must treat as a
// fixed target, as torch.no_grad or tf.stop_gradient do: FixMatch's pseudo-labels, the one-class batch radius.
import * as tf from "@tensorflow/tfjs-core";

/**
 * `f` as a constant of the gradient: its output passes a zero gradient back to its input. Backpropagation never
 * enters `f`, so `f` may use ops that have no gradient in tfjs (TopK).
 */
export function withoutGradient<T extends tf.Tensor>(f: (x: tf.Tensor) => T): (x: tf.Tensor) => T {
  const op = tf.customGrad((x, save) => {
    (save as tf.GradSaveFunc)([x as tf.Tensor]);
    return { value: f(x as tf.Tensor), gradFunc: (_dy: tf.Tensor, saved: tf.Tensor[]) => tf.zerosLike(saved[0]) };
  });
  return (x) => op(x) as T;
}

/** `x` itself, as a constant of the gradient. */
export const stopGradient = withoutGradient((x) => tf.clone(x)) as <T extends tf.Tensor>(x: T) => T;
