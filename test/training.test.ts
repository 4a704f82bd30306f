import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { initBackend } from "../lib/backend";
import { colourData } from "../lib/bench/parity";
import { classificationTask } from "../lib/methods/classification";
import { WEAK } from "../lib/training/augment";
import { TrainOptions, TrainingDivergedError, TrainingTask, train } from "../lib/training/loop";
import { silentProgress } from "../lib/training/progress";

const CLASSES = 4;
const COUNT = 64;

function tinyModel(seed: number): tfl.LayersModel {
  const input = tfl.input({ shape: [32, 32, 3] });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, kernelInitializer: tfl.initializers.heNormal({ seed }) }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const y = tfl.layers.dense({ units: CLASSES, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: y });
}

const SGD: TrainOptions["optimizer"] = { momentum: 0.9, weightDecay: 5e-4 };
const ADAM: TrainOptions["optimizer"] = { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

function options(epochs: number, checkpointDir: string | null, configHash = "test", optimizer = SGD): TrainOptions {
  return {
    epochs,
    schedule: { peak: optimizer === SGD ? 0.2 : 0.01, warmup: 0.1, decay: "linear" },
    optimizer,
    seed: 11,
    checkpointDir,
    configHash,
    progress: silentProgress,
  };
}

function task(model: tfl.LayersModel, extra: Partial<TrainingTask> = {}): TrainingTask {
  const data = colourData(COUNT);
  return {
    ...classificationTask(model, data.images, { indices: data.indices, labels: data.labels, weights: null }, {
      batchSize: 16, numClasses: CLASSES, labelSmoothing: 0, augmentation: WEAK,
    }),
    ...extra,
  };
}

describe("training loop", function () {
  this.timeout(300000);
  let dir: string;
  before(async () => {
    await initBackend({ quiet: true });
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "training-test-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("lowers the loss and leaks no tensor across epochs", async () => {
    const model = tinyModel(1);
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const result = await train(task(model, { endEpoch: () => void counts.push(tf.memory().numTensors) }), options(4, path.join(dir, "ckpt")));
    assert.equal(result.history.length, 4);
    assert.ok(result.history[3].loss < result.history[0].loss, `loss ${result.history.map((r) => r.loss)}`);
    assert.ok(result.history[3].trainAccuracy > 0.5);
    assert.equal(new Set(counts).size, 1, `tensors per epoch end: ${counts}`);
    assert.equal(tf.memory().numTensors, before, "train() must free everything it created");
    model.dispose();
  });

  for (const [label, optimizer] of [["SGD-Nesterov", SGD], ["Adam", ADAM]] as const) {
    it(`resumes an interrupted run from its last checkpoint to the same result (${label})`, async () => {
      const straight = tinyModel(2);
      const full = await train(task(straight), options(3, null, "test", optimizer));

      const interrupted = tinyModel(2);
      const ckpt = path.join(dir, "ckpt");
      let evaluations = 0;
      const crashInEpoch2 = { evaluate: async () => { if (++evaluations === 2) throw new Error("power cut"); return {}; } };
      await assert.rejects(train(task(interrupted, crashInEpoch2), options(3, ckpt, "test", optimizer)), /power cut/);
      interrupted.dispose();

      const resumedModel = tinyModel(99); // other initial weights: everything must come from the checkpoint
      const before = tf.memory().numTensors;
      const resumed = await train(task(resumedModel), options(3, ckpt, "test", optimizer));
      assert.equal(tf.memory().numTensors, before, "resuming must free what it loaded");
      assert.equal(resumed.resumedAfter, 1);
      assert.equal(resumed.history.length, 3);
      resumed.history.forEach((r, i) => assert.ok(Math.abs(r.loss - full.history[i].loss) < 1e-4, `epoch ${i + 1}: ${r.loss} vs ${full.history[i].loss}`));
      const a = await Promise.all(straight.getWeights().map((w) => w.data()));
      const b = await Promise.all(resumedModel.getWeights().map((w) => w.data()));
      a.forEach((values, i) => values.forEach((v, j) => assert.ok(Math.abs(v - b[i][j]) < 1e-4, `weight ${i}[${j}]`)));
      straight.dispose();
      resumedModel.dispose();
    });
  }

  it("never resumes a checkpoint written by another configuration: it moves it aside and starts afresh", async () => {
    const model = tinyModel(3);
    const ckpt = path.join(dir, "ckpt");
    await train(task(model), options(1, ckpt, "config-a"));
    const notes: string[] = [];
    const run = await train(task(model), { ...options(2, ckpt, "config-b"), progress: { ...silentProgress, note: (m: string) => void notes.push(m) } });
    assert.equal(run.history.length, 2, "both epochs trained: nothing was resumed");
    assert.ok(fs.existsSync(path.join(dir, "ckpt.config-config-a")), "the other configuration's checkpoint is kept beside");
    assert.ok(notes.some((n) => /written by another configuration \(config-a, this run is config-b\): moved to .*ckpt\.config-config-a/.test(n)), notes.join("\n"));
    const resumed = await train(task(model), options(2, ckpt, "config-b"));
    assert.equal(resumed.history.length, 2, "its own checkpoint still resumes");
    model.dispose();
  });

  it("stops with a clear error on a NaN loss and keeps the last good checkpoint", async () => {
    const model = tinyModel(4);
    const ckpt = path.join(dir, "ckpt");
    const base = task(model);
    let epoch = 0;
    const poisoned = task(model, {
      batch: (rng, e, s) => ((epoch = e), base.batch(rng, e, s)),
      step: (inputs) => {
        const out = base.step(inputs);
        return epoch < 2 ? out : { ...out, loss: tf.mul(out.loss, NaN) as tf.Scalar };
      },
    });
    const before = tf.memory().numTensors;
    await assert.rejects(train(poisoned, options(3, ckpt)), (e: unknown) => e instanceof TrainingDivergedError && /became NaN in epoch 2/.test((e as Error).message));
    assert.equal(tf.memory().numTensors, before);
    assert.equal(JSON.parse(fs.readFileSync(path.join(ckpt, "checkpoint.json"), "utf8")).state.epoch, 1);
    model.dispose();
  });
});
