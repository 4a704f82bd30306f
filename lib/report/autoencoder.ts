// Exercises 3 and 4: reconstructions, curves, hyper-parameters and the generated answers (facts and verdicts here,
// phrased by lib/report/text).
import type { TopLevelSpec } from "vega-lite";
import type { SeededResult } from "../experiments/aggregate";
import type { ResultRecord } from "../experiments/results";
import { encodePng, upscale } from "../images";
import type { ReconstructionSamples } from "../methods/autoencoder";
import { REFERENCE_SOLUTION } from "./reference";
import { acc, minutes, provenanceLine, testCell, timeOf, titleOf } from "./common";
import { text, type Phrases } from "./text/index";
import { best, type Spread, testSpread, type Versus, versus, versusFigure } from "./verdicts";

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
export function reconstructionGridHtml(r: ResultRecord, title: keyof Phrases["autoencoder"]["gridTitles"]): string {
  const t = text().autoencoder;
  const samples = samplesOf(r);
  if (!samples) return `<p>${t.noSamples(r.experiment)}</p>`;
  const original = Buffer.from(samples.original, "base64");
  const reconstructed = Buffer.from(samples.reconstructed, "base64");
  const row = (label: string, pixels: Uint8Array) =>
    `<div style="display:flex;align-items:center"><div style="width:110px;font:12px sans-serif">${label}</div>${samples.indices.map((_, i) => tile(pixels, i)).join("")}</div>`;
  return `<div style="font:bold 13px sans-serif;margin:4px 0">${t.gridTitles[title]}</div>${row(t.testImages, original)}${row(t.reconstructions, reconstructed)}`;
}

/** Reconstruction error per epoch of the autoencoder stage (train batches and test images). */
export function reconstructionCurveChart(results: ResultRecord[], title: keyof Phrases["autoencoder"]["curveTitles"]): TopLevelSpec {
  const t = text().autoencoder;
  const rows: Record<string, unknown>[] = [];
  for (const r of results) {
    const history = autoencoderStage(r)?.history ?? r.history;
    const label = autoencoderStage(r) ? t.stageSeries : r.experiment;
    history.forEach((h) => {
      const train = autoencoderStage(r) ? h.loss : h.reconstructionError;
      if (typeof train === "number") rows.push({ epoch: h.epoch, error: train, series: label, split: t.trainBatches });
      if (typeof h.testReconstructionError === "number") rows.push({ epoch: h.epoch, error: h.testReconstructionError, series: label, split: text().charts.test });
    });
  }
  return {
    title: t.curveTitles[title],
    width: 480,
    height: 240,
    data: { values: rows },
    mark: { type: "line", point: true, tooltip: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: text().charts.epoch },
      y: { field: "error", type: "quantitative", title: t.errorAxis },
      color: { field: "series", type: "nominal", title: null },
      strokeDash: { field: "split", type: "nominal", title: null },
    },
    config: { legend: { labelLimit: 0 } },
  } as TopLevelSpec;
}

/** Hyper-parameters of the Exercise 3 and 4 runs as a markdown list. */
export function hyperParametersMarkdown(results: ResultRecord[]): string {
  const t = text().autoencoder;
  const describe = (r: ResultRecord): string[] =>
    r.method === "autoencoder-two-step" ? t.twoStepParams(r.params, autoencoderStage(r)?.images) : t.oneStepParams(r.params);
  return results.map((r) => `- **${r.experiment}** (${titleOf(r)}):\n${describe(r).map((l) => `  - ${l}`).join("\n")}`).join("\n");
}

export function accuracyTableMarkdown(results: SeededResult[]): string {
  return [
    `| ${text().autoencoder.accuracyColumns.join(" | ")} |`,
    "|---|---:|---:|---:|---:|---|",
    ...results.map((r) => {
      const error = autoencoderStage(r)?.testReconstructionError ?? (r.details.testReconstructionError as number | undefined);
      return `| ${r.experiment} | ${acc(r.trainAccuracy)} | **${testCell(r)}** | ${error === undefined ? "" : error.toFixed(4)} | ${timeOf(r)} | ${provenanceLine(r)} |`;
    }),
  ].join("\n");
}

export interface AeComparisonFacts {
  rows: { experiment: string; test: Spread; vsEx1?: Versus; vsBest: Versus }[];
  bestEarlier: string;
  /** The reference solution's figure for this exercise and each result against it. */
  reference: { figure: number; file: string; rows: { experiment: string; versus: Versus }[] };
}

/** How these results compare with every earlier exercise's (and with the reference solution's figure). */
export function comparisonMarkdown(results: SeededResult[], earlier: SeededResult[], reference: number): string {
  const bestEarlier = best(earlier);
  const ex1 = earlier.find((r) => r.exercise === 1);
  return text().autoencoder.comparison({
    rows: results.map((r) => ({ experiment: r.experiment, test: testSpread(r), vsEx1: ex1 && versus(r, ex1), vsBest: versus(r, bestEarlier) })),
    bestEarlier: bestEarlier.experiment,
    reference: {
      figure: reference,
      file: REFERENCE_SOLUTION.file,
      rows: results.map((r) => ({ experiment: r.experiment, versus: versusFigure(r, reference, "reference") })),
    },
  });
}

export interface Ex3Facts {
  frozen?: { test: Spread; vsEx1: Versus };
  tuned?: { test: Spread; vsEx1: Versus; epochs: number };
  tunedVsFrozen?: Versus;
  stage?: { error: number; epochs: number; images: number; time: string };
}

export function ex3Facts(results: SeededResult[], ex1: SeededResult): Ex3Facts {
  const frozen = results.find((r) => r.params.encoder === "frozen");
  const tuned = results.find((r) => r.params.encoder === "fine-tuned");
  const stage = results.map(autoencoderStage).find((s) => s);
  return {
    frozen: frozen && { test: testSpread(frozen), vsEx1: versus(frozen, ex1) },
    tuned: tuned && { test: testSpread(tuned), vsEx1: versus(tuned, ex1), epochs: tuned.params.epochs as number },
    tunedVsFrozen: frozen && tuned ? versus(tuned, frozen) : undefined,
    stage: stage && { error: stage.testReconstructionError, epochs: stage.history.length, images: stage.images, time: minutes(stage.seconds) },
  };
}

export function ex3Conclusions(results: SeededResult[], ex1: SeededResult): string {
  return text().autoencoder.ex3Conclusions(ex3Facts(results, ex1));
}

export interface Ex4Facts {
  test: Spread;
  vsEx1: Versus;
  /** Against the supervised network trained with Exercise 4's budget (its epochs and labeled batch): equal steps. */
  vsBudgetControl?: Versus;
  epochs: number;
  ex1Epochs: number;
  vsBestTwoStep?: Versus;
  error?: number;
  stageError?: number;
  train: number;
  ex1Train: number;
}

export function ex4Facts(joint: SeededResult, ex1: SeededResult, ex3: SeededResult[], control?: SeededResult | null): Ex4Facts {
  return {
    test: testSpread(joint),
    vsEx1: versus(joint, ex1),
    vsBudgetControl: control ? versus(joint, control) : undefined,
    epochs: joint.params.epochs as number,
    ex1Epochs: ex1.params.epochs as number,
    vsBestTwoStep: ex3.length ? versus(joint, best(ex3)) : undefined,
    error: joint.details.testReconstructionError as number | undefined,
    stageError: ex3.map(autoencoderStage).find((s) => s)?.testReconstructionError,
    train: joint.trainAccuracy,
    ex1Train: ex1.trainAccuracy,
  };
}

export function ex4Conclusions(joint: SeededResult, ex1: SeededResult, ex3: SeededResult[], control?: SeededResult | null): string {
  return text().autoencoder.ex4Conclusions(ex4Facts(joint, ex1, ex3, control));
}
