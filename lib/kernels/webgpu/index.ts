// The project's WebGPU training kernels, registered over tfjs' stock ones by the backend chain.

/** Registers every project kernel for the "webgpu" backend and returns their names. */
export function registerFastWebGPUKernels(): string[] {
  return [];
}
