// The comparison of every experiment of the study (notebook 06 ends with it).
import type { TopLevelSpec } from "vega-lite";
import type { SeededResult } from "../experiments/aggregate";
import { acc, testCell, timeOf, titleOf } from "./common";
import { text } from "./text/index";

/** Test and train accuracy of every experiment, grouped by exercise. */
export function studyComparisonChart(results: SeededResult[]): TopLevelSpec {
  const t = text().summary;
  const rows = results.flatMap((r) => [
    { experiment: r.experiment, exercise: t.exercise(r.exercise), split: text().charts.test, accuracy: r.testAccuracy },
    { experiment: r.experiment, exercise: t.exercise(r.exercise), split: t.trainLabeled, accuracy: r.trainAccuracy },
  ]);
  return {
    title: t.chartTitle,
    data: { values: rows },
    width: 520,
    height: { step: 11 },
    mark: { type: "bar", tooltip: true },
    encoding: {
      y: { field: "experiment", type: "nominal", sort: null, title: null },
      yOffset: { field: "split" },
      x: { field: "accuracy", type: "quantitative", scale: { domain: [0, 1] }, title: text().charts.accuracy },
      color: { field: "split", type: "nominal", title: null },
    },
    config: { axis: { labelLimit: 320 } },
  } as TopLevelSpec;
}

export function studyComparisonTable(results: SeededResult[]): string {
  return [
    `| ${text().summary.columns.join(" | ")} |`,
    "|---:|---|---|---:|---:|---:|---|---|",
    ...results.map((r) => `| ${r.exercise} | ${r.experiment} | ${titleOf(r)} | ${acc(r.trainAccuracy)} | **${testCell(r)}** | ${timeOf(r)} | ${r.device} | ${r.profile} |`),
  ].join("\n");
}
