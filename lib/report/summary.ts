// The comparison of every experiment of the study (notebook 06 ends with it).
import type { TopLevelSpec } from "vega-lite";
import type { ResultRecord } from "../experiments/results";
import { acc, timeOf } from "./common";

/** Test and train accuracy of every experiment, grouped by exercise. */
export function studyComparisonChart(results: ResultRecord[]): TopLevelSpec {
  const rows = results.flatMap((r) => [
    { experiment: r.experiment, exercise: `Exercise ${r.exercise}`, split: "test", accuracy: r.testAccuracy },
    { experiment: r.experiment, exercise: `Exercise ${r.exercise}`, split: "train (labeled images)", accuracy: r.trainAccuracy },
  ]);
  return {
    title: "Every experiment of the study: accuracy",
    data: { values: rows },
    width: 520,
    height: { step: 11 },
    mark: { type: "bar", tooltip: true },
    encoding: {
      y: { field: "experiment", type: "nominal", sort: null, title: null },
      yOffset: { field: "split" },
      x: { field: "accuracy", type: "quantitative", scale: { domain: [0, 1] } },
      color: { field: "split", type: "nominal", title: null },
    },
    config: { axis: { labelLimit: 320 } },
  } as TopLevelSpec;
}

export function studyComparisonTable(results: ResultRecord[]): string {
  return [
    "| exercise | experiment | method | train accuracy | test accuracy | time | device | profile |",
    "|---:|---|---|---:|---:|---:|---|---|",
    ...results.map((r) => `| ${r.exercise} | ${r.experiment} | ${r.title} | ${acc(r.trainAccuracy)} | **${acc(r.testAccuracy)}** | ${timeOf(r)} | ${r.device} | ${r.profile} |`),
  ].join("\n");
}
