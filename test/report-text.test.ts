// The generated answers: they follow the results they explain (perturbed results flip their verdicts and
// explanations), they compare experiments by the study's one noise rule, and they render in Spanish (the default)
// and in English (REPORT_LANG=en) from two language sources with the same keys.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { compile, type TopLevelSpec } from "vega-lite";
import { inLang } from "./helpers/report-lang";
import { initBackend } from "../lib/backend";
import type { StudyData } from "../lib/data/study";
import { labeledSplit } from "../lib/data/split";
import { type SeededResult, seededResult } from "../lib/experiments/aggregate";
import type { InterruptedRun } from "../lib/experiments/interrupted-runs";
import { readAllResults, type ResultRecord, resultPath, writeJsonAtomic } from "../lib/experiments/results";
import { EX5_CHOICES, EXPERIMENTS } from "../lib/experiments/registry";
import type { ValidationChoice } from "../lib/experiments/selection";
import { DEFAULT_CLASSIFIER, buildClassifier, scaleWidths } from "../lib/models/classifier";
import * as ae from "../lib/report/autoencoder";
import * as common from "../lib/report/common";
import * as co from "../lib/report/contrastive";
import * as data from "../lib/report/data";
import * as ex1m from "../lib/report/ex1";
import * as ex2m from "../lib/report/ex2";
import * as oc from "../lib/report/one-class";
import { REFERENCE_SOLUTION } from "../lib/report/reference";
import * as summary from "../lib/report/summary";
import { reportLang, text } from "../lib/report/text/index";
import { en } from "../lib/report/text/en";
import { es } from "../lib/report/text/es";

const COMMITTED = path.resolve(__dirname, "..", "results");
/**
 * Results the committed set lacks but these tests need, kept as test data for the sentences about them: the
 * FixMatch-style run of the recipe before commit 20bf293 (its new recipe awaits its GPU run) and Exercise 6's two
 * outlier runs on the sigmoid one-class score's outliers (their rerun on the linear score's awaits its GPU run).
 */
const FIXTURES = path.resolve(__dirname, "fixtures", "results");

/** Seed offsets of a staged experiment: its seeds spread by ±0.001 around the mean (sample sd 0.001). */
const OFFSETS = [-0.001, 0, 0.001];

/**
 * Copies the committed results into a temporary results folder, each experiment as `seeds` seeds (copies of its
 * first seed's record) whose test accuracies average its committed mean, or `at[id]` where given; `edit` may change
 * any seed's record further.
 */
function stage(at: Record<string, number> = {}, seeds = 3, edit: (r: ResultRecord) => void = () => {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "report-text-"));
  for (const committed of [...load(COMMITTED).values(), ...load(FIXTURES).values()]) {
    for (let k = 0; k < seeds; k++) {
      const copy = JSON.parse(JSON.stringify(committed.runs[0])) as ResultRecord;
      copy.seed = 100 + k;
      copy.testAccuracy = (at[copy.experiment] ?? committed.testAccuracy) + (seeds === 1 ? 0 : OFFSETS[k]);
      edit(copy);
      writeJsonAtomic(resultPath(copy.experiment, "full", copy.seed, root), copy);
    }
  }
  return root;
}

type Results = Map<string, SeededResult>;

function load(root: string): Results {
  const runs = readAllResults("full", root);
  assert.ok(runs.length > 0, `no result files under ${root}: the report tests render from the committed results`);
  return new Map([...new Set(runs.map((r) => r.experiment))].map((id) => [id, seededResult(runs.filter((r) => r.experiment === id))]));
}

/** The study's results as the notebooks group them. */
function groups(R: Results) {
  const get = (id: string) => {
    const r = R.get(id);
    assert.ok(r, `no result for ${id}`);
    return r;
  };
  const all = [...R.values()];
  const ex1 = get("ex1-supervised");
  const ex2 = all.filter((r) => r.exercise === 2);
  const ex3 = all.filter((r) => r.exercise === 3);
  const joint = get("ex4-joint");
  const autoencoder = [...ex3, joint];
  const pairs: oc.BeforeAfter[] = [
    { exercise: 1, before: ex1, after: null },
    { exercise: 2, before: get(EX5_CHOICES[0].repeated), after: get("ex5-selftrain-confidence-t0.5") },
    { exercise: 3, before: get("ex3-autoencoder-finetuned"), after: get("ex5-autoencoder-finetuned") },
    { exercise: 4, before: joint, after: get("ex5-joint") },
  ];
  const ex6 = all.filter((r) => r.exercise === 6 && !r.params.outliersRemovedBy);
  const filtered6 = all.filter((r) => r.exercise === 6 && r.params.outliersRemovedBy);
  return {
    all, ex1, ex2, ex3, joint, autoencoder, pairs, ex6, filtered6, oneClass: get("ex5-oneclass"),
    twoStep: ex6.filter((r) => r.method === "contrastive-two-step"), joint6: ex6.find((r) => r.method === "contrastive-one-step")!,
    earlier: [ex1, ...ex2], filtered5: all.filter((r) => r.exercise === 5 && r.method !== "one-class"),
  };
}

/** Validation results that confirm the registry's choices (the tests do not read the validation profile's files). */
const confirmed = (candidates: string[]): ValidationChoice => ({ best: EX5_CHOICES.find((c) => candidates.includes(c.repeated))!.repeated, ranking: [], missing: [] });

/** The answers whose wording depends on the verdicts, rendered from `R`. */
function answers(R: Results) {
  const g = groups(R);
  return {
    ex1: ex1m.ex1Conclusions(g.ex1),
    ex2Improvement: ex2m.ex2ImprovementAnswer(g.ex2, g.ex1),
    ex2: ex2m.ex2Conclusions(g.ex2, g.ex1),
    ex3: ae.ex3Conclusions(g.ex3, g.ex1),
    ex3Comparison: ae.comparisonMarkdown(g.ex3, g.earlier, REFERENCE_SOLUTION.ex3.test),
    ex4: ae.ex4Conclusions(g.joint, g.ex1, g.ex3),
    ex5: oc.ex5Answer(g.pairs),
    ex5Repeated: oc.ex5RepeatedMarkdown(g.pairs, g.all.filter((r) => r.exercise >= 2 && r.exercise <= 4), EX5_CHOICES, confirmed),
    ex6TwoStep: co.twoStepConclusions(g.twoStep, g.ex1, g.autoencoder),
    ex6Joint: co.jointConclusions(g.joint6, g.ex1, g.autoencoder, g.twoStep),
    ex6Outliers: co.outliersMarkdown(g.filtered6, g.ex6),
    ex6Comparison: co.comparisonMarkdown(g.ex6, g.earlier, g.autoencoder),
  };
}

/** The line of `markdown` that contains `marker`. */
function lineWith(markdown: string, marker: string): string {
  const line = markdown.split("\n").find((l) => l.includes(marker));
  assert.ok(line, `no line with ${marker} in:\n${markdown}`);
  return line;
}

describe("report text follows the results (perturbed copies of the committed results)", () => {
  const roots: string[] = [];
  const render = (at: Record<string, number>, edit?: (r: ResultRecord) => void) => {
    const root = stage(at, 3, edit);
    roots.push(root);
    return inLang("en", () => answers(load(root)));
  };
  after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

  it("flips the FixMatch, SoftMatch and best-variant explanations when Exercise 1 and SoftMatch move (0.3141, 0.2718)", () => {
    const base = render({});
    const moved = render({ "ex1-supervised": 0.3141, "ex2-selftrain-softmatch": 0.2718 });

    // FixMatch (0.4763) below Exercise 1 (0.5251) with 19% precise pseudo-labels: confirmation bias; above 0.3141: not.
    assert.match(lineWith(base.ex2, "online (FixMatch-style)"), /against Exercise 1: worse .*confirmation bias/);
    const online = lineWith(moved.ex2, "online (FixMatch-style)");
    assert.match(online, /against Exercise 1: better /);
    assert.doesNotMatch(online, /confirmation bias/);

    // SoftMatch without a threshold against the best thresholded variant (t0.5, 0.5651).
    assert.match(lineWith(base.ex2, "SoftMatch weights"), /controlled the wrong pseudo-labels better than a threshold/);
    assert.match(lineWith(moved.ex2, "SoftMatch weights"), /Dropping the threshold cost accuracy/);
    assert.doesNotMatch(moved.ex2, /the highest mean of the variants/);

    // Notebook 05's sentence on the repeated variants (chosen on validation; the test set only reported).
    assert.match(lineWith(base.ex5Repeated, "Exercise 3:"), /ex3-autoencoder-finetuned.*which the validation results confirm\. On the test set, which played no part in the choice, it also has the highest mean\./);
    // Exercise 2's repeat is the validation split's choice; the test set only reports how it ranks there.
    assert.match(lineWith(base.ex5Repeated, "Exercise 2:"), /ex2-selftrain-confidence-t0\.5.*which the validation results confirm\. On the test set, which played no part in the choice, ex2-selftrain-softmatch has a higher mean, against it: /);
    assert.match(lineWith(moved.ex5Repeated, "Exercise 2:"), /ex2-selftrain-confidence-t0\.5.*On the test set, which played no part in the choice, it also has the highest mean\./);
    assert.match(lineWith(base.ex5Repeated, "Exercise 4:"), /ex4-joint.*the exercise's only semi-supervised variant\./);

    // The removal helped the repeated variant once it sits at 0.2718 (its filtered run stays where it is).
    assert.doesNotMatch(lineWith(base.ex5, "Exercise 2 ("), /: better \(/);
    assert.match(lineWith(render({ "ex2-selftrain-confidence-t0.5": 0.2718 }).ex5, "Exercise 2 ("), /: better \(/);

    // The closing verdict names the exercises where the removal mattered and says the rest are within noise; it
    // speaks for every method only when every method moved the same way beyond noise.
    const after = { "ex5-selftrain-confidence-t0.5": 0.5621, "ex5-autoencoder-finetuned": 0.52, "ex5-joint": 0.52 };
    const summary = (before: Record<string, number>) => lineWith(render({ ...after, ...before }).ex5, "of 3 improved");
    const observed = summary({ "ex2-selftrain-confidence-t0.5": 0.5679, "ex3-autoencoder-finetuned": 0.5206, "ex4-joint": 0.52 });
    assert.match(observed, /Removing them hurt Exercise 2 only: .*for the other 2 the change is within noise\./);
    assert.doesNotMatch(observed, /every repeated method/);
    const allWorse = summary({ "ex2-selftrain-confidence-t0.5": 0.60, "ex3-autoencoder-finetuned": 0.56, "ex4-joint": 0.56 });
    assert.match(allWorse, /Removing them hurt every repeated method/);
    const oneBetter = summary({ "ex2-selftrain-confidence-t0.5": 0.5621, "ex3-autoencoder-finetuned": 0.50, "ex4-joint": 0.52 });
    assert.match(oneBetter, /helped Exercise 3 only; for the other 2 the change is within noise/);
  });

  it("words the comparison with the reference solution by our verdict (went the other way / as here / worse than it)", () => {
    assert.match(render({}).ex2Improvement, /here self-training went the other way/);
    const high = render({ "ex1-supervised": 0.6 });
    assert.match(high.ex2Improvement, /fell from 0\.2279 to 0\.2165 .*, as here\./);
    assert.match(lineWith(high.ex2, "Train accuracy"), /falls/);
    const low = render({ "ex1-supervised": 0.2 });
    assert.match(lineWith(low.ex1, "reference solution"), /This baseline against it: worse \(/);
    assert.doesNotMatch(low.ex1, /the gain comes from BatchNorm/);
    assert.match(lineWith(render({}).ex1, "reference solution"), /better \(.*the gain comes from BatchNorm/);
  });

  it("measures the certainty weights against the unweighted control, and the verdict follows the control's accuracy", () => {
    const sentence = (at: Record<string, number>) => {
      const root = stage(at);
      try {
        return lineWith(inLang("en", () => answers(load(root))).ex2, "What the certainty weights add");
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    };
    assert.match(sentence({ "ex2-selftrain-unweighted-t0.5": 0.6 }), /ex2-selftrain-confidence-t0\.5 .*\(ex2-selftrain-unweighted-t0\.5, a control\): worse .*The weights cost accuracy here/);
    assert.match(sentence({ "ex2-selftrain-unweighted-t0.5": 0.5 }), /: better .*The weights helped/);
    assert.match(sentence({ "ex2-selftrain-unweighted-t0.5": 0.5679, "ex2-selftrain-confidence-t0.5": 0.568 }), /within noise.*made no measurable difference/);
  });

  it("says whether the validation results confirm the repeated variants", () => {
    const root = stage({});
    roots.push(root);
    const g = groups(load(root));
    const earlier = g.all.filter((r) => r.exercise >= 2 && r.exercise <= 4);
    const with_ = (validation: (c: string[]) => ValidationChoice) => inLang("en", () => oc.ex5RepeatedMarkdown(g.pairs, earlier, EX5_CHOICES, validation));
    assert.match(lineWith(with_(() => ({ best: "ex2-selftrain-softmatch", ranking: [], missing: [] })), "Exercise 2:"), /chosen among 3 variants by their mean accuracy on the validation split, but the validation results now favour ex2-selftrain-softmatch\./);
    assert.match(lineWith(with_((c) => ({ best: null, ranking: [], missing: c })), "Exercise 3:"), /not yet confirmed: no validation result for ex3-autoencoder-frozen, ex3-autoencoder-finetuned/);
  });

  it("says the last epochs are the best only when the curve says so", () => {
    assert.match(render({}).ex1, /the last epochs are the best ones/);
    const peaked = render({}, (r) => {
      if (r.experiment === "ex1-supervised") r.history[Math.floor(r.history.length / 2)].testAccuracy = 0.9;
    });
    assert.doesNotMatch(peaked.ex1, /the last epochs are the best ones/);
    assert.match(peaked.ex1, /its best value, 0\.9000 at epoch \d+ of \d+, is above the last one/);
  });

  it("flips the autoencoder and contrastive verdicts with their numbers", () => {
    const base = render({});
    assert.match(lineWith(base.ex3, "Fine-tuned encoder"), /against Exercise 1: worse .*did not help/);
    const tuned = render({ "ex3-autoencoder-finetuned": 0.58 });
    assert.match(lineWith(tuned.ex3, "Fine-tuned encoder"), /against Exercise 1: better .*helped: the unlabeled images/);
    assert.match(lineWith(base.ex6TwoStep, "Frozen encoder"), /against the frozen autoencoder encoder: better .*keeps more of what identifies an object/);
    const frozen = render({ "ex6-contrastive-frozen": 0.1 });
    assert.doesNotMatch(frozen.ex6TwoStep, /keeps more of what identifies an object/);
    assert.match(lineWith(frozen.ex6TwoStep, "Frozen encoder"), /Redrawing the pixels kept more class information/);
    assert.match(lineWith(render({ "ex6-outliers-contrastive-joint": 0.5 }).ex6Outliers, "ex6-outliers-contrastive-joint"), /: yes: better \(/);
    assert.match(lineWith(base.ex6TwoStep, "contrastive pretraining"), /optimised its task/);
    const flat = render({}, (r) => {
      const stage = r.details.contrastive as { history: { infoNce: number }[] } | undefined;
      if (stage) stage.history[stage.history.length - 1].infoNce = stage.history[0].infoNce + 1;
    });
    assert.match(lineWith(flat.ex6TwoStep, "contrastive pretraining"), /did not lower its loss/);
  });

  it("makes no claim from one seed per experiment", () => {
    const root = stage({}, 1);
    roots.push(root);
    const one = inLang("en", () => answers(load(root)));
    for (const [name, markdown] of Object.entries(one)) {
      assert.doesNotMatch(markdown, /\b(better|worse|within noise) \(/, `${name} claims a verdict from one seed:\n${markdown}`);
    }
    assert.match(one.ex1, /no claim possible: one run per side/);
    assert.match(one.ex5, /With one run per side the study's noise rule allows no answer yet/);
    assert.doesNotMatch(one.ex2, /confirmation bias/);
  });

  it("flips in Spanish too", () => {
    const base = stage({});
    const moved = stage({ "ex1-supervised": 0.3141, "ex2-selftrain-softmatch": 0.2718 });
    roots.push(base, moved);
    assert.match(inLang(undefined, () => ex2m.ex2Conclusions(...ex2Args(load(base)))), /sesgo de confirmación/);
    assert.doesNotMatch(inLang(undefined, () => ex2m.ex2Conclusions(...ex2Args(load(moved)))), /sesgo de confirmación/);
  });
});

function ex2Args(R: Results): [SeededResult[], SeededResult] {
  const g = groups(R);
  return [g.ex2, g.ex1];
}

/** A seeded result of `accuracies` (one seed each), with only what the comparisons read. */
function synthetic(experiment: string, exercise: number, accuracies: number[]): SeededResult {
  return seededResult(
    accuracies.map((testAccuracy, seed) => ({
      experiment, exercise, method: "supervised", title: experiment, profile: "full", params: {}, seed, configHash: "", trainAccuracy: 0.9, testAccuracy,
      seconds: 60, backend: "cpu", device: "test", commit: "0".repeat(40), date: "2026-12-01T00:00:00Z", data: { labeled: 100, unlabeled: 400, test: 1000 }, history: [], details: {},
    })),
  );
}

describe("report text and the noise rule (synthetic seeds on both sides of two standard errors)", () => {
  // Sample sd 0.01 on both sides: the standard error of the difference is 0.0082, the threshold 0.0163.
  const base = [0.5, 0.51, 0.52];
  const shifted = (d: number) => base.map((x) => x + d);
  const comparison = (d: number, lang: string) =>
    inLang(lang, () => ae.comparisonMarkdown([synthetic("ex3-a", 3, shifted(d))], [synthetic("ex1-supervised", 1, base)], 0.2));

  it("says better or worse beyond the threshold, in both languages", () => {
    assert.match(comparison(0.02, "en"), /Against Exercise 1: better \(\+2\.0 pp, beyond two standard errors over the seeds: ±1\.6 pp\)/);
    assert.match(comparison(-0.02, "en"), /Against Exercise 1: worse \(-2\.0 pp/);
    assert.match(comparison(0.02, "es"), /Frente al Ejercicio 1: mejor \(\+2\.0 p\.p\., más de dos errores estándar/);
    assert.match(comparison(-0.02, "es"), /Frente al Ejercicio 1: peor \(-2\.0 p\.p\./);
  });

  it("says within noise below it, with mean ± sd and the number of seeds", () => {
    assert.match(comparison(0.01, "en"), /Against Exercise 1: within noise \(\+1\.0 pp, under two standard errors .*; 0\.5200 ± 0\.0100 \(3 seeds\) against 0\.5100 ± 0\.0100 \(3 seeds\)\)/);
    assert.match(comparison(-0.01, "es"), /Frente al Ejercicio 1: dentro del ruido \(-1\.0 p\.p\., menos de dos errores estándar .*; 0\.5000 ± 0\.0100 \(3 semillas\) frente a 0\.5100 ± 0\.0100 \(3 semillas\)\)/);
  });

  it("makes no claim when a side has one seed, however large the difference", () => {
    const one = inLang("en", () => ae.comparisonMarkdown([synthetic("ex3-a", 3, [0.9])], [synthetic("ex1-supervised", 1, base)], 0.2));
    assert.match(one, /Against Exercise 1: \+39\.0 pp, no claim possible: one run on a side/);
    assert.match(one, /0\.9000 \(1 seed\)/);
  });
});

/** A StudyData with 200 training images (the first 200 of the split's indices), enough for the data section. */
function fakeStudyData(): StudyData {
  const count = 200;
  const fine = Uint8Array.from({ length: count }, (_, i) => i % 100);
  const set = { images: new Uint8Array(count * 3072).map((_, i) => i % 251), fine, coarse: fine.map((f) => f % 20), count };
  const split = labeledSplit(count);
  return {
    cifar: { train: set, test: { ...set, count: 50 }, fineNames: Array.from({ length: 100 }, (_, i) => `fine_${i}`), coarseNames: Array.from({ length: 20 }, (_, i) => `coarse_${i}`), dir: "" },
    split, labeled: split.labeled, unlabeled: split.unlabeled, test: { ...set, count: 50 }, profile: { name: "smoke" },
  } as unknown as StudyData;
}

/** Every report function's output, keyed by module.function. */
function renderEverything(R: Results): Record<string, string | TopLevelSpec> {
  const g = groups(R);
  const studyData = fakeStudyData();
  const fineNames = studyData.cifar.fineNames;
  const model = buildClassifier({ ...scaleWidths(DEFAULT_CLASSIFIER, 0.25), seed: 1 });
  const oneClass = { ...g.oneClass, details: { ...g.oneClass.details, typicalUnlabeled: { most: [0, 1], least: [2, 3] } } };
  const online = g.ex2.find((r) => r.method === "fixmatch")!;
  const interrupted: InterruptedRun[] = online.runs.map((r) => ({
    experiment: r.experiment, seed: r.seed, profile: r.profile, configHash: r.configHash, epochsPlanned: r.history.length + 10,
    history: r.history, cause: "host-lost", backend: r.backend, device: r.device, commit: r.commit, date: r.date.slice(0, 10), logs: [],
  }));
  const out: Record<string, string | TopLevelSpec> = {
    "common.timeOf": common.timeOf({ ...g.ex1, deviceSharedBy: 3 }),
    "common.testCell": common.testCell(g.ex1),
    "common.titleOf": common.titleOf(g.ex1),
    "common.layerTableMarkdown": common.layerTableMarkdown(model),
    "common.provenanceLine": common.provenanceLine(g.ex1),
    "common.resultsTableMarkdown": common.resultsTableMarkdown(g.filtered5),
    "common.learningCurvesChart": common.learningCurvesChart([g.ex1], "ex1"),
    "data.splitMarkdown": data.splitMarkdown(studyData),
    "data.classBalanceChart": data.classBalanceChart(studyData),
    "data.classBalanceMarkdown": data.classBalanceMarkdown(studyData),
    "data.sampleGridHtml": data.sampleGridHtml(studyData, 4, 2),
    "ex1.ex1NetworkAnswer": ex1m.ex1NetworkAnswer(g.ex1, model),
    "ex1.ex1AccuracyAnswer": ex1m.ex1AccuracyAnswer(g.ex1),
    "ex1.ex1Conclusions": ex1m.ex1Conclusions(g.ex1),
    "ex2.roundsTableMarkdown": ex2m.roundsTableMarkdown(g.ex2, g.ex1),
    "ex2.roundsChart": ex2m.roundsChart(g.ex2, g.ex1),
    "ex2.weightHistogramChart": ex2m.weightHistogramChart(g.ex2),
    "ex2.onlineChart": ex2m.onlineChart(online),
    "ex2.interruptedMarkdown": ex2m.interruptedMarkdown(interrupted),
    "ex2.interruptedChart": ex2m.interruptedChart(interrupted),
    "ex2.ex2ParametersAnswer": ex2m.ex2ParametersAnswer(g.ex2),
    "ex2.ex2AccuracyTable": ex2m.ex2AccuracyTable(g.ex2, g.ex1),
    "ex2.ex2ImprovementAnswer": ex2m.ex2ImprovementAnswer(g.ex2, g.ex1),
    "ex2.ex2Conclusions": ex2m.ex2Conclusions(g.ex2, g.ex1),
    "ex2.ex2LearningCurves": ex2m.ex2LearningCurves(g.ex2, g.ex1),
    "autoencoder.reconstructionGridHtml": ae.reconstructionGridHtml(g.ex3[0], "ex3"),
    "autoencoder.reconstructionCurveChart": ae.reconstructionCurveChart([g.ex3[0]], "ex3"),
    "autoencoder.hyperParametersMarkdown": ae.hyperParametersMarkdown([...g.ex3, g.joint]),
    "autoencoder.accuracyTableMarkdown": ae.accuracyTableMarkdown(g.ex3),
    "autoencoder.comparisonMarkdown": ae.comparisonMarkdown(g.ex3, g.earlier, REFERENCE_SOLUTION.ex3.test),
    "autoencoder.ex3Conclusions": ae.ex3Conclusions(g.ex3, g.ex1),
    "autoencoder.ex4Conclusions": ae.ex4Conclusions(g.joint, g.ex1, g.ex3),
    "one-class.radiusChart": oc.radiusChart(g.oneClass),
    "one-class.scoreHistogramChart": oc.scoreHistogramChart(g.oneClass),
    "one-class.typicalImagesHtml": oc.typicalImagesHtml(oneClass, studyData.cifar),
    "one-class.removedByClassChart": oc.removedByClassChart(g.oneClass, fineNames),
    "one-class.removalMarkdown": oc.removalMarkdown(g.oneClass, fineNames),
    "one-class.beforeAfterChart": oc.beforeAfterChart(g.pairs),
    "one-class.ex5Answer": oc.ex5Answer(g.pairs),
    "one-class.ex5RepeatedMarkdown": oc.ex5RepeatedMarkdown(g.pairs, g.all, EX5_CHOICES, confirmed),
    "contrastive.lossMarkdown": co.lossMarkdown(g.joint6),
    "contrastive.lossMarkdownOnce": co.lossMarkdownOnce(g.twoStep[0], g.joint6),
    "common.awaitingMarkdown": common.awaitingMarkdown(EXPERIMENTS.filter((e) => e.awaitingRun)),
    "contrastive.lossPartsChart": co.lossPartsChart(g.ex6),
    "contrastive.clusterSizesChart": co.clusterSizesChart(g.ex6),
    "contrastive.probeChart": co.probeChart(g.ex6),
    "contrastive.diagnosticsMarkdown": co.diagnosticsMarkdown(g.ex6),
    "contrastive.hyperParametersMarkdown": co.hyperParametersMarkdown(g.ex6),
    "contrastive.accuracyTableMarkdown": co.accuracyTableMarkdown(g.ex6),
    "contrastive.comparisonMarkdown": co.comparisonMarkdown(g.ex6, g.earlier, g.autoencoder),
    "contrastive.twoStepConclusions": co.twoStepConclusions(g.twoStep, g.ex1, g.autoencoder),
    "contrastive.jointConclusions": co.jointConclusions(g.joint6, g.ex1, g.autoencoder, g.twoStep),
    "contrastive.outliersMarkdown": co.outliersMarkdown(g.filtered6, g.ex6),
    "contrastive.ablationMarkdown": co.ablationMarkdown(co.readContrastiveAblations(), g.twoStep[0].params),
    "summary.studyComparisonChart": summary.studyComparisonChart(g.all),
    "summary.studyComparisonTable": summary.studyComparisonTable(g.all),
  };
  model.dispose();
  return out;
}

/** Exports of the report modules that produce no reader-facing text (facts, data and lookups). */
const NOT_TEXT = new Set([
  "common.acc", "common.devicesOf", "common.int", "common.minutes", "common.pct", "data.labeledClassCounts", "ex1.ex1Facts", "ex2.ex2ConclusionFacts", "ex2.interruptedFacts", "ex2.interruptedOnlineRuns",
  "autoencoder.autoencoderStage", "autoencoder.ex3Facts", "autoencoder.ex4Facts", "one-class.ex5Facts", "one-class.ex5RepeatedFacts",
  "contrastive.contrastiveStage", "contrastive.autoencoderCounterpart", "contrastive.pretrainingFacts", "contrastive.twoStepFacts",
  "contrastive.jointFacts", "contrastive.readContrastiveAblations", "summary.classifiers",
]);

/** key paths of a phrase object, with the kind of each leaf (function, string, or an array's length). */
function shape(value: unknown, prefix = ""): string[] {
  if (typeof value === "function") return [`${prefix}: function`];
  if (typeof value === "string") return [`${prefix}: string`];
  if (Array.isArray(value)) return [`${prefix}: array of ${value.length}`];
  if (value && typeof value === "object") return Object.keys(value).sort().flatMap((k) => shape((value as Record<string, unknown>)[k], `${prefix}.${k}`));
  return [`${prefix}: ${typeof value}`];
}

describe("report languages", () => {
  let root = "";
  before(async () => {
    await initBackend({ quiet: true });
    root = stage({});
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it("has one source per language with the same keys", () => {
    // Titles are a lookup by experiment id: English uses the registry's own titles, Spanish names every experiment.
    assert.deepEqual(shape({ ...es, titles: {} }), shape({ ...en, titles: {} }));
    assert.deepEqual(EXPERIMENTS.map((e) => e.id).filter((id) => !(id in es.titles)), [], "experiments without a Spanish title");
  });

  it("is Spanish by default, English with REPORT_LANG=en, and refuses an unknown language", () => {
    const ex1 = load(root).get("ex1-supervised")!;
    assert.equal(inLang(undefined, reportLang), "es");
    assert.equal(inLang("", reportLang), "es");
    assert.match(inLang(undefined, () => ex1m.ex1AccuracyAnswer(ex1)), /^\*\*Precisión en entrenamiento 0\.9999\*\*/);
    assert.match(inLang("en", () => ex1m.ex1AccuracyAnswer(ex1)), /^\*\*Train accuracy 0\.9999\*\*/);
    assert.throws(() => inLang("fr", text), /^Error: REPORT_LANG=fr is not a report language: use es \(the default\) or en$/);
    assert.throws(() => inLang("fr", () => ex1m.ex1AccuracyAnswer(ex1)), /REPORT_LANG=fr is not a report language/);
  });

  it("renders every report function in both languages, differently, with valid charts", () => {
    for (const seeds of [1, 3]) {
      const R = seeds === 3 ? load(root) : new Map([...load(root)].map(([id, r]) => [id, seededResult(r.runs.slice(0, 1))]));
      const outputs = { es: inLang("es", () => renderEverything(R)), en: inLang("en", () => renderEverything(R)) };
      const modules = { common, data, ex1: ex1m, ex2: ex2m, autoencoder: ae, "one-class": oc, contrastive: co, summary };
      for (const [name, mod] of Object.entries(modules)) {
        for (const [fn, value] of Object.entries(mod)) {
          const key = `${name}.${fn}`;
          if (typeof value !== "function" || NOT_TEXT.has(key)) continue;
          assert.ok(key in outputs.en, `${key} is not rendered by this test`);
        }
      }
      for (const key of Object.keys(outputs.en)) {
        const [a, b] = [outputs.es[key], outputs.en[key]];
        // Images are left out of the check: base64 can spell NaN.
        const [sa, sb] = [a, b].map((x) => JSON.stringify(x).replace(/base64,[A-Za-z0-9+/=]+/g, "base64,"));
        for (const s of [sa, sb]) assert.doesNotMatch(s, /undefined|NaN|\[object Object\]/, `${key} (${seeds} seeds): ${s.slice(0, 400)}`);
        assert.notEqual(sa, sb, `${key} is the same in both languages`);
        if (typeof a === "object") for (const spec of [a, b] as TopLevelSpec[]) compile(spec);
      }
      assert.match(outputs.es["summary.studyComparisonTable"] as string, /precisión en test \(media ± desv\., semillas\)/);
      assert.match(outputs.en["summary.studyComparisonTable"] as string, /test accuracy \(mean ± sd, seeds\)/);
      assert.equal((outputs.es["common.learningCurvesChart"] as { title: string }).title, "Ejercicio 1: precisión por época");
    }
  });
});
