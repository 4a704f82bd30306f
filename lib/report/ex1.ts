// Exercise 1's answers, generated from its result file.
import type * as tfl from "@tensorflow/tfjs-layers";
import type { ResultRecord } from "../experiments/results";
import { describeLayers } from "../models/classifier";
import { PUBLISHED, REFERENCE_SOLUTION } from "./reference";
import { acc, minutes, pct, provenanceLine } from "./common";

function recipe(r: ResultRecord): string {
  const p = r.params;
  return (
    `${p.epochs} epochs over the ${r.data.labeled.toLocaleString("en-US")} labeled images in batches of ${p.batchSize}, ` +
    `SGD with Nesterov momentum ${p.momentum} and L2 weight decay ${p.weightDecay} on the kernels, ` +
    `learning rate warmed up linearly to ${p.peakLearningRate} over the first ${pct(p.warmup as number, 0)} of the steps ` +
    `and then decayed linearly to 0, cross-entropy with label smoothing ${p.labelSmoothing}, and augmentation on the fly ` +
    `(random crop after 4-pixel reflect padding, horizontal flip)`
  );
}

export function ex1NetworkAnswer(r: ResultRecord, model: tfl.LayersModel): string {
  const rows = describeLayers(model);
  const count = (type: string) => rows.filter((row) => row.type === type).length;
  const convs = rows.filter((row) => row.type === "Conv2D");
  const widths = [...new Set(convs.map((row) => row.config.filters as number))].join("-");
  const sizes = [...new Set(rows.filter((row) => row.shape.length === 4).map((row) => row.shape[1]))];
  return (
    `A ResNet-9-style network (widths ${widths}${r.params.widthScale === 1 ? ", half of ResNet-9's" : `, scaled by ${r.params.widthScale} for profile ${r.profile}`}): ` +
    `${convs.length} 3x3 convolutions with *same* padding, each followed by BatchNorm and ReLU; ${count("MaxPooling2D")} max-pooling layers ` +
    `(${sizes.join(" → ")} pixels); ${count("Add")} residual blocks; global average pooling and a single Dense layer giving ` +
    `the ${model.outputs[0].shape[1]} logits: fully convolutional except the last layer, ${model.countParams().toLocaleString("en-US")} parameters. ` +
    `It was trained for ${recipe(r)}; ${provenanceLine(r)}.`
  );
}

export function ex1AccuracyAnswer(r: ResultRecord): string {
  return (
    `**Train accuracy ${acc(r.trainAccuracy)}** (the ${r.data.labeled.toLocaleString("en-US")} labeled images, without ` +
    `augmentation) and **test accuracy ${acc(r.testAccuracy)}** (${r.data.test.toLocaleString("en-US")} test images).`
  );
}

export function ex1Conclusions(r: ResultRecord): string {
  const tests = r.history.map((h) => h.testAccuracy).filter((x): x is number => typeof x === "number");
  const best = Math.max(...tests);
  const tail = tests.slice(-Math.max(2, Math.floor(tests.length / 6)));
  const lateGain = tail[tail.length - 1] - tail[0];
  const gap = r.trainAccuracy - r.testAccuracy;
  const lines = [
    `- The network fits its training images ${r.trainAccuracy > 0.95 ? "almost perfectly" : `to ${pct(r.trainAccuracy)}`} while ` +
      `reaching ${pct(r.testAccuracy)} on unseen images: a generalisation gap of ${pct(gap)}. With about ` +
      `${Math.round(r.data.labeled / 100)} labels per class, the labels, not the network's capacity, are what limits it; ` +
      `this is the room semi-supervised learning can fill with the unlabeled images.`,
    `- Test accuracy ${lateGain > 0.005 ? `was still rising at the end (+${pct(lateGain)} over the last ${tail.length} evaluations)` : "had levelled off by the end"}; ` +
      `its best value during training was ${acc(best)}. The linear decay to 0 makes the last epochs the best ones, so ` +
      `no early stopping (which would have needed a validation split taken from the few labels) was used.`,
    `- The assignment's reference solution reached ${acc(REFERENCE_SOLUTION.ex1.test)} test accuracy with ` +
      `${pct(REFERENCE_SOLUTION.ex1.train)} train accuracy (no augmentation, no normalisation, 100 epochs): ` +
      (r.testAccuracy > REFERENCE_SOLUTION.ex1.test
        ? `this baseline is ${(r.testAccuracy / REFERENCE_SOLUTION.ex1.test).toFixed(1)}x better on the same labels, from ` +
          `BatchNorm, residual connections, augmentation, label smoothing and a learning-rate schedule, not from more data.`
        : `this run does not beat it${r.profile === "full" ? "" : ` (profile ${r.profile} trains a narrow network for a few epochs on a few hundred images; only the full profile answers the question)`}.`),
    `- For scale: published results for the same amount of labels (10,000 on CIFAR-100) with a much larger WRN-28-8 ` +
      `reach ${PUBLISHED.supervisedOnLabels} test accuracy trained on the labels alone, and ${PUBLISHED.fullySupervised} with all 50,000 labels.`,
    `- Training took ${minutes(r.seconds)} on ${r.device} (${r.backend}).`,
  ];
  return lines.join("\n");
}
