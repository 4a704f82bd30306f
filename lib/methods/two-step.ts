// Step 2 of the two-step methods (Exercise 3's autoencoder, Exercise 6's contrastive pretraining): the Exercise 1
// classifier, built on the pretrained encoder, trained on the labeled images with the Exercise 1 recipe, its encoder
// either frozen (only the Dense layer learns) or fine-tuned (every layer learns from the pretrained weights).
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { trainLabels } from "../data/study";
import type { ExperimentContext, ExperimentOutcome, Params } from "../experiments/experiment";
import { HEAD_POOLING_LAYER, OUTPUT_LAYER } from "../models/classifier";
import { classifierOutcome } from "./recipe";
import { trainClassifier } from "./supervised";

export interface PretrainedClassifier {
  /** The Exercise 1 architecture, sharing its encoder layers with the pretrained network. */
  classifier: tfl.LayersModel;
  /** The classifier minus its pooling and Dense layers. */
  encoder: tfl.LayersModel;
}

/** Logits with the encoder in inference mode: a frozen encoder's BatchNorm statistics must not move either. */
function frozenForward(family: PretrainedClassifier): (x: tf.Tensor) => tf.Tensor2D {
  const pool = family.classifier.getLayer(HEAD_POOLING_LAYER);
  const dense = family.classifier.getLayer(OUTPUT_LAYER);
  return (x) => dense.apply(pool.apply(family.encoder.apply(x, { training: false }) as tf.Tensor)) as tf.Tensor2D;
}

/** Trains the classifier (params.encoder: "frozen" or "fine-tuned") after a pretraining stage of `stageSeconds`. */
export async function trainOnPretrainedEncoder(
  ctx: ExperimentContext,
  params: Params,
  family: PretrainedClassifier,
  stageSeconds: number,
  details: () => Record<string, unknown>,
): Promise<ExperimentOutcome> {
  const { data, seed } = ctx;
  const dense = family.classifier.getLayer(OUTPUT_LAYER);
  const labels = trainLabels(data, data.labeled);
  const frozen = params.encoder === "frozen"
    ? { forward: frozenForward(family), trainableVariables: () => dense.trainableWeights.map((w) => w.read() as tf.Variable) }
    : {};
  const run = await trainClassifier(ctx, family.classifier, { indices: data.labeled, labels, weights: null }, params, seed, ctx.checkpointDir(), frozen);
  return classifierOutcome(ctx, family.classifier, run, {
    usesUnlabeled: true,
    earlierSeconds: stageSeconds,
    details: async () => ({ encoder: params.encoder, ...details() }),
  });
}
