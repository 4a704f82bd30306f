// Exercise 1: the classifier trained on the 10,080 labeled images only.
//
// Recipe (DAWNBench/airbench style, checked in PyTorch first: reference/pytorch/recipe_search.py):
// random crop (4-pixel reflect padding) + horizontal flip, SGD with Nesterov momentum 0.9, L2 weight decay
// 5e-4 on kernels, label smoothing 0.1, learning rate warmed up linearly over the first 15% of steps then
// decayed linearly to 0, batch 256.
import type * as tfl from "@tensorflow/tfjs-layers";
import { trainLabels } from "../data/study";
import type { ExperimentContext, ExperimentOutcome, Params } from "../experiments/experiment";
import { DEFAULT_CLASSIFIER, buildClassifier, scaleWidths } from "../models/classifier";
import { WEAK } from "../training/augment";
import { accuracy } from "../training/evaluate";
import { EpochRecord, train } from "../training/loop";
import { ClassificationExtras, WeightedExamples, classificationTask } from "./classification";
import { classifierOutcome, sgdTrainOptions } from "./recipe";

export const SUPERVISED_PARAMS: Params = {
  epochs: 60,
  batchSize: 256,
  peakLearningRate: 0.2,
  warmup: 0.15,
  momentum: 0.9,
  weightDecay: 5e-4,
  labelSmoothing: 0.1,
};

export function newClassifier(params: Params, seed: number): tfl.LayersModel {
  return buildClassifier({ ...scaleWidths(DEFAULT_CLASSIFIER, params.widthScale as number), seed });
}

export interface ClassifierRun {
  complete: boolean;
  history: EpochRecord[];
  seconds: number;
  testAccuracy: number;
}

/** Trains `model` on weighted examples with the recipe in `params`, evaluating on the test set each epoch. */
export async function trainClassifier(
  ctx: ExperimentContext,
  model: tfl.LayersModel,
  examples: WeightedExamples,
  params: Params,
  seed: number,
  checkpointDir: string,
  extras: Omit<ClassificationExtras, "evaluate"> = {},
): Promise<ClassifierRun> {
  const { data } = ctx;
  const testAccuracy = () => accuracy(model, data.test.images, data.test.fine);
  const task = classificationTask(
    model,
    data.cifar.train.images,
    examples,
    { batchSize: params.batchSize as number, numClasses: 100, labelSmoothing: params.labelSmoothing as number, augmentation: WEAK },
    { ...extras, evaluate: async () => ({ testAccuracy: await testAccuracy() }) },
  );
  const run = await train(task, sgdTrainOptions(ctx, params, { seed, checkpointDir }));
  const last = run.history[run.history.length - 1];
  return { complete: run.complete, history: run.history, seconds: run.seconds, testAccuracy: last?.testAccuracy ?? (await testAccuracy()) };
}

export async function runSupervised(ctx: ExperimentContext, params: Params): Promise<ExperimentOutcome> {
  const { data, seed } = ctx;
  const model = newClassifier(params, seed);
  try {
    const labels = trainLabels(data, data.labeled);
    const run = await trainClassifier(ctx, model, { indices: data.labeled, labels, weights: null }, params, seed, ctx.checkpointDir());
    return await classifierOutcome(ctx, model, run, { usesUnlabeled: false });
  } finally {
    model.dispose();
  }
}
