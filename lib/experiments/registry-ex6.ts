// Exercise 6's experiments (the contrastive technique in place of the autoencoder); spread into the registry.
// Exercise 3's shape (two steps, frozen and fine-tuned encoder), Exercise 4's (one step), and the fine-tuned and
// one-step variants again with Exercise 5's outliers removed from the unlabeled images, as Exercise 5 repeats the
// fine-tuned autoencoder and the one-step model (exercise 6 all the same: they answer its questions).
import { CONTRASTIVE_LOSS_PARAMS, CONTRASTIVE_PARAMS, PROBE_PARAMS, runContrastiveTwoStep } from "../methods/contrastive";
import { runContrastiveJoint } from "../methods/contrastive-joint";
import { withOutliersRemoved } from "../methods/outliers";
import { SUPERVISED_PARAMS } from "../methods/supervised";
import { seedsFrom } from "./seeds";
import type { Experiment } from "./experiment";

const twoStep = (id: string, title: string, encoder: "frozen" | "fine-tuned"): Experiment => ({
  id,
  exercise: 6,
  method: "contrastive-two-step",
  title,
  // Same seed for both variants: they share step 1 (the contrastive pretraining), trained once.
  params: { ...SUPERVISED_PARAMS, ...CONTRASTIVE_PARAMS, encoder },
  seeds: seedsFrom(6),
  run: runContrastiveTwoStep,
});

const frozen = twoStep("ex6-contrastive-frozen", "Contrastive pretraining, then the classifier with the encoder frozen", "frozen");
const finetuned = twoStep("ex6-contrastive-finetuned", "Contrastive pretraining, then the classifier with the encoder fine-tuned", "fine-tuned");

const joint: Experiment = {
  id: "ex6-contrastive-joint",
  exercise: 6,
  method: "contrastive-one-step",
  title: "Contrastive loss and classifier trained together",
  params: {
    ...CONTRASTIVE_LOSS_PARAMS,
    ...PROBE_PARAMS,
    // The batch mix and optimizer of ex4-joint, so the two one-step models differ in the unsupervised loss. 30 epochs
    // rather than 40: each step runs two views of every image (twice ex4-joint's work per step), and both views of
    // each labeled image are classified, so 30 epochs give the classifier 60 augmented passes over the labels, as
    // many as Exercise 1's 60 epochs.
    epochs: 30,
    labeledBatchSize: 128,
    unlabeledBatchSize: 128,
    contrastiveWeight: 1,
    peakLearningRate: 0.1,
    warmup: 0.15,
    momentum: 0.9,
    weightDecay: 5e-4,
    labelSmoothing: 0.1,
  },
  seeds: seedsFrom(7),
  run: runContrastiveJoint,
};

const withoutOutliers = (base: Experiment, id: string, title: string): Experiment => ({
  ...withOutliersRemoved(base, id, title),
  exercise: 6,
  awaitingRun:
    "the one-class network whose outliers it removes changed (a linear score instead of the saturated sigmoid) and the " +
    "rerun on its new outliers did not fit the device time of the session that made the change",
});

// Full-profile cost, measured on an H200 with the 4 processes of these experiments sharing it (docs/gpu-host.md): the
// two-step variants 13.3-13.9 min (40 pretraining epochs, shared by frozen and fine-tuned), the one-step models
// 6.7 min each.
export const EX6_EXPERIMENTS: Experiment[] = [
  frozen,
  finetuned,
  joint,
  withoutOutliers(finetuned, "ex6-outliers-contrastive-finetuned", "Outliers removed: contrastive pretraining, then the classifier with the encoder fine-tuned"),
  withoutOutliers(joint, "ex6-outliers-contrastive-joint", "Outliers removed: contrastive loss and classifier trained together"),
];
