// Exercise 6, one step (Exercise 4's shape): the contrastive loss and the classification loss trained together.
//
// One model (lib/methods/contrastive.ts, family.joint) maps an image to [h, cluster probabilities, class logits];
// encoder + GAP + Dense is exactly the Exercise 1 classifier. Each step takes `labeledBatchSize` labeled and
// `unlabeledBatchSize` unlabeled images (labeled in epoch order, unlabeled drawn at random) and makes two strongly
// augmented views of every one, in one forward pass over the 2 (nL + nU) rows, and minimises
//   CE(logits, labels) with per-example weights: both views of a labeled image 2N / (2 nL), unlabeled rows 0
//     (so the term is the mean cross-entropy over the labeled rows only; label smoothing as in Exercise 1)
//   + contrastiveWeight * (InfoNCE + lambda (G1 + G2) + beta (ln K - H)) over all the rows (the technique's loss),
// with the Exercise 1 optimizer (SGD Nesterov, warm-up then linear decay). An epoch is one pass over the labeled
// images.
import * as tf from "@tensorflow/tfjs-core";
import { trainLabels } from "../data/study";
import type { ExperimentContext, ExperimentOutcome, Params } from "../experiments/experiment";
import { accuracy } from "../training/evaluate";
import { StepInputs, TrainingTask, train } from "../training/loop";
import type { Rng } from "../training/rng";
import { mixedBatches, mixedClassification, mixedTargets } from "./classification";
import { classifierOutcome, sgdTrainOptions } from "./recipe";
import {
  ContrastiveFamily, ContrastiveLossOptions, buildFamily, clusterProbabilities, contrastiveLoss, lossOptions, probeEvaluation, twoViews, withInitialEvaluation,
} from "./contrastive";

const CLASSES = 100;

export interface ContrastiveJointOptions extends ContrastiveLossOptions {
  labeledBatchSize: number;
  unlabeledBatchSize: number;
  contrastiveWeight: number;
  labelSmoothing: number;
}

export function contrastiveJointTask(
  family: ContrastiveFamily,
  images: Uint8Array,
  labeled: { indices: Int32Array; labels: Int32Array },
  unlabeled: Int32Array,
  options: ContrastiveJointOptions,
  evaluate: TrainingTask["evaluate"],
): TrainingTask {
  const nL = options.labeledBatchSize;
  const batches = mixedBatches(labeled, unlabeled, nL, options.unlabeledBatchSize, 2);
  return {
    models: [family.joint],
    stepsPerEpoch: batches.stepsPerEpoch,
    evaluate,
    batch(rng: Rng, _epoch: number, step: number): StepInputs {
      const { pool, labels } = batches.next(rng, step);
      return { x: twoViews(images, pool, rng, options), ...mixedTargets(labels, batches.rowWeights, CLASSES, options.labelSmoothing) };
    },
    step(inputs: StepInputs) {
      const [, clusterLogits, logits, p] = family.joint.apply(inputs.x, { training: true }) as tf.Tensor2D[];
      const classification = mixedClassification(logits, inputs.targets as tf.Tensor2D, inputs.weights as tf.Tensor1D, nL);
      const { loss, parts } = contrastiveLoss(p, clusterProbabilities(clusterLogits, options.clusterTemperature), options);
      return {
        loss: tf.add(classification.loss, tf.mul(loss, options.contrastiveWeight)) as tf.Scalar,
        metrics: { trainAccuracy: classification.trainAccuracy, classificationLoss: classification.loss, contrastiveLoss: loss, ...parts },
      };
    },
  };
}

export async function runContrastiveJoint(ctx: ExperimentContext, params: Params): Promise<ExperimentOutcome> {
  const { data, seed } = ctx;
  const images = data.cifar.train.images;
  const family = buildFamily(params, seed);
  try {
    const labels = trainLabels(data, data.labeled);
    const diagnostics = probeEvaluation(family.joint, ctx, params);
    const testAccuracy = () => accuracy(family.classifier, data.test.images, data.test.fine);
    const { task, initial } = await withInitialEvaluation(contrastiveJointTask(
      family, images, { indices: data.labeled, labels }, data.unlabeled,
      {
        ...lossOptions(params),
        labeledBatchSize: params.labeledBatchSize as number,
        unlabeledBatchSize: params.unlabeledBatchSize as number,
        contrastiveWeight: params.contrastiveWeight as number,
        labelSmoothing: params.labelSmoothing as number,
      },
      async () => ({ testAccuracy: await testAccuracy(), ...(await diagnostics()) }),
    ), ctx.checkpointDir());
    const run = await train(task, sgdTrainOptions(ctx, params));
    return await classifierOutcome(ctx, family.classifier, run, { usesUnlabeled: true, details: async () => ({ initial: initial() }) });
  } finally {
    family.joint.dispose(); // the joint model holds every layer of the family
  }
}
