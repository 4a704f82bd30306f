// Building blocks of the generated answers and charts shared by every exercise's notebook.
import type * as tfl from "@tensorflow/tfjs-layers";
import type { TopLevelSpec } from "vega-lite";
import type { ResultRecord } from "../experiments/results";
import { describeLayers } from "../models/classifier";
import { accuracyDomain, runsOf } from "./chart-helpers";

export const pct = (x: number, digits = 1) => `${(100 * x).toFixed(digits)}%`;
export const acc = (x: number) => x.toFixed(4);

export function minutes(seconds: number): string {
  return seconds < 120 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(1)} min`;
}

/** A result's wall time, flagged when other experiment processes shared the device meanwhile. */
export function timeOf(r: ResultRecord): string {
  return r.deviceSharedBy ? `${minutes(r.seconds)} (GPU shared by up to ${r.deviceSharedBy} runs)` : minutes(r.seconds);
}

/** The model's layers as a markdown table (type, output shape, parameters, settings). */
export function layerTableMarkdown(model: tfl.LayersModel): string {
  const rows = describeLayers(model).map((r) => {
    const cfg = Object.entries(r.config).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ");
    return `| ${r.name} | ${r.type} | ${r.outputShape} | ${r.params.toLocaleString("en-US")} | ${cfg} |`;
  });
  return [
    "| layer | type | output shape | parameters | settings |",
    "|---|---|---|---:|---|",
    ...rows,
    `| **total** | | | **${model.countParams().toLocaleString("en-US")}** | |`,
  ].join("\n");
}

/** One line of provenance: where, on what and when a result was produced. */
export function provenanceLine(r: ResultRecord): string {
  return `profile \`${r.profile}\`, backend ${r.backend} on ${r.device}, ${timeOf(r)}, commit \`${r.commit.slice(0, 10)}\`, ${r.date.slice(0, 10)}`;
}

export function resultsTableMarkdown(results: ResultRecord[]): string {
  return [
    "| experiment | method | train accuracy | test accuracy | time | device |",
    "|---|---|---:|---:|---:|---|",
    ...results.map((r) => `| ${r.experiment} | ${r.title} | ${acc(r.trainAccuracy)} | ${acc(r.testAccuracy)} | ${timeOf(r)} | ${r.device} |`),
  ].join("\n");
}

/** Train (on augmented batches) and test accuracy per epoch, one colour per experiment (and round), one line per seed. */
export function learningCurvesChart(results: ResultRecord[], title: string): TopLevelSpec {
  const rows: Record<string, unknown>[] = [];
  // One line per seed (every run of a seeded result), in its experiment's colour.
  for (const r of results) {
    for (const run of runsOf(r)) {
      run.history.forEach((h, i) => {
        const series = h.round !== undefined ? `${r.experiment} round ${h.round}` : r.experiment;
        const x = i + 1;
        if (typeof h.trainAccuracy === "number") rows.push({ epoch: x, accuracy: h.trainAccuracy, series, seed: run.seed, split: "train (augmented batches)" });
        if (typeof h.testAccuracy === "number") rows.push({ epoch: x, accuracy: h.testAccuracy, series, seed: run.seed, split: "test" });
      });
    }
  }
  return {
    title,
    width: 560,
    height: 300,
    data: { values: rows },
    mark: { type: "line", point: false, tooltip: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "epoch (consecutive over rounds)" },
      y: { field: "accuracy", type: "quantitative", title: "accuracy", scale: { domain: accuracyDomain(rows.map((r) => r.accuracy as number)), zero: false } },
      color: { field: "series", type: "nominal", title: null },
      strokeDash: { field: "split", type: "nominal", title: null },
      detail: { field: "seed", type: "nominal" },
    },
    config: { legend: { labelLimit: 0 } },
  } as TopLevelSpec;
}
