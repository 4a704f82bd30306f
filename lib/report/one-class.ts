// Exercise 5: what the one-class network learned and removed, and the exercises before and after the removal.
import type { TopLevelSpec } from "vega-lite";
import type { Cifar100 } from "../data/cifar100";
import type { ResultRecord } from "../experiments/results";
import { GridTile, imageDataUri, imageGridHtml } from "../images";
import { runsOf, seedDotPlot, type SeedGroup } from "./chart-helpers";
import { acc, pct } from "./common";

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
  const rows = r.history.flatMap((h) => [
    { epoch: h.epoch, series: "radius r (after the epoch)", value: h.radius },
    { epoch: h.epoch, series: "loss (1/nu) mean max(0, r - score)", value: h.loss },
    { epoch: h.epoch, series: "share of training batch scores below r", value: h.shareBelowRadius },
  ]);
  return {
    title: `One-class training: r moved less than ${r.params.radiusTolerance} for ${r.params.radiusPatience} epochs in a row ${details(r).stoppedEarly ? `after ${details(r).epochsRun} epochs` : `(not within ${r.params.epochs} epochs)`}`,
    width: 520,
    height: 220,
    data: { values: rows },
    mark: { type: "line", point: true, tooltip: true },
    encoding: {
      x: { field: "epoch", type: "quantitative" },
      y: { field: "value", type: "quantitative", title: "radius, loss or share" },
      color: { field: "series", type: "nominal", title: null, legend: { orient: "bottom", columns: 1 } },
    },
    config: { legend: { labelLimit: 0 } },
  } as TopLevelSpec;
}

/** Score distributions of labeled and unlabeled images (share of each set per bin) and the radius. */
export function scoreHistogramChart(r: ResultRecord): TopLevelSpec {
  const h = details(r).scoreHistogram;
  const width = (h.hi - h.lo) / h.labeled.length;
  const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0) || 1;
  const rows = (["labeled", "unlabeled"] as const).flatMap((set) =>
    h[set].map((count, i) => ({ set, from: h.lo + i * width, to: h.lo + (i + 1) * width, share: count / total(h[set]) })),
  );
  return {
    title: "Scores of the labeled and the unlabeled images; the rule is the radius r",
    width: 520,
    height: 220,
    layer: [
      {
        data: { values: rows },
        mark: { type: "bar", opacity: 0.55, tooltip: true },
        encoding: {
          x: { field: "from", type: "quantitative", bin: { binned: true }, title: "one-class score" },
          x2: { field: "to" },
          y: { field: "share", type: "quantitative", stack: null, title: "share of the set" },
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
  const tiles = (indices: number[]): GridTile[] =>
    indices.map((i) => ({ src: imageDataUri(cifar.train.images, i, 2), caption: cifar.fineNames[cifar.train.fine[i]] }));
  const { most, least } = details(r).typicalUnlabeled;
  return (
    imageGridHtml(tiles(most), 12, "Most typical unlabeled images (highest scores)") +
    imageGridHtml(tiles(least), 12, "Least typical unlabeled images (lowest scores: removed)")
  );
}

/** The classes the removed images come from (hidden labels), against the count a uniform removal would give. */
export function removedByClassChart(r: ResultRecord, fineNames: string[], top = 25): TopLevelSpec {
  const d = details(r);
  const expected = d.removedCount / fineNames.length;
  const rows = d.removedByClass.map((count, c) => ({ name: fineNames[c], count })).sort((a, b) => b.count - a.count).slice(0, top);
  return {
    title: `Removed unlabeled images by (hidden) class: the ${top} most affected; the rule is a uniform share`,
    width: 560,
    height: 200,
    layer: [
      {
        data: { values: rows },
        mark: { type: "bar", tooltip: true },
        encoding: { x: { field: "name", type: "nominal", sort: null, title: null }, y: { field: "count", type: "quantitative", title: "removed images" } },
      },
      { data: { values: [{ expected }] }, mark: { type: "rule", strokeDash: [4, 3] }, encoding: { y: { field: "expected", type: "quantitative" } } },
    ],
  } as TopLevelSpec;
}

export function removalMarkdown(r: ResultRecord, fineNames: string[]): string {
  const d = details(r);
  const total = d.removedCount + d.keptCount;
  const byClass = d.removedByClass.map((count, c) => ({ name: fineNames[c], count })).sort((a, b) => b.count - a.count);
  const uniform = d.removedCount / fineNames.length;
  return [
    `- Training ${d.stoppedEarly ? `stopped after ${d.epochsRun} epochs, when r had moved less than ${r.params.radiusTolerance} for ${r.params.radiusPatience} epochs in a row` : `ran all ${d.epochsRun} epochs without meeting the stopping rule`}; the final radius is **r = ${d.radius.toFixed(4)}**.`,
    `- **${d.removedCount.toLocaleString("en-US")} of the ${total.toLocaleString("en-US")} unlabeled images (${pct(d.removedCount / total)}) score below r and are removed**; ${d.keptCount.toLocaleString("en-US")} remain. ` +
      `By construction ${pct(1 - (r.params.nu as number), 0)} of the labeled images fall below r (measured: ${pct(1 - r.trainAccuracy)}); ${pct(1 - r.testAccuracy)} of the test images do.`,
    `- The classes that lost the most: ${byClass.slice(0, 5).map((c) => `${c.name} (${c.count})`).join(", ")}, where a removal blind to ` +
      `classes would take about ${uniform.toFixed(1)} from each; ${byClass.filter((c) => c.count === 0).length} classes lost none.`,
    d.tiesAtRadius > 0 ? `- ${d.tiesAtRadius} unlabeled images score exactly r (kept).` : "",
  ].filter((l) => l !== "").join("\n");
}

export interface BeforeAfter {
  exercise: number;
  before: ResultRecord;
  /** Null for Exercise 1: it trains on the labeled images only, which the removal never touches. */
  after: ResultRecord | null;
}

/**
 * Test accuracy of each exercise's model on all unlabeled images and without the outliers: every seed a hollow
 * point, the mean filled (± sd with several seeds), the axis zoomed to the data. Exercise 1 has no "outliers
 * removed" point: that run does not exist (the removal cannot change it).
 */
export function beforeAfterChart(pairs: BeforeAfter[]): TopLevelSpec {
  const model = (p: BeforeAfter) => `Ex${p.exercise}: ${p.before.experiment}`;
  const groups: SeedGroup[] = pairs.flatMap((p) => [
    { category: model(p), colour: "all unlabeled images", values: runsOf(p.before).map((r) => r.testAccuracy), mean: p.before.testAccuracy },
    ...(p.after ? [{ category: model(p), colour: "outliers removed", values: runsOf(p.after).map((r) => r.testAccuracy), mean: p.after.testAccuracy }] : []),
  ]);
  return {
    title: "Test accuracy before and after removing the one-class outliers",
    ...seedDotPlot(groups, { categoryTitle: "model", valueTitle: "test accuracy (hollow: each seed; filled: mean ± sd)", colourTitle: null, width: 420 }),
    config: { axis: { labelLimit: 320 }, legend: { labelLimit: 0, orient: "bottom" } },
  } as TopLevelSpec;
}

export function ex5Answer(pairs: BeforeAfter[]): string {
  const changed = pairs.filter((p) => p.after !== null) as (BeforeAfter & { after: ResultRecord })[];
  const lines = pairs.map((p) =>
    p.after === null
      ? `- Exercise 1 (${p.before.experiment}): unchanged by construction, ${acc(p.before.testAccuracy)}: it trains on the labeled images only, and the removal touches only unlabeled ones.`
      : `- Exercise ${p.exercise} (${p.before.experiment} → ${p.after.experiment}): ${acc(p.before.testAccuracy)} → **${acc(p.after.testAccuracy)}** (${p.after.testAccuracy >= p.before.testAccuracy ? "+" : ""}${pct(p.after.testAccuracy - p.before.testAccuracy)}).`,
  );
  const better = changed.filter((p) => p.after.testAccuracy > p.before.testAccuracy).length;
  const mean = changed.reduce((s, p) => s + p.after.testAccuracy - p.before.testAccuracy, 0) / Math.max(1, changed.length);
  lines.push(
    `- ${better} of ${changed.length} improved; the mean change is ${mean >= 0 ? "+" : ""}${pct(mean)}. ` +
      (Math.abs(mean) < 0.01
        ? "Changes under one point are too small to call with one seed per run: removing the outliers makes no clear difference here. The unlabeled images come from the same distribution as the labeled ones (a random split of one training set), so the least typical of them are unusual, not foreign."
        : mean > 0
          ? "Removing the least typical images helped: they were the ones most likely to get wrong pseudo-labels or to pull the representation away from the labeled classes."
          : "Removing them hurt: the least typical images still carried useful information, and fewer unlabeled images means less signal for the semi-supervised methods."),
  );
  return lines.join("\n");
}
