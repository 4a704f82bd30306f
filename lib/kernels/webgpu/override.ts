// A project kernel registered over tfjs' stock one, switchable at run time (the bench times both in one process).
import * as tf from "@tensorflow/tfjs-core";

/** One replacement: a kernel over tfjs' stock one (or an optimizer patch) that can be switched on and off. */
export interface KernelOverride {
  name: string;
  enable(): void;
  disable(): void;
}

/** Overrides `kernelName` on "webgpu" with makeFunc(stock); makeFunc gets the stock kernelFunc for fallbacks. */
export function kernelOverride(kernelName: string, makeFunc: (stock: tf.KernelFunc) => tf.KernelFunc): KernelOverride {
  let stock: tf.KernelConfig | null = null;
  return {
    name: kernelName,
    enable() {
      if (stock) return;
      const config = tf.getKernel(kernelName, "webgpu");
      if (!config) throw new Error(`no stock webgpu kernel ${kernelName} to replace (is tfjs-backend-webgpu loaded?)`);
      stock = config;
      tf.unregisterKernel(kernelName, "webgpu");
      tf.registerKernel({ ...config, kernelFunc: makeFunc(config.kernelFunc) });
    },
    disable() {
      if (!stock) return;
      tf.unregisterKernel(kernelName, "webgpu");
      tf.registerKernel(stock);
      stock = null;
    },
  };
}
