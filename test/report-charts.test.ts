// The report's charts as specs: y titles everywhere, accuracy axes zoomed to the data, seeds shown, no bar for a run
// that did not happen, the one-class network kept out of the classifiers' comparison.
import assert from "node:assert/strict";
import { compile, type TopLevelSpec } from "vega-lite";
import { chartBundle } from "../lib/charts";
import type { StudyData } from "../lib/data/study";
import type { SeededResult } from "../lib/experiments/aggregate";
import type { ResultRecord } from "../lib/experiments/results";
import { accuracyDomain, seedDotPlot } from "../lib/report/chart-helpers";
import { learningCurvesChart } from "../lib/report/common";
import { clusterSizesChart, comparisonMarkdown, lossMarkdown, lossMarkdownOnce, lossPartsChart, outliersMarkdown, probeChart } from "../lib/report/contrastive";
import { classBalanceChart } from "../lib/report/data";
import { ex2LearningCurves, onlineChart, roundsChart, weightHistogramChart } from "../lib/report/ex2";
import { reconstructionCurveChart } from "../lib/report/autoencoder";
import { beforeAfterChart, radiusChart, removedByClassChart, scoreHistogramChart } from "../lib/report/one-class";
import { studyComparisonChart, studyComparisonTable } from "../lib/report/summary";
import { text } from "../lib/report/text/index";
import { inEnglish } from "./helpers/report-lang";
import { seeded } from "./helpers/results";

type Json = Record<string, unknown>;


/** Every object in `value` (depth first) for which `test` holds. */
function findAll(value: unknown, test: (o: Json) => boolean): Json[] {
  if (Array.isArray(value)) return value.flatMap((v) => findAll(v, test));
  if (value === null || typeof value !== "object") return [];
  const o = value as Json;
  return [...(test(o) ? [o] : []), ...Object.values(o).flatMap((v) => findAll(v, test))];
}

/** The compiled chart's vertical axes (Vega), each with its title (not the grid-only axes Vega-Lite adds). */
function leftAxes(spec: TopLevelSpec): Json[] {
  return findAll(compile(spec).spec, (o) =>
    typeof o.scale === "string" && (o.orient === "left" || o.orient === "right") && "zindex" in o && !(o.grid === true && o.labels === false));
}

const layerNamed = (spec: unknown, name: string) => findAll(spec, (o) => o.name === name && "mark" in o);
const values = (layer: Json) => ((layer.data as { values: Json[] }).values);

const history = (epochs: number, f: (epoch: number) => Json): ResultRecord["history"] =>
  Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, ...f(i + 1) })) as unknown as ResultRecord["history"];

function selfTraining(id: string, accuracies: number[]): SeededResult {
  const r = seeded(id, accuracies, { exercise: 2, method: "self-training" });
  r.runs.forEach((run, i) => {
    run.details = {
      rounds: [1, 2].map((round) => ({
        round, added: 20000 + 1000 * round, precision: 0.6 + 0.01 * i, teacherAccuracyOnUnlabeled: 0.5, meanWeight: 0.7,
        testAccuracy: accuracies[i] - 0.01 * (2 - round), weightHistogram: [1, 2, 3, 4],
      })),
    };
    run.history = history(4, (e) => ({ round: e <= 2 ? 1 : 2, loss: 2 / e, trainAccuracy: 0.5 + 0.1 * e, testAccuracy: 0.5 + 0.005 * e }));
  });
  // As seededResult gives them: the first seed's history and details.
  return { ...r, history: r.runs[0].history, details: r.runs[0].details };
}

const ex1 = seeded("ex1-supervised", [0.521, 0.525, 0.529], { history: history(3, (e) => ({ loss: 3 / e, trainAccuracy: 0.3 * e, testAccuracy: 0.17 * e })) });
const softmatch = selfTraining("ex2-selftrain-softmatch", [0.566, 0.569, 0.571]);
const fixmatch = seeded("ex2-fixmatch-confidence", [0.476], {
  exercise: 2, method: "fixmatch",
  history: history(3, (e) => ({ loss: 2 / e, trainAccuracy: 0.3 * e, testAccuracy: 0.15 * e, maskRate: 0.2 * e, pseudoPrecision: 0.5 })),
});
const oneClass = seeded("ex5-oneclass", [0.1], {
  exercise: 5, method: "one-class", params: { radiusTolerance: 0.025, radiusPatience: 3, epochs: 20, nu: 0.9 },
  history: history(3, (e) => ({ radius: 0.5 + 0.01 * e, loss: 0.2, shareBelowRadius: 0.9 })),
  details: {
    radius: 0.53, stoppedEarly: true, epochsRun: 3, removed: [], removedCount: 40, keptCount: 60, removedByClass: Array.from({ length: 100 }, (_, c) => c % 3),
    scoreHistogram: { lo: 0, hi: 1, labeled: [1, 5, 3], unlabeled: [2, 4, 4] }, typicalUnlabeled: { most: [], least: [] }, tiesAtRadius: 0,
  },
});
const ex5SelftrainT05 = seeded("ex5-selftrain-confidence-t0.5", [0.567, 0.572], { exercise: 5, method: "self-training" });
const contrastive = seeded("ex6-contrastive-joint", [0.44], {
  exercise: 6, method: "contrastive-one-step", params: { contrastiveClusters: 10 },
  history: history(3, (e) => ({
    loss: 3 / e, infoNce: 2 / e, clusterTerm: 0.1, balanceTerm: 0.05, classificationLoss: 1 / e, trainAccuracy: 0.2 * e, testAccuracy: 0.13 * e,
    largestClusterShare: 0.2, nonEmptyClusters: 9, clusterSizeEntropy: 2, knnAccuracy: 0.2 + 0.01 * e, clusterNmi: 0.3, instanceAccuracy: 0.5,
  })),
});
const autoencoder = seeded("ex4-joint", [0.515], {
  exercise: 4, method: "autoencoder-one-step", history: history(3, (e) => ({ reconstructionError: 0.02 / e, testReconstructionError: 0.021 / e, trainAccuracy: 0.3 * e, testAccuracy: 0.15 * e })),
});
const data = {
  cifar: { fineNames: Array.from({ length: 100 }, (_, c) => `class ${c}`), coarseNames: Array.from({ length: 20 }, (_, c) => `super ${c}`), train: { fine: Uint8Array.from({ length: 300 }, (_, i) => i % 100), coarse: Uint8Array.from({ length: 300 }, (_, i) => i % 20) } },
  labeled: Int32Array.from({ length: 300 }, (_, i) => i),
  profile: { name: "full" },
} as unknown as StudyData;

const pairs = [
  { exercise: 1, before: ex1, after: null },
  { exercise: 2, before: softmatch, after: ex5SelftrainT05 },
];

const charts: [string, TopLevelSpec][] = [
  ["learningCurvesChart", learningCurvesChart([ex1, fixmatch], "ex1")],
  ["roundsChart", roundsChart([softmatch], ex1)],
  ["weightHistogramChart", weightHistogramChart([softmatch])],
  ["onlineChart", onlineChart(fixmatch)],
  ["ex2LearningCurves", ex2LearningCurves([softmatch, fixmatch], ex1)],
  ["reconstructionCurveChart", reconstructionCurveChart([autoencoder], "ex3")],
  ["radiusChart", radiusChart(oneClass)],
  ["scoreHistogramChart", scoreHistogramChart(oneClass)],
  ["removedByClassChart", removedByClassChart(oneClass, data.cifar.fineNames)],
  ["beforeAfterChart", beforeAfterChart(pairs)],
  ["studyComparisonChart", studyComparisonChart([ex1, softmatch, fixmatch, oneClass, ex5SelftrainT05])],
  ["lossPartsChart", lossPartsChart([contrastive])],
  ["clusterSizesChart", clusterSizesChart([contrastive])],
  ["probeChart", probeChart([contrastive])],
  ["classBalanceChart", classBalanceChart(data)],
];

describe("report charts", () => {
  it("accuracyDomain zooms to the data with a margin, within [0, 1]", () => {
    assert.deepEqual(accuracyDomain([0.521, 0.529]), [0.51, 0.54]);
    assert.deepEqual(accuracyDomain([0.1, 0.9]), [0.02, 0.98]);
    assert.deepEqual(accuracyDomain([0.001, 1]), [0, 1]);
    assert.deepEqual(accuracyDomain([]), [0, 1]);
  });

  for (const [name, spec] of charts) {
    it(`${name}: every vertical axis has a title, and it renders`, async () => {
      const axes = leftAxes(spec);
      assert.ok(axes.length > 0, "no vertical axis found");
      for (const axis of axes) {
        const title = axis.title;
        assert.ok(title !== undefined && title !== null && String(title).trim() !== "", `an axis without a title: ${JSON.stringify(axis).slice(0, 200)}`);
      }
      const bundle = await chartBundle(spec);
      assert.match(bundle["image/svg+xml"] as string, /^<svg /);
    });
  }

  it("accuracy axes exclude 0 when the accuracies are about 0.5", () => {
    for (const spec of [beforeAfterChart(pairs), studyComparisonChart([ex1, softmatch])]) {
      const domains = findAll(spec, (o) => o.type === "quantitative" && typeof o.scale === "object").map((o) => (o.scale as { domain: number[] }).domain);
      assert.ok(domains.length > 0);
      for (const [lo, hi] of domains) assert.ok(lo > 0.3 && hi <= 1 && hi - lo < 0.3, `domain ${lo}-${hi}`);
    }
    const curves = findAll(learningCurvesChart([softmatch], "ex1"), (o) => o.field === "accuracy");
    assert.ok((curves[0].scale as { domain: number[] }).domain[0] > 0.3);
  });

  it("comparisons show every seed and mean ± sd where there are several", () => {
    const spec = beforeAfterChart(pairs);
    const [seeds] = layerNamed(spec, "seeds");
    assert.equal(values(seeds).filter((r) => r.category === "Ex1: ex1-supervised").length, 3);
    assert.deepEqual(values(layerNamed(spec, "mean ± sd")[0]).map((r) => r.category), ["Ex1: ex1-supervised", "Ex2: ex2-selftrain-softmatch", "Ex2: ex2-selftrain-softmatch"]);
    const [means] = layerNamed(spec, "mean");
    assert.deepEqual(values(means).map((r) => r.mean), [ex1.testAccuracy, softmatch.testAccuracy, ex5SelftrainT05.testAccuracy]);

    const study = studyComparisonChart([ex1, fixmatch]);
    assert.equal(layerNamed(study, "seeds").length, 2, "a seeds layer in the test and the train panel");
    assert.equal(values(layerNamed(study, "seeds")[0]).length, 4);
    assert.deepEqual(values(layerNamed(study, "mean ± sd")[0]).map((r) => r.category), ["ex1-supervised"], "no sd for one seed");

    const curves = (learningCurvesChart([softmatch, fixmatch], "ex1") as unknown as { data: { values: Json[] } }).data.values;
    const round1 = text().charts.round("ex2-selftrain-softmatch", 1);
    assert.deepEqual([...new Set(curves.map((r) => `${r.series}/${r.seed}`))].filter((s) => String(s).startsWith(`${round1}/`)),
      softmatch.runs.map((r) => `${round1}/${r.seed}`), "learning curves: a line per seed");

    const rounds = roundsChart([softmatch], ex1);
    assert.equal(layerNamed(rounds, "seeds").length, 1);
    const rows = (rounds as { data: { values: Json[] } }).data.values;
    assert.deepEqual(new Set(rows.map((r) => r.seed)), new Set(softmatch.runs.map((r) => r.seed)));
    assert.deepEqual(rows.filter((r) => r.round === 0).map((r) => r.value), ex1.runs.map((r) => r.testAccuracy), "round 0: each seed's own teacher");
  });

  it("draws no point for a run that did not happen (Exercise 1 without the outliers)", () => {
    const spec = beforeAfterChart(pairs);
    const rows = findAll(spec, (o) => o.category === "Ex1: ex1-supervised");
    assert.ok(rows.length > 0);
    assert.ok(rows.every((r) => r.colour === text().oneClass.allUnlabeled));
  });

  it("keeps the one-class network out of the classifiers' comparison", () => {
    const chart = studyComparisonChart([ex1, oneClass, ex5SelftrainT05]);
    assert.deepEqual(findAll(chart, (o) => o.category === "ex5-oneclass"), []);
    assert.ok(findAll(chart, (o) => o.category === "ex5-selftrain-confidence-t0.5").length > 0);
    const table = studyComparisonTable([ex1, oneClass, ex5SelftrainT05]);
    assert.doesNotMatch(table, /ex5-oneclass/);
    assert.match(table, /ex5-selftrain-confidence-t0.5/);
  });

  it("legends are not cut", () => {
    for (const [name, spec] of charts) {
      const legend = ((spec as unknown as Json).config as Json | undefined)?.legend as Json | undefined;
      if (legend && "labelLimit" in legend) assert.equal(legend.labelLimit, 0, `${name}: legend labelLimit`);
    }
  });

  it("seedDotPlot leaves out groups without values", () => {
    const plot = seedDotPlot([{ category: "a", values: [0.5], mean: 0.5 }, { category: "b", values: [], mean: 0 }], { categoryTitle: "c", valueTitle: "v" });
    assert.deepEqual(findAll(plot, (o) => o.category === "b"), []);
  });
});

describe("notebook 06 prints each paragraph once", () => {
  const loss = {
    contrastiveCropMinArea: 0.2, contrastiveHue: 0.1, contrastiveGreyscale: 0.2, contrastiveProjection: 128, contrastiveClusterTemperature: 0.3,
    contrastiveClusters: 100, contrastiveTemperature: 0.2, contrastiveClusterWeight: 0.5, contrastiveBalanceWeight: 1, contrastiveWeight: 1,
  };
  const twoStep = seeded("ex6-contrastive-finetuned", [0.548], { exercise: 6, method: "contrastive-two-step", params: { ...loss, encoder: "fine-tuned" } });
  const joint = seeded("ex6-contrastive-joint", [0.442], { exercise: 6, method: "contrastive-one-step", params: loss });

  it("the loss: once when the two-step pretraining and the one-step model share its settings, else for each", () => {
    assert.equal(lossMarkdownOnce(twoStep, joint), lossMarkdown(joint));
    const other = { ...twoStep, params: { ...twoStep.params, contrastiveTemperature: 0.5 } };
    assert.equal(lossMarkdownOnce(other, joint), `${lossMarkdown(other)}\n\n${lossMarkdown(joint)}`);
    assert.equal(lossMarkdownOnce(undefined, joint), lossMarkdown(joint));
  });

  it("the outliers' answers: the noise and reference notes once", () => {
    const filtered = [seeded("ex6-outliers-contrastive-joint", [0.4424], { exercise: 6, method: "contrastive-one-step", params: { ...loss, outliersRemovedBy: "ex5-oneclass" } })];
    const both = inEnglish(() => [outliersMarkdown(filtered, [joint]), comparisonMarkdown(filtered, [ex1], [], { notes: false })].join("\n"));
    assert.equal(both.match(/reference solution/g)?.length, 1);
    assert.equal(both.match(/two standard errors of the difference over the seeds; with one seed/g), null, "the rule's note is not repeated");
    assert.match(inEnglish(() => comparisonMarkdown(filtered, [ex1], [])), /two standard errors of the difference over the seeds[\s\S]*reference solution/);
  });
});
