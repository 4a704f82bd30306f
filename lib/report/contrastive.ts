// Exercise 6: the contrastive technique's loss, its training diagnostics (loss parts, cluster sizes, k-NN probe per
// epoch) and the generated answers to the questions of Exercises 3, 4 and 5 for its variants.
import type { TopLevelSpec } from "vega-lite";
import type { EpochRecord } from "../training/loop";
import { KNN_TEMPERATURE } from "../methods/contrastive-probe";
import * as path from "node:path";
import { type ResultRecord, readAllResults } from "../experiments/results";
import { projectRoot } from "../paths";
import { REFERENCE_SOLUTION } from "./reference";
import { accuracyDomain } from "./chart-helpers";
import { acc, minutes, pct, provenanceLine, timeOf } from "./common";

interface ContrastiveDetails {
  history: EpochRecord[];
  seconds: number;
  initial: Record<string, number> | null;
  final: Record<string, number>;
  images: number;
}

/** The pretraining stage a two-step result stored (undefined for the one-step model). */
export const contrastiveStage = (r: ResultRecord) => r.details.contrastive as ContrastiveDetails | undefined;

const isTwoStep = (r: ResultRecord) => r.method === "contrastive-two-step";
const isJoint = (r: ResultRecord) => r.method === "contrastive-one-step";
const removedBy = (r: ResultRecord) => r.params.outliersRemovedBy as string | undefined;
const signed = (x: number) => `${x >= 0 ? "+" : ""}${pct(x)}`;

/** A run's diagnostic series: the stage of a two-step result, or the one-step run itself, with epoch 0 first. */
function series(r: ResultRecord): { label: string; history: EpochRecord[]; initial: Record<string, number> | null } {
  const stage = contrastiveStage(r);
  if (stage) return { label: `${r.experiment}: contrastive pretraining (step 1)`, history: stage.history, initial: stage.initial };
  return { label: `${r.experiment} (one step)`, history: r.history, initial: (r.details.initial as Record<string, number> | null | undefined) ?? null };
}

/** One series per distinct pretraining stage (both two-step variants share theirs) and per one-step run. */
function distinctSeries(results: ResultRecord[]) {
  const seen = new Set<string>();
  const out: ReturnType<typeof series>[] = [];
  for (const r of results) {
    const s = series(r);
    const key = JSON.stringify(s.history.map((h) => h.loss));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(isTwoStep(r) ? { ...s, label: `contrastive pretraining${removedBy(r) ? " (outliers removed)" : ""}` } : s);
  }
  return out;
}

/** The series' records with the untrained network's evaluation first (as epoch 0) when it was recorded. */
function withInitial(s: ReturnType<typeof series>): Record<string, number>[] {
  return [...(s.initial ? [{ ...s.initial, epoch: 0 }] : []), ...s.history];
}

/** The views' colour distortion as a result ran it. */
function colourJitter(p: ResultRecord["params"]): string {
  const hue = (p.contrastiveHue as number | undefined) ?? 0;
  const greyscale = (p.contrastiveGreyscale as number | undefined) ?? 0;
  return [
    "brightness, contrast and saturation jitter",
    ...(hue > 0 ? [`a hue rotation of up to ±${Math.round(hue * 360)}°`] : []),
    ...(greyscale > 0 ? [`greyscale with probability ${greyscale}`] : []),
  ].join(", ");
}

/** The loss as implemented, with the weights a result ran with. */
export function lossMarkdown(r: ResultRecord): string {
  const p = r.params;
  const k = p.contrastiveClusters as number;
  const lines = [
    `For a batch of B images, two views each (shift + flip, a random crop of ${pct(p.contrastiveCropMinArea as number, 0)}-100% of the area resized to 32×32, then ${colourJitter(p)}), one forward pass over the 2B views gives`,
    `the encoder's 4×4×C feature maps; the classifier's own global average pooling (no weights) turns each into a vector **h** (C values),`,
    `the projection head maps it to **p = W₂ relu(W₁ h)** (${p.contrastiveProjection} values) and **Z = p / ‖p‖**. With Z₁, Z₂ the two views' rows (B × ${p.contrastiveProjection}) and c = softmax(logits / ${p.contrastiveClusterTemperature}) the cluster head's assignment`,
    `(BatchNorm(h), then a Dense layer with K = ${k} units):`,
    "",
    `- **InfoNCE** = ½ [CE(M, I) + CE(Mᵀ, I)], M = Z₁Z₂ᵀ / τ, τ = ${p.contrastiveTemperature}: each image must pick its own other view among the B in the batch;`,
    `- **cluster term** = λ [G(c₁) + G(c₂)], G = batch mean of Σₖ cₖ(1 − cₖ), λ = ${p.contrastiveClusterWeight}: pushes each view's assignment towards one-hot;`,
    `- **balance term** = β (ln K − H(c̄)), c̄ = mean assignment over both views of the batch, H its entropy, β = ${p.contrastiveBalanceWeight}: 0 when the`,
    `  batch uses the ${k} clusters equally, ln K = ${Math.log(k).toFixed(2)} when it uses one.`,
    "",
    `**L = InfoNCE + cluster term + balance term**` + (isJoint(r) ? `, and in the one-step model **CE(labeled) + ${p.contrastiveWeight} × L**.` : "."),
  ];
  return lines.join("\n");
}

/** A y axis of shares or accuracies, zoomed to the values of `rows`. */
const shares = (rows: Record<string, unknown>[], title: string) => ({ title, scale: { domain: accuracyDomain(rows.map((r) => r.value as number)), zero: false } });

/** Lines of `rows` ({run, epoch, value, [colour]}) over the epochs: one panel per run, one colour per `colour` value. */
function perRunLinesChart(
  title: string, rows: Record<string, unknown>[], colour: string, y: Record<string, unknown>,
  options: { independentY?: boolean; legendLimit?: number } = {},
): TopLevelSpec {
  return {
    title,
    data: { values: rows },
    facet: { column: { field: "run", type: "nominal", title: null } },
    spec: {
      width: 300,
      height: 220,
      mark: { type: "line", point: true, tooltip: true },
      encoding: {
        x: { field: "epoch", type: "quantitative" },
        y: { field: "value", type: "quantitative", ...y },
        color: { field: colour, type: "nominal", title: null },
      },
    },
    ...(options.independentY ? { resolve: { scale: { y: "independent" } } } : {}),
    config: { legend: { labelLimit: options.legendLimit ?? 0, orient: "bottom", columns: 2 }, header: { labelLimit: 0 } },
  } as TopLevelSpec;
}

/** Loss parts per epoch (training batches), one panel per run. */
export function lossPartsChart(results: ResultRecord[]): TopLevelSpec {
  const rows: Record<string, unknown>[] = [];
  for (const s of distinctSeries(results)) {
    for (const h of s.history) {
      const parts: [string, unknown][] = [["InfoNCE", h.infoNce], ["cluster term λ(G₁+G₂)", h.clusterTerm], ["balance term β(ln K − H)", h.balanceTerm]];
      if (typeof h.classificationLoss === "number") parts.push(["classification (labeled)", h.classificationLoss]);
      parts.push(["total loss", h.loss]);
      for (const [part, value] of parts) if (typeof value === "number") rows.push({ run: s.label, epoch: h.epoch, part, value });
    }
  }
  return perRunLinesChart("Loss and its parts per epoch (means over the training batches)", rows, "part", { title: "loss" }, {
    independentY: true,
  });
}

/** Cluster sizes per epoch on the labeled images (epoch 0: the untrained network), as shares in [0, 1]. */
export function clusterSizesChart(results: ResultRecord[]): TopLevelSpec {
  const rows: Record<string, unknown>[] = [];
  const k = results[0].params.contrastiveClusters as number;
  for (const s of distinctSeries(results)) {
    for (const h of withInitial(s)) {
      if (typeof h.largestClusterShare !== "number") continue;
      rows.push({ run: s.label, epoch: h.epoch, metric: "share of the images in the largest cluster", value: h.largestClusterShare });
      rows.push({ run: s.label, epoch: h.epoch, metric: `share of the ${k} clusters in use`, value: h.nonEmptyClusters / k });
      rows.push({ run: s.label, epoch: h.epoch, metric: "entropy of the cluster sizes / ln K", value: h.clusterSizeEntropy / Math.log(k) });
    }
  }
  return perRunLinesChart("Cluster sizes on the labeled images (argmax of the cluster head, inference mode)", rows, "metric", shares(rows, "share"));
}

/** k-NN probe accuracy and cluster/label NMI per epoch (epoch 0: the untrained network), and the classifier's test accuracy for one-step runs. */
export function probeChart(results: ResultRecord[]): TopLevelSpec {
  const rows: Record<string, unknown>[] = [];
  for (const s of distinctSeries(results)) {
    for (const h of withInitial(s)) {
      if (typeof h.knnAccuracy === "number") rows.push({ run: s.label, epoch: h.epoch, metric: "k-NN probe of h (test queries)", value: h.knnAccuracy });
      if (typeof h.knnProjectionAccuracy === "number") rows.push({ run: s.label, epoch: h.epoch, metric: "k-NN probe of p (test queries)", value: h.knnProjectionAccuracy });
      if (typeof h.clusterNmi === "number") rows.push({ run: s.label, epoch: h.epoch, metric: "NMI of clusters and labels", value: h.clusterNmi });
      if (typeof h.testAccuracy === "number") rows.push({ run: s.label, epoch: h.epoch, metric: "classifier test accuracy", value: h.testAccuracy });
      if (typeof h.instanceAccuracy === "number") rows.push({ run: s.label, epoch: h.epoch, metric: "own view found in the batch (training)", value: h.instanceAccuracy });
    }
  }
  return perRunLinesChart("Is the representation learning? Probe accuracy per epoch", rows, "metric", shares(rows, "accuracy or score"));
}

/** How the diagnostics moved from the untrained network to the last epoch, per run (generated from the histories). */
export function diagnosticsMarkdown(results: ResultRecord[]): string {
  return distinctSeries(results)
    .map((s) => {
      const first = s.history[0];
      const last = s.history[s.history.length - 1];
      if (!first || !last) return `- **${s.label}**: no history.`;
      const start = s.initial ?? first;
      const k = results[0].params.contrastiveClusters as number;
      const parts = [
        `InfoNCE ${first.infoNce.toFixed(3)} → ${last.infoNce.toFixed(3)} (epoch 1 → ${last.epoch}; own view found in ${pct(first.instanceAccuracy)} → ${pct(last.instanceAccuracy)} of the rows)`,
        `cluster term ${first.clusterTerm.toFixed(3)} → ${last.clusterTerm.toFixed(3)}, balance term ${first.balanceTerm.toFixed(3)} → ${last.balanceTerm.toFixed(3)}`,
        `k-NN probe of h ${pct(start.knnAccuracy)} → **${pct(last.knnAccuracy)}**${s.initial ? " (untrained network → last epoch)" : ""}` +
          (typeof last.knnProjectionAccuracy === "number" ? `, of the projection p ${typeof start.knnProjectionAccuracy === "number" ? `${pct(start.knnProjectionAccuracy)} → ` : ""}${pct(last.knnProjectionAccuracy)}` : ""),
        `largest cluster ${pct(start.largestClusterShare)} → ${pct(last.largestClusterShare)} of the labeled images, ${start.nonEmptyClusters} → ${last.nonEmptyClusters} of ${k} clusters in use, NMI with the labels ${start.clusterNmi.toFixed(3)} → ${last.clusterNmi.toFixed(3)}`,
      ];
      return `- **${s.label}**: ${parts.join("; ")}.`;
    })
    .join("\n");
}

/** Hyper-parameters of the Exercise 6 runs as a markdown list. */
export function hyperParametersMarkdown(results: ResultRecord[]): string {
  const loss = (p: ResultRecord["params"]) =>
    `τ ${p.contrastiveTemperature}, λ ${p.contrastiveClusterWeight}, β ${p.contrastiveBalanceWeight}, ${p.contrastiveClusters} clusters (softmax temperature ${p.contrastiveClusterTemperature})`;
  const probe = (p: ResultRecord["params"]) => `k-NN probe after every epoch: k = ${p.probeK}, vote weights exp(cosine / ${KNN_TEMPERATURE}), up to ${p.probeQueries} test images as queries, the labeled images as memory`;
  const describe = (r: ResultRecord): string[] => {
    const p = r.params;
    const data = `${r.data.labeled.toLocaleString("en-US")} labeled + ${r.data.unlabeled.toLocaleString("en-US")} unlabeled images${removedBy(r) ? ` (outliers removed by ${removedBy(r)})` : ""}`;
    if (isTwoStep(r)) {
      return [
        `step 1 (contrastive pretraining, no labels): ${p.contrastiveEpochs} epochs over the ${data}, batch ${p.contrastiveBatchSize} images (${2 * (p.contrastiveBatchSize as number)} views), ` +
          `SGD Nesterov ${p.contrastiveMomentum}, peak learning rate ${p.contrastivePeakLearningRate} (warm-up ${pct(p.contrastiveWarmup as number, 0)}, linear decay), weight decay ${p.contrastiveWeightDecay}; ${loss(p)}`,
        `step 2 (classifier, encoder ${p.encoder}): ${p.epochs} epochs over the labeled images, batch ${p.batchSize}, SGD Nesterov ${p.momentum}, ` +
          `peak learning rate ${p.peakLearningRate}, weight decay ${p.weightDecay}, label smoothing ${p.labelSmoothing}, crop + flip (the Exercise 1 recipe)`,
        probe(p),
      ];
    }
    return [
      `${p.epochs} epochs (passes over the labeled images) on the ${data}; each step ${p.labeledBatchSize} labeled + ${p.unlabeledBatchSize} unlabeled images, two strong views each ` +
        `(${2 * ((p.labeledBatchSize as number) + (p.unlabeledBatchSize as number))} rows in one forward pass)`,
      `loss = cross-entropy on both views of the labeled images (per-example weights; 0 on the unlabeled rows) + ${p.contrastiveWeight} × (InfoNCE + cluster term + balance term) on all rows; ${loss(p)}`,
      `SGD Nesterov ${p.momentum}, peak learning rate ${p.peakLearningRate} (warm-up ${pct(p.warmup as number, 0)}, linear decay), weight decay ${p.weightDecay}, label smoothing ${p.labelSmoothing}`,
      probe(p),
    ];
  };
  return results.map((r) => `- **${r.experiment}** (${r.title}):\n${describe(r).map((l) => `  - ${l}`).join("\n")}`).join("\n");
}

function lastProbe(r: ResultRecord): number | undefined {
  const stage = contrastiveStage(r);
  if (stage) return stage.final.knnAccuracy;
  const last = r.history[r.history.length - 1];
  return typeof last?.knnAccuracy === "number" ? last.knnAccuracy : undefined;
}

export function accuracyTableMarkdown(results: ResultRecord[]): string {
  return [
    "| model | train accuracy (labeled images) | test accuracy | k-NN probe of the encoder | time | run |",
    "|---|---:|---:|---:|---:|---|",
    ...results.map((r) => {
      const knn = lastProbe(r);
      return `| ${r.experiment} | ${acc(r.trainAccuracy)} | **${acc(r.testAccuracy)}** | ${knn === undefined ? "" : acc(knn)} | ${timeOf(r)} | ${provenanceLine(r)} |`;
    }),
  ].join("\n");
}

/** Two standard errors of the difference of two accuracies measured on n test images each. */
export function noiseLevel(a: number, b: number, n: number): number {
  return 2 * Math.sqrt((a * (1 - a) + b * (1 - b)) / Math.max(1, n));
}

function versus(r: ResultRecord, other: ResultRecord | undefined, label: string): string {
  if (!other) return "";
  const diff = r.testAccuracy - other.testAccuracy;
  const noise = noiseLevel(r.testAccuracy, other.testAccuracy, r.data.test);
  const verdict = Math.abs(diff) <= noise ? ", within the test set's noise" : diff > 0 ? ", better" : ", worse";
  return `${signed(diff)} vs ${label} (${other.experiment}, ${acc(other.testAccuracy)}${verdict})`;
}

/** The autoencoder result a contrastive one replaces: same shape (two-step frozen/fine-tuned, one-step), same data filter. */
export function autoencoderCounterpart(r: ResultRecord, autoencoder: ResultRecord[]): ResultRecord | undefined {
  const method = isTwoStep(r) ? "autoencoder-two-step" : "autoencoder-one-step";
  return autoencoder.find(
    (a) => a.method === method && (!isTwoStep(r) || a.params.encoder === r.params.encoder) && (removedBy(a) ?? null) === (removedBy(r) ?? null),
  );
}

/** ¿Se mejoran los resultados obtenidos en los puntos anteriores? For contrastive results. */
export function comparisonMarkdown(
  results: ResultRecord[], earlier: ResultRecord[], autoencoder: ResultRecord[],
  /** notes: false leaves out the closing notes (noise, reference solution) when outliersMarkdown, just above, gave them. */
  options: { notes?: boolean } = {},
): string {
  const ex1 = earlier.find((r) => r.exercise === 1);
  const best = earlier.length ? earlier.reduce((a, b) => (b.testAccuracy > a.testAccuracy ? b : a)) : undefined;
  const lines = results.map((r) => {
    const parts = [
      versus(r, autoencoderCounterpart(r, autoencoder), "the autoencoder in its place"),
      versus(r, ex1, "Exercise 1"),
      best && best !== ex1 ? versus(r, best, "the best earlier result") : "",
    ].filter((x) => x);
    return `- **${r.experiment}**: ${acc(r.testAccuracy)}: ${parts.join("; ")}.`;
  });
  if (options.notes === false) return lines.join("\n");
  const n = results[0]?.data.test ?? 0;
  lines.push(`- "Within the noise": the difference is smaller than two standard errors of the difference of two accuracies on ${n.toLocaleString("en-US")} test images.`);
  lines.push(`- The assignment's reference solution reached ${acc(REFERENCE_SOLUTION.ex6.test)} with its version of this technique (${acc(REFERENCE_SOLUTION.ex6.outliersRemoved)} with outliers removed; ${REFERENCE_SOLUTION.source}).`);
  return lines.join("\n");
}

/**
 * What the pretraining learned, from its history: the loss and the instance task (what it optimises) against the
 * k-NN probe (what it is for), judged against the probe's own noise on its queries.
 */
export function pretrainingVerdict(stage: NonNullable<ReturnType<typeof contrastiveStage>>, queries: number): string {
  const first = stage.history[0];
  const start = stage.initial?.knnAccuracy ?? first.knnAccuracy;
  const end = stage.final.knnAccuracy;
  const noise = noiseLevel(start, end, queries);
  const probe = Math.abs(end - start) <= noise ? "did not move beyond its noise" : end > start ? "rose" : "fell";
  return (
    `- The contrastive pretraining optimised its task: over ${stage.history.length} epochs on ${stage.images.toLocaleString("en-US")} images (${minutes(stage.seconds)}) ` +
    `the InfoNCE fell from ${first.infoNce.toFixed(3)} to ${stage.history[stage.history.length - 1].infoNce.toFixed(3)} and each view found its own pair among the batch in ` +
    `${pct(first.instanceAccuracy)} → ${pct(stage.history[stage.history.length - 1].instanceAccuracy)} of the rows, with ${stage.final.nonEmptyClusters} clusters in use ` +
    `(the largest holding ${pct(stage.final.largestClusterShare)} of the labeled images). ${probe === "rose" ? "And" : "But"} the k-NN probe of its pooled features **${probe}**: ` +
    `${pct(start)} for the untrained network, ${pct(end)} at the end (±${pct(noise)} is two standard errors on ${queries.toLocaleString("en-US")} queries). ` +
    (probe === "rose"
      ? "The features group images of the same class better than at the start, without any label."
      : "What lets the encoder match two views of an image is not, here, what makes images of the same class neighbours: " +
        "the frozen classifier below is the better measure of what the features hold.")
  );
}

/** ¿Qué conclusiones sacas? for the two-step variants. */
export function twoStepConclusions(results: ResultRecord[], ex1: ResultRecord, autoencoder: ResultRecord[]): string {
  const frozen = results.find((r) => r.params.encoder === "frozen");
  const tuned = results.find((r) => r.params.encoder === "fine-tuned");
  const stage = results.map(contrastiveStage).find((s) => s);
  const lines: string[] = [];
  if (stage) lines.push(pretrainingVerdict(stage, results[0].params.probeQueries as number));
  if (frozen) {
    const ae = autoencoderCounterpart(frozen, autoencoder);
    lines.push(
      `- **Frozen encoder: ${acc(frozen.testAccuracy)}** (${signed(frozen.testAccuracy - ex1.testAccuracy)} vs Exercise 1` +
        (ae ? `, ${signed(frozen.testAccuracy - ae.testAccuracy)} vs the frozen autoencoder encoder` : "") +
        `). Only the Dense layer learns, so this measures how linearly the contrastive features separate the classes. ` +
        (ae && frozen.testAccuracy > ae.testAccuracy
          ? "Telling images apart under colour jitter and resized crops keeps more of what identifies an object than redrawing its pixels does."
          : "The features carry some class information, less than a network trained with the labels."),
    );
  }
  if (tuned) {
    const ae = autoencoderCounterpart(tuned, autoencoder);
    lines.push(
      `- **Fine-tuned encoder: ${acc(tuned.testAccuracy)}** (${signed(tuned.testAccuracy - ex1.testAccuracy)} vs Exercise 1` +
        (ae ? `, ${signed(tuned.testAccuracy - ae.testAccuracy)} vs the fine-tuned autoencoder encoder` : "") +
        `). ` +
        (tuned.testAccuracy > ex1.testAccuracy
          ? "Starting from the contrastive weights helped: the unlabeled images shaped the encoder before the labels were used."
          : `Starting from the contrastive weights did not help: with ${tuned.params.epochs} epochs of the Exercise 1 recipe (high early learning rate) the classifier largely overwrites its starting point.`),
    );
  }
  if (frozen && tuned) {
    const gain = tuned.testAccuracy - frozen.testAccuracy;
    lines.push(gain > 0 ? `- Fine-tuning beats freezing by ${pct(gain)}.` : `- Fine-tuning does not beat freezing (${signed(gain)}).`);
  }
  return lines.join("\n");
}

/** ¿Qué conclusiones sacas? for the one-step model. */
export function jointConclusions(joint: ResultRecord, ex1: ResultRecord, autoencoder: ResultRecord[], twoStep: ResultRecord[]): string {
  const ae = autoencoderCounterpart(joint, autoencoder);
  const best2 = twoStep.length ? twoStep.reduce((a, b) => (b.testAccuracy > a.testAccuracy ? b : a)) : undefined;
  const last = joint.history[joint.history.length - 1];
  const initial = joint.details.initial as Record<string, number> | null | undefined;
  const lines = [
    `- Trained together, the classifier reaches **${acc(joint.testAccuracy)}**: ${signed(joint.testAccuracy - ex1.testAccuracy)} vs Exercise 1` +
      (ae ? `, ${signed(joint.testAccuracy - ae.testAccuracy)} vs the autoencoder trained together with it (${ae.experiment})` : "") +
      (best2 ? `, ${signed(joint.testAccuracy - best2.testAccuracy)} vs the best two-step contrastive variant (${best2.experiment}).` : "."),
    `- Train accuracy on the labeled images is ${acc(joint.trainAccuracy)} (Exercise 1: ${acc(ex1.trainAccuracy)})` +
      (joint.trainAccuracy < ex1.trainAccuracy ? ": the contrastive term and the strongly augmented views act as a regulariser." : "."),
  ];
  if (last && typeof last.knnAccuracy === "number") {
    lines.push(
      `- The k-NN probe of the shared encoder went from ${initial ? pct(initial.knnAccuracy) : "(not recorded)"} to ${pct(last.knnAccuracy)}; the contrastive part of the loss ended at ` +
        `${last.contrastiveLoss.toFixed(3)} (InfoNCE ${last.infoNce.toFixed(3)}) with ${last.nonEmptyClusters} clusters in use.`,
    );
  }
  return lines.join("\n");
}

/** ¿Se mejoran los resultados? Each outlier-removed result against the same method on all unlabeled images. */
export function outliersMarkdown(filtered: ResultRecord[], all: ResultRecord[]): string {
  const lines: string[] = [];
  for (const f of filtered) {
    const base = all.find(
      (b) => b.method === f.method && !removedBy(b) && (b.params.encoder ?? null) === (f.params.encoder ?? null),
    );
    if (!base) {
      lines.push(`- **${f.experiment}**: ${acc(f.testAccuracy)} (no result without the outliers to compare with).`);
      continue;
    }
    const removed = base.data.unlabeled - f.data.unlabeled;
    const diff = f.testAccuracy - base.testAccuracy;
    const noise = noiseLevel(f.testAccuracy, base.testAccuracy, f.data.test);
    const verdict = Math.abs(diff) <= noise ? "no: the difference is within the test set's noise" : diff > 0 ? "yes" : "no, it is worse";
    lines.push(
      `- **${f.experiment}**: ${acc(f.testAccuracy)} against ${acc(base.testAccuracy)} for ${base.experiment} (${signed(diff)}; ` +
        `${removed.toLocaleString("en-US")} of ${base.data.unlabeled.toLocaleString("en-US")} unlabeled images removed): ${verdict}.`,
    );
  }
  const n = filtered[0]?.data.test ?? 0;
  lines.push(`- "Within the noise": smaller than two standard errors of the difference of two accuracies on ${n.toLocaleString("en-US")} test images (±${pct(noiseLevel(0.5, 0.5, n))} at most).`);
  lines.push(`- The reference solution's contrastive variant fell from ${acc(REFERENCE_SOLUTION.ex6.test)} to ${acc(REFERENCE_SOLUTION.ex6.outliersRemoved)} with its outliers removed.`);
  return lines.join("\n");
}

/** The short pretraining runs of scripts/ablate-contrastive.ts that chose the views and the temperature (committed). */
export function readContrastiveAblations(dir = path.join(projectRoot(), "bench", "results", "contrastive-ablation")): ResultRecord[] {
  return readAllResults("full", dir);
}

/** The view and loss settings the ablation varies (the table's "views and loss" column). */
export const ABLATED_PARAMS = ["contrastiveHue", "contrastiveGreyscale", "contrastiveTemperature", "contrastiveCropMinArea", "contrastiveClusterWeight", "contrastiveBalanceWeight"];
const ABLATED_LABEL: Record<string, string> = {
  contrastiveHue: "hue", contrastiveGreyscale: "greyscale", contrastiveTemperature: "τ", contrastiveCropMinArea: "crop min area",
  contrastiveClusterWeight: "λ", contrastiveBalanceWeight: "β",
};

/**
 * The ablation as a table: what each short run changed, and its k-NN probes (untrained → last epoch), instance
 * accuracy and largest cluster; the row whose settings the full runs use is marked.
 */
export function ablationMarkdown(ablations: ResultRecord[], chosen: ResultRecord["params"]): string {
  if (ablations.length === 0) return "(no ablation results in bench/results/contrastive-ablation)";
  const settings = (p: ResultRecord["params"]) => ABLATED_PARAMS.map((k) => `${ABLATED_LABEL[k]} ${p[k]}`).join(", ");
  const rows = [...ablations].sort((a, b) => a.testAccuracy - b.testAccuracy).map((r) => {
    const stage = r.details as { initial: Record<string, number>; final: Record<string, number> };
    const last = r.history[r.history.length - 1];
    const isChosen = ABLATED_PARAMS.every((k) => r.params[k] === chosen[k]);
    return `| ${r.experiment}${isChosen ? " (**the full runs' setting**)" : ""} | ${settings(r.params)} | ${pct(stage.initial.knnAccuracy)} → **${pct(last.knnAccuracy)}** | ` +
      `${pct(last.knnProjectionAccuracy)} | ${pct(last.instanceAccuracy)} | ${pct(last.largestClusterShare)} | ${timeOf(r)} | ${provenanceLine(r)} |`;
  });
  const r0 = ablations[0];
  const best = ablations.reduce((x, y) => (y.testAccuracy > x.testAccuracy ? y : x));
  const queries = r0.params.probeQueries as number;
  return [
    `Short runs of the pretraining (${r0.params.contrastiveEpochs} epochs over the ${(r0.data.labeled + r0.data.unlabeled).toLocaleString("en-US")} training images, the schedule scaled to them, ` +
      `same seed; \`scripts/ablate-contrastive.ts\`), one setting changed at a time:`,
    "",
    "| run | views and loss | k-NN probe of h (untrained → last epoch) | k-NN of p | own view found | largest cluster | time | run on |",
    "|---|---|---:|---:|---:|---:|---:|---|",
    ...rows,
    "",
    `Two standard errors of a difference between two probes on ${queries.toLocaleString("en-US")} queries are about ±${pct(noiseLevel(0.2, 0.2, queries))}. ` +
      "The instance accuracy is not comparable across temperatures.",
    "",
    `Best probe: **${best.experiment}** (${pct(best.testAccuracy)}). The full runs use ${settings(chosen)}.`,
  ].join("\n");
}

/** The settings lossMarkdown describes: the views and the loss's weights. */
const LOSS_SETTINGS = [
  "contrastiveCropMinArea", "contrastiveHue", "contrastiveGreyscale", "contrastiveProjection", "contrastiveClusterTemperature",
  "contrastiveClusters", "contrastiveTemperature", "contrastiveClusterWeight", "contrastiveBalanceWeight",
];

/**
 * The loss as run, described once: when the two-step pretraining and the one-step model share its settings, the
 * one-step description (the same, plus its classification term) covers both; otherwise each is described.
 */
export function lossMarkdownOnce(twoStep: ResultRecord | undefined, joint: ResultRecord | undefined): string {
  if (twoStep && joint && LOSS_SETTINGS.every((k) => twoStep.params[k] === joint.params[k])) return lossMarkdown(joint);
  return [twoStep, joint].filter((r): r is ResultRecord => r !== undefined).map(lossMarkdown).join("\n\n");
}
