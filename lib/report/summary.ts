// The comparison of every experiment of the study (notebook 06 ends with it).
import type { TopLevelSpec } from "vega-lite";
import type { SeededResult } from "../experiments/aggregate";
import type { ResultRecord } from "../experiments/results";
import { runsOf, seedDotPlot } from "./chart-helpers";
import { acc, devicesOf, testCell, timeOf, titleOf } from "./common";
import { text } from "./text/index";

/** The classifiers among `results`: the one-class network's "accuracy" (the share of images inside its radius) is not one. */
export const classifiers = <T extends ResultRecord>(results: T[]): T[] => results.filter((r) => r.method !== "one-class");

/**
 * Test and train accuracy of every classifier of the study, side by side, each axis zoomed to its data: every seed a
 * hollow point, the mean filled (± sd with several seeds).
 */
export function studyComparisonChart(results: SeededResult[]): TopLevelSpec {
  const t = text().summary;
  const shown = classifiers(results);
  const panel = (split: "test" | "train", title: string) =>
    seedDotPlot(
      shown.map((r) => ({
        category: r.experiment,
        values: runsOf(r).map((x) => (split === "test" ? x.testAccuracy : x.trainAccuracy)),
        mean: split === "test" ? r.testAccuracy : r.trainAccuracy,
      })),
      { categoryTitle: t.experimentAxis, valueTitle: title, width: 300, step: 16 },
    );
  return {
    title: t.chartTitle,
    hconcat: [panel("test", t.testAxis), panel("train", t.trainAxis)],
    config: { axis: { labelLimit: 320 }, legend: { labelLimit: 0, orient: "bottom" } },
  } as unknown as TopLevelSpec;
}

export function studyComparisonTable(all: SeededResult[]): string {
  const results = classifiers(all);
  return [
    `| ${text().summary.columns.join(" | ")} |`,
    "|---:|---|---|---:|---:|---:|---|---|",
    ...results.map((r) => `| ${r.exercise} | ${r.experiment} | ${titleOf(r)} | ${acc(r.trainAccuracy)} | **${testCell(r)}** | ${timeOf(r)} | ${devicesOf(r)} | ${r.profile} |`),
  ].join("\n");
}
