// The project's WebGPU training kernels, registered over tfjs' stock ones by the backend chain.
//
// Each override keeps the stock kernelFunc: it falls back to it for cases it does not handle, and
// setFastWebGPUKernels(false) puts it back, so the benchmark can time stock and project kernels in one process.
import * as tf from "@tensorflow/tfjs-core";
import { fusedAdamOverride } from "./adam";
import { fusedBatchNormOverride } from "./batch-norm";
import { makeConv2DBackpropFilter } from "./conv2d-backprop-filter";
import { makeConv2DBackpropInput } from "./conv2d-backprop-input";
import { makeConv2D, makeFusedConv2D } from "./conv2d";
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

/** Every project kernel's name (on by default), in registration order. */
export const FAST_KERNEL_NAMES: readonly string[] = OVERRIDES.map((o) => o.name);

// The forward convolution as an implicit GEMM (conv2d.ts): opt-in until the H200 has measured it, because turning it
// on changes summation orders, and so the committed results would no longer reproduce bit for bit. tfjs-layers'
// Conv2D layer goes through FusedConv2D (tf.fused.conv2d, linear activation: fused in training too); tf.conv2d and
// relu-activated layers in training go through Conv2D.
export const PROJECT_CONV2D_ENV = "TFJS_PROJECT_CONV2D";
const CONV2D_OVERRIDES: KernelOverride[] = [kernelOverride(tf.Conv2D, makeConv2D), kernelOverride(tf.FusedConv2D, makeFusedConv2D)];
export const PROJECT_CONV2D_NAMES: readonly string[] = CONV2D_OVERRIDES.map((o) => o.name);
let projectConv2D = process.env[PROJECT_CONV2D_ENV] === "1";

const active = new Set<string>();
let fastOn = false;
let fastExcept: readonly string[] = [];

function apply(o: KernelOverride, on: boolean): void {
  if (on) {
    o.enable();
    active.add(o.name);
  } else {
    o.disable();
    active.delete(o.name);
  }
}

/**
 * Switches the project kernels on (all but `except`, for leave-one-out measurements) or off; idempotent.
 * Returns the names now active.
 */
export function setFastWebGPUKernels(on: boolean, except: readonly string[] = []): string[] {
  fastOn = on;
  fastExcept = [...except];
  for (const o of OVERRIDES) apply(o, on && !except.includes(o.name));
  for (const o of CONV2D_OVERRIDES) apply(o, on && projectConv2D && !except.includes(o.name));
  return fastWebGPUKernels();
}

/**
 * Opts the project forward convolution in or out (default: TFJS_PROJECT_CONV2D=1). It is registered while this is on
 * and the project kernels are (setFastWebGPUKernels(true)); takes effect at once. Returns the names now active.
 */
export function setProjectConv2D(on: boolean): string[] {
  projectConv2D = on;
  for (const o of CONV2D_OVERRIDES) apply(o, fastOn && on && !fastExcept.includes(o.name));
  return fastWebGPUKernels();
}

export function projectConv2DEnabled(): boolean {
  return projectConv2D;
}

/** Names of the project kernels currently registered over the stock ones. */
export function fastWebGPUKernels(): string[] {
  return [...FAST_KERNEL_NAMES, ...PROJECT_CONV2D_NAMES].filter((name) => active.has(name));
}

/** Registers every project kernel for the "webgpu" backend and returns their names. */
export function registerFastWebGPUKernels(): string[] {
  return setFastWebGPUKernels(true);
}
