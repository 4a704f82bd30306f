// Profiling a replayed step (CapturedStep.profileReplay) on the webgpu backend (lavapipe in CI): every recorded dispatch
// is timed with timestamp queries and named by its tfjs program, the profiled replay is a normal step (the same losses
// and weights as a plain replay), and it leaves no tensor, pooled buffer, query set or buffer of its own behind.
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { CaptureError, CapturedStep, ReplayProfile, buffersHeldByRecordings, recordStep, timestampQueriesSupported } from "../lib/kernels/webgpu/capture";
import { DEFAULT_CLASSIFIER, buildClassifier, scaleWidths } from "../lib/models/classifier";
import { LoopOptimizer, createOptimizer } from "../lib/training/optimizer";
import { onWebGPU } from "./helpers/backend";

// Widths 2-4-8-16: the study network's layers (8 convolutions, BatchNorm, pooling, dense), small enough for lavapipe.
const TINY = { ...scaleWidths(DEFAULT_CLASSIFIER, 0.0625), seed: 4 };
const BATCH = 4;

interface Setup {
  model: tfl.LayersModel;
  variables: tf.Variable[];
  optimizer: LoopOptimizer;
  hostX: Float32Array;
  hostY: Float32Array;
}

/** The same seeded model, optimizer and batch every time. */
function setup(): Setup {
  const model = buildClassifier(TINY);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const hostX = Float32Array.from({ length: BATCH * 32 * 32 * 3 }, (_, i) => Math.sin(i * 0.37));
  const hostY = new Float32Array(BATCH * 100);
  for (let b = 0; b < BATCH; b++) hostY[b * 100 + ((b * 37) % 100)] = 1;
  return { model, variables, optimizer: createOptimizer({ momentum: 0.9, weightDecay: 5e-4 }), hostX, hostY };
}

function inputsOf(s: Setup): Record<string, tf.Tensor> {
  return {
    x: tf.tensor4d(s.hostX, [BATCH, 32, 32, 3]), y: tf.tensor2d(s.hostY, [BATCH, 100]),
    stepScalars: tf.tensor1d(s.optimizer.stepScalars(0.05)),
  };
}

function step(s: Setup, inputs: Record<string, tf.Tensor>): { loss: tf.Scalar } {
  const { value, grads } = tf.variableGrads(() => {
    const logits = s.model.apply(inputs.x, { training: true }) as tf.Tensor2D;
    return tf.neg(tf.mean(tf.sum(tf.mul(inputs.y, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  }, s.variables);
  s.optimizer.apply(s.variables, grads, inputs.stepScalars as tf.Tensor1D);
  tf.dispose(grads);
  return { loss: value };
}

/** Two recorded steps (the first creates the optimizer's slots), as training does; the second is replayed. */
async function record(s: Setup): Promise<CapturedStep> {
  let recording: CapturedStep | null = null;
  for (let i = 0; i < 2; i++) {
    const inputs = inputsOf(s);
    const { result, step: recorded } = recordStep(inputs, () => step(s, inputs));
    await result.loss.data();
    tf.dispose([result.loss, ...Object.values(inputs)]);
    recording?.dispose();
    recording = recorded;
  }
  return recording!;
}

/**
 * Four replays from a fresh setup, the `profiled`-th (0-based) timed: the per-replay losses, the final weights and
 * the profile, with what it created through the device and what it destroyed.
 */
async function run(profiled: number | null): Promise<{
  losses: number[]; weights: Float32Array[]; profile: ReplayProfile | null; recorded: number; programs: Map<string, number>;
  created: number; destroyed: number; tensorsDuring: [number, number]; bytesDuring: [number, number];
}> {
  const s = setup();
  const replay = await record(s);
  const backend = tf.backend() as unknown as { device: Record<string, unknown>; bufferManager: { numBytesAllocated: number } };
  const device = backend.device as Record<string, (...args: unknown[]) => { destroy(): void }>;
  let created = 0;
  let destroyed = 0;
  let profile: ReplayProfile | null = null;
  let tensorsDuring: [number, number] = [0, 0];
  let bytesDuring: [number, number] = [0, 0];
  try {
    for (let i = 0; i < 4; i++) {
      const inputs = inputsOf(s);
      if (i !== profiled) {
        replay.replay(inputs);
        tf.dispose(Object.values(inputs));
        continue;
      }
      const tensors = tf.memory().numTensors;
      const bytes = backend.bufferManager.numBytesAllocated;
      // Count what the profile creates through the device (query sets, resolve and read-back buffers) and destroys.
      const originals = { createQuerySet: device.createQuerySet, createBuffer: device.createBuffer };
      for (const [name, make] of Object.entries(originals)) {
        device[name] = function (this: unknown, ...args: unknown[]) {
          const made = make.apply(this, args);
          created++;
          const destroy = made.destroy;
          made.destroy = function (this: unknown) {
            destroyed++;
            return destroy.call(this);
          };
          return made;
        };
      }
      try {
        profile = await replay.profileReplay(inputs);
      } finally {
        delete device.createQuerySet;
        delete device.createBuffer;
      }
      tf.dispose(Object.values(inputs));
      tensorsDuring = [tensors, tf.memory().numTensors];
      bytesDuring = [bytes, backend.bufferManager.numBytesAllocated];
    }
    const losses = Array.from(await replay.readOutputs());
    const weights = await Promise.all(s.model.getWeights().map(async (w) => (await w.data()) as Float32Array));
    return { losses, weights, profile, recorded: replay.dispatches, programs: replay.programs(), created, destroyed, tensorsDuring, bytesDuring };
  } finally {
    replay.dispose();
    s.optimizer.dispose();
    s.model.dispose();
  }
}

describe("profiled replay of a captured step (WebGPU timestamp queries)", function () {
  this.timeout(600000);
  onWebGPU();

  before(function () {
    if (!timestampQueriesSupported()) {
      console.log("    skipped: this WebGPU device has no 'timestamp-query' feature");
      this.skip();
    }
  });

  it("times every recorded dispatch by program, the conv programs among them, and changes no result", async () => {
    const before = tf.memory().numTensors;
    const plain = await run(null);
    const profiled = await run(1);
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    assert.equal(buffersHeldByRecordings(), 0);

    const p = profiled.profile!;
    assert.equal(p.dispatches, profiled.recorded);
    assert.equal(p.perDispatch.length, profiled.recorded);
    assert.equal(p.programs.reduce((a, q) => a + q.dispatches, 0), profiled.recorded);
    assert.deepEqual(new Map(p.programs.map((q) => [q.program, q.dispatches])), profiled.programs, "per-program dispatch counts = the recording's");
    assert.ok(!p.programs.some((q) => q.program === "unknown"), "every dispatch is named by its program");
    const names = p.programs.map((q) => q.program);
    for (const conv of [/^Conv2D(MM|Naive)Program$/, /^ConvDerFilterGemmProgram$/, /^ConvDerInputGemmProgram$/]) {
      assert.ok(names.some((n) => conv.test(n)), `${conv} among ${names.join(", ")}`);
    }
    for (const d of p.perDispatch) assert.ok(Number.isFinite(d.gpuMs) && d.gpuMs >= 0, `${d.program}: ${d.gpuMs} ms`);
    for (const q of p.programs) assert.ok(Number.isFinite(q.gpuMs) && q.gpuMs >= 0, `${q.program}: ${q.gpuMs} ms`);
    assert.ok(p.gpuMs > 0 && Number.isFinite(p.gpuMs), `sum ${p.gpuMs}`);
    assert.ok(Math.abs(p.gpuMs - p.perDispatch.reduce((a, d) => a + d.gpuMs, 0)) < 1e-9);
    assert.ok(p.programs.every((q, i) => i === 0 || p.programs[i - 1].gpuMs >= q.gpuMs), "most GPU time first");
    assert.ok(Number.isFinite(p.spanMs) && p.spanMs > 0, `span ${p.spanMs}`);
    assert.equal(p.quantized, false, "lib/backend.ts turns Dawn's timestamp quantization off");

    // The profiled replay is a step like the others: same losses and weights as four plain replays.
    assert.equal(profiled.losses.length, 4);
    assert.deepEqual(profiled.losses, plain.losses);
    assert.ok(plain.losses.every(Number.isFinite));
    profiled.weights.forEach((w, i) => assert.deepEqual(w, plain.weights[i], `weight ${i}`));

    // Nothing left behind: no tensor, no pooled GPU memory, and every query set and buffer it made destroyed.
    assert.equal(profiled.tensorsDuring[1], profiled.tensorsDuring[0] - 3, "only the three disposed inputs are gone");
    assert.equal(profiled.bytesDuring[1], profiled.bytesDuring[0], "no buffer taken from tfjs' pool");
    assert.ok(profiled.created >= 3, `query set, resolve and read-back buffers: ${profiled.created}`);
    assert.equal(profiled.destroyed, profiled.created, "every query set and buffer the profile made is destroyed");
  });

  it("refuses to profile, without side effects, where the device has no timestamp queries", async () => {
    const s = setup();
    const replay = await record(s);
    const backend = tf.backend() as unknown as { device: unknown };
    const device = backend.device;
    const inputs = inputsOf(s);
    try {
      backend.device = { features: new Set<string>() };
      assert.equal(timestampQueriesSupported(), false);
      await assert.rejects(replay.profileReplay(inputs), CaptureError);
      backend.device = device;
      assert.equal(replay.replaysPending, 0);
    } finally {
      backend.device = device;
      tf.dispose(Object.values(inputs));
      replay.dispose();
      s.optimizer.dispose();
      s.model.dispose();
    }
  });
});
