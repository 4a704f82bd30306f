// Pieces shared by the report's charts: accuracy axes zoomed to the data, and the seeds of each result shown as
// points beside their mean (with a mean ± sd bar when there are several), so a difference of half a point is
// visible and its noise too.
import type { SeededResult } from "../experiments/aggregate";
import { sampleSd } from "../stats";
import type { ResultRecord } from "../experiments/results";

/** A result's runs: a seeded result's every seed, or the record itself. */
export function runsOf(result: ResultRecord | SeededResult): ResultRecord[] {
  const runs = (result as SeededResult).runs;
  return Array.isArray(runs) && runs.length > 0 ? runs : [result];
}

/**
 * A y (or x) domain for accuracies (or other shares in [0, 1]) that fits the data: its min and max widened by a
 * margin (a tenth of the range, at least one point), rounded outwards to whole points and kept within [0, 1]. A 0-1
 * axis hides the half-point differences the study is about.
 */
export function accuracyDomain(values: number[]): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return [0, 1];
  const [min, max] = [Math.min(...finite), Math.max(...finite)];
  const margin = Math.max(0.01, 0.1 * (max - min));
  // (The epsilon keeps 1.9999... from rounding down to 1.)
  const lo = Math.max(0, Math.floor((min - margin) * 100 + 1e-9) / 100);
  const hi = Math.min(1, Math.ceil((max + margin) * 100 - 1e-9) / 100);
  return [lo, hi];
}

/** One row of a dot plot: the seeds of one result (or of one value of it), their mean and sd. */
export interface SeedGroup {
  /** The row's label (the y axis). */
  category: string;
  /** The colour (and offset within the row), e.g. "test" or "outliers removed"; omit for one colour. */
  colour?: string;
  /** One value per seed. */
  values: number[];
  /** The value shown as the result (the mean over the seeds). */
  mean: number;
}

export interface DotPlotOptions {
  categoryTitle: string;
  valueTitle: string;
  /** Colour legend title (null: none). */
  colourTitle?: string | null;
  /** Value domain (default: accuracyDomain of every value, mean and mean ± sd). */
  domain?: [number, number];
  width?: number;
  /** Height of one category row. */
  step?: number;
}

/**
 * A dot plot as layers: every seed as a hollow point (layer "seeds"), mean ± sample sd as a rule where there are
 * several seeds (layer "mean ± sd"), and the mean as a filled point (layer "mean"); the value axis is zoomed to the
 * data. No row is drawn for a group that has no values (a run that did not happen).
 */
export function seedDotPlot(groups: SeedGroup[], options: DotPlotOptions): Record<string, unknown> {
  const present = groups.filter((g) => g.values.length > 0);
  const base = (g: SeedGroup) => ({ category: g.category, ...(g.colour !== undefined ? { colour: g.colour } : {}) });
  const seeds = present.flatMap((g) => g.values.map((value, i) => ({ ...base(g), seed: i + 1, value })));
  const means = present.map((g) => {
    const sd = sampleSd(g.values);
    return { ...base(g), mean: g.mean, seeds: g.values.length, ...(sd === null ? {} : { sd, lo: g.mean - sd, hi: g.mean + sd }) };
  });
  const spread = means.filter((m) => m.sd !== undefined);
  const domain = options.domain ?? accuracyDomain([...seeds.map((s) => s.value), ...means.flatMap((m) => [m.mean, m.lo ?? m.mean, m.hi ?? m.mean])]);
  const coloured = present.some((g) => g.colour !== undefined);
  const y = { field: "category", type: "nominal", sort: null, title: options.categoryTitle };
  const common = {
    y,
    ...(coloured ? { yOffset: { field: "colour", type: "nominal" }, color: { field: "colour", type: "nominal", title: options.colourTitle ?? null } } : {}),
  };
  const x = (field: string) => ({ field, type: "quantitative", title: options.valueTitle, scale: { domain, zero: false } });
  const layer: Record<string, unknown>[] = [
    { name: "seeds", data: { values: seeds }, mark: { type: "point", filled: false, opacity: 0.7, size: 36, tooltip: true }, encoding: { ...common, x: x("value") } },
  ];
  if (spread.length > 0) {
    layer.push({ name: "mean ± sd", data: { values: spread }, mark: { type: "rule", strokeWidth: 1.5 }, encoding: { ...common, x: x("lo"), x2: { field: "hi" } } });
  }
  layer.push({ name: "mean", data: { values: means }, mark: { type: "point", filled: true, size: 70, tooltip: true }, encoding: { ...common, x: x("mean") } });
  return { width: options.width ?? 420, height: { step: options.step ?? (coloured ? 22 : 16) }, layer };
}
