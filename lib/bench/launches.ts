// Counts GPU dispatches and host-to-GPU uploads on the WebGPU backend. Every tfjs WebGPU program ends in
// backend.recordAndSubmit, once per dispatch, and every tensor whose values still sit on the host goes through
// backend.uploadToGPU (a staging buffer and a copy that splits the compute pass), so wrapping those two methods
// counts both without touching tfjs' sources.
import * as tf from "@tensorflow/tfjs-core";

export interface LaunchCounter {
  /** Dispatches recorded since the last reset. */
  total(): number;
  /** The same, per program class (ConvDerFilterGemmProgram, BinaryOpProgram, ...). */
  byProgram(): Map<string, number>;
  /** Tensors uploaded from host values since the last reset (scalars in ops, new data...). */
  uploads(): number;
  reset(): void;
}

interface TensorData {
  values: unknown;
  resource: unknown;
}

interface CountedBackend {
  recordAndSubmit(program: { constructor: { name: string } }, ...rest: unknown[]): unknown;
  uploadToGPU(dataId: object): void;
  tensorMap: { get(dataId: object): TensorData };
  __counts?: { programs: Map<string, number>; uploads: number };
}

function install(backend: CountedBackend): { programs: Map<string, number>; uploads: number } {
  const counts = { programs: new Map<string, number>(), uploads: 0 };
  const record = backend.recordAndSubmit.bind(backend);
  backend.recordAndSubmit = (program, ...rest) => {
    const name = program.constructor.name;
    counts.programs.set(name, (counts.programs.get(name) ?? 0) + 1);
    return record(program, ...rest);
  };
  const upload = backend.uploadToGPU.bind(backend);
  backend.uploadToGPU = (dataId) => {
    const data = backend.tensorMap.get(dataId);
    if (data.resource == null && data.values != null) counts.uploads++;
    upload(dataId);
  };
  return counts;
}

/** Installs the counter on the current backend (once; later calls share it); null when it is not WebGPU. */
export function countWebGPULaunches(): LaunchCounter | null {
  if (tf.getBackend() !== "webgpu") return null;
  const backend = tf.backend() as unknown as CountedBackend;
  const counts = (backend.__counts ??= install(backend));
  return {
    total: () => [...counts.programs.values()].reduce((a, b) => a + b, 0),
    byProgram: () => new Map(counts.programs),
    uploads: () => counts.uploads,
    reset: () => {
      counts.programs.clear();
      counts.uploads = 0;
    },
  };
}
