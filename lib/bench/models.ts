// The two benchmark models, built with tfjs-layers exactly as the perf issue describes them.
//
// refcnn: the assignment's reference CNN. resnet: a small ResNet (widths 32-64-128-256, BatchNorm, basic
// residual blocks, global average pooling). Both take 32x32x3 images and end in Dense(100, softmax).
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

export type BenchModelName = "refcnn" | "resnet";
export const BENCH_MODELS: readonly BenchModelName[] = ["refcnn", "resnet"];

export const IMAGE_SHAPE = [32, 32, 3];
export const NUM_CLASSES = 100;

/** Conv 16-32-pool-64-pool-128-pool (3x3, valid, relu), Flatten, Dense 100 softmax. */
export function buildRefCnn(): tfl.LayersModel {
  const conv = (filters: number, inputShape?: number[]) =>
    tfl.layers.conv2d({ filters, kernelSize: 3, padding: "valid", activation: "relu", inputShape });
  return tfl.sequential({
    layers: [
      conv(16, IMAGE_SHAPE),
      conv(32),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      conv(64),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      conv(128),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: NUM_CLASSES, activation: "softmax" }),
    ],
  });
}

type SymbolicTensor = tfl.SymbolicTensor;

function convBn(x: SymbolicTensor, filters: number, kernelSize: number, strides: number, relu: boolean): SymbolicTensor {
  let y = tfl.layers.conv2d({ filters, kernelSize, strides, padding: "same", useBias: false }).apply(x) as SymbolicTensor;
  y = tfl.layers.batchNormalization({ axis: -1 }).apply(y) as SymbolicTensor;
  return relu ? (tfl.layers.reLU().apply(y) as SymbolicTensor) : y;
}

/** conv-BN-relu-conv-BN plus the identity (or a strided 1x1 conv-BN when the shape changes), then relu. */
function basicBlock(x: SymbolicTensor, filters: number, strides: number): SymbolicTensor {
  const inFilters = x.shape[x.shape.length - 1];
  const y = convBn(convBn(x, filters, 3, strides, true), filters, 3, 1, false);
  const shortcut = strides === 1 && inFilters === filters ? x : convBn(x, filters, 1, strides, false);
  const sum = tfl.layers.add().apply([y, shortcut]) as SymbolicTensor;
  return tfl.layers.reLU().apply(sum) as SymbolicTensor;
}

export const RESNET_WIDTHS = [32, 64, 128, 256];

/** Stem conv 32, stages 32-64-128-256 (stride 2 between stages), `blocksPerStage` basic blocks each, GAP, Dense. */
export function buildResNet(blocksPerStage = 1): tfl.LayersModel {
  const input = tfl.input({ shape: IMAGE_SHAPE });
  let x = convBn(input, RESNET_WIDTHS[0], 3, 1, true);
  RESNET_WIDTHS.forEach((width, stage) => {
    for (let block = 0; block < blocksPerStage; block++) {
      x = basicBlock(x, width, stage > 0 && block === 0 ? 2 : 1);
    }
  });
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as SymbolicTensor;
  const output = tfl.layers.dense({ units: NUM_CLASSES, activation: "softmax" }).apply(x) as SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output });
}

export function buildBenchModel(name: BenchModelName): tfl.LayersModel {
  return name === "refcnn" ? buildRefCnn() : buildResNet();
}

/** Adam (tfjs defaults) and sparse categorical cross-entropy, as in the assignment. */
export function compileForBench(model: tfl.LayersModel, learningRate = 1e-3): void {
  model.compile({ optimizer: tf.train.adam(learningRate), loss: "sparseCategoricalCrossentropy" });
}
