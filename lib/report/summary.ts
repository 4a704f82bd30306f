// The comparison of every experiment of the study (notebook 06 ends with it).
import type { TopLevelSpec } from "vega-lite";
import type { ResultRecord } from "../experiments/results";
import { runsOf, seedDotPlot } from "./chart-helpers";
import { acc, timeOf } from "./common";

/** The classifiers among `results`: the one-class network's "accuracy" (the share of images inside its radius) is not one. */
export const classifiers = <T extends ResultRecord>(results: T[]): T[] => results.filter((r) => r.method !== "one-class");

/**
 * Test and train accuracy of every classifier of the study, side by side, each axis zoomed to its data: every seed a
 * hollow point, the mean filled (± sd with several seeds).
 */
export function studyComparisonChart(results: ResultRecord[]): TopLevelSpec {
  const shown = classifiers(results);
  const panel = (split: "test" | "train", title: string) =>
    seedDotPlot(
      shown.map((r) => ({
        category: r.experiment,
        values: runsOf(r).map((x) => (split === "test" ? x.testAccuracy : x.trainAccuracy)),
        mean: split === "test" ? r.testAccuracy : r.trainAccuracy,
      })),
      { categoryTitle: "experiment", valueTitle: title, width: 300, step: 16 },
    );
  return {
    title: "Every experiment of the study: accuracy (hollow: each seed; filled: mean ± sd)",
    hconcat: [panel("test", "test accuracy"), panel("train", "train accuracy (labeled images)")],
    config: { axis: { labelLimit: 320 }, legend: { labelLimit: 0, orient: "bottom" } },
  } as unknown as TopLevelSpec;
}

export function studyComparisonTable(all: ResultRecord[]): string {
  const results = classifiers(all);
  return [
    "| exercise | experiment | method | train accuracy | test accuracy | time | device | profile |",
    "|---:|---|---|---:|---:|---:|---|---|",
    ...results.map((r) => `| ${r.exercise} | ${r.experiment} | ${r.title} | ${acc(r.trainAccuracy)} | **${acc(r.testAccuracy)}** | ${timeOf(r)} | ${r.device} | ${r.profile} |`),
  ].join("\n");
}
