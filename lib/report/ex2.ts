// Exercise 2's charts and answers, generated from the result files of its variants (and of Exercise 1).
import type { TopLevelSpec } from "vega-lite";
import type { ResultRecord } from "../experiments/results";
import type { RoundReport } from "../methods/self-training";
import { REFERENCE_SOLUTION } from "./reference";
import { accuracyDomain, runsOf } from "./chart-helpers";
import { acc, minutes, pct, provenanceLine, timeOf } from "./common";

const rounds = (r: ResultRecord): RoundReport[] => (r.details.rounds as RoundReport[] | undefined) ?? [];
const isRounds = (r: ResultRecord) => r.method === "self-training";

/** Per variant and round: pseudo-labels added, their precision, weights and the student's test accuracy. */
export function roundsTableMarkdown(results: ResultRecord[], teacher: ResultRecord): string {
  const lines = [
    "| variant | round | pseudo-labels added | precision of the added labels | teacher accuracy on all unlabeled | mean weight | test accuracy |",
    "|---|---:|---:|---:|---:|---:|---:|",
    `| ${teacher.experiment} (teacher of round 1) | 0 | | | | | ${acc(teacher.testAccuracy)} |`,
  ];
  for (const r of results.filter(isRounds)) {
    for (const x of rounds(r)) {
      lines.push(`| ${r.experiment} | ${x.round} | ${x.added.toLocaleString("en-US")} | ${pct(x.precision)} | ${pct(x.teacherAccuracyOnUnlabeled)} | ${x.meanWeight.toFixed(3)} | ${acc(x.testAccuracy)} |`);
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
export function roundsChart(results: ResultRecord[], teacher: ResultRecord): TopLevelSpec {
  const rows: Record<string, unknown>[] = [];
  const teachers = runsOf(teacher);
  for (const r of results.filter(isRounds)) {
    runsOf(r).forEach((run, i) => {
      const round0 = (teachers[i] ?? teacher).testAccuracy;
      rows.push({ variant: r.experiment, seed: run.seed, round: 0, metric: "test accuracy", value: round0 });
      for (const x of rounds(run)) {
        rows.push({ variant: r.experiment, seed: run.seed, round: x.round, metric: "test accuracy", value: x.testAccuracy });
        rows.push({ variant: r.experiment, seed: run.seed, round: x.round, metric: "precision of the added pseudo-labels", value: x.precision });
        rows.push({ variant: r.experiment, seed: run.seed, round: x.round, metric: "share of the unlabeled images added", value: x.added / run.data.unlabeled });
      }
    });
  }
  const x = { field: "round", type: "ordinal", title: "round" };
  const color = { field: "variant", type: "nominal", title: null };
  return {
    title: "Self-training per round (points: each seed; lines: means over the seeds)",
    data: { values: rows },
    facet: { column: { field: "metric", type: "nominal", title: null } },
    spec: {
      width: 220,
      height: 200,
      layer: [
        {
          name: "mean",
          mark: { type: "line", tooltip: true },
          encoding: { x, y: { field: "value", aggregate: "mean", type: "quantitative", title: "value (see the panel's title)", scale: { zero: false } }, color },
        },
        {
          name: "seeds",
          mark: { type: "point", filled: false, opacity: 0.7, tooltip: true },
          encoding: { x, y: { field: "value", type: "quantitative", title: "value (see the panel's title)", scale: { zero: false } }, color },
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
    config: { legend: { labelLimit: 0, orient: "bottom", columns: 2 } },
  } as TopLevelSpec;
}

/** Distribution of the certainty weights of the added pseudo-labels, per variant and round. */
export function weightHistogramChart(results: ResultRecord[]): TopLevelSpec {
  const rows: Record<string, unknown>[] = [];
  for (const r of results.filter(isRounds)) {
    for (const x of rounds(r)) {
      x.weightHistogram.forEach((count, i) => {
        const bins = x.weightHistogram.length;
        rows.push({ variant: r.experiment, round: `round ${x.round}`, from: i / bins, to: (i + 1) / bins, count });
      });
    }
  }
  return {
    title: "Weights of the pseudo-labelled images (certainty weighting)",
    data: { values: rows },
    facet: { row: { field: "variant", type: "nominal", title: null }, column: { field: "round", type: "nominal", title: null } },
    spec: {
      width: 260,
      height: 90,
      mark: { type: "bar", tooltip: true },
      encoding: {
        x: { field: "from", type: "quantitative", bin: { binned: true, step: 0.05 }, title: "weight", scale: { domain: [0, 1] } },
        x2: { field: "to" },
        y: { field: "count", type: "quantitative", title: "images" },
      },
    },
  } as TopLevelSpec;
}

/** The online variant per epoch: test accuracy, share of confident pseudo-labels and their precision. */
export function onlineChart(result: ResultRecord): TopLevelSpec {
  const series: [string, string][] = [
    ["testAccuracy", "test accuracy"],
    ["maskRate", "share of unlabeled images above the threshold"],
    ["pseudoPrecision", "precision of those pseudo-labels (hidden labels)"],
  ];
  const rows = result.history.flatMap((h) =>
    series.filter(([k]) => typeof h[k] === "number").map(([k, label]) => ({ epoch: h.epoch, series: label, value: h[k] })),
  );
  return {
    title: `${result.experiment}: per epoch`,
    width: 560,
    height: 260,
    data: { values: rows },
    mark: { type: "line", point: true, tooltip: true },
    encoding: {
      x: { field: "epoch", type: "quantitative" },
      y: { field: "value", type: "quantitative", scale: { domain: accuracyDomain(rows.map((r) => r.value as number)), zero: false }, title: "share" },
      color: { field: "series", type: "nominal", title: null, legend: { orient: "bottom", columns: 1 } },
    },
    config: { legend: { labelLimit: 0 } },
  } as TopLevelSpec;
}

function variantParams(r: ResultRecord): string {
  const p = r.params;
  if (isRounds(r)) {
    return (
      `${p.rounds} rounds; ${(p.threshold as number) > 0 ? `pseudo-labels kept when the teacher's certainty is ≥ ${p.threshold}` : "every unlabeled image kept (no threshold)"}; weights: ` +
      `${p.weighting === "softmatch" ? "SoftMatch's truncated Gaussian of the certainty (1 above the round's mean certainty)" : "the certainty itself"}; ` +
      `each round a new network (fresh weights) trained ${p.epochs} epochs on the labeled + pseudo-labelled images, batch ` +
      `${p.batchSize}, the Exercise 1 recipe otherwise (SGD Nesterov, peak learning rate ${p.peakLearningRate}, weight decay ` +
      `${p.weightDecay}, label smoothing ${p.labelSmoothing}, crop + flip)`
    );
  }
  return (
    `${p.epochs} epochs of ${Math.floor((r.data.labeled) / (p.batchSize as number))} steps; each step ${p.batchSize} labeled images and ` +
    `${(p.batchSize as number) * (p.unlabeledRatio as number)} unlabeled ones; pseudo-label from a weakly augmented view (crop + flip), ` +
    `trained on a strongly augmented view (plus colour jitter and a 16x16 cutout) when the certainty is ≥ ${p.threshold}, weighted by ` +
    `the certainty; unlabeled loss weight ${p.unlabeledWeight}; SGD Nesterov, peak learning rate ${p.peakLearningRate}, ` +
    `warm-up ${pct(p.warmup as number, 0)}, linear decay, weight decay ${p.weightDecay}`
  );
}

export function ex2ParametersAnswer(results: ResultRecord[]): string {
  return results.map((r) => `- **${r.experiment}** (${r.title}): ${variantParams(r)}.`).join("\n");
}

export function ex2AccuracyTable(results: ResultRecord[], ex1: ResultRecord): string {
  return [
    "| model | train accuracy (labeled images) | test accuracy | vs Exercise 1 | time¹ | run |",
    "|---|---:|---:|---:|---:|---|",
    `| ${ex1.experiment} (Exercise 1) | ${acc(ex1.trainAccuracy)} | ${acc(ex1.testAccuracy)} | | ${minutes(ex1.seconds)} | ${provenanceLine(ex1)} |`,
    ...results.map((r) => {
      const delta = r.testAccuracy - ex1.testAccuracy;
      return `| ${r.experiment} | ${acc(r.trainAccuracy)} | **${acc(r.testAccuracy)}** | ${delta >= 0 ? "+" : ""}${pct(delta)} | ${timeOf(r)} | ${provenanceLine(r)} |`;
    }),
    "",
    "¹ Wall time of the whole experiment; for the round-based variants it includes training their round-0 teacher (Exercise 1).",
  ].join("\n");
}

const best = (results: ResultRecord[]) => results.reduce((a, b) => (b.testAccuracy > a.testAccuracy ? b : a));

export function ex2ImprovementAnswer(results: ResultRecord[], ex1: ResultRecord): string {
  const top = best(results);
  const better = results.filter((r) => r.testAccuracy > ex1.testAccuracy);
  return (
    `${better.length === 0 ? "No" : `${better.length} of ${results.length}`} variants beat Exercise 1's ${acc(ex1.testAccuracy)} on the test set. ` +
    `The best, **${top.experiment}**, reaches **${acc(top.testAccuracy)}** (${top.testAccuracy >= ex1.testAccuracy ? "+" : ""}${pct(top.testAccuracy - ex1.testAccuracy)}). ` +
    `The assignment's reference solution went the other way (${acc(REFERENCE_SOLUTION.ex1.test)} → ${acc(REFERENCE_SOLUTION.ex2.test)}).`
  );
}

export function ex2Conclusions(results: ResultRecord[], ex1: ResultRecord): string {
  const byId = new Map(results.map((r) => [r.experiment, r]));
  const lines: string[] = [];
  const t5 = byId.get("ex2-selftrain-confidence-t0.5");
  const t8 = byId.get("ex2-selftrain-confidence-t0.8");
  const soft = byId.get("ex2-selftrain-softmatch");
  if (t5 && t8 && rounds(t5).length > 0 && rounds(t8).length > 0) {
    const [a, b] = [rounds(t5)[0], rounds(t8)[0]];
    const quantityWins = t5.testAccuracy > t8.testAccuracy;
    lines.push(
      `- **${quantityWins ? "Quantity beat purity" : "Purity beat quantity"} here.** In round 1 the 0.8 threshold kept ${b.added.toLocaleString("en-US")} images at ` +
        `${pct(b.precision)} precision, the 0.5 threshold ${a.added.toLocaleString("en-US")} at ${pct(a.precision)}; the larger, noisier set gave ` +
        `${acc(t5.testAccuracy)} against ${acc(t8.testAccuracy)}.` +
        (quantityWins ? " With certainty weights the wrong labels count less, so a lower threshold costs little and adds many correct labels." : ""),
    );
  }
  if (soft) {
    const r1 = rounds(soft)[0];
    lines.push(
      `- **SoftMatch weights need no threshold at all**: every unlabeled image joins with a weight that is 1 above the mean certainty and ` +
        `falls off as a Gaussian below it${r1 ? ` (mean weight ${r1.meanWeight.toFixed(2)}; precision of all pseudo-labels ${pct(r1.precision)})` : ""}, ` +
        `and it gave ${acc(soft.testAccuracy)}${soft === best(results) ? ", the best variant" : ""}.`,
    );
  }
  const roundsGain = results.filter(isRounds).map((r) => {
    const rs = rounds(r);
    return rs.length >= 2 ? rs[rs.length - 1].testAccuracy - rs[0].testAccuracy : 0;
  });
  if (roundsGain.length > 0) {
    const helped = roundsGain.filter((g) => g > 0).length;
    lines.push(
      `- **Later rounds ${helped === roundsGain.length ? "helped every variant" : helped === 0 ? "did not help" : `helped ${helped} of ${roundsGain.length} variants`}** ` +
        `(${roundsGain.map((g) => `${g >= 0 ? "+" : ""}${pct(g)}`).join(", ")} from round 1 to the last): a better teacher labels more images, more of them correctly, ` +
        `while the student also inherits the teacher's mistakes.`,
    );
  }
  const online = results.find((r) => r.method === "fixmatch");
  if (online) {
    const last = online.history[online.history.length - 1];
    lines.push(
      `- **The online (FixMatch-style) variant reached ${acc(online.testAccuracy)}** in ${online.params.epochs} epochs, ` +
        `${online.testAccuracy >= ex1.testAccuracy ? "above" : "below"} Exercise 1. The hidden labels show why: at the end ${pct(last.maskRate as number)} of the unlabeled images passed the ` +
        `threshold, but only ${pct(last.pseudoPrecision as number)} of those pseudo-labels were right. The network became confident on unlabeled images it labels wrongly ` +
        `(confirmation bias), which a 0.95 threshold alone does not prevent at this short schedule; the round-based variants, whose teacher is a finished network, do not have that feedback loop.`,
    );
  }
  lines.push(
    `- Train accuracy is measured on the labeled images only. It falls from ${acc(ex1.trainAccuracy)} (Exercise 1) to ` +
      `${results.map((r) => `${acc(r.trainAccuracy)} (${r.experiment})`).join(", ")}: the pseudo-labelled images outnumber the labeled ones, ` +
      `so the networks memorise the labeled images less; the gap between train and test accuracy narrows from ${pct(ex1.trainAccuracy - ex1.testAccuracy)} ` +
      `to ${pct(best(results).trainAccuracy - best(results).testAccuracy)} for the best variant.`,
  );
  return lines.join("\n");
}

/**
 * Accuracy per epoch of every training run of Exercise 2, one panel per run: the Exercise 1 network (the round-0
 * teacher of every round-based variant), each round's student, and the online variant.
 */
export function ex2LearningCurves(results: ResultRecord[], ex1: ResultRecord): TopLevelSpec {
  const rows: Record<string, unknown>[] = [];
  const add = (panel: string, variant: string, history: ResultRecord["history"]) => {
    history.forEach((h, i) => {
      if (typeof h.trainAccuracy === "number") rows.push({ panel, variant, epoch: i + 1, split: "train (augmented batches)", accuracy: h.trainAccuracy });
      if (typeof h.testAccuracy === "number") rows.push({ panel, variant, epoch: i + 1, split: "test", accuracy: h.testAccuracy });
    });
  };
  add("0 · Exercise 1 (round-0 teacher)", ex1.experiment, ex1.history);
  const lastRound = Math.max(0, ...results.filter(isRounds).flatMap((r) => rounds(r).map((x) => x.round)));
  for (const r of results) {
    if (isRounds(r)) {
      for (const x of rounds(r)) add(`${x.round} · round ${x.round}`, r.experiment, r.history.filter((h) => h.round === x.round));
    } else {
      add(`${lastRound + 1} · online (FixMatch-style)`, r.experiment, r.history);
    }
  }
  return {
    title: "Exercise 2: accuracy per epoch of each training run",
    data: { values: rows },
    // Panels sort by name: the numbered names keep round order (an explicit sort array made vega's SVG render hang).
    facet: { column: { field: "panel", type: "nominal", title: null } },
    spec: {
      width: 190,
      height: 220,
      mark: { type: "line", tooltip: true },
      encoding: {
        x: { field: "epoch", type: "quantitative" },
        y: { field: "accuracy", type: "quantitative", title: "accuracy", scale: { domain: accuracyDomain(rows.map((r) => r.accuracy as number)), zero: false } },
        color: { field: "variant", type: "nominal", title: null },
        strokeDash: { field: "split", type: "nominal", title: null },
      },
    },
    resolve: { scale: { x: "independent" } },
    config: { legend: { labelLimit: 0, orient: "bottom", columns: 2 } },
  } as TopLevelSpec;
}
