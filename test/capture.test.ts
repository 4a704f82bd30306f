// Captured steps (lib/kernels/webgpu/capture.ts) on the webgpu backend (lavapipe in CI): every kind of training task
// of the study reaches the same losses replayed as eager, nothing leaks over 1,000 replays, a checkpoint written
// under replay resumes to the same losses, and steps that cannot be replayed are run eagerly (and said so).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { CaptureError, buffersHeldByRecordings, recordStep } from "../lib/kernels/webgpu/capture";
import { countWebGPULaunches } from "../lib/bench/launches";
import { projectConv2DEnabled, setProjectConv2D } from "../lib/kernels/webgpu/index";
import { reconstructionTask } from "../lib/methods/autoencoder";
import { classificationTask } from "../lib/methods/classification";
import { buildContrastiveFamily, contrastiveTask } from "../lib/methods/contrastive";
import { contrastiveJointTask } from "../lib/methods/contrastive-joint";
import { fixMatchTask } from "../lib/methods/fixmatch";
import { jointTask } from "../lib/methods/joint";
import { ONE_CLASS_PARAMS, buildOneClassNetwork, oneClassTask } from "../lib/methods/one-class";
import { buildAutoencoderFamily } from "../lib/models/autoencoder";
import { DEFAULT_CLASSIFIER, OUTPUT_LAYER, buildClassifier, scaleWidths } from "../lib/models/classifier";
import { WEAK } from "../lib/training/augment";
import { accuracy, predict } from "../lib/training/evaluate";
import { OptimizerConfig, SgdNesterov } from "../lib/training/optimizer";
import { TrainOptions, TrainingTask, train } from "../lib/training/loop";
import { Progress, silentProgress } from "../lib/training/progress";
import { Rng } from "../lib/training/rng";
import { onWebGPU } from "./helpers/backend";

// Widths 2-4-8-16: the same layers as the study's network, small enough for lavapipe.
const TINY = { ...scaleWidths(DEFAULT_CLASSIFIER, 0.0625), seed: 3 };
const SGD: OptimizerConfig = { momentum: 0.9, weightDecay: 5e-4 };
const ADAM: OptimizerConfig = { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const CONTRASTIVE = { temperature: 0.2, cropMinArea: 0.2, hue: 0.1, greyscale: 0.2, clusterTemperature: 0.3, clusterWeight: 0.5, balanceWeight: 1 };

/** `count` images of random blocky patterns whose class (i % 4) also sets their mean brightness. */
function images(count: number): { images: Uint8Array; labels: Int32Array; indices: Int32Array } {
  const rng = new Rng(5);
  const pixels = new Uint8Array(count * 3072);
  for (let i = 0; i < count; i++) {
    const colours = Array.from({ length: 16 * 3 }, () => rng.int(128) + 32 * (i % 4));
    for (let p = 0; p < 1024; p++) {
      const block = Math.floor(p / 256) * 4 + Math.floor((p % 32) / 8);
      for (let ch = 0; ch < 3; ch++) pixels[i * 3072 + p * 3 + ch] = colours[block * 3 + ch];
    }
  }
  return { images: pixels, labels: Int32Array.from({ length: count }, (_, i) => i % 4), indices: Int32Array.from({ length: count }, (_, i) => i) };
}

interface Kind {
  name: string;
  optimizer: OptimizerConfig;
  epochs: number;
  /** A fresh task over freshly built (seeded, so identical) models; `dispose` frees them. */
  build(): { task: TrainingTask; dispose(): void };
}

const data = images(64);
const labeled = { indices: data.indices.subarray(0, 32), labels: data.labels.subarray(0, 32) };
const unlabeled = data.indices.subarray(32);

function classifier(seed: number): tfl.LayersModel {
  return buildClassifier({ ...TINY, seed });
}

const KINDS: Kind[] = [
  {
    name: "supervised / self-training student (SGD, weighted examples)", optimizer: SGD, epochs: 7,
    build() {
      const model = classifier(1);
      const weights = Float32Array.from(data.indices, (i) => 0.5 + (i % 3) / 4);
      const task = classificationTask(model, data.images, { ...data, weights }, { batchSize: 8, numClasses: 100, labelSmoothing: 0.1, augmentation: WEAK });
      return { task, dispose: () => model.dispose() };
    },
  },
  {
    name: "autoencoder (Adam)", optimizer: ADAM, epochs: 3,
    build() {
      const family = buildAutoencoderFamily({ ...TINY, seed: 2 });
      return { task: reconstructionTask(family.autoencoder, data.images, data.indices, 8, WEAK), dispose: () => family.joint.dispose() };
    },
  },
  {
    name: "one-step joint autoencoder (SGD)", optimizer: SGD, epochs: 3,
    build() {
      const family = buildAutoencoderFamily({ ...TINY, seed: 3 });
      const options = { labeledBatchSize: 4, unlabeledBatchSize: 4, reconstructionWeight: 1, labelSmoothing: 0.1 };
      return { task: jointTask(family, data.images, labeled, unlabeled, options, undefined), dispose: () => family.joint.dispose() };
    },
  },
  {
    name: "FixMatch-style (SGD, pseudo-labels from the weak rows of the one forward pass)", optimizer: SGD, epochs: 3,
    build() {
      const model = classifier(4);
      const options = { batchSize: 4, unlabeledRatio: 2, threshold: 0.02, unlabeledWeight: 1, labelSmoothing: 0.1 };
      const task = fixMatchTask(model, data.images, labeled, { indices: unlabeled, hiddenLabels: data.labels.subarray(32) }, options, undefined);
      return { task, dispose: () => model.dispose() };
    },
  },
  {
    name: "one-class (SGD, radius changed between epochs)", optimizer: SGD, epochs: 3,
    build() {
      const { classifier: base, oneClass } = buildOneClassNetwork({ ...ONE_CLASS_PARAMS, widthScale: 0.0625 }, 5);
      const state = { radius: 0.5, moves: [] as number[] };
      const task = oneClassTask(oneClass, data.images, data.indices, { ...ONE_CLASS_PARAMS, batchSize: 8 }, state);
      return { task, dispose: () => (oneClass.dispose(), base.getLayer(OUTPUT_LAYER).dispose()) };
    },
  },
  {
    name: "contrastive pretraining (Adam)", optimizer: ADAM, epochs: 3,
    build() {
      const family = buildContrastiveFamily({ ...TINY, seed: 6 }, 10, 16);
      return { task: contrastiveTask(family, data.images, data.indices, 8, CONTRASTIVE), dispose: () => family.joint.dispose() };
    },
  },
  {
    name: "one-step contrastive (Adam)", optimizer: ADAM, epochs: 3,
    build() {
      const family = buildContrastiveFamily({ ...TINY, seed: 7 }, 10, 16);
      const options = { ...CONTRASTIVE, labeledBatchSize: 4, unlabeledBatchSize: 4, contrastiveWeight: 1, labelSmoothing: 0.1 };
      return { task: contrastiveJointTask(family, data.images, labeled, unlabeled, options, undefined), dispose: () => family.joint.dispose() };
    },
  },
];

/** Per-step losses (from the running means the loop reports after every step) and notes of one run. */
async function losses(kind: Kind, capture: boolean, overrides: Partial<TrainOptions> = {}): Promise<{ losses: number[]; notes: string[]; weights: Float32Array[] }> {
  const { task, dispose } = kind.build();
  const perStep: number[] = [];
  const notes: string[] = [];
  const progress: Progress = {
    ...silentProgress,
    note: (m: string) => void notes.push(m),
    step: (step: number, _of: number, values: { loss: number }) => void perStep.push(values.loss * step),
  };
  try {
    await train(task, {
      epochs: kind.epochs, schedule: { peak: kind.optimizer === ADAM ? 2e-3 : 0.05, warmup: 0.2, decay: "linear" },
      optimizer: kind.optimizer, seed: 9, checkpointDir: null, configHash: "capture-test", progress, syncEvery: 1, capture, ...overrides,
    });
    const weights = await Promise.all(task.models[0].getWeights().map(async (w) => (await w.data()) as Float32Array));
    // Running sums per epoch -> each step's own loss.
    const own = perStep.map((sum, i) => (i % task.stepsPerEpoch === 0 ? sum : sum - perStep[i - 1]));
    return { losses: own, notes, weights };
  } finally {
    dispose();
  }
}

function relativeGap(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), 1e-6);
}

describe("captured steps (WebGPU)", function () {
  this.timeout(600000);
  onWebGPU();

  for (const kind of KINDS) {
    it(`replays ${kind.name} to the same per-step losses and weights as eager steps`, async () => {
      const before = tf.memory().numTensors;
      const eager = await losses(kind, false);
      const captured = await losses(kind, true);
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
      assert.ok(captured.notes.some((n) => /^captured steps: \d+ GPU dispatches recorded once/.test(n)), `not replayed: ${captured.notes.join(" | ")}`);
      assert.ok(!captured.notes.some((n) => /off for this run/.test(n)), captured.notes.join(" | "));
      assert.equal(captured.losses.length, eager.losses.length);
      eager.losses.forEach((l, i) => assert.ok(relativeGap(l, captured.losses[i]) <= 1e-4, `step ${i + 1}: eager ${l}, captured ${captured.losses[i]}`));
      eager.weights.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - captured.weights[i][j]) <= 1e-5 * Math.max(1, Math.abs(v)), `weight ${i}[${j}]: ${v} vs ${captured.weights[i][j]}`)));
    });
  }

  it("replays a step with the project forward convolution on (TFJS_PROJECT_CONV2D=1) to the eager losses", async () => {
    const wasOn = projectConv2DEnabled();
    setProjectConv2D(true);
    try {
      const kind = KINDS[0];
      const before = tf.memory().numTensors;
      const launches = countWebGPULaunches()!;
      launches.reset();
      const eager = await losses(kind, false);
      assert.ok(launches.byProgram().has("Conv2DGemmProgram"), `the project convolution did not run: ${[...launches.byProgram().keys()].join(", ")}`);
      assert.ok(!launches.byProgram().has("Conv2DMMProgram"), "tfjs' stock forward convolution still ran");
      const captured = await losses(kind, true);
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
      assert.ok(captured.notes.some((n) => /^captured steps: \d+ GPU dispatches recorded once/.test(n)), `not replayed: ${captured.notes.join(" | ")}`);
      eager.losses.forEach((l, i) => assert.ok(relativeGap(l, captured.losses[i]) <= 1e-4, `step ${i + 1}: eager ${l}, captured ${captured.losses[i]}`));
      eager.weights.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - captured.weights[i][j]) <= 1e-5 * Math.max(1, Math.abs(v)), `weight ${i}[${j}]: ${v} vs ${captured.weights[i][j]}`)));
    } finally {
      setProjectConv2D(wasOn);
    }
  });

  it("evaluates accuracy by replaying the first batch's forward pass (a padded last batch too): same as eager", async () => {
    const model = classifier(8);
    try {
      const labels = Int32Array.from(data.indices, (i) => (i * 7) % 100);
      const indices = Int32Array.from({ length: 90 }, (_, i) => (i * 5) % 64);
      const picked = Int32Array.from(indices, (i) => labels[i]);
      // Labels chosen so that some predictions are right: the eager model's own predictions on every other image.
      process.env.TFJS_CAPTURE = "0";
      const predicted = await predict(model, data.images, indices, 32);
      picked.forEach((_, i) => { if (i % 2 === 0) picked[i] = predicted.labels[i]; });
      const launches = countWebGPULaunches()!;
      launches.reset();
      const eager = await accuracy(model, data.images, picked, { indices, batchSize: 32 });
      const eagerLaunches = launches.total();
      delete process.env.TFJS_CAPTURE;
      const before = tf.memory().numTensors;
      launches.reset();
      const captured = await accuracy(model, data.images, picked, { indices, batchSize: 32 });
      assert.equal(tf.memory().numTensors, before);
      // Three batches: eagerly each one walks tfjs' kernels; captured, only the recorded first one does.
      assert.ok(launches.total() * 2 < eagerLaunches, `tfjs dispatches: captured ${launches.total()}, eager ${eagerLaunches}`);
      assert.ok(eager >= 0.5, `eager accuracy ${eager}`);
      assert.equal(captured, eager);
    } finally {
      delete process.env.TFJS_CAPTURE;
      model.dispose();
    }
  });

  it("resumes a run checkpointed under replay to the losses of an uninterrupted eager run", async () => {
    const kind = KINDS[0];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "capture-ckpt-"));
    try {
      const straight = await losses(kind, false);
      let evaluations = 0;
      const crash = kind.build();
      const crashing = { ...crash.task, evaluate: async () => { if (++evaluations === 3) throw new Error("power cut"); return {}; } };
      const opts: TrainOptions = {
        epochs: kind.epochs, schedule: { peak: 0.05, warmup: 0.2, decay: "linear" }, optimizer: SGD, seed: 9,
        checkpointDir: dir, configHash: "capture-test", progress: silentProgress, syncEvery: 1, capture: true,
      };
      await assert.rejects(train(crashing, opts), /power cut/);
      crash.dispose();
      const resumed = await losses(kind, true, { checkpointDir: dir });
      const stepsPerEpoch = straight.losses.length / kind.epochs;
      const tail = straight.losses.slice(2 * stepsPerEpoch);
      assert.equal(resumed.losses.length, tail.length, "epochs 3.. were trained after the resume");
      tail.forEach((l, i) => assert.ok(relativeGap(l, resumed.losses[i]) <= 1e-4, `step ${i + 1} after resume: ${l} vs ${resumed.losses[i]}`));
      straight.weights.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - resumed.weights[i][j]) <= 1e-5 * Math.max(1, Math.abs(v)), `weight ${i}[${j}]`)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs a step eagerly, and says so, when a host value reaches the GPU inside it", async () => {
    const kind = KINDS[0];
    let calls = 0;
    const sneaky: Kind = {
      ...kind,
      build() {
        const built = kind.build();
        const step = built.task.step;
        // A JS value that changes every step, used inside step(): replaying it would freeze it.
        return { ...built, task: { ...built.task, step: (inputs) => { const out = step(inputs); return { ...out, loss: tf.mul(out.loss, 1 + 1e-3 * calls++) as tf.Scalar }; } } };
      },
    };
    const eager = await losses(sneaky, false);
    calls = 0;
    const captured = await losses(sneaky, true);
    assert.ok(captured.notes.some((n) => /off for this run: three recordings of consecutive steps differ/.test(n)), captured.notes.join(" | "));
    eager.losses.forEach((l, i) => assert.ok(relativeGap(l, captured.losses[i]) <= 1e-6, `step ${i + 1}: ${l} vs ${captured.losses[i]}`));
  });

  it("leaks no tensor or GPU buffer over 1,000 replays, and refuses a stale recording", async () => {
    const backend = tf.backend() as unknown as { bufferManager: { numBytesAllocated: number } };
    const w = tf.variable(tf.tidy(() => tf.randomNormal([16, 4], 0, 0.1, "float32", 1)), true, "capture-leak-w");
    const opt = new SgdNesterov({ momentum: 0.9, weightDecay: 0 });
    const tensorsBefore = tf.memory().numTensors;
    const x = tf.tidy(() => tf.randomUniform([8, 16], -1, 1, "float32", 2));
    const stepFn = (inputs: Record<string, tf.Tensor>) => () => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.matMul(inputs.x as tf.Tensor2D, w))) as tf.Scalar, [w]);
      opt.apply([w], grads, inputs.stepScalars as tf.Tensor1D);
      tf.dispose(grads);
      return { loss: value };
    };
    const inputsFor = () => ({ x: tf.add(x, 0), stepScalars: tf.tensor1d(opt.stepScalars(0.1)) }); // fresh GPU and host inputs
    const recordings = [];
    for (let i = 0; i < 2; i++) {
      const inputs = inputsFor();
      const { result, step } = recordStep(inputs, stepFn(inputs));
      tf.dispose([result.loss, ...Object.values(inputs)]);
      recordings.push(step);
    }
    recordings[0].dispose();
    const replay = recordings[1];
    assert.ok(replay.sameAs(replay) && replay.dispatches > 0);
    for (let i = 0; i < 10; i++) { // the first fresh inputs take buffers from tfjs' pool
      const inputs = inputsFor();
      replay.replay(inputs);
      tf.dispose(Object.values(inputs));
    }
    const first = (await replay.readOutputs())[0] ?? NaN;
    const weightBefore = Array.from(await w.data()); // caches the values on the host: replays must drop that copy
    const tensors = tf.memory().numTensors;
    const allocated = backend.bufferManager.numBytesAllocated;
    for (let i = 0; i < 1000; i++) {
      const inputs = inputsFor();
      replay.replay(inputs);
      tf.dispose(Object.values(inputs));
      if ((i + 1) % 250 === 0) {
        const values = await replay.readOutputs();
        assert.equal(values.length, 250);
        assert.ok(values.every(Number.isFinite) && values[249] < first, `the replayed steps lower the loss: ${first} -> ${values[249]}`);
        assert.equal(tf.memory().numTensors, tensors, "replays create no tensors");
        assert.equal(backend.bufferManager.numBytesAllocated, allocated, "replays allocate no GPU memory");
      }
    }
    assert.notDeepEqual(Array.from(await w.data()), weightBefore, "a read after replays sees the updated weights");
    tf.tidy(() => w.assign(tf.zerosLike(w))); // re-pointed outside the recording
    assert.equal(replay.isCurrent(), false);
    const inputs = inputsFor();
    assert.throws(() => replay.replay(inputs), CaptureError);
    tf.dispose(Object.values(inputs));
    replay.dispose();
    opt.dispose();
    tf.dispose([x, w]);
    assert.equal(tf.memory().numTensors, tensorsBefore - 1, "only the variable is gone");
    assert.equal(buffersHeldByRecordings(), 0, "disposed recordings hand every buffer back to tfjs");
  });
});
