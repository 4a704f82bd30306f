// Exercise 4: the autoencoder and the classifier trained at the same time (one step).
//
// The joint model (lib/models/autoencoder.ts) maps an image to [reconstruction, logits]; its autoencoder is the
// one of Exercise 3 and its encoder + head is exactly the Exercise 1 network. Each step takes `labeledBatchSize`
// labeled and `unlabeledBatchSize` unlabeled images (weak augmentation) and minimises
//   CE(logits, labels) with per-example weights (labeled 1, unlabeled 0: only labeled images are classified)
//   + reconstructionWeight * MSE(reconstruction, image) on every image of the batch,
// with the Exercise 1 recipe (SGD Nesterov, warm-up then linear decay). An epoch is one pass over the labeled
// images; the unlabeled ones are drawn at random.
import * as tf from "@tensorflow/tfjs-core";
import { trainLabels } from "../data/study";
import type { ExperimentContext, ExperimentOutcome, Params } from "../experiments/experiment";
import { AutoencoderFamily } from "../models/autoencoder";
import { WEAK, batchTensor } from "../training/augment";
import { accuracy } from "../training/evaluate";
import { StepInputs, TrainingTask, train } from "../training/loop";
import type { Rng } from "../training/rng";
import { meanReconstructionError, reconstructionError, reconstructionSamples, buildFamily } from "./autoencoder";
import { mixedBatches, mixedClassification, mixedTargets } from "./classification";
import { classifierOutcome, sgdTrainOptions } from "./recipe";

const CLASSES = 100;

interface JointOptions {
  labeledBatchSize: number;
  unlabeledBatchSize: number;
  reconstructionWeight: number;
  labelSmoothing: number;
}

export function jointTask(
  family: AutoencoderFamily,
  images: Uint8Array,
  labeled: { indices: Int32Array; labels: Int32Array },
  unlabeled: Int32Array,
  options: JointOptions,
  evaluate: TrainingTask["evaluate"],
): TrainingTask {
  const nL = options.labeledBatchSize;
  const batches = mixedBatches(labeled, unlabeled, nL, options.unlabeledBatchSize);
  return {
    models: [family.joint],
    stepsPerEpoch: batches.stepsPerEpoch,
    evaluate,
    batch(rng: Rng, _epoch: number, step: number): StepInputs {
      const { pool, labels } = batches.next(rng, step);
      return { x: batchTensor(images, pool, WEAK, rng), ...mixedTargets(labels, batches.rowWeights, CLASSES, options.labelSmoothing) };
    },
    step(inputs: StepInputs) {
      const [reconstruction, logits] = family.joint.apply(inputs.x, { training: true }) as [tf.Tensor, tf.Tensor2D];
      const classification = mixedClassification(logits, inputs.targets as tf.Tensor2D, inputs.weights as tf.Tensor1D, nL);
      const error = reconstructionError(reconstruction, inputs.x);
      return {
        loss: tf.add(classification.loss, tf.mul(error, options.reconstructionWeight)) as tf.Scalar,
        metrics: { trainAccuracy: classification.trainAccuracy, classificationLoss: classification.loss, reconstructionError: error },
      };
    },
  };
}

export async function runJoint(ctx: ExperimentContext, params: Params): Promise<ExperimentOutcome> {
  const { data, seed } = ctx;
  const images = data.cifar.train.images;
  const family = buildFamily(params, seed);
  const labels = trainLabels(data, data.labeled);
  const testAccuracy = () => accuracy(family.classifier, data.test.images, data.test.fine);
  const task = jointTask(
    family, images, { indices: data.labeled, labels }, data.unlabeled,
    {
      labeledBatchSize: params.labeledBatchSize as number,
      unlabeledBatchSize: params.unlabeledBatchSize as number,
      reconstructionWeight: params.reconstructionWeight as number,
      labelSmoothing: params.labelSmoothing as number,
    },
    async () => ({ testAccuracy: await testAccuracy() }),
  );
  try {
    const run = await train(task, sgdTrainOptions(ctx, params));
    return await classifierOutcome(ctx, family.classifier, run, {
      usesUnlabeled: true,
      details: async () => ({
        testReconstructionError: await meanReconstructionError(family.autoencoder, data.test.images, data.test.count),
        samples: await reconstructionSamples(family.autoencoder, data.test.images),
      }),
    });
  } finally {
    family.joint.dispose(); // the joint model holds every layer of the family
  }
}
