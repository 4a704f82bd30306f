// Counts GPU dispatches and host-to-GPU uploads on the WebGPU backend. Every tfjs WebGPU program ends in
// backend.recordAndSubmit, once per dispatch, and every tensor whose values still sit on the host goes through
// backend.uploadToGPU (a staging buffer and a copy that splits the compute pass), so wrapping those two methods
// counts both without touching tfjs' sources. Wrapping backend.read also times the host side of a training step:
// trainOnBatch enqueues every kernel synchronously and then reads the loss back, so the time from the step's
// start to its first read is what the host spends issuing the step (GPU work overlaps it).
import * as tf from "@tensorflow/tfjs-core";

export interface LaunchCounter {
  /** Dispatches recorded since the last reset. */
  total(): number;
  /** The same, per program class (ConvDerFilterGemmProgram, BinaryOpProgram, ...). */
  byProgram(): Map<string, number>;
  /** Tensors uploaded from host values since the last reset (scalars in ops, new data...). */
  uploads(): number;
  /** Starts timing a step's host side. */
  markStep(): void;
  /** Milliseconds from markStep() to the first tensor read after it (null if nothing was read). */
  hostMs(): number | null;
  reset(): void;
}

interface TensorData {
  values: unknown;
  resource: unknown;
}

interface CountedBackend {
  recordAndSubmit(program: { constructor: { name: string } }, ...rest: unknown[]): unknown;
  uploadToGPU(dataId: object): void;
  read(dataId: object): Promise<unknown>;
  tensorMap: { get(dataId: object): TensorData };
  __counts?: Counts;
}

interface Counts {
  programs: Map<string, number>;
  uploads: number;
  stepStart: number;
  firstRead: number | null;
}

function install(backend: CountedBackend): Counts {
  const counts: Counts = { programs: new Map<string, number>(), uploads: 0, stepStart: 0, firstRead: null };
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
  const read = backend.read.bind(backend);
  backend.read = (dataId) => {
    counts.firstRead ??= performance.now();
    return read(dataId);
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
    markStep: () => {
      counts.stepStart = performance.now();
      counts.firstRead = null;
    },
    hostMs: () => (counts.firstRead == null ? null : counts.firstRead - counts.stepStart),
    reset: () => {
      counts.programs.clear();
      counts.uploads = 0;
    },
  };
}
