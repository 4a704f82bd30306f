// The Exercise 1 classifier, and the derived networks of the later exercises.
//
// One builder makes the whole family, so every exercise uses *the same* architecture by construction:
//   classifier  = backbone -> GlobalAveragePooling -> Dense(classes)        (Exercise 1, 2)
//   encoder     = classifier minus its last layer and the pooling before it  (Exercises 3, 4, 6)
//   one-class   = classifier with another output layer                      (Exercise 5)
// The backbone is fully convolutional (convolutions, BatchNorm, ReLU, max pooling, residual additions); the
// only Dense layer is the last one, as the assignment requires.
import * as tfl from "@tensorflow/tfjs-layers";

export interface ClassifierConfig {
  /** Input image shape (height, width, channels). */
  inputShape: [number, number, number];
  /** Channels of the four stages: stem, then three stages that each halve the resolution. */
  widths: [number, number, number, number];
  /** Add a two-convolution residual block after stages 2 and 4 (ResNet-9 layout). */
  residual: boolean;
  numClasses: number;
  /** Seed for the weight initialisers, so the same config builds the same network. */
  seed: number;
}

/**
 * ResNet-9 layout (the DAWNBench CIFAR recipe) at half width: 8 convolutions, 1.6 M weights. Wide enough to
 * learn CIFAR-100 from 10,080 labels with augmentation, small enough to train in minutes on one GPU.
 */
export const DEFAULT_CLASSIFIER: ClassifierConfig = {
  inputShape: [32, 32, 3],
  widths: [32, 64, 128, 256],
  residual: true,
  numClasses: 100,
  seed: 1,
};

export const HEAD_POOLING_LAYER = "head_pool";
export const OUTPUT_LAYER = "logits";

/** Scales the widths (smoke profile), keeping at least 4 channels per layer. */
export function scaleWidths(config: ClassifierConfig, scale: number): ClassifierConfig {
  const widths = config.widths.map((w) => Math.max(4, Math.round(w * scale))) as ClassifierConfig["widths"];
  return { ...config, widths };
}

class LayerFactory {
  private count = 0;
  constructor(private readonly seed: number) {}

  /** 3x3 convolution (no bias: BatchNorm follows), BatchNorm, ReLU. */
  convBnRelu(x: tfl.SymbolicTensor, filters: number, name: string): tfl.SymbolicTensor {
    const conv = tfl.layers.conv2d({
      filters,
      kernelSize: 3,
      padding: "same",
      useBias: false,
      kernelInitializer: tfl.initializers.heNormal({ seed: this.seed * 1000 + this.count++ }),
      name: `${name}_conv`,
    });
    const bn = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `${name}_bn` });
    const relu = tfl.layers.reLU({ name: `${name}_relu` });
    return relu.apply(bn.apply(conv.apply(x))) as tfl.SymbolicTensor;
  }

  pool(x: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor {
    return tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `${name}_pool` }).apply(x) as tfl.SymbolicTensor;
  }

  residual(x: tfl.SymbolicTensor, filters: number, name: string): tfl.SymbolicTensor {
    const y = this.convBnRelu(this.convBnRelu(x, filters, `${name}a`), filters, `${name}b`);
    return tfl.layers.add({ name: `${name}_add` }).apply([x, y]) as tfl.SymbolicTensor;
  }
}

/** The convolutional backbone: 32x32x3 images to a (H/8)x(W/8)x widths[3] feature map. */
function backbone(input: tfl.SymbolicTensor, config: ClassifierConfig): tfl.SymbolicTensor {
  const f = new LayerFactory(config.seed);
  const [w1, w2, w3, w4] = config.widths;
  let x = f.convBnRelu(input, w1, "stem");
  x = f.pool(f.convBnRelu(x, w2, "stage1"), "stage1");
  if (config.residual) x = f.residual(x, w2, "res1");
  x = f.pool(f.convBnRelu(x, w3, "stage2"), "stage2");
  x = f.pool(f.convBnRelu(x, w4, "stage3"), "stage3");
  if (config.residual) x = f.residual(x, w4, "res3");
  return x;
}

/** Exercise 1's network: backbone, global average pooling, one Dense layer giving logits. */
export function buildClassifier(config: ClassifierConfig = DEFAULT_CLASSIFIER): tfl.LayersModel {
  const input = tfl.input({ shape: config.inputShape, name: "image" });
  const features = backbone(input, config);
  const pooled = tfl.layers.globalAveragePooling2d({ name: HEAD_POOLING_LAYER }).apply(features) as tfl.SymbolicTensor;
  const logits = tfl.layers
    .dense({
      units: config.numClasses,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: config.seed * 1000 + 999 }),
      name: OUTPUT_LAYER,
    })
    .apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: "classifier" });
}

/** The layer that feeds `layer` (the networks here are chains at their head). */
function inboundLayer(layer: tfl.layers.Layer): tfl.layers.Layer {
  const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
  if (inbound.length !== 1) throw new Error(`layer ${layer.name} has ${inbound.length} inputs; expected one`);
  return inbound[0];
}

/**
 * The encoder: the classifier minus its last layer and minus the pooling layer before it. It shares the
 * classifier's layers (and weights), so training one trains the other.
 */
export function encoderOf(classifier: tfl.LayersModel): tfl.LayersModel {
  const last = classifier.getLayer(OUTPUT_LAYER);
  let cut = inboundLayer(last);
  if (cut.getClassName().includes("Pooling")) cut = inboundLayer(cut);
  return tfl.model({ inputs: classifier.inputs, outputs: cut.output as tfl.SymbolicTensor, name: "encoder" });
}

/** The classifier with its last layer replaced by `output`, one layer or a chain (Exercise 5's one-unit score). */
export function withOutputLayer(classifier: tfl.LayersModel, output: tfl.layers.Layer | tfl.layers.Layer[], name: string): tfl.LayersModel {
  const penultimate = inboundLayer(classifier.getLayer(OUTPUT_LAYER));
  const layers = Array.isArray(output) ? output : [output];
  const y = layers.reduce((x, layer) => layer.apply(x) as tfl.SymbolicTensor, penultimate.output as tfl.SymbolicTensor);
  return tfl.model({ inputs: classifier.inputs, outputs: y, name });
}

/** Layer-by-layer description (type, output shape, weights) used by notebooks and structural tests. */
export interface LayerRow {
  name: string;
  type: string;
  /** Output shape with the batch dimension as null. */
  shape: (number | null)[];
  outputShape: string;
  params: number;
  config: Record<string, unknown>;
}

export function describeLayers(model: tfl.LayersModel): LayerRow[] {
  return model.layers.map((layer) => {
    const shape = layer.outputShape as (number | null)[];
    const cfg = layer.getConfig() as Record<string, unknown>;
    const keep = ["filters", "kernelSize", "strides", "padding", "poolSize", "units", "activation", "rate"];
    return {
      name: layer.name,
      type: layer.getClassName(),
      shape,
      outputShape: JSON.stringify(shape.map((d) => (d === null ? "N" : d))).replace(/"/g, ""),
      params: layer.countParams(),
      config: Object.fromEntries(keep.filter((k) => cfg[k] !== undefined).map((k) => [k, cfg[k]])),
    };
  });
}
