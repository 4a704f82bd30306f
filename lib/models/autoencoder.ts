// The convolutional autoencoder of Exercises 3 and 4, derived from the Exercise 1 classifier.
//
//   encoder      = the classifier minus its last layer and the pooling before it (encoderOf: shared layers)
//   decoder      = fully convolutional: three stride-2 transposed convolutions mirroring the encoder's widths
//                  (4 -> 8 -> 16 -> 32 pixels), each with BatchNorm and ReLU, then a 3x3 convolution to RGB and a
//                  sigmoid (pixels are in [0, 1]); no Dense layer anywhere
//   autoencoder  = decoder(encoder(image))
//   joint        = image -> [reconstruction, logits] (Exercise 4), whose classifier path is exactly Exercise 1's
import * as tfl from "@tensorflow/tfjs-layers";
import { ClassifierConfig, buildClassifier, encoderOf } from "./classifier";

export const RECONSTRUCTION_LAYER = "reconstruction";

export interface AutoencoderFamily {
  /** The Exercise 1 architecture (its encoder layers are shared with the autoencoder). */
  classifier: tfl.LayersModel;
  encoder: tfl.LayersModel;
  /** image -> reconstruction. */
  autoencoder: tfl.LayersModel;
  /** image -> [reconstruction, logits]: the one-step model of Exercise 4. */
  joint: tfl.LayersModel;
}

function decoder(features: tfl.SymbolicTensor, config: ClassifierConfig): tfl.SymbolicTensor {
  const [w1, w2, w3] = config.widths;
  let x = features;
  [w3, w2, w1].forEach((filters, i) => {
    const name = `decoder${i + 1}`;
    x = tfl.layers
      .conv2dTranspose({
        filters,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        useBias: false,
        kernelInitializer: tfl.initializers.heNormal({ seed: config.seed * 1000 + 500 + i }),
        name: `${name}_convT`,
      })
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `${name}_bn` }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.reLU({ name: `${name}_relu` }).apply(x) as tfl.SymbolicTensor;
  });
  return tfl.layers
    .conv2d({
      filters: config.inputShape[2],
      kernelSize: 3,
      padding: "same",
      activation: "sigmoid",
      kernelInitializer: tfl.initializers.glorotUniform({ seed: config.seed * 1000 + 599 }),
      name: RECONSTRUCTION_LAYER,
    })
    .apply(x) as tfl.SymbolicTensor;
}

/** Builds the classifier and everything derived from it, all sharing the encoder's layers. */
export function buildAutoencoderFamily(config: ClassifierConfig): AutoencoderFamily {
  const classifier = buildClassifier(config);
  const encoder = encoderOf(classifier);
  const reconstruction = decoder(encoder.outputs[0], config);
  const autoencoder = tfl.model({ inputs: classifier.inputs, outputs: reconstruction, name: "autoencoder" });
  const joint = tfl.model({ inputs: classifier.inputs, outputs: [reconstruction, classifier.outputs[0]], name: "joint" });
  return { classifier, encoder, autoencoder, joint };
}

/** The decoder's own layers (those of the autoencoder that the encoder does not have). */
export function decoderLayers(family: AutoencoderFamily): tfl.layers.Layer[] {
  const encoderLayers = new Set(family.encoder.layers);
  return family.autoencoder.layers.filter((l) => !encoderLayers.has(l));
}
