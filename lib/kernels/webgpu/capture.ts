// Captured steps: record a training step's GPU work once, replay it every step without re-walking tfjs.
//
// An eager step on WebGPU costs ~0.15 ms of JavaScript and Dawn work per dispatch (tfjs' engine, shader-key
// lookup, uniform upload, bind group), 100-250 dispatches a step, while the GPU mostly waits (H200: host ms per
// step = step ms). But a step is the same sequence of dispatches every time. So:
//
//   record  the step runs eagerly once while this module watches the backend: every dispatch's pipeline, bind
//           group and workgroup counts, every buffer-to-buffer copy, which buffers the step's declared inputs were
//           uploaded to, which buffers hold its outputs, and which variables it re-pointed (optimizer updates and
//           BatchNorm statistics replace a variable's tensor: weights w0 -> w1).
//           Every GPU buffer the recording touches becomes the recording's: tfjs' pool never hands it out again
//           while the recording lives (a disposed tensor's buffer could otherwise be reused and overwritten).
//   replay  per step: write the new inputs into their buffers, re-issue the recorded dispatches in one compute
//           pass, copy each re-pointed variable's new value back into the buffer the recording reads it from
//           (w1 -> w0, so weights, optimizer slots and BatchNorm statistics update in place), and copy the
//           outputs (loss, metrics) into an accumulator read back every N steps, not after every step.
//
// What a step may depend on must be a declared input (the batch, the learning rate, augmentation parameters):
// any other host value that reaches the GPU during the step (a scalar uploaded from JS) is frozen into the
// recording. Two recordings of consecutive steps are compared (pipelines, workgroups, uniform bytes and every
// non-input upload); only a step whose two recordings agree is replayed (`signature`). Variables that changed
// outside the recording (a checkpoint restored, a teacher swapped) make it stale (`isCurrent`).
//
// profileReplay() is one replay that also times every recorded dispatch on the GPU: each dispatch runs in a compute
// pass of its own whose timestampWrites mark its start and end (timestamp queries; tfjs' backend requests the
// 'timestamp-query' feature whenever the adapter has it), and the times are summed per tfjs program class, the name
// recordStep kept for each dispatch. It is a real step (same dispatches, same order, so the same results), meant as
// one extra step after the timed ones: a pass per dispatch is not how replay() issues them.
import * as tf from "@tensorflow/tfjs-core";

// GPUBufferUsage / GPUMapMode bits (WebGPU spec), so lib/ needs no DOM types.
const MAP_READ = 0x1;
const MAP_WRITE = 0x2;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const QUERY_RESOLVE = 0x200;
/** Timestamps per query set (Dawn's limit is 4,096), two per dispatch; each set resolves at a 256-byte aligned offset. */
const QUERY_SET_SIZE = 4096;
/** Dawn rounds timestamps down to 2^16 ns unless its timestamp_quantization toggle is off (lib/backend.ts turns it off). */
const QUANTUM_NS = 65536n;

/* eslint-disable @typescript-eslint/no-explicit-any */
type GPUBufferLike = { size: number; usage: number; destroy(): void; mapAsync(mode: number): Promise<void>; getMappedRange(): ArrayBuffer; unmap(): void };

interface TensorDataLike {
  resource: GPUBufferLike | null;
  values: ArrayLike<number> | null;
  dtype: string;
  shape: number[];
}

/** The private part of tfjs-backend-webgpu 4.22's WebGPUBackend that capture relies on. */
interface Backend {
  device: any;
  queue: any;
  commandEncoder: any;
  computePassEncoder: any;
  tensorMap: { get(dataId: tf.DataId): TensorDataLike; has(dataId: tf.DataId): boolean };
  bufferManager: { acquireBuffer: (...args: any[]) => GPUBufferLike; releaseBuffer: (buffer: GPUBufferLike, reuse?: boolean) => void };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: tf.DataId): void;
  makeUniforms(uniforms: { type: string; data: number[] }[]): { buffer: GPUBufferLike };
  recordAndSubmit(program: any, output: tf.TensorInfo, inputs: tf.TensorInfo[], uniforms?: unknown): void;
  getBufferData(buffer: GPUBufferLike): Promise<ArrayBuffer>;
}

/** Where replay writes a declared input: the buffer the recorded step read it from (its tensor `dataId`'s). */
interface InputSlot {
  buffer: GPUBufferLike;
  bytes: number;
  dataId: tf.DataId;
}

type Command =
  | { kind: "dispatch"; pipeline: unknown; bindGroup: unknown; groups: [number, number, number]; program: string }
  | { kind: "copy"; src: GPUBufferLike; srcOffset: number; dst: GPUBufferLike; dstOffset: number; size: number };

/** Buffers held by live recordings (a count per buffer), and those whose release to tfjs' pool was held back. */
const owners = new Map<GPUBufferLike, number>();
const heldBack = new Set<GPUBufferLike>();
let poolGuardInstalled: Backend | null = null;

/** Once per backend: tfjs' releaseBuffer skips buffers a recording owns (they are released when it is disposed). */
function guardPool(backend: Backend): void {
  if (poolGuardInstalled === backend) return;
  poolGuardInstalled = backend;
  const manager = backend.bufferManager;
  const release = manager.releaseBuffer.bind(manager);
  manager.releaseBuffer = (buffer: GPUBufferLike, reuse = true) => {
    if (owners.has(buffer)) {
      heldBack.add(buffer);
      return;
    }
    release(buffer, reuse);
  };
  (manager as any).releaseOwned = release;
}

/** GPU buffers held by live recordings (0 once every recording is disposed). */
export function buffersHeldByRecordings(): number {
  return owners.size;
}

function own(buffer: GPUBufferLike, set: Set<GPUBufferLike>): void {
  if (set.has(buffer)) return;
  set.add(buffer);
  owners.set(buffer, (owners.get(buffer) ?? 0) + 1);
}

function disown(backend: Backend, set: Set<GPUBufferLike>): void {
  const release = (backend.bufferManager as any).releaseOwned as (b: GPUBufferLike, reuse?: boolean) => void;
  for (const buffer of set) {
    const count = (owners.get(buffer) ?? 1) - 1;
    if (count > 0) {
      owners.set(buffer, count);
      continue;
    }
    owners.delete(buffer);
    if (heldBack.delete(buffer)) release(buffer);
  }
  set.clear();
}

const pipelineIds = new WeakMap<object, number>();
let nextPipelineId = 1;
function idOf(pipeline: unknown): number {
  let id = pipelineIds.get(pipeline as object);
  if (id === undefined) pipelineIds.set(pipeline as object, (id = nextPipelineId++));
  return id;
}

/** FNV-1a over the 32-bit words of an upload: two recordings of a step must upload the same constants. */
function fingerprint(values: ArrayLike<number>, dtype: string): string {
  const words = dtype === "float32" ? new Uint32Array(Float32Array.from(values).buffer) : Uint32Array.from(values as ArrayLike<number>, (v) => v >>> 0);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    h ^= words[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${words.length}:${h.toString(16)}`;
}

/** GPU time of one program class (ConvDerFilterGemmProgram, BinaryOpProgram, ...) in a profiled replay. */
export interface ProgramTime {
  program: string;
  dispatches: number;
  gpuMs: number;
}

/** Per-dispatch GPU times of one replayed step, from timestamp queries. */
export interface ReplayProfile {
  /** Dispatches timed: all of the recording's. */
  dispatches: number;
  /** Each dispatch's program and GPU ms, in recorded order. */
  perDispatch: { program: string; gpuMs: number }[];
  /** By program, most GPU time first. */
  programs: ProgramTime[];
  /** Sum of the dispatches' GPU ms. */
  gpuMs: number;
  /** From the first dispatch's start to the last one's end: the dispatches plus the copies and gaps between them. */
  spanMs: number;
  /** Every timestamp was a multiple of 65.536 us (Dawn's quantization was on): small dispatches read as 0. */
  quantized: boolean;
}

/** Whether the current backend's device can time dispatches (WebGPU with the 'timestamp-query' feature). */
export function timestampQueriesSupported(): boolean {
  if (tf.getBackend() !== "webgpu") return false;
  const device = (tf.backend() as unknown as Backend).device;
  return !!device?.features?.has?.("timestamp-query");
}

/** Why a step cannot be captured (reads data back mid-step, draws on the canvas, ...). */
export class CaptureError extends Error {}

export interface CaptureOptions {
  /** Most replays between two readOutputs() calls (the accumulator's size). */
  capacity?: number;
}

/** A recorded step, replayable while `isCurrent()`. */
export class CapturedStep {
  /** Pipelines, workgroups, uniforms and constant uploads, in order: equal for two recordings of a pure step. */
  readonly signature: string[];
  readonly dispatches: number;
  /** Why this recording must never be replayed (null: it may be). */
  readonly unsafe: string | null;
  private readonly owned: Set<GPUBufferLike>;
  private readonly commands: Command[];
  private readonly inputSlots: Map<string, InputSlot>;
  private readonly outputBuffers: GPUBufferLike[];
  private readonly writeBacks: { from: GPUBufferLike; to: GPUBufferLike; bytes: number }[];
  private readonly expected: { variable: tf.Variable; dataId: tf.DataId }[];
  private readonly accumulator: GPUBufferLike;
  private readonly staging: GPUBufferLike;
  private readonly capacity: number;
  private pending = 0;
  private disposed = false;

  /** @internal built by recordStep */
  constructor(
    private readonly backend: Backend,
    parts: {
      owned: Set<GPUBufferLike>; commands: Command[]; signature: string[];
      inputSlots: Map<string, InputSlot>; outputBuffers: GPUBufferLike[];
      writeBacks: { from: GPUBufferLike; to: GPUBufferLike; bytes: number }[];
      expected: { variable: tf.Variable; dataId: tf.DataId }[];
      unsafe?: string;
    },
    options: CaptureOptions,
  ) {
    this.unsafe = parts.unsafe ?? null;
    this.owned = parts.owned; // the buffers recordStep owned on its behalf
    this.commands = parts.commands;
    this.signature = parts.signature;
    this.inputSlots = parts.inputSlots;
    this.outputBuffers = parts.outputBuffers;
    this.writeBacks = parts.writeBacks;
    this.expected = parts.expected;
    this.dispatches = parts.commands.filter((c) => c.kind === "dispatch").length;
    this.capacity = options.capacity ?? 1024;
    const bytes = Math.max(4, this.capacity * this.outputBuffers.length * 4);
    this.accumulator = backend.device.createBuffer({ size: bytes, usage: COPY_SRC | COPY_DST });
    this.staging = backend.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
  }

  /** Replays since the last readOutputs(). */
  get replaysPending(): number {
    return this.pending;
  }

  /** Recorded dispatches per program class (the tfjs program each dispatch came from). */
  programs(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.commands) if (c.kind === "dispatch") counts.set(c.program, (counts.get(c.program) ?? 0) + 1);
    return counts;
  }

  /** Same pipelines, workgroups, uniforms and constants as `other`: both recordings can stand for the step. */
  sameAs(other: CapturedStep): boolean {
    if (this.unsafe || other.unsafe) return false;
    return this.signature.length === other.signature.length && this.signature.every((s, i) => s === other.signature[i]);
  }

  /** False once a variable the recording reads or writes was re-pointed outside it. */
  isCurrent(): boolean {
    return !this.disposed && !this.unsafe && this.expected.every((e) => e.variable.dataId === e.dataId && !e.variable.isDisposed);
  }

  /**
   * One step: the inputs (tensors of the recorded shapes, on the host or on the GPU) are written into the
   * recording's input buffers, then every recorded command runs; the caller keeps and disposes `inputs`.
   */
  replay(inputs: Record<string, tf.Tensor>): void {
    this.submitStep(inputs, null);
  }

  /**
   * One replay (a real step: it updates the variables and adds its outputs to readOutputs()) that also times every
   * recorded dispatch with timestamp queries, one compute pass per dispatch. Needs the 'timestamp-query' feature
   * (timestampQueriesSupported()); the query sets and buffers it makes are destroyed before it returns.
   */
  async profileReplay(inputs: Record<string, tf.Tensor>): Promise<ReplayProfile> {
    if (!timestampQueriesSupported()) throw new CaptureError("the WebGPU device has no 'timestamp-query' feature: dispatches cannot be timed");
    const device = this.backend.device;
    const n = this.dispatches;
    const perSet = QUERY_SET_SIZE / 2;
    const sets: { querySet: any; count: number }[] = [];
    const setBytes = QUERY_SET_SIZE * 8; // a multiple of 256, as resolveQuerySet's offset must be
    const bytes = Math.max(8, Math.ceil(n / perSet) * setBytes);
    let resolved: GPUBufferLike | null = null;
    let staging: GPUBufferLike | null = null;
    try {
      for (let first = 0; first < n; first += perSet) {
        const count = 2 * Math.min(perSet, n - first);
        sets.push({ querySet: device.createQuerySet({ type: "timestamp", count }), count });
      }
      resolved = device.createBuffer({ size: bytes, usage: QUERY_RESOLVE | COPY_SRC }) as GPUBufferLike;
      const readBack = (staging = device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST }) as GPUBufferLike);
      this.submitStep(inputs, {
        writes: (k) => ({ querySet: sets[Math.floor(k / perSet)].querySet, beginningOfPassWriteIndex: 2 * (k % perSet), endOfPassWriteIndex: 2 * (k % perSet) + 1 }),
        resolve: (encoder) => {
          sets.forEach((s, i) => encoder.resolveQuerySet(s.querySet, 0, s.count, resolved, i * setBytes));
          encoder.copyBufferToBuffer(resolved, 0, readBack, 0, bytes);
        },
      });
      await readBack.mapAsync(MAP_READ);
      const stamps = new BigUint64Array(readBack.getMappedRange().slice(0));
      readBack.unmap();
      const at = (k: number, end: 0 | 1) => stamps[Math.floor(k / perSet) * QUERY_SET_SIZE + 2 * (k % perSet) + end];
      const perDispatch: { program: string; gpuMs: number }[] = [];
      const byProgram = new Map<string, ProgramTime>();
      let quantized = n > 0;
      let k = 0;
      for (const c of this.commands) {
        if (c.kind !== "dispatch") continue;
        const begin = at(k, 0);
        const end = at(k, 1);
        if (begin % QUANTUM_NS !== 0n || end % QUANTUM_NS !== 0n) quantized = false;
        const gpuMs = Number(end - begin) / 1e6;
        perDispatch.push({ program: c.program, gpuMs });
        const entry = byProgram.get(c.program) ?? { program: c.program, dispatches: 0, gpuMs: 0 };
        entry.dispatches++;
        entry.gpuMs += gpuMs;
        byProgram.set(c.program, entry);
        k++;
      }
      const programs = [...byProgram.values()].sort((a, b) => b.gpuMs - a.gpuMs || b.dispatches - a.dispatches);
      return {
        dispatches: n,
        perDispatch,
        programs,
        gpuMs: perDispatch.reduce((sum, d) => sum + d.gpuMs, 0),
        spanMs: n > 0 ? Number(at(n - 1, 1) - at(0, 0)) / 1e6 : 0,
        quantized,
      };
    } finally {
      for (const s of sets) s.querySet.destroy();
      resolved?.destroy();
      staging?.destroy();
    }
  }

  /** Encodes and submits one step; with `timing`, each dispatch in a pass of its own that writes two timestamps. */
  private submitStep(
    inputs: Record<string, tf.Tensor>,
    timing: { writes: (dispatch: number) => unknown; resolve: (encoder: any) => void } | null,
  ): void {
    if (!this.isCurrent()) throw new CaptureError("replay of a stale recording: a variable it uses changed outside it; record the step again");
    if (this.pending >= this.capacity) throw new CaptureError(`more than ${this.capacity} replays without readOutputs()`);
    const backend = this.backend;
    backend.endComputePassEncoder();
    if (backend.commandEncoder) backend.submitQueue(); // eager work queued before (a GPU-side batch) runs first
    const encoder = backend.device.createCommandEncoder();
    for (const [name, slot] of this.inputSlots) {
      if (backend.tensorMap.has(slot.dataId)) {
        throw new CaptureError(`input "${name}" of the recorded step is still alive (disposed inputs only: a replay writes into its buffer)`);
      }
      const tensor = inputs[name];
      if (!tensor) throw new CaptureError(`replay without input "${name}"`);
      const data = backend.tensorMap.get(tensor.dataId);
      const bytes = tensor.size * 4;
      if (bytes !== slot.bytes) throw new CaptureError(`input "${name}" has ${tensor.size} values; the recording was made with ${slot.bytes / 4}`);
      if (data.values != null) {
        // The host values as they are (a batch is already a Float32Array): copying 0.8-1.6 M floats per step took
        // ~5 ms of host time on the H200's machine, more than the rest of a replay.
        const values = data.values instanceof Float32Array || data.values instanceof Int32Array ? data.values
          : data.dtype === "float32" ? Float32Array.from(data.values) : Int32Array.from(data.values);
        backend.queue.writeBuffer(slot.buffer, 0, values.buffer, values.byteOffset, bytes);
      } else if (data.resource) {
        encoder.copyBufferToBuffer(data.resource, 0, slot.buffer, 0, bytes);
      } else {
        throw new CaptureError(`input "${name}" holds no data`);
      }
    }
    let pass: any = null;
    let dispatch = 0;
    for (const c of this.commands) {
      if (c.kind === "dispatch") {
        if (timing) pass = encoder.beginComputePass({ timestampWrites: timing.writes(dispatch) });
        else pass ??= encoder.beginComputePass();
        pass.setPipeline(c.pipeline);
        pass.setBindGroup(0, c.bindGroup);
        pass.dispatchWorkgroups(c.groups[0], c.groups[1], c.groups[2]);
        dispatch++;
        if (timing) {
          pass.end();
          pass = null;
        }
      } else {
        if (pass) pass.end();
        pass = null;
        encoder.copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.size);
      }
    }
    if (pass) pass.end();
    this.writeBack(encoder);
    this.outputBuffers.forEach((b, i) => encoder.copyBufferToBuffer(b, 0, this.accumulator, (this.pending * this.outputBuffers.length + i) * 4, 4));
    timing?.resolve(encoder);
    backend.queue.submit([encoder.finish()]);
    this.pending++;
    // tfjs caches a tensor's values on the host once read (data()): the variables changed in place, so drop them.
    for (const e of this.expected) {
      const data = backend.tensorMap.has(e.dataId) ? backend.tensorMap.get(e.dataId) : null;
      if (data) data.values = null;
    }
  }

  /** Copies each variable's new value back into the buffer the recorded dispatches read it from. */
  writeBack(encoder?: any): void {
    const own = encoder ?? this.backend.device.createCommandEncoder();
    for (const w of this.writeBacks) own.copyBufferToBuffer(w.from, 0, w.to, 0, w.bytes);
    if (!encoder) this.backend.queue.submit([own.finish()]);
  }

  /** The outputs of every replay since the last call, replay-major ([replay][output]); resets the count. */
  async readOutputs(): Promise<Float32Array> {
    const count = this.pending * this.outputBuffers.length;
    this.pending = 0;
    if (count === 0) return new Float32Array(0);
    const encoder = this.backend.device.createCommandEncoder();
    encoder.copyBufferToBuffer(this.accumulator, 0, this.staging, 0, count * 4);
    this.backend.queue.submit([encoder.finish()]);
    await this.staging.mapAsync(MAP_READ);
    const values = new Float32Array(this.staging.getMappedRange().slice(0, count * 4));
    this.staging.unmap();
    return values;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disown(this.backend, this.owned);
    this.accumulator.destroy();
    this.staging.destroy();
  }
}

export interface Recorded<T> {
  /** What `fn` returned (real tensors: the recorded step also ran). */
  result: T;
  step: CapturedStep;
}

function webgpuBackend(): Backend {
  if (tf.getBackend() !== "webgpu") throw new CaptureError(`captured steps need the webgpu backend (this is ${tf.getBackend()})`);
  return tf.backend() as unknown as Backend;
}

/** Set to 0 to run every training step and evaluation batch eagerly instead of replaying captured ones. */
export const CAPTURE_ENV = "TFJS_CAPTURE";

/** Whether to capture: on the webgpu backend, as `requested`, else unless TFJS_CAPTURE=0. */
export function captureWanted(requested?: boolean): boolean {
  return (requested ?? process.env[CAPTURE_ENV] !== "0") && tf.getBackend() === "webgpu";
}

/** Sets `methods` on `target` as own properties and returns a function that puts back what was there. */
function patch<T extends object>(target: T, methods: Partial<T>): () => void {
  const before = Object.keys(methods).map((key) => ({
    key, own: Object.prototype.hasOwnProperty.call(target, key), value: (target as any)[key],
  }));
  Object.assign(target, methods);
  return () => {
    for (const b of before) {
      if (b.own) (target as any)[b.key] = b.value;
      else delete (target as any)[b.key];
    }
  };
}

/**
 * Runs `fn` eagerly while recording its GPU work. `inputs` are the step's declared inputs (uploaded first, into
 * buffers replay rewrites); `fn` returns the step's scalar outputs (loss, metrics), which each replay accumulates.
 */
export function recordStep<T extends Record<string, tf.Tensor>>(
  inputs: Record<string, tf.Tensor>,
  fn: () => T,
  options: CaptureOptions = {},
): Recorded<T> {
  const backend = webgpuBackend();
  guardPool(backend);
  const owned = new Set<GPUBufferLike>();
  /** Buffers the recorded commands bind or copy (owned includes buffers merely allocated during the step). */
  const referenced = new Set<GPUBufferLike>();
  const commands: Command[] = [];
  const signature: string[] = [];
  const inputSlots = new Map<string, InputSlot>();
  const stagingBuffers = new Set<GPUBufferLike>();
  const inputIds = new Map<tf.DataId, string>();
  for (const [name, t] of Object.entries(inputs)) inputIds.set(t.dataId, name);

  const isStaging = (b: GPUBufferLike) => (b.usage & (MAP_READ | MAP_WRITE)) !== 0;
  const claim = (b: GPUBufferLike | null | undefined) => {
    if (b && !isStaging(b)) own(b, owned);
  };
  const use = (b: GPUBufferLike | null | undefined) => {
    if (!b) return;
    claim(b);
    referenced.add(b);
  };
  const resourceOf = (t: tf.TensorInfo) => (backend.tensorMap.has(t.dataId) ? backend.tensorMap.get(t.dataId).resource : null);

  // Every variable on the GPU, its buffer the recording's from the start: an update that replaces the variable's
  // tensor must not hand the old buffer back to the pool, since replay writes the new value back into it.
  const variablesBefore = new Map<tf.Variable, { dataId: tf.DataId; buffer: GPUBufferLike | null }>();
  for (const v of Object.values(tf.engine().registeredVariables)) {
    backend.uploadToGPU(v.dataId);
    const buffer = resourceOf(v);
    claim(buffer);
    variablesBefore.set(v, { dataId: v.dataId, buffer });
  }
  backend.endComputePassEncoder();
  if (backend.commandEncoder) backend.submitQueue();

  let lastUniform = "";
  /** The tfjs program whose recordAndSubmit is running: it names the dispatch it issues. */
  let program = "unknown";
  let current: { pipeline: unknown; bindGroup: unknown } = { pipeline: null, bindGroup: null };
  const recordingPass = (pass: any) => ({
    setPipeline(p: unknown) { current.pipeline = p; pass.setPipeline(p); },
    setBindGroup(i: number, g: unknown) { current.bindGroup = g; pass.setBindGroup(i, g); },
    dispatchWorkgroups(x: number, y = 1, z = 1) {
      commands.push({ kind: "dispatch", pipeline: current.pipeline, bindGroup: current.bindGroup, groups: [x, y, z], program });
      signature.push(`d${idOf(current.pipeline)}:${x},${y},${z}:${lastUniform}`);
      pass.dispatchWorkgroups(x, y, z);
    },
    end() { pass.end(); },
  });
  const recordingEncoder = (encoder: any) => ({
    beginComputePass(descriptor?: { timestampWrites?: unknown }) {
      if (descriptor?.timestampWrites) throw new CaptureError("a profiled step (timestamp queries) cannot be captured");
      current = { pipeline: null, bindGroup: null };
      return recordingPass(encoder.beginComputePass(descriptor));
    },
    copyBufferToBuffer(src: GPUBufferLike, srcOffset: number, dst: GPUBufferLike, dstOffset: number, size: number) {
      encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
      if (stagingBuffers.has(src)) return; // an upload: replay writes inputs itself, constants stay where they are
      use(src);
      use(dst);
      commands.push({ kind: "copy", src, srcOffset, dst, dstOffset, size });
      signature.push(`c${size}`);
    },
    finish() { return encoder.finish(); },
    copyBufferToTexture() { throw new CaptureError("a step that draws on a canvas cannot be captured"); },
    resolveQuerySet() { throw new CaptureError("a profiled step (timestamp queries) cannot be captured"); },
  });

  const saved = {
    upload: backend.uploadToGPU, uniforms: backend.makeUniforms, record: backend.recordAndSubmit, acquire: backend.bufferManager.acquireBuffer,
  };
  const unpatchBackend = patch(backend, {
    ensureCommandEncoderReady(this: Backend) {
      if (!this.commandEncoder) this.commandEncoder = recordingEncoder(this.device.createCommandEncoder());
    },
    uploadToGPU(this: Backend, dataId: tf.DataId) {
      const data = this.tensorMap.get(dataId);
      const values = data.resource == null ? data.values : null;
      saved.upload.call(this, dataId);
      claim(data.resource);
      if (values == null) return;
      const name = inputIds.get(dataId);
      if (name !== undefined) {
        inputSlots.set(name, { buffer: data.resource!, bytes: values.length * 4, dataId });
        signature.push(`i${name}:${values.length}`);
      } else {
        signature.push(`u${fingerprint(values, data.dtype)}`);
      }
    },
    makeUniforms(this: Backend, uniforms: { type: string; data: number[] }[]) {
      const made = saved.uniforms.call(this, uniforms);
      claim(made.buffer);
      lastUniform = uniforms.map((u) => `${u.type[0]}${u.data.join(",")}`).join(";");
      return made;
    },
    recordAndSubmit(this: Backend, dispatched: any, output: tf.TensorInfo, programInputs: tf.TensorInfo[], uniforms?: unknown) {
      program = dispatched?.constructor?.name ?? "unknown";
      try {
        saved.record.call(this, dispatched, output, programInputs, uniforms);
      } finally {
        program = "unknown";
      }
      for (const t of [output, ...programInputs]) use(resourceOf(t));
    },
    getBufferData(): Promise<ArrayBuffer> {
      throw new CaptureError("the step reads a tensor back (data(), dataSync()) while it is recorded: read values outside the step");
    },
  } as Partial<Backend>);
  const unpatchPool = patch(backend.bufferManager, {
    acquireBuffer: (...args: any[]) => {
      const b = saved.acquire.apply(backend.bufferManager, args);
      if (isStaging(b)) stagingBuffers.add(b);
      else claim(b);
      return b;
    },
  });

  let result: T;
  try {
    for (const [name, t] of Object.entries(inputs)) {
      // An input already on the GPU (made by GPU ops in the task's batch()): the step reads its buffer, so replay
      // copies each new input there.
      const resource = resourceOf(t);
      if (resource) {
        use(resource);
        inputSlots.set(name, { buffer: resource, bytes: t.size * 4, dataId: t.dataId });
        signature.push(`g${name}:${t.size}`);
      }
      backend.uploadToGPU(t.dataId);
    }
    result = fn();
    backend.endComputePassEncoder();
    if (backend.commandEncoder) backend.submitQueue();
  } catch (e) {
    backend.endComputePassEncoder();
    if (backend.commandEncoder) backend.submitQueue();
    disown(backend, owned);
    throw e;
  } finally {
    unpatchBackend();
    unpatchPool();
  }

  try {
    const outputBuffers = Object.entries(result).map(([name, t]) => {
      const buffer = resourceOf(t);
      if (!buffer || t.size !== 1) throw new CaptureError(`output "${name}" must be a scalar computed on the GPU`);
      use(buffer);
      return buffer;
    });
    let unsafe: string | undefined;
    const writeBacks: { from: GPUBufferLike; to: GPUBufferLike; bytes: number }[] = [];
    const expected: { variable: tf.Variable; dataId: tf.DataId }[] = [];
    for (const v of Object.values(tf.engine().registeredVariables)) {
      const before = variablesBefore.get(v);
      const now = resourceOf(v);
      if (!before) {
        signature.push(`new variable ${v.name}`); // a first step creating optimizer slots: never equal to a later one
      } else if (before.dataId !== v.dataId && now && before.buffer) {
        if (backend.tensorMap.has(before.dataId)) {
          // A clone made before the step still holds the old value: replays would overwrite it.
          unsafe ??= `a tensor outside the step still holds variable ${v.name}'s value from before it (a tf.clone?), which replays would overwrite`;
          continue;
        }
        use(now);
        use(before.buffer);
        writeBacks.push({ from: now, to: before.buffer, bytes: Math.min(now.size, before.buffer.size) });
        expected.push({ variable: v, dataId: v.dataId });
      } else if (now && referenced.has(now)) {
        expected.push({ variable: v, dataId: v.dataId });
      }
    }
    const step = new CapturedStep(backend, { owned, commands, signature, inputSlots, outputBuffers, writeBacks, expected, unsafe }, options);
    if (!unsafe) step.writeBack(); // the recorded step's own update: replays read the variables from the buffers they had before it
    // The caller gets copies: replays overwrite the recorded outputs' buffers.
    const copies = tf.tidy(() => Object.fromEntries(Object.entries(result).map(([name, t]) => [name, tf.add(t, 0)]))) as T;
    tf.dispose(Object.values(result));
    return { result: copies, step };
  } catch (e) {
    disown(backend, owned);
    throw e;
  }
}
