// Loss parity between backends: tiny versions of the project's training tasks, trained step by step from the same
// initial weights on the same batches (the project's seeded RNG draws batches and augmentation on the host), with
// every step's loss recorded. test/tfjs-node.test.ts compares tfjs-node with the cpu backend;
// scripts/compare-backends.ts prints the gaps between tfjs-node, WebGPU and cpu.
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { BackendChoice, switchBackend } from "../backend";
import { reconstructionTask } from "../methods/autoencoder";
import { classificationTask } from "../methods/classification";
import { buildAutoencoderFamily } from "../models/autoencoder";
import { DEFAULT_CLASSIFIER, scaleWidths } from "../models/classifier";
import { WEAK } from "../training/augment";
import { TrainOptions, TrainingTask, train } from "../training/loop";
import { silentProgress } from "../training/progress";

const CLASSES = 4;

/** `count` images (32 by default) whose class (i % 4) is written in their colour: learnable in a few steps. */
export function colourData(count = 32): { images: Uint8Array; labels: Int32Array; indices: Int32Array } {
  const images = new Uint8Array(count * 32 * 32 * 3);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % CLASSES;
    for (let p = 0; p < 1024; p++) images[i * 3072 + p * 3 + (labels[i] % 3)] = labels[i] === 3 ? 250 : 120 + ((p * 7 + i) % 60);
  }
  return { images, labels, indices: Int32Array.from({ length: count }, (_, i) => i) };
}

function tinyClassifier(): tfl.LayersModel {
  const input = tfl.input({ shape: [32, 32, 3] });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, kernelInitializer: tfl.initializers.heNormal({ seed: 1 }) }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: "same", kernelInitializer: tfl.initializers.heNormal({ seed: 2 }) }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const y = tfl.layers.dense({ units: CLASSES, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: y });
}

export interface ParitySetup {
  name: string;
  /** The model to train, and what frees it (with any sibling models that share its layers). */
  model: () => { model: tfl.LayersModel; dispose: () => void };
  task: (model: tfl.LayersModel) => TrainingTask;
  options: TrainOptions;
}

const data = colourData();
const ADAM: TrainOptions["optimizer"] = { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const options = (optimizer: TrainOptions["optimizer"], peak: number, epochs: number): TrainOptions => ({
  epochs,
  schedule: { peak, warmup: 0.1, decay: "linear" },
  optimizer,
  seed: 7,
  checkpointDir: null,
  configHash: "parity",
  progress: silentProgress,
});
const classify = (model: tfl.LayersModel) =>
  classificationTask(model, data.images, { indices: data.indices, labels: data.labels, weights: null }, {
    batchSize: 8, numClasses: CLASSES, labelSmoothing: 0.1, augmentation: WEAK,
  });
const classifier = () => {
  const model = tinyClassifier();
  return { model, dispose: () => model.dispose() };
};

export const PARITY_SETUPS: ParitySetup[] = [
  { name: "classifier, SGD-Nesterov (Exercises 1, 2, 5)", model: classifier, task: classify, options: options({ momentum: 0.9, weightDecay: 5e-4 }, 0.1, 2) },
  { name: "classifier, Adam", model: classifier, task: classify, options: options(ADAM, 0.01, 2) },
  {
    name: "autoencoder reconstruction (Exercises 3, 4), the project's network at 1/8 width",
    model: () => {
      const family = buildAutoencoderFamily({ ...scaleWidths(DEFAULT_CLASSIFIER, 0.125), seed: 3 });
      return { model: family.autoencoder, dispose: () => family.joint.dispose() }; // joint holds every layer of the family
    },
    task: (model) => reconstructionTask(model, data.images, data.indices.slice(0, 8), 4, WEAK),
    options: options(ADAM, 0.02, 1),
  },
];

/** The setup's initial weights, drawn once (on the current backend) so every backend starts from the same values. */
export function initialWeights(setup: ParitySetup): Float32Array[] {
  const init = setup.model();
  const weights = init.model.getWeights().map((w) => w.dataSync() as Float32Array);
  init.dispose();
  return weights;
}

/** Trains `setup` on `backend` ("node" is tfjs-node's "tensorflow") from `initial` and returns every step's loss. */
export async function stepLosses(backend: BackendChoice, setup: ParitySetup, initial: Float32Array[]): Promise<number[]> {
  if (backend === "node" || backend === "node-gpu") {
    if (!tf.findBackend("tensorflow") || !(await tf.setBackend("tensorflow"))) throw new Error("tfjs-node is not started");
  } else {
    const started = await switchBackend(backend);
    if (started.device === undefined) throw new Error(`${backend} did not start: ${started.skipped}`);
  }
  const { model, dispose } = setup.model();
  const start = model.getWeights().map((w, i) => tf.tensor(initial[i], w.shape));
  model.setWeights(start);
  tf.dispose(start);
  const base = setup.task(model);
  const kept: tf.Tensor[] = []; // read after training: WebGPU has no synchronous read in Node
  const task: TrainingTask = {
    ...base,
    step: (inputs) => {
      const out = base.step(inputs);
      kept.push(tf.keep(out.loss.clone()));
      return out;
    },
  };
  try {
    await train(task, setup.options);
    return await Promise.all(kept.map(async (t) => (await t.data())[0]));
  } finally {
    tf.dispose(kept);
    dispose();
  }
}

/** |a - ref| / max(|ref|, 1e-3), step by step. */
export function relativeGaps(a: number[], ref: number[]): number[] {
  if (a.length !== ref.length) throw new Error(`${a.length} steps against ${ref.length}`);
  return a.map((v, i) => Math.abs(v - ref[i]) / Math.max(Math.abs(ref[i]), 1e-3));
}
