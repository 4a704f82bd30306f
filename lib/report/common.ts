// Building blocks of the generated answers and charts shared by every exercise's notebook.
import type * as tfl from "@tensorflow/tfjs-layers";
import type { TopLevelSpec } from "vega-lite";
import type { SeededResult } from "../experiments/aggregate";
import type { Experiment } from "../experiments/experiment";
import type { ResultRecord } from "../experiments/results";
import { describeLayers } from "../models/classifier";
import { accuracyDomain, runsOf } from "./chart-helpers";
import { acc, int, minutes, pct } from "./format";
import { text, type Phrases } from "./text/index";
import { testSpread } from "./verdicts";

export { acc, int, minutes, pct };

/** A result's wall time, flagged when other experiment processes shared the device meanwhile. */
export function timeOf(r: ResultRecord): string {
  return text().common.time(minutes(r.seconds), r.deviceSharedBy);
}

/** An experiment's title in the report language (the registry's titles are English). */
export const titleOf = (r: ResultRecord) => text().titles[r.experiment] ?? r.title;

/** A test accuracy as tables show it: mean ± sd over the seeds and their number. */
export const testCell = (r: SeededResult) => text().noise.spread(testSpread(r));

/** The model's layers as a markdown table (type, output shape, parameters, settings). */
export function layerTableMarkdown(model: tfl.LayersModel): string {
  const t = text().common;
  const rows = describeLayers(model).map((r) => {
    const cfg = Object.entries(r.config).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ");
    return `| ${r.name} | ${r.type} | ${r.outputShape} | ${int(r.params)} | ${cfg} |`;
  });
  return [`| ${t.layerColumns.join(" | ")} |`, "|---|---|---|---:|---|", ...rows, `| **${t.total}** | | | **${int(model.countParams())}** | |`].join("\n");
}

/** The devices a result's seeds ran on (seeds are often trained in later sessions, on other machines). */
export const devicesOf = (r: ResultRecord | SeededResult) => [...new Set(("runs" in r ? r.runs : [r]).map((x) => x.device))].join(" / ");

/**
 * One line of provenance: where, on what and when a result was produced (and from which seeds). Over several seeds
 * the time is their mean, and every device, commit and the span of dates appear (seeds are often trained in later
 * sessions, on other machines).
 */
export function provenanceLine(r: ResultRecord | SeededResult): string {
  const runs = "runs" in r ? r.runs : [r];
  const commits = [...new Set(runs.map((x) => x.commit.slice(0, 10)))];
  const dates = [...new Set(runs.map((x) => x.date.slice(0, 10)))].sort();
  return text().common.provenance({
    profile: r.profile, backend: [...new Set(runs.map((x) => x.backend))].join(" / "), device: devicesOf(r), time: timeOf(r), commit: commits.join("`, `"),
    date: dates.length === 1 ? dates[0] : `${dates[0]} – ${dates[dates.length - 1]}`, seeds: runs.map((x) => x.seed),
  });
}

export function resultsTableMarkdown(results: SeededResult[]): string {
  return [
    `| ${text().common.resultsColumns.join(" | ")} |`,
    "|---|---|---:|---:|---:|---|",
    ...results.map((r) => `| ${r.experiment} | ${titleOf(r)} | ${acc(r.trainAccuracy)} | ${testCell(r)} | ${timeOf(r)} | ${devicesOf(r)} |`),
  ].join("\n");
}

/** Train (on augmented batches) and test accuracy per epoch, one colour per experiment (and round), one line per seed. */
export function learningCurvesChart(results: ResultRecord[], title: keyof Phrases["curveTitles"]): TopLevelSpec {
  const t = text().charts;
  const rows: Record<string, unknown>[] = [];
  // One line per seed (every run of a seeded result), in its experiment's colour.
  for (const r of results) {
    for (const run of runsOf(r)) {
      run.history.forEach((h, i) => {
        const series = h.round !== undefined ? t.round(r.experiment, h.round) : r.experiment;
        const x = i + 1;
        if (typeof h.trainAccuracy === "number") rows.push({ epoch: x, accuracy: h.trainAccuracy, series, seed: run.seed, split: t.trainBatches });
        if (typeof h.testAccuracy === "number") rows.push({ epoch: x, accuracy: h.testAccuracy, series, seed: run.seed, split: t.test });
      });
    }
  }
  return {
    title: text().curveTitles[title],
    width: 560,
    height: 300,
    data: { values: rows },
    mark: { type: "line", point: false, tooltip: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: t.epochOverRounds },
      y: { field: "accuracy", type: "quantitative", title: t.accuracy, scale: { domain: accuracyDomain(rows.map((r) => r.accuracy as number)), zero: false } },
      color: { field: "series", type: "nominal", title: null },
      strokeDash: { field: "split", type: "nominal", title: null },
      detail: { field: "seed", type: "nominal" },
    },
    config: { legend: { labelLimit: 0 } },
  } as TopLevelSpec;
}

/** The experiments a notebook leaves out because they await their run with the current recipe (nothing when none). */
export function awaitingMarkdown(awaiting: Experiment[]): string {
  return awaiting.map((e) => text().common.awaiting(e.id)).join("\n");
}
