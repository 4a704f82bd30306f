// The project's WebGPU training kernels, registered over tfjs' stock ones by the backend chain.
//
// Each override keeps the stock kernelFunc: it falls back to it for cases it does not handle, and
// setFastWebGPUKernels(false) puts it back, so the benchmark can time stock and project kernels in one process.
import * as tf from "@tensorflow/tfjs-core";
import { fusedAdamOverride } from "./adam";
import { fusedBatchNormOverride } from "./batch-norm";
import { makeConv2DBackpropFilter } from "./conv2d-backprop-filter";
import { makeConv2DBackpropInput } from "./conv2d-backprop-input";
import { KernelOverride, kernelOverride } from "./override";
import { fusedSgdOverride } from "./sgd";

export type { KernelOverride } from "./override";

// Measured effects: docs/perf-notes.md (lavapipe here; H100/H200 from `npm run bench -- --ablate`).
const OVERRIDES: KernelOverride[] = [
  // dW as a split-K implicit GEMM: stock was 98% of an H200 refcnn step; 2-2.5x faster per layer on lavapipe.
  kernelOverride(tf.Conv2DBackpropFilter, makeConv2DBackpropFilter),
  // dx as an implicit GEMM: 2x slower than stock on lavapipe (a CPU); kept for GPUs until --ablate says otherwise.
  kernelOverride(tf.Conv2DBackpropInput, makeConv2DBackpropInput),
  // Adam: 14 launches and ~7 scalar uploads per variable -> 1 launch (refcnn 229 -> 103 launches/step).
  fusedAdamOverride(),
  // BatchNorm in training: ~55 launches per layer -> 6 (resnet 758 -> 242 launches/step).
  fusedBatchNormOverride(),
  fusedSgdOverride(),
];

/** Every project kernel's name, in registration order. */
export const FAST_KERNEL_NAMES: readonly string[] = OVERRIDES.map((o) => o.name);

const active = new Set<string>();

/**
 * Switches the project kernels on (all but `except`, for leave-one-out measurements) or off; idempotent.
 * Returns the names now active.
 */
export function setFastWebGPUKernels(on: boolean, except: readonly string[] = []): string[] {
  for (const o of OVERRIDES) {
    if (on && !except.includes(o.name)) {
      o.enable();
      active.add(o.name);
    } else {
      o.disable();
      active.delete(o.name);
    }
  }
  return fastWebGPUKernels();
}

/** Names of the project kernels currently registered over the stock ones. */
export function fastWebGPUKernels(): string[] {
  return FAST_KERNEL_NAMES.filter((name) => active.has(name));
}

/** Registers every project kernel for the "webgpu" backend and returns their names. */
export function registerFastWebGPUKernels(): string[] {
  return setFastWebGPUKernels(true);
}
