// What every method shares around the training loop: the SGD recipe read from an experiment's parameters, and
// the outcome of a run whose product is a classifier (train accuracy on the labeled images, test accuracy).
import type * as tfl from "@tensorflow/tfjs-layers";
import { trainLabels } from "../data/study";
import type { ExperimentContext, ExperimentOutcome, Params } from "../experiments/experiment";
import { accuracy } from "../training/evaluate";
import type { EpochRecord, TrainOptions, TrainResult } from "../training/loop";

/**
 * Training options from the experiment's `epochs`, `peakLearningRate`, `warmup`, `momentum` and `weightDecay`:
 * SGD with Nesterov momentum, linear warm-up then `decay`, checkpointed in the experiment's folder.
 */
export function sgdTrainOptions(
  ctx: ExperimentContext,
  params: Params,
  overrides: { decay?: "linear" | "constant"; seed?: number; checkpointDir?: string } = {},
): TrainOptions {
  return {
    epochs: params.epochs as number,
    schedule: { peak: params.peakLearningRate as number, warmup: params.warmup as number, decay: overrides.decay ?? "linear" },
    optimizer: { momentum: params.momentum as number, weightDecay: params.weightDecay as number },
    seed: overrides.seed ?? ctx.seed,
    checkpointDir: overrides.checkpointDir ?? ctx.checkpointDir(),
    configHash: ctx.configHash,
    deadline: ctx.deadline,
    progress: ctx.progress,
  };
}

/** A run the deadline paused: nothing is written; a later call resumes it from its checkpoints. */
export function pausedOutcome(history: EpochRecord[], seconds: number): ExperimentOutcome {
  return { complete: false, trainAccuracy: NaN, testAccuracy: NaN, history, details: {}, data: { labeled: 0, unlabeled: 0, test: 0 }, seconds };
}

/**
 * The outcome of a run that trained `classifier`: train accuracy on the labeled images (no augmentation), the
 * test accuracy of the last epoch, and `details()`; seconds = the run's (over every call) + this evaluation.
 */
export async function classifierOutcome(
  ctx: ExperimentContext,
  classifier: tfl.LayersModel,
  run: Pick<TrainResult, "complete" | "history" | "seconds">,
  options: { usesUnlabeled: boolean; earlierSeconds?: number; details?: () => Promise<Record<string, unknown>> },
): Promise<ExperimentOutcome> {
  const earlier = options.earlierSeconds ?? 0;
  if (!run.complete) return pausedOutcome(run.history, earlier + run.seconds);
  const { data } = ctx;
  const started = Date.now();
  const trainAccuracy = await accuracy(classifier, data.cifar.train.images, trainLabels(data, data.labeled), { indices: data.labeled });
  const last = run.history[run.history.length - 1];
  const testAccuracy = typeof last?.testAccuracy === "number" ? last.testAccuracy : await accuracy(classifier, data.test.images, data.test.fine);
  const details = options.details ? await options.details() : {};
  return {
    complete: true,
    trainAccuracy,
    testAccuracy,
    history: run.history,
    details,
    data: { labeled: data.labeled.length, unlabeled: options.usesUnlabeled ? data.unlabeled.length : 0, test: data.test.count },
    seconds: earlier + run.seconds + (Date.now() - started) / 1000,
  };
}
