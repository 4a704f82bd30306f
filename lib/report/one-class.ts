// Exercise 5: what the one-class network learned and removed, and the exercises before and after the removal (facts
// and verdicts here, phrased by lib/report/text).
import type { TopLevelSpec } from "vega-lite";
import type { Cifar100 } from "../data/cifar100";
import type { SeededResult } from "../experiments/aggregate";
import type { ResultRecord } from "../experiments/results";
import type { VariantChoice } from "../experiments/registry";
import { bestOnValidation, type ValidationChoice } from "../experiments/selection";
import { GridTile, imageDataUri, imageGridHtml } from "../images";
import { runsOf, seedDotPlot, type SeedGroup } from "./chart-helpers";
import { text } from "./text/index";
import { best, type Spread, testSpread, type Versus, versus } from "./verdicts";

interface OneClassDetails {
  radius: number;
  stoppedEarly: boolean;
  epochsRun: number;
  removed: number[];
  removedCount: number;
  keptCount: number;
  removedByClass: number[];
  scoreHistogram: { lo: number; hi: number; labeled: number[]; unlabeled: number[] };
  typicalUnlabeled: { most: number[]; least: number[] };
  tiesAtRadius: number;
}

const details = (r: ResultRecord) => r.details as unknown as OneClassDetails;

/** The radius r, the loss and the share of labeled batch images below r, per epoch. */
export function radiusChart(r: ResultRecord): TopLevelSpec {
  const t = text().oneClass;
  const d = details(r);
  const rows = r.history.flatMap((h) => [
    { epoch: h.epoch, series: t.radiusSeries, value: h.radius },
    { epoch: h.epoch, series: t.lossSeries, value: h.loss },
    { epoch: h.epoch, series: t.belowSeries, value: h.shareBelowRadius },
  ]);
  return {
    title: t.radiusTitle({ tolerance: r.params.radiusTolerance as number, patience: r.params.radiusPatience as number, stoppedEarly: d.stoppedEarly, epochsRun: d.epochsRun, epochs: r.params.epochs as number }),
    width: 520,
    height: 220,
    data: { values: rows },
    mark: { type: "line", point: true, tooltip: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: text().charts.epoch },
      y: { field: "value", type: "quantitative", title: text().oneClass.historyAxis },
      color: { field: "series", type: "nominal", title: null, legend: { orient: "bottom", columns: 1 } },
    },
    config: { legend: { labelLimit: 0 } },
  } as TopLevelSpec;
}

/** Score distributions of labeled and unlabeled images (share of each set per bin) and the radius. */
export function scoreHistogramChart(r: ResultRecord): TopLevelSpec {
  const t = text().oneClass;
  const h = details(r).scoreHistogram;
  const width = (h.hi - h.lo) / h.labeled.length;
  const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0) || 1;
  const rows = (["labeled", "unlabeled"] as const).flatMap((set) =>
    h[set].map((count, i) => ({ set: t.sets[set], from: h.lo + i * width, to: h.lo + (i + 1) * width, share: count / total(h[set]) })),
  );
  return {
    title: t.scoresTitle,
    width: 520,
    height: 220,
    layer: [
      {
        data: { values: rows },
        mark: { type: "bar", opacity: 0.55, tooltip: true },
        encoding: {
          x: { field: "from", type: "quantitative", bin: { binned: true }, title: t.scoreAxis },
          x2: { field: "to" },
          y: { field: "share", type: "quantitative", stack: null, title: t.shareAxis },
          color: { field: "set", type: "nominal", title: null },
        },
      },
      {
        data: { values: [{ radius: details(r).radius }] },
        mark: { type: "rule", color: "black", strokeDash: [4, 3] },
        encoding: { x: { field: "radius", type: "quantitative" } },
      },
    ],
  } as TopLevelSpec;
}

/** The most and the least typical unlabeled images (captions: the hidden class, for the reader only). */
export function typicalImagesHtml(r: ResultRecord, cifar: Cifar100): string {
  const t = text().oneClass;
  const tiles = (indices: number[]): GridTile[] =>
    indices.map((i) => ({ src: imageDataUri(cifar.train.images, i, 2), caption: cifar.fineNames[cifar.train.fine[i]] }));
  const { most, least } = details(r).typicalUnlabeled;
  return imageGridHtml(tiles(most), 12, t.mostTypical) + imageGridHtml(tiles(least), 12, t.leastTypical);
}

/** The classes the removed images come from (hidden labels), against the count a uniform removal would give. */
export function removedByClassChart(r: ResultRecord, fineNames: string[], top = 25): TopLevelSpec {
  const t = text().oneClass;
  const d = details(r);
  const expected = d.removedCount / fineNames.length;
  const rows = d.removedByClass.map((count, c) => ({ name: fineNames[c], count })).sort((a, b) => b.count - a.count).slice(0, top);
  return {
    title: t.removedTitle(top),
    width: 560,
    height: 200,
    layer: [
      {
        data: { values: rows },
        mark: { type: "bar", tooltip: true },
        encoding: { x: { field: "name", type: "nominal", sort: null, title: null }, y: { field: "count", type: "quantitative", title: t.removedAxis } },
      },
      { data: { values: [{ expected }] }, mark: { type: "rule", strokeDash: [4, 3] }, encoding: { y: { field: "expected", type: "quantitative" } } },
    ],
  } as TopLevelSpec;
}

export interface RemovalFacts {
  stoppedEarly: boolean;
  epochsRun: number;
  tolerance: number;
  patience: number;
  radius: number;
  removed: number;
  kept: number;
  nu: number;
  labeledBelow: number;
  testBelow: number;
  mostAffected: { name: string; count: number }[];
  uniform: number;
  classesUntouched: number;
  ties: number;
}

export function removalMarkdown(r: ResultRecord, fineNames: string[]): string {
  const d = details(r);
  const byClass = d.removedByClass.map((count, c) => ({ name: fineNames[c], count })).sort((a, b) => b.count - a.count);
  return text().oneClass.removal({
    stoppedEarly: d.stoppedEarly, epochsRun: d.epochsRun, tolerance: r.params.radiusTolerance as number, patience: r.params.radiusPatience as number,
    radius: d.radius, removed: d.removedCount, kept: d.keptCount, nu: r.params.nu as number,
    labeledBelow: 1 - r.trainAccuracy, testBelow: 1 - r.testAccuracy,
    mostAffected: byClass.slice(0, 5), uniform: d.removedCount / fineNames.length, classesUntouched: byClass.filter((c) => c.count === 0).length,
    ties: d.tiesAtRadius,
  });
}

export interface BeforeAfter {
  exercise: number;
  before: SeededResult;
  /** Null for Exercise 1: it trains on the labeled images only, which the removal never touches. */
  after: SeededResult | null;
}

/**
 * Test accuracy of each exercise's model on all unlabeled images and without the outliers: every seed a hollow
 * point, the mean filled (± sd with several seeds), the axis zoomed to the data. Exercise 1 has no "outliers
 * removed" point: that run does not exist (the removal cannot change it).
 */
export function beforeAfterChart(pairs: BeforeAfter[]): TopLevelSpec {
  const t = text().oneClass;
  const model = (p: BeforeAfter) => `Ex${p.exercise}: ${p.before.experiment}`;
  const groups: SeedGroup[] = pairs.flatMap((p) => [
    { category: model(p), colour: t.allUnlabeled, values: runsOf(p.before).map((r) => r.testAccuracy), mean: p.before.testAccuracy },
    ...(p.after ? [{ category: model(p), colour: t.outliersRemoved, values: runsOf(p.after).map((r) => r.testAccuracy), mean: p.after.testAccuracy }] : []),
  ]);
  return {
    title: t.beforeAfterTitle,
    ...seedDotPlot(groups, { categoryTitle: t.modelAxis, valueTitle: t.seedsAxis, colourTitle: null, width: 420 }),
    config: { axis: { labelLimit: 320 }, legend: { labelLimit: 0, orient: "bottom" } },
  } as TopLevelSpec;
}

export interface Ex5Facts {
  unchanged: { experiment: string; test: Spread }[];
  changed: { exercise: number; before: string; after: string; beforeTest: Spread; afterTest: Spread; afterVsBefore: Versus }[];
  meanChange: number;
}

export function ex5Facts(pairs: BeforeAfter[]): Ex5Facts {
  const changed = pairs.filter((p): p is BeforeAfter & { after: SeededResult } => p.after !== null);
  return {
    unchanged: pairs.filter((p) => p.after === null).map((p) => ({ experiment: p.before.experiment, test: testSpread(p.before) })),
    changed: changed.map((p) => ({
      exercise: p.exercise, before: p.before.experiment, after: p.after.experiment,
      beforeTest: testSpread(p.before), afterTest: testSpread(p.after), afterVsBefore: versus(p.after, p.before),
    })),
    meanChange: changed.reduce((s, p) => s + p.after.testAccuracy - p.before.testAccuracy, 0) / Math.max(1, changed.length),
  };
}

export function ex5Answer(pairs: BeforeAfter[]): string {
  return text().oneClass.answer(ex5Facts(pairs));
}

/** Which variant of each earlier exercise is repeated without the outliers, how it was chosen, and how it fares on test. */
export interface RepeatedFacts {
  exercise: number;
  repeated: string;
  test: Spread;
  /** The choice among the exercise's variants, made on the validation split (absent when it has one variant). */
  choice?: { candidates: string[]; validationBest: string | null; missingOnValidation: string[]; pickedOnTestBeforeValidation: boolean };
  /** A variant with a higher mean test accuracy than the repeated one, compared with it (absent when none). */
  bestOnTest?: { experiment: string; versusRepeated: Versus };
}

export function ex5RepeatedFacts(
  pairs: BeforeAfter[], earlier: SeededResult[], choices: VariantChoice[], validation: (candidates: string[]) => ValidationChoice,
): RepeatedFacts[] {
  return pairs
    .filter((p) => p.after !== null)
    .map((p) => {
      const choice = choices.find((c) => c.exercise === p.exercise && c.repeated === p.before.experiment);
      const onValidation = choice && validation(choice.candidates);
      const rivals = earlier.filter((r) => (choice ? choice.candidates.includes(r.experiment) : r.exercise === p.exercise && r.method !== "supervised"));
      const top = rivals.length ? best(rivals) : p.before;
      return {
        exercise: p.exercise,
        repeated: p.before.experiment,
        test: testSpread(p.before),
        choice: choice && onValidation && { candidates: choice.candidates, validationBest: onValidation.best, missingOnValidation: onValidation.missing, pickedOnTestBeforeValidation: choice.pending !== undefined },
        // A tie with the repeated variant keeps it as the best.
        bestOnTest: top.testAccuracy > p.before.testAccuracy ? { experiment: top.experiment, versusRepeated: versus(top, p.before) } : undefined,
      };
    });
}

/**
 * Notebook 05's account of the variants it repeats (Exercise 5 repeats the variants chosen on the validation split,
 * EX5_CHOICES in the registry), generated so that it follows the results.
 */
export function ex5RepeatedMarkdown(
  pairs: BeforeAfter[], earlier: SeededResult[], choices: VariantChoice[], validation: (candidates: string[]) => ValidationChoice = bestOnValidation,
): string {
  return text().oneClass.repeated(ex5RepeatedFacts(pairs, earlier, choices, validation));
}
