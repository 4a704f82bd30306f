// Exercise 6: the contrastive technique's loss, its training diagnostics (loss parts, cluster sizes, k-NN probe per
// epoch) and the generated answers to the questions of Exercises 3, 4 and 5 for its variants (facts and verdicts
// here, phrased by lib/report/text).
import type { TopLevelSpec } from "vega-lite";
import type { EpochRecord } from "../training/loop";
import { KNN_TEMPERATURE } from "../methods/contrastive-probe";
import * as path from "node:path";
import type { SeededResult } from "../experiments/aggregate";
import { type ResultRecord, readAllResults } from "../experiments/results";
import { projectRoot } from "../paths";
import { REFERENCE_SOLUTION } from "./reference";
import { accuracyDomain } from "./chart-helpers";
import { acc, minutes, pct, provenanceLine, testCell, timeOf, titleOf } from "./common";
import { text } from "./text/index";
import { best, type Spread, testSpread, type Versus, versus, versusValues } from "./verdicts";

interface ContrastiveDetails {
  history: EpochRecord[];
  seconds: number;
  initial: Record<string, number> | null;
  final: Record<string, number>;
  images: number;
}

/** The pretraining stage a two-step result stored (undefined for the one-step model). */
export const contrastiveStage = (r: ResultRecord) => r.details.contrastive as ContrastiveDetails | undefined;

const isTwoStep = (r: ResultRecord) => r.method === "contrastive-two-step";
const isJoint = (r: ResultRecord) => r.method === "contrastive-one-step";
const removedBy = (r: ResultRecord) => r.params.outliersRemovedBy as string | undefined;

/** A run's diagnostic series: the stage of a two-step result, or the one-step run itself, with epoch 0 first. */
function series(r: ResultRecord): { label: string; history: EpochRecord[]; initial: Record<string, number> | null } {
  const stage = contrastiveStage(r);
  const t = text().contrastive;
  if (stage) return { label: t.stepOneSeries(r.experiment), history: stage.history, initial: stage.initial };
  return { label: t.oneStepSeries(r.experiment), history: r.history, initial: (r.details.initial as Record<string, number> | null | undefined) ?? null };
}

/** One series per distinct pretraining stage (both two-step variants share theirs) and per one-step run. */
function distinctSeries(results: ResultRecord[]) {
  const seen = new Set<string>();
  const out: ReturnType<typeof series>[] = [];
  for (const r of results) {
    const s = series(r);
    const key = JSON.stringify(s.history.map((h) => h.loss));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(isTwoStep(r) ? { ...s, label: text().contrastive.pretrainingSeries(removedBy(r) !== undefined) } : s);
  }
  return out;
}

/** The series' records with the untrained network's evaluation first (as epoch 0) when it was recorded. */
function withInitial(s: ReturnType<typeof series>): Record<string, number>[] {
  return [...(s.initial ? [{ ...s.initial, epoch: 0 }] : []), ...s.history];
}

/** The loss as implemented, with the weights a result ran with. */
export function lossMarkdown(r: ResultRecord): string {
  return text().contrastive.loss(r.params, isJoint(r));
}

/** A y axis of shares or accuracies, zoomed to the values of `rows`. */
const shares = (rows: Record<string, unknown>[], title: string) => ({ title, scale: { domain: accuracyDomain(rows.map((r) => r.value as number)), zero: false } });

/** Lines of `rows` ({run, epoch, value, [colour]}) over the epochs: one panel per run, one colour per `colour` value. */
function perRunLinesChart(
  title: string, rows: Record<string, unknown>[], colour: string, y: Record<string, unknown>,
  options: { independentY?: boolean; legendLimit?: number } = {},
): TopLevelSpec {
  return {
    title,
    data: { values: rows },
    facet: { column: { field: "run", type: "nominal", title: null } },
    spec: {
      width: 300,
      height: 220,
      mark: { type: "line", point: true, tooltip: true },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: text().charts.epoch },
        y: { field: "value", type: "quantitative", ...y },
        color: { field: colour, type: "nominal", title: null },
      },
    },
    ...(options.independentY ? { resolve: { scale: { y: "independent" } } } : {}),
    config: { legend: { labelLimit: options.legendLimit ?? 0, orient: "bottom", columns: 2 }, header: { labelLimit: 0 } },
  } as TopLevelSpec;
}

/** Loss parts per epoch (training batches), one panel per run. */
export function lossPartsChart(results: ResultRecord[]): TopLevelSpec {
  const t = text().contrastive;
  const rows: Record<string, unknown>[] = [];
  for (const s of distinctSeries(results)) {
    for (const h of s.history) {
      const parts: [string, unknown][] = [["InfoNCE", h.infoNce], [t.clusterPart, h.clusterTerm], [t.balancePart, h.balanceTerm]];
      if (typeof h.classificationLoss === "number") parts.push([t.classificationPart, h.classificationLoss]);
      parts.push([t.totalPart, h.loss]);
      for (const [part, value] of parts) if (typeof value === "number") rows.push({ run: s.label, epoch: h.epoch, part, value });
    }
  }
  return perRunLinesChart(t.lossTitle, rows, "part", { title: t.lossAxis }, { independentY: true });
}

/** Cluster sizes per epoch on the labeled images (epoch 0: the untrained network), as shares in [0, 1]. */
export function clusterSizesChart(results: ResultRecord[]): TopLevelSpec {
  const t = text().contrastive;
  const rows: Record<string, unknown>[] = [];
  const k = results[0].params.contrastiveClusters as number;
  for (const s of distinctSeries(results)) {
    for (const h of withInitial(s)) {
      if (typeof h.largestClusterShare !== "number") continue;
      rows.push({ run: s.label, epoch: h.epoch, metric: t.largestCluster, value: h.largestClusterShare });
      rows.push({ run: s.label, epoch: h.epoch, metric: t.clustersInUse(k), value: h.nonEmptyClusters / k });
      rows.push({ run: s.label, epoch: h.epoch, metric: t.sizeEntropy, value: h.clusterSizeEntropy / Math.log(k) });
    }
  }
  return perRunLinesChart(t.clustersTitle, rows, "metric", shares(rows, t.shareAxis));
}

/** k-NN probe accuracy and cluster/label NMI per epoch (epoch 0: the untrained network), and the classifier's test accuracy for one-step runs. */
export function probeChart(results: ResultRecord[]): TopLevelSpec {
  const t = text().contrastive;
  const metrics: [string, string][] = [
    ["knnAccuracy", t.probeH], ["knnProjectionAccuracy", t.probeP], ["clusterNmi", t.nmi], ["testAccuracy", t.classifierTest], ["instanceAccuracy", t.ownView],
  ];
  const rows: Record<string, unknown>[] = [];
  for (const s of distinctSeries(results)) {
    for (const h of withInitial(s)) {
      for (const [key, metric] of metrics) if (typeof h[key] === "number") rows.push({ run: s.label, epoch: h.epoch, metric, value: h[key] });
    }
  }
  return perRunLinesChart(t.probeTitle, rows, "metric", shares(rows, t.probeAxis));
}

/** One diagnostic series from its first to its last epoch (the start is the untrained network when recorded). */
export interface DiagnosticFacts {
  label: string;
  first?: EpochRecord;
  last?: EpochRecord;
  start?: Record<string, number>;
  untrainedStart: boolean;
  clusters: number;
}

/** How the diagnostics moved from the untrained network to the last epoch, per run (generated from the histories). */
export function diagnosticsMarkdown(results: ResultRecord[]): string {
  const k = results[0].params.contrastiveClusters as number;
  return distinctSeries(results)
    .map((s) => {
      const first = s.history[0];
      const last = s.history[s.history.length - 1];
      return text().contrastive.diagnostics({ label: s.label, first, last, start: s.initial ?? first, untrainedStart: s.initial !== null, clusters: k });
    })
    .join("\n");
}

/** Hyper-parameters of the Exercise 6 runs as a markdown list. */
export function hyperParametersMarkdown(results: ResultRecord[]): string {
  const t = text().contrastive;
  const describe = (r: ResultRecord): string[] => {
    const data = { labeled: r.data.labeled, unlabeled: r.data.unlabeled, removedBy: removedBy(r) };
    return isTwoStep(r) ? t.twoStepParams(r.params, data, KNN_TEMPERATURE) : t.oneStepParams(r.params, data, KNN_TEMPERATURE);
  };
  return results.map((r) => `- **${r.experiment}** (${titleOf(r)}):\n${describe(r).map((l) => `  - ${l}`).join("\n")}`).join("\n");
}

function lastProbe(r: ResultRecord): number | undefined {
  const stage = contrastiveStage(r);
  if (stage) return stage.final.knnAccuracy;
  const last = r.history[r.history.length - 1];
  return typeof last?.knnAccuracy === "number" ? last.knnAccuracy : undefined;
}

export function accuracyTableMarkdown(results: SeededResult[]): string {
  return [
    `| ${text().contrastive.accuracyColumns.join(" | ")} |`,
    "|---|---:|---:|---:|---:|---|",
    ...results.map((r) => {
      const knn = lastProbe(r);
      return `| ${r.experiment} | ${acc(r.trainAccuracy)} | **${testCell(r)}** | ${knn === undefined ? "" : acc(knn)} | ${timeOf(r)} | ${provenanceLine(r)} |`;
    }),
  ].join("\n");
}

/** The autoencoder result a contrastive one replaces: same shape (two-step frozen/fine-tuned, one-step), same data filter. */
export function autoencoderCounterpart<T extends ResultRecord>(r: ResultRecord, autoencoder: T[]): T | undefined {
  const method = isTwoStep(r) ? "autoencoder-two-step" : "autoencoder-one-step";
  return autoencoder.find(
    (a) => a.method === method && (!isTwoStep(r) || a.params.encoder === r.params.encoder) && (removedBy(a) ?? null) === (removedBy(r) ?? null),
  );
}

export interface Ex6ComparisonFacts {
  rows: { experiment: string; test: Spread; vsAutoencoder?: Versus; vsEx1?: Versus; vsBest?: Versus }[];
  /** Absent when the notes (noise rule, reference solution) were already given just above. */
  reference?: { test: number; outliersRemoved: number; file: string };
}

/** ¿Se mejoran los resultados obtenidos en los puntos anteriores? For contrastive results. */
export function comparisonMarkdown(
  results: SeededResult[], earlier: SeededResult[], autoencoder: SeededResult[],
  /** notes: false leaves out the closing note on the reference solution when outliersMarkdown, just above, gave it. */
  options: { notes?: boolean } = {},
): string {
  const ex1 = earlier.find((r) => r.exercise === 1);
  const top = earlier.length ? best(earlier) : undefined;
  return text().contrastive.comparison({
    rows: results.map((r) => {
      const ae = autoencoderCounterpart(r, autoencoder);
      return {
        experiment: r.experiment,
        test: testSpread(r),
        vsAutoencoder: ae && versus(r, ae),
        vsEx1: ex1 && versus(r, ex1),
        vsBest: top && top !== ex1 ? versus(r, top) : undefined,
      };
    }),
    reference: options.notes === false ? undefined : { test: REFERENCE_SOLUTION.ex6.test, outliersRemoved: REFERENCE_SOLUTION.ex6.outliersRemoved, file: REFERENCE_SOLUTION.file },
  });
}

export interface PretrainingFacts {
  epochs: number;
  images: number;
  time: string;
  infoNce: [number, number];
  ownView: [number, number];
  clustersInUse: number;
  largestCluster: number;
  /** The k-NN probe at the end of the pretraining against the untrained network's, over the seeds. */
  probe: Versus;
}

/**
 * What the pretraining learned, from its history: the loss and the instance task (what it optimises) against the
 * k-NN probe (what it is for), the probe's change judged by the noise rule over the seeds.
 */
export function pretrainingFacts(r: SeededResult): PretrainingFacts | undefined {
  const stages = r.runs.map(contrastiveStage).filter((s): s is ContrastiveDetails => s !== undefined);
  const stage = stages[0];
  if (!stage) return undefined;
  const start = (s: ContrastiveDetails) => s.initial?.knnAccuracy ?? s.history[0].knnAccuracy;
  const first = stage.history[0];
  const last = stage.history[stage.history.length - 1];
  return {
    epochs: stage.history.length,
    images: stage.images,
    time: minutes(stage.seconds),
    infoNce: [first.infoNce, last.infoNce],
    ownView: [first.instanceAccuracy, last.instanceAccuracy],
    clustersInUse: stage.final.nonEmptyClusters,
    largestCluster: stage.final.largestClusterShare,
    probe: versusValues(stages.map((s) => s.final.knnAccuracy), stages.map(start), "untrained"),
  };
}

export interface TwoStepFacts {
  pretraining?: PretrainingFacts;
  frozen?: { test: Spread; vsEx1: Versus; vsAutoencoder?: Versus };
  tuned?: { test: Spread; vsEx1: Versus; vsAutoencoder?: Versus; epochs: number };
  tunedVsFrozen?: Versus;
}

export function twoStepFacts(results: SeededResult[], ex1: SeededResult, autoencoder: SeededResult[]): TwoStepFacts {
  const frozen = results.find((r) => r.params.encoder === "frozen");
  const tuned = results.find((r) => r.params.encoder === "fine-tuned");
  const withStage = results.find((r) => contrastiveStage(r));
  const vsAe = (r: SeededResult) => {
    const ae = autoencoderCounterpart(r, autoencoder);
    return ae && versus(r, ae);
  };
  return {
    pretraining: withStage && pretrainingFacts(withStage),
    frozen: frozen && { test: testSpread(frozen), vsEx1: versus(frozen, ex1), vsAutoencoder: vsAe(frozen) },
    tuned: tuned && { test: testSpread(tuned), vsEx1: versus(tuned, ex1), vsAutoencoder: vsAe(tuned), epochs: tuned.params.epochs as number },
    tunedVsFrozen: frozen && tuned ? versus(tuned, frozen) : undefined,
  };
}

/** ¿Qué conclusiones sacas? for the two-step variants. */
export function twoStepConclusions(results: SeededResult[], ex1: SeededResult, autoencoder: SeededResult[]): string {
  return text().contrastive.twoStepConclusions(twoStepFacts(results, ex1, autoencoder));
}

export interface JointFacts {
  test: Spread;
  vsEx1: Versus;
  vsAutoencoder?: Versus;
  vsBestTwoStep?: Versus;
  train: number;
  ex1Train: number;
  probe?: { start?: number; end: number; contrastiveLoss: number; infoNce: number; clustersInUse: number };
}

export function jointFacts(joint: SeededResult, ex1: SeededResult, autoencoder: SeededResult[], twoStep: SeededResult[]): JointFacts {
  const ae = autoencoderCounterpart(joint, autoencoder);
  const last = joint.history[joint.history.length - 1];
  const initial = joint.details.initial as Record<string, number> | null | undefined;
  return {
    test: testSpread(joint),
    vsEx1: versus(joint, ex1),
    vsAutoencoder: ae && versus(joint, ae),
    vsBestTwoStep: twoStep.length ? versus(joint, best(twoStep)) : undefined,
    train: joint.trainAccuracy,
    ex1Train: ex1.trainAccuracy,
    probe: last && typeof last.knnAccuracy === "number"
      ? { start: initial?.knnAccuracy, end: last.knnAccuracy, contrastiveLoss: last.contrastiveLoss, infoNce: last.infoNce, clustersInUse: last.nonEmptyClusters }
      : undefined,
  };
}

/** ¿Qué conclusiones sacas? for the one-step model. */
export function jointConclusions(joint: SeededResult, ex1: SeededResult, autoencoder: SeededResult[], twoStep: SeededResult[]): string {
  return text().contrastive.jointConclusions(jointFacts(joint, ex1, autoencoder, twoStep));
}

export interface OutlierFacts {
  rows: { experiment: string; test: Spread; base?: string; removed?: number; unlabeled?: number; vsBase?: Versus }[];
  reference: { test: number; outliersRemoved: number };
}

/** ¿Se mejoran los resultados? Each outlier-removed result against the same method on all unlabeled images. */
export function outliersMarkdown(filtered: SeededResult[], all: SeededResult[]): string {
  return text().contrastive.outliers({
    rows: filtered.map((f) => {
      const base = all.find((b) => b.method === f.method && !removedBy(b) && (b.params.encoder ?? null) === (f.params.encoder ?? null));
      if (!base) return { experiment: f.experiment, test: testSpread(f) };
      return {
        experiment: f.experiment, test: testSpread(f), base: base.experiment,
        removed: base.data.unlabeled - f.data.unlabeled, unlabeled: base.data.unlabeled, vsBase: versus(f, base),
      };
    }),
    reference: { test: REFERENCE_SOLUTION.ex6.test, outliersRemoved: REFERENCE_SOLUTION.ex6.outliersRemoved },
  });
}

/** The short pretraining runs of scripts/ablate-contrastive.ts that chose the views and the temperature (committed). */
export function readContrastiveAblations(dir = path.join(projectRoot(), "bench", "results", "contrastive-ablation")): ResultRecord[] {
  // Runs under the validation profile (choosing on held-out labeled images) replace the earlier test-set ones.
  const onValidation = readAllResults("validation", dir);
  return onValidation.length > 0 ? onValidation : readAllResults("full", dir);
}

/** The view and loss settings the ablation varies (the table's "views and loss" column). */
export const ABLATED_PARAMS = ["contrastiveHue", "contrastiveGreyscale", "contrastiveTemperature", "contrastiveCropMinArea", "contrastiveClusterWeight", "contrastiveBalanceWeight"];

/**
 * The ablation as a table: what each short run changed, and its k-NN probes (untrained → last epoch), instance
 * accuracy and largest cluster; the row whose settings the full runs use is marked.
 */
export function ablationMarkdown(ablations: ResultRecord[], chosen: ResultRecord["params"]): string {
  const t = text().contrastive;
  if (ablations.length === 0) return t.noAblations;
  const settings = (p: ResultRecord["params"]) => ABLATED_PARAMS.map((k) => `${t.ablatedLabels[k as keyof typeof t.ablatedLabels]} ${p[k]}`).join(", ");
  const rows = [...ablations].sort((a, b) => a.testAccuracy - b.testAccuracy).map((r) => {
    const stage = r.details as { initial: Record<string, number>; final: Record<string, number> };
    const last = r.history[r.history.length - 1];
    const isChosen = ABLATED_PARAMS.every((k) => r.params[k] === chosen[k]);
    return `| ${r.experiment}${isChosen ? ` (**${t.chosenMark}**)` : ""} | ${settings(r.params)} | ${pct(stage.initial.knnAccuracy)} → **${pct(last.knnAccuracy)}** | ` +
      `${pct(last.knnProjectionAccuracy)} | ${pct(last.instanceAccuracy)} | ${pct(last.largestClusterShare)} | ${timeOf(r)} | ${provenanceLine(r)} |`;
  });
  const r0 = ablations[0];
  const top = ablations.reduce((x, y) => (y.testAccuracy > x.testAccuracy ? y : x));
  return t.ablation({
    epochs: r0.params.contrastiveEpochs as number,
    images: r0.data.labeled + r0.data.unlabeled,
    rows,
    seeds: [...new Set(ablations.map((r) => r.seed))],
    best: top.experiment,
    bestProbe: top.testAccuracy,
    chosen: settings(chosen),
    // The probe's queries are the runs' evaluation images: the test set under the full profile, the held-out
    // labeled images under the validation profile.
    queriesFrom: ablations.every((r) => r.profile === "validation") ? "validation" : "test",
  });
}

/** The settings lossMarkdown describes: the views and the loss's weights. */
const LOSS_SETTINGS = [
  "contrastiveCropMinArea", "contrastiveHue", "contrastiveGreyscale", "contrastiveProjection", "contrastiveClusterTemperature",
  "contrastiveClusters", "contrastiveTemperature", "contrastiveClusterWeight", "contrastiveBalanceWeight",
];

/**
 * The loss as run, described once: when the two-step pretraining and the one-step model share its settings, the
 * one-step description (the same, plus its classification term) covers both; otherwise each is described.
 */
export function lossMarkdownOnce(twoStep: ResultRecord | undefined, joint: ResultRecord | undefined): string {
  if (twoStep && joint && LOSS_SETTINGS.every((k) => twoStep.params[k] === joint.params[k])) return lossMarkdown(joint);
  return [twoStep, joint].filter((r): r is ResultRecord => r !== undefined).map(lossMarkdown).join("\n\n");
}
