// The project's WebGPU training kernels, registered over tfjs' stock ones by the backend chain.
//
// Each override keeps the stock kernelFunc: it falls back to it for cases it does not handle, and
// setFastWebGPUKernels(false) puts it back, so the benchmark can time stock and project kernels in one process.
import * as tf from "@tensorflow/tfjs-core";
import { makeConv2DBackpropFilter } from "./conv2d-backprop-filter";

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

const OVERRIDES: KernelOverride[] = [kernelOverride(tf.Conv2DBackpropFilter, makeConv2DBackpropFilter)];

let enabled = false;

/** Switches every project kernel on or off (idempotent); returns the names now active. */
export function setFastWebGPUKernels(on: boolean): string[] {
  for (const o of OVERRIDES) (on ? o.enable() : o.disable());
  enabled = on;
  return fastWebGPUKernels();
}

/** Names of the project kernels currently registered over the stock ones. */
export function fastWebGPUKernels(): string[] {
  return enabled ? OVERRIDES.map((o) => o.name) : [];
}

/** Registers every project kernel for the "webgpu" backend and returns their names. */
export function registerFastWebGPUKernels(): string[] {
  return setFastWebGPUKernels(true);
}
