// Exercise 2's charts and answers, generated from the results of its variants (and of Exercise 1): the facts and
// verdicts are computed here, phrased by lib/report/text.
import type { TopLevelSpec } from "vega-lite";
import type { SeededResult } from "../experiments/aggregate";
import { EXPERIMENTS, EXPERIMENTS_BY_ID } from "../experiments/registry";
import { type InterruptedRun, readInterruptedRuns } from "../experiments/interrupted-runs";
import type { ResultRecord } from "../experiments/results";
import { withPseudoPrecision } from "../methods/fixmatch";
import type { RoundReport } from "../methods/self-training";
import type { EpochRecord } from "../training/loop";
import { REFERENCE_SOLUTION } from "./reference";
import { accuracyDomain, runsOf } from "./chart-helpers";
import { acc, int, pct, provenanceLine, testCell, timeOf, titleOf } from "./common";
import { pp } from "./format";
import { text } from "./text/index";
import { best, type Spread, testSpread, type Versus, versus, versusValues } from "./verdicts";

const rounds = (r: ResultRecord): RoundReport[] => (r.details.rounds as RoundReport[] | undefined) ?? [];
const isRounds = (r: ResultRecord) => r.method === "self-training";
/** A control run (the unweighted self-training) measures one factor; it is not one of the exercise's answers. */
const isControl = (r: ResultRecord) => EXPERIMENTS_BY_ID.get(r.experiment)?.control === true;

/** Per variant and round (of its first seed): pseudo-labels added, their precision, weights and the student's test accuracy. */
export function roundsTableMarkdown(results: SeededResult[], teacher: SeededResult): string {
  const t = text().ex2;
  const lines = [
    `| ${t.roundsColumns.join(" | ")} |`,
    "|---|---:|---:|---:|---:|---:|---:|",
    `| ${t.teacherRow(teacher.experiment)} | 0 | | | | | ${testCell(teacher)} |`,
  ];
  for (const r of results.filter(isRounds)) {
    for (const x of rounds(r)) {
      lines.push(`| ${t.seedOf(r.experiment, r.seed)} | ${x.round} | ${int(x.added)} | ${pct(x.precision)} | ${pct(x.teacherAccuracyOnUnlabeled)} | ${x.meanWeight.toFixed(3)} | ${acc(x.testAccuracy)} |`);
    }
  }
  return lines.join("\n");
}

/**
 * Test accuracy after each round (round 0: the Exercise 1 teacher), the precision of the added pseudo-labels and the
 * share of the unlabeled images added, one line per self-training variant through the means over its seeds, every
 * seed a point; each panel's axis zoomed to its data. A seed's round 0 is the teacher run it started from (seeds pair
 * by position).
 */
export function roundsChart(results: SeededResult[], teacher: ResultRecord): TopLevelSpec {
  const t = text().ex2;
  const rows: Record<string, unknown>[] = [];
  const teachers = runsOf(teacher);
  for (const r of results.filter(isRounds)) {
    runsOf(r).forEach((run, i) => {
      const round0 = (teachers[i] ?? teacher).testAccuracy;
      rows.push({ variant: r.experiment, seed: run.seed, round: 0, metric: t.metricTest, value: round0 });
      for (const x of rounds(run)) {
        rows.push({ variant: r.experiment, seed: run.seed, round: x.round, metric: t.metricTest, value: x.testAccuracy });
        rows.push({ variant: r.experiment, seed: run.seed, round: x.round, metric: t.metricPrecision, value: x.precision });
        rows.push({ variant: r.experiment, seed: run.seed, round: x.round, metric: t.metricAdded, value: x.added / run.data.unlabeled });
      }
    });
  }
  const x = { field: "round", type: "ordinal", title: t.round };
  const color = { field: "variant", type: "nominal", title: t.variant };
  return {
    title: t.roundsTitle,
    data: { values: rows },
    facet: { column: { field: "metric", type: "nominal", title: null } },
    spec: {
      width: 220,
      height: 200,
      layer: [
        {
          name: "mean",
          mark: { type: "line", tooltip: true },
          encoding: { x, y: { field: "value", aggregate: "mean", type: "quantitative", title: text().charts.valueOfPanel, scale: { zero: false } }, color },
        },
        {
          name: "seeds",
          mark: { type: "point", filled: false, opacity: 0.7, tooltip: true },
          encoding: { x, y: { field: "value", type: "quantitative", title: text().charts.valueOfPanel, scale: { zero: false } }, color },
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
    config: { legend: { labelLimit: 0, orient: "bottom", columns: 2 } },
  } as TopLevelSpec;
}

/** Distribution of the certainty weights of the added pseudo-labels, per variant and round. */
export function weightHistogramChart(results: SeededResult[]): TopLevelSpec {
  const t = text().ex2;
  const rows: Record<string, unknown>[] = [];
  for (const r of results.filter(isRounds)) {
    for (const x of rounds(r)) {
      x.weightHistogram.forEach((count, i) => {
        const bins = x.weightHistogram.length;
        rows.push({ variant: r.experiment, round: `${t.round} ${x.round}`, from: i / bins, to: (i + 1) / bins, count });
      });
    }
  }
  return {
    title: t.weightsTitle,
    data: { values: rows },
    facet: { row: { field: "variant", type: "nominal", title: null }, column: { field: "round", type: "nominal", title: null } },
    spec: {
      width: 260,
      height: 90,
      mark: { type: "bar", tooltip: true },
      encoding: {
        x: { field: "from", type: "quantitative", bin: { binned: true, step: 0.05 }, title: t.weight, scale: { domain: [0, 1] } },
        x2: { field: "to" },
        y: { field: "count", type: "quantitative", title: t.images },
      },
    },
  } as TopLevelSpec;
}

/** The online variant per epoch: test accuracy, share of confident pseudo-labels and their precision. */
export function onlineChart(result: ResultRecord): TopLevelSpec {
  const t = text().ex2;
  const series: [string, string][] = [
    ["testAccuracy", t.metricTest],
    ["maskRate", t.metricMaskRate],
    ["pseudoPrecision", t.metricPseudoPrecision],
  ];
  const rows = result.history.flatMap((h) =>
    series.filter(([k]) => typeof h[k] === "number").map(([k, label]) => ({ epoch: h.epoch, series: label, value: h[k] })),
  );
  return {
    title: t.onlineTitle(result.experiment),
    width: 560,
    height: 260,
    data: { values: rows },
    mark: { type: "line", point: true, tooltip: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: text().charts.epoch },
      y: { field: "value", type: "quantitative", scale: { domain: accuracyDomain(rows.map((r) => r.value as number)), zero: false }, title: text().charts.share },
      color: { field: "series", type: "nominal", title: null, legend: { orient: "bottom", columns: 1 } },
    },
    config: { legend: { labelLimit: 0 } },
  } as TopLevelSpec;
}

export function ex2ParametersAnswer(results: SeededResult[]): string {
  const t = text().ex2;
  return results
    .map((r) => `- **${r.experiment}** (${titleOf(r)}): ${isRounds(r) ? t.roundParams(r.params) : t.onlineParams(r.params, Math.floor(r.data.labeled / (r.params.batchSize as number)))}.`)
    .join("\n");
}

export function ex2AccuracyTable(results: SeededResult[], ex1: SeededResult): string {
  const t = text().ex2;
  const { noise } = text();
  return [
    `| ${t.accuracyColumns.join(" | ")} |`,
    "|---|---:|---:|---:|---:|---|",
    `| ${t.ex1Row(ex1.experiment)} | ${acc(ex1.trainAccuracy)} | ${testCell(ex1)} | | ${timeOf(ex1)} | ${provenanceLine(ex1)} |`,
    ...results.map((r) => {
      const v = versus(r, ex1);
      return `| ${r.experiment} | ${acc(r.trainAccuracy)} | **${testCell(r)}** | ${pp(v.difference)}: ${noise.word(v)} | ${timeOf(r)} | ${provenanceLine(r)} |`;
    }),
    "",
    t.timeFootnote,
  ].join("\n");
}

export interface ImprovementFacts {
  variants: number;
  /** Each variant against Exercise 1. */
  verdicts: Versus[];
  top: string;
  topTest: Spread;
  topVsEx1: Versus;
  ex1Test: Spread;
  reference: { ex1: number; ex2: number };
}

export function ex2ImprovementAnswer(all: SeededResult[], ex1: SeededResult): string {
  const results = all.filter((r) => !isControl(r));
  const top = best(results);
  return text().ex2.improvement({
    variants: results.length,
    verdicts: results.map((r) => versus(r, ex1)),
    top: top.experiment,
    topTest: testSpread(top),
    topVsEx1: versus(top, ex1),
    ex1Test: testSpread(ex1),
    reference: { ex1: REFERENCE_SOLUTION.ex1.test, ex2: REFERENCE_SOLUTION.ex2.test },
  });
}

export interface Ex2ConclusionFacts {
  thresholds?: { low: RoundReport; high: RoundReport; lowTest: number; highTest: number; lowVsHigh: Versus };
  softMatch?: { meanWeight?: number; precision?: number; test: Spread; vsEx1: Versus; vsThresholded?: Versus; isBest: boolean };
  /** Per round-based variant: last round against round 1 over the seeds; and whether the teachers' pseudo-labels grew and improved. */
  rounds?: { variants: string[]; gains: Versus[]; addedRose: boolean; precisionRose: boolean };
  online?: { test: Spread; epochs: number; vsEx1: Versus; maskRate: number; precision: number; threshold: number; seed: number };
  /** The certainty weights' effect: a weighted variant against the control with the same selection and every weight 1. */
  weights?: { weighted: string; control: string; threshold: number; vs: Versus };
  train: { ex1: number; variants: { experiment: string; train: number }[]; allLower: boolean; ex1Gap: number; best: string; bestGap: number };
}

/** Test accuracy of the first and the last round of each seed of a round-based variant. */
function roundGain(r: SeededResult): Versus {
  const first = r.runs.map((x) => rounds(x)[0].testAccuracy);
  const last = r.runs.map((x) => rounds(x)[rounds(x).length - 1].testAccuracy);
  return versusValues(last, first, r.experiment);
}

export function ex2ConclusionFacts(all: SeededResult[], ex1: SeededResult): Ex2ConclusionFacts {
  const results = all.filter((r) => !isControl(r));
  const control = all.find((r) => isControl(r) && r.params.weighting === "none");
  const weighted = control && results.find((r) => r.params.weighting === "confidence" && r.params.threshold === control.params.threshold);
  const byId = new Map(results.map((r) => [r.experiment, r]));
  const t5 = byId.get("ex2-selftrain-confidence-t0.5");
  const t8 = byId.get("ex2-selftrain-confidence-t0.8");
  const soft = byId.get("ex2-selftrain-softmatch");
  const thresholded = results.filter((r) => isRounds(r) && (r.params.threshold as number) > 0 && r.params.weighting !== "none");
  const roundBased = results.filter((r) => isRounds(r) && rounds(r).length >= 2);
  const online = results.find((r) => r.method === "fixmatch");
  const top = best(results);
  const rising = (key: "added" | "precision") => roundBased.every((r) => rounds(r)[rounds(r).length - 1][key] > rounds(r)[0][key]);
  const last = online?.history[online.history.length - 1];
  return {
    thresholds: t5 && t8 && rounds(t5).length > 0 && rounds(t8).length > 0
      ? { low: rounds(t5)[0], high: rounds(t8)[0], lowTest: t5.testAccuracy, highTest: t8.testAccuracy, lowVsHigh: versus(t5, t8) }
      : undefined,
    softMatch: soft
      ? {
          meanWeight: rounds(soft)[0]?.meanWeight,
          precision: rounds(soft)[0]?.precision,
          test: testSpread(soft),
          vsEx1: versus(soft, ex1),
          vsThresholded: thresholded.length ? versus(soft, best(thresholded)) : undefined,
          isBest: soft === top,
        }
      : undefined,
    rounds: roundBased.length
      ? { variants: roundBased.map((r) => r.experiment), gains: roundBased.map(roundGain), addedRose: rising("added"), precisionRose: rising("precision") }
      : undefined,
    online: online && last
      ? {
          test: testSpread(online), epochs: online.params.epochs as number, vsEx1: versus(online, ex1), maskRate: last.maskRate as number,
          precision: last.pseudoPrecision as number, threshold: online.params.threshold as number, seed: online.seed,
        }
      : undefined,
    weights: control && weighted
      ? { weighted: weighted.experiment, control: control.experiment, threshold: control.params.threshold as number, vs: versus(weighted, control) }
      : undefined,
    train: {
      ex1: ex1.trainAccuracy,
      variants: results.map((r) => ({ experiment: r.experiment, train: r.trainAccuracy })),
      allLower: results.every((r) => r.trainAccuracy < ex1.trainAccuracy),
      ex1Gap: ex1.trainAccuracy - ex1.testAccuracy,
      best: top.experiment,
      bestGap: top.trainAccuracy - top.testAccuracy,
    },
  };
}

export function ex2Conclusions(results: SeededResult[], ex1: SeededResult): string {
  return text().ex2.conclusions(ex2ConclusionFacts(results, ex1));
}

/**
 * Accuracy per epoch of every training run of Exercise 2 (first seed), one panel per run: the Exercise 1 network
 * (the round-0 teacher of every round-based variant), each round's student, and the online variant.
 */
export function ex2LearningCurves(results: SeededResult[], ex1: ResultRecord): TopLevelSpec {
  const t = text().ex2;
  const c = text().charts;
  const rows: Record<string, unknown>[] = [];
  const add = (panel: string, variant: string, history: ResultRecord["history"]) => {
    history.forEach((h, i) => {
      if (typeof h.trainAccuracy === "number") rows.push({ panel, variant, epoch: i + 1, split: c.trainBatches, accuracy: h.trainAccuracy });
      if (typeof h.testAccuracy === "number") rows.push({ panel, variant, epoch: i + 1, split: c.test, accuracy: h.testAccuracy });
    });
  };
  add(`0 · ${t.teacherPanel}`, ex1.experiment, ex1.history);
  const lastRound = Math.max(0, ...results.filter(isRounds).flatMap((r) => rounds(r).map((x) => x.round)));
  for (const r of results) {
    if (isRounds(r)) {
      for (const x of rounds(r)) add(`${x.round} · ${t.round} ${x.round}`, r.experiment, r.history.filter((h) => h.round === x.round));
    } else {
      add(`${lastRound + 1} · ${t.onlinePanel}`, r.experiment, r.history);
    }
  }
  return {
    title: t.curvesTitle,
    data: { values: rows },
    // Panels sort by name: the numbered names keep round order (an explicit sort array made vega's SVG render hang).
    facet: { column: { field: "panel", type: "nominal", title: null } },
    spec: {
      width: 190,
      height: 220,
      mark: { type: "line", tooltip: true },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: c.epoch },
        y: { field: "accuracy", type: "quantitative", title: c.accuracy, scale: { domain: accuracyDomain(rows.map((r) => r.accuracy as number)), zero: false } },
        color: { field: "variant", type: "nominal", title: null },
        strokeDash: { field: "split", type: "nominal", title: null },
      },
    },
    resolve: { scale: { x: "independent" } },
    config: { legend: { labelLimit: 0, orient: "bottom", columns: 2 } },
  } as TopLevelSpec;
}

/**
 * The interrupted runs of Exercise 2's experiments that await a finished run, in `profile`: one group of seeds per
 * experiment (lib/experiments/interrupted-runs.ts).
 */
export function interruptedOnlineRuns(profile: string, root?: string): InterruptedRun[][] {
  return EXPERIMENTS.filter((e) => e.exercise === 2 && e.awaitingRun)
    .map((e) => readInterruptedRuns(e.id, profile, root))
    .filter((runs) => runs.length > 0);
}

/** What one experiment's interrupted runs measured up to where they stopped (their seeds together). */
export interface InterruptedFacts {
  experiment: string;
  seeds: number[];
  /** The epochs the seeds stopped at: [first, last]. */
  stoppedAt: [number, number];
  /** The last epoch every seed reached: the figures below are at it. */
  epochsRun: number;
  epochsPlanned: number;
  cause: InterruptedRun["cause"];
  profile: string;
  backend: string;
  device: string;
  dates: [string, string];
  threshold: number;
  /** At epoch epochsRun, over the seeds: [min, max]. */
  maskRate: [number, number];
  /** Over the seeds with a confident pseudo-label at epoch epochsRun; null when none had one. */
  precision: [number, number] | null;
  testAccuracy: [number, number];
  /** Over every epoch (every seed) where at least MASKED_FOR_PRECISION of the unlabeled images passed the threshold. */
  precisionOnceMasked: [number, number] | null;
  firstEpochMasked: number | null;
  /** The mask rate from which an epoch's precision is counted (and charted). */
  maskedAtLeast: number;
  learningRate: number;
  peakLearningRate: number;
}

/** Below this mask rate the precision rests on a few hundred images per epoch (noise, not a trend). */
export const MASKED_FOR_PRECISION = 0.005;

const range = (values: number[]): [number, number] => [Math.min(...values), Math.max(...values)];

function numberParam(experiment: string, params: Record<string, unknown>, name: string): number {
  const value = params[name];
  if (typeof value !== "number") throw new Error(`${experiment}'s parameters have no number "${name}" (lib/experiments/registry.ts)`);
  return value;
}

export function interruptedFacts(runs: InterruptedRun[]): InterruptedFacts | null {
  if (runs.length === 0) return null;
  const experiment = runs[0].experiment;
  const params = EXPERIMENTS_BY_ID.get(experiment)?.params;
  if (!params) throw new Error(`interrupted runs of ${experiment}, which is not in the registry: delete results/interrupted/${experiment}`);
  const epochsRun = Math.min(...runs.map((r) => r.history.length));
  const histories = runs.map((r) => r.history.slice(0, epochsRun).map(withPseudoPrecision));
  const last = histories.map((h) => h[h.length - 1]);
  const confident = last.filter((h) => h.maskRate > 0);
  const masked = histories.flat().filter((h) => h.maskRate >= MASKED_FOR_PRECISION);
  const dates = runs.map((r) => r.date).sort();
  return {
    experiment,
    seeds: runs.map((r) => r.seed),
    stoppedAt: range(runs.map((r) => r.history.length)),
    epochsRun,
    epochsPlanned: runs[0].epochsPlanned,
    cause: runs[0].cause,
    profile: [...new Set(runs.map((r) => r.profile))].join(" / "),
    backend: [...new Set(runs.map((r) => r.backend))].join(" / "),
    device: [...new Set(runs.map((r) => r.device.split(",")[0]))].join(" / "),
    dates: [dates[0], dates[dates.length - 1]],
    threshold: numberParam(experiment, params, "threshold"),
    maskRate: range(last.map((h) => h.maskRate)),
    precision: confident.length > 0 ? range(confident.map((h) => h.pseudoPrecision)) : null,
    testAccuracy: range(last.map((h) => h.testAccuracy)),
    precisionOnceMasked: masked.length > 0 ? range(masked.map((h) => h.pseudoPrecision)) : null,
    firstEpochMasked: masked.length > 0 ? Math.min(...masked.map((h) => h.epoch)) : null,
    maskedAtLeast: MASKED_FOR_PRECISION,
    learningRate: Math.max(...last.map((h) => h.learningRate)),
    peakLearningRate: numberParam(experiment, params, "peakLearningRate"),
  };
}

/** One experiment's interrupted runs in words: where they stopped, why, and what they had measured by then. */
export function interruptedMarkdown(runs: InterruptedRun[]): string {
  const facts = interruptedFacts(runs);
  return facts ? text().ex2.interrupted(facts) : "";
}

/**
 * Mask rate, pseudo-label precision and test accuracy per epoch of one experiment's interrupted runs, one line per
 * seed; the precision only where at least MASKED_FOR_PRECISION passed the threshold (as the text counts it).
 */
export function interruptedChart(runs: InterruptedRun[]): TopLevelSpec {
  const t = text().ex2;
  const series = (["maskRate", "pseudoPrecision", "testAccuracy"] as const).map((k, i): [string, string] => [k, t.interruptedPanels[i]]);
  const shown = (h: EpochRecord, k: string) => k !== "pseudoPrecision" || h.maskRate >= MASKED_FOR_PRECISION;
  const rows = runs.flatMap((r) => r.history.map(withPseudoPrecision).flatMap((h) =>
    series.filter(([k]) => shown(h, k)).map(([k, label]) => ({ epoch: h.epoch, series: label, seed: String(r.seed), value: h[k] }))));
  const planned = Math.max(...runs.map((r) => r.epochsPlanned));
  return {
    title: t.interruptedTitle(runs[0]?.experiment ?? "", planned),
    data: { values: rows },
    facet: { column: { field: "series", type: "nominal", title: null, sort: series.map(([, label]) => label), header: { labelLimit: 0 } } },
    spec: {
      width: 250,
      height: 200,
      mark: { type: "line", point: true, tooltip: true },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: text().charts.epoch, scale: { domain: [1, planned] } },
        y: { field: "value", type: "quantitative", title: text().charts.share, scale: { domain: [0, 1] } },
        color: { field: "seed", type: "nominal", title: t.seed, sort: runs.map((r) => String(r.seed)) },
      },
    },
  } as TopLevelSpec;
}
