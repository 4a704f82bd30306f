// Exercises 3 and 4: reconstructions, curves, hyper-parameters and the generated answers.
import type { TopLevelSpec } from "vega-lite";
import type { ResultRecord } from "../experiments/results";
import { encodePng, upscale } from "../images";
import type { ReconstructionSamples } from "../methods/autoencoder";
import { REFERENCE_SOLUTION } from "./reference";
import { acc, minutes, pct, provenanceLine, timeOf } from "./common";

interface AutoencoderDetails {
  history: ResultRecord["history"];
  seconds: number;
  testReconstructionError: number;
  samples: ReconstructionSamples | null;
  images: number;
}

export const autoencoderStage = (r: ResultRecord) => r.details.autoencoder as AutoencoderDetails | undefined;

/** Samples stored by a result: Exercise 3 keeps them in its autoencoder stage, Exercise 4 at the top. */
function samplesOf(r: ResultRecord): ReconstructionSamples | null {
  return autoencoderStage(r)?.samples ?? ((r.details.samples as ReconstructionSamples | undefined) ?? null);
}

function tile(pixels: Uint8Array, index: number): string {
  const image = pixels.subarray(index * 3072, (index + 1) * 3072);
  return `<img src="data:image/png;base64,${encodePng(upscale(image, 32, 32, 3), 96, 96).toString("base64")}" style="image-rendering:pixelated;margin:1px"/>`;
}

/** Two rows of test images: the originals and their reconstructions, from the samples a result stored. */
export function reconstructionGridHtml(r: ResultRecord, title: string): string {
  const samples = samplesOf(r);
  if (!samples) return `<p>${r.experiment} stored no reconstructions.</p>`;
  const original = Buffer.from(samples.original, "base64");
  const reconstructed = Buffer.from(samples.reconstructed, "base64");
  const row = (label: string, pixels: Uint8Array) =>
    `<div style="display:flex;align-items:center"><div style="width:110px;font:12px sans-serif">${label}</div>${samples.indices.map((_, i) => tile(pixels, i)).join("")}</div>`;
  return `<div style="font:bold 13px sans-serif;margin:4px 0">${title}</div>${row("test images", original)}${row("reconstructions", reconstructed)}`;
}

/** Reconstruction error per epoch of the autoencoder stage (train batches and test images). */
export function reconstructionCurveChart(results: ResultRecord[], title: string): TopLevelSpec {
  const rows: Record<string, unknown>[] = [];
  for (const r of results) {
    const history = autoencoderStage(r)?.history ?? r.history;
    const label = autoencoderStage(r) ? "autoencoder (Exercise 3, step 1)" : r.experiment;
    history.forEach((h) => {
      const train = autoencoderStage(r) ? h.loss : h.reconstructionError;
      if (typeof train === "number") rows.push({ epoch: h.epoch, error: train, series: label, split: "train batches" });
      if (typeof h.testReconstructionError === "number") rows.push({ epoch: h.epoch, error: h.testReconstructionError, series: label, split: "test" });
    });
  }
  return {
    title,
    width: 480,
    height: 240,
    data: { values: rows },
    mark: { type: "line", point: true, tooltip: true },
    encoding: {
      x: { field: "epoch", type: "quantitative" },
      y: { field: "error", type: "quantitative", title: "mean squared error per pixel" },
      color: { field: "series", type: "nominal", title: null },
      strokeDash: { field: "split", type: "nominal", title: null },
    },
    config: { legend: { labelLimit: 0 } },
  } as TopLevelSpec;
}

/** Hyper-parameters of the Exercise 3 and 4 runs as a markdown table. */
export function hyperParametersMarkdown(results: ResultRecord[]): string {
  const describe = (r: ResultRecord): string[] => {
    const p = r.params;
    if (r.method === "autoencoder-two-step") {
      const stage = autoencoderStage(r);
      return [
        `step 1 (autoencoder): ${p.autoencoderEpochs} epochs over ${stage?.images.toLocaleString("en-US") ?? "all"} training images, batch ${p.autoencoderBatchSize}, ` +
          `Adam, learning rate ${p.autoencoderPeakLearningRate} (warm-up ${pct(p.autoencoderWarmup as number, 0)}, linear decay), mean squared error, crop + flip`,
        `step 2 (classifier, encoder ${p.encoder}): ${p.epochs} epochs over the labeled images, batch ${p.batchSize}, SGD Nesterov ${p.momentum}, ` +
          `peak learning rate ${p.peakLearningRate}, weight decay ${p.weightDecay}, label smoothing ${p.labelSmoothing}, crop + flip`,
      ];
    }
    return [
      `${p.epochs} epochs (passes over the labeled images); each step ${p.labeledBatchSize} labeled + ${p.unlabeledBatchSize} unlabeled images; ` +
        `loss = cross-entropy on the labeled images (per-example weights, 0 for unlabeled) + ${p.reconstructionWeight} × mean squared reconstruction error on all; ` +
        `SGD Nesterov ${p.momentum}, peak learning rate ${p.peakLearningRate} (warm-up ${pct(p.warmup as number, 0)}, linear decay), weight decay ${p.weightDecay}, ` +
        `label smoothing ${p.labelSmoothing}, crop + flip`,
    ];
  };
  return results.map((r) => `- **${r.experiment}** (${r.title}):\n${describe(r).map((l) => `  - ${l}`).join("\n")}`).join("\n");
}

export function accuracyTableMarkdown(results: ResultRecord[]): string {
  return [
    "| model | train accuracy (labeled images) | test accuracy | test reconstruction error | time | run |",
    "|---|---:|---:|---:|---:|---|",
    ...results.map((r) => {
      const error = autoencoderStage(r)?.testReconstructionError ?? (r.details.testReconstructionError as number | undefined);
      return `| ${r.experiment} | ${acc(r.trainAccuracy)} | **${acc(r.testAccuracy)}** | ${error === undefined ? "" : error.toFixed(4)} | ${timeOf(r)} | ${provenanceLine(r)} |`;
    }),
  ].join("\n");
}

/** How these results compare with every earlier exercise's. */
export function comparisonMarkdown(results: ResultRecord[], earlier: ResultRecord[], reference: number): string {
  const bestEarlier = earlier.reduce((a, b) => (b.testAccuracy > a.testAccuracy ? b : a));
  const ex1 = earlier.find((r) => r.exercise === 1);
  const lines = results.map((r) => {
    const vsEx1 = ex1 ? `${r.testAccuracy >= ex1.testAccuracy ? "+" : ""}${pct(r.testAccuracy - ex1.testAccuracy)} vs Exercise 1 (${acc(ex1.testAccuracy)})` : "";
    const vsBest = `${r.testAccuracy >= bestEarlier.testAccuracy ? "+" : ""}${pct(r.testAccuracy - bestEarlier.testAccuracy)} vs the best earlier result (${bestEarlier.experiment}, ${acc(bestEarlier.testAccuracy)})`;
    return `- **${r.experiment}**: ${acc(r.testAccuracy)}: ${vsEx1}; ${vsBest}.`;
  });
  lines.push(`- The assignment's reference solution reached ${acc(reference)} here (${REFERENCE_SOLUTION.source}).`);
  return lines.join("\n");
}

const signed = (x: number) => `${x >= 0 ? "+" : ""}${pct(x)}`;

export function ex3Conclusions(results: ResultRecord[], ex1: ResultRecord): string {
  const frozen = results.find((r) => r.params.encoder === "frozen");
  const tuned = results.find((r) => r.params.encoder === "fine-tuned");
  const lines: string[] = [];
  if (frozen) {
    lines.push(
      `- **Frozen encoder: ${acc(frozen.testAccuracy)}** (${signed(frozen.testAccuracy - ex1.testAccuracy)} vs Exercise 1). Only the Dense layer learns, so this ` +
        `measures how linearly the autoencoder's features separate the classes. Reconstruction rewards keeping what redraws the pixels ` +
        `(colour, brightness, layout), not what tells a maple from an oak${frozen.testAccuracy < ex1.testAccuracy ? ": the features carry some class information, far less than a network trained for the task" : ""}.`,
    );
  }
  if (tuned) {
    lines.push(
      `- **Fine-tuned encoder: ${acc(tuned.testAccuracy)}** (${signed(tuned.testAccuracy - ex1.testAccuracy)} vs Exercise 1). ` +
        (tuned.testAccuracy > ex1.testAccuracy
          ? "Starting from the autoencoder's weights helped: the unlabeled images shaped the first layers' filters before the labels were used."
          : `Starting from the autoencoder's weights did not help. A likely reason: with BatchNorm, augmentation and ${tuned.params.epochs} epochs the randomly initialised network already finds good low-level filters, and the early, high learning rate overwrites the pretrained ones.`),
    );
  }
  if (frozen && tuned) {
    const gain = tuned.testAccuracy - frozen.testAccuracy;
    lines.push(
      gain > 0
        ? `- Fine-tuning beats freezing by ${pct(gain)}: the classifier must be allowed to change the encoder.`
        : `- Fine-tuning does not beat freezing (${signed(gain)}).`,
    );
  }
  const stage = results.map(autoencoderStage).find((s) => s);
  if (stage) {
    lines.push(`- The autoencoder reached a mean squared error of ${stage.testReconstructionError.toFixed(4)} per pixel on the test images (pixels in [0, 1]) after ${stage.history.length} epochs over ${stage.images.toLocaleString("en-US")} images (${minutes(stage.seconds)}).`);
  }
  return lines.join("\n");
}

export function ex4Conclusions(joint: ResultRecord, ex1: ResultRecord, ex3: ResultRecord[]): string {
  const best3 = ex3.length ? ex3.reduce((a, b) => (b.testAccuracy > a.testAccuracy ? b : a)) : null;
  const error = joint.details.testReconstructionError as number | undefined;
  const stage = ex3.map(autoencoderStage).find((s) => s);
  return [
    `- Trained together, the classifier reaches **${acc(joint.testAccuracy)}**: ${signed(joint.testAccuracy - ex1.testAccuracy)} vs Exercise 1` +
      (best3 ? ` and ${signed(joint.testAccuracy - best3.testAccuracy)} vs the best two-step variant (${best3.experiment}).` : "."),
    error !== undefined && stage
      ? `- The test reconstruction error is ${error.toFixed(4)} per pixel, against ${stage.testReconstructionError.toFixed(4)} for the autoencoder trained for reconstruction alone` +
        (error > stage.testReconstructionError
          ? `: the classification loss pulls the shared encoder towards class features, leaving the decoder less of the image to redraw.`
          : ".")
      : `- The test reconstruction error is ${error === undefined ? "not recorded" : error.toFixed(4)} per pixel.`,
    `- Train accuracy on the labeled images is ${acc(joint.trainAccuracy)} (Exercise 1: ${acc(ex1.trainAccuracy)}).`,
  ].join("\n");
}
