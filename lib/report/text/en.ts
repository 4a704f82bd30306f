// The report's English phrases (REPORT_LANG=en). Every function takes facts computed by the report modules and
// only words them; es.ts has the same keys (its type is this object's).
import type { AeComparisonFacts, Ex3Facts, Ex4Facts } from "../autoencoder";
import type { DiagnosticFacts, Ex6ComparisonFacts, JointFacts, OutlierFacts, TwoStepFacts } from "../contrastive";
import type { Ex1Facts } from "../ex1";
import type { Ex2ConclusionFacts, ImprovementFacts, InterruptedFacts } from "../ex2";
import type { Ex5Facts, RemovalFacts, RepeatedFacts } from "../one-class";
import { claim, type Spread, type Versus } from "../verdicts";
import { numberFormat } from "./numbers";

const n = numberFormat({ thousands: ",", percentSign: "%", pointsUnit: "pp" });
const { acc, pct, pp, int } = n;
/** The study's noise rule, as the reports state it. */
const rule = "A difference counts as better or worse only beyond two standard errors of the difference over the seeds; with one seed on a side no claim is made.";

/** A published figure or range, in %. */
const about = (range: number[]) => `about ${range.join("-")}%`;
const seedsWord = (k: number) => `${k} seed${k === 1 ? "" : "s"}`;
const spread = (s: Spread) => `${acc(s.mean)}${s.sd === null ? "" : ` ± ${acc(s.sd)}`} (${seedsWord(s.n)})`;

/** better / worse / within noise / no claim, with the numbers behind it. */
function verdict(v: Versus): string {
  const kind = claim(v);
  if (kind === "none") return `${pp(v.difference)}, no claim possible: one run ${v.a.n === 1 && v.b.n === 1 ? "per side" : "on a side"}`;
  const se = `two standard errors over the seeds: ${pp(2 * v.standardError!).replace("+", "±")}`;
  if (kind === "within-noise") return `within noise (${pp(v.difference)}, under ${se}; ${spread(v.a)} against ${spread(v.b)})`;
  return `${kind} (${pp(v.difference)}, beyond ${se})`;
}

export const en = {
  number: n,
  /** Experiment titles by id where they differ from the registry's (English) ones: none. */
  titles: {} as Record<string, string>,
  noise: {
    spread,
    verdict,
    /** The one-word verdict, for headlines. */
    word: (v: Versus): string => ({ better: "better", worse: "worse", "within-noise": "within noise", none: "no claim from one run" })[claim(v)],
  },
  provenance: {
    heading: "Where each result was trained",
    intro: "Where each result shown in this notebook was trained, one row per seed, as its result file records it:",
    header: ["experiment", "seed", "device", "backend", "commit", "date (UTC)", "wall time"],
    shared: (n: number) => `device shared by up to ${n} runs`,
    noCardName: "the device as recorded: the driver's description only, without the card's name",
    total: (runs: number, experiments: number, time: string) =>
      `${runs} ${runs === 1 ? "run" : "runs"} of ${experiments} ${experiments === 1 ? "experiment" : "experiments"}, ${time} of wall time in all.`,
    none: "This notebook shows no trained results.",
  },
  session: {
    notebook: (profile: string, description: string, backend: string) =>
      `profile: ${profile} (${description})\nrenderer: this notebook is executed with the ${backend} backend; where each result was trained is in the provenance table at the end`,
    profiles: {
      full: "the assignment's scale: all 50,000 training and 10,000 test images (meant for a GPU)",
      smoke: "the same code paths on a few hundred images and at most two epochs (for CI on a CPU)",
      validation: "the full scale with 1,000 labeled images held out: choices between variants are made on them, never on the test set",
    } as Record<string, string>,
  },
  common: {
    awaiting: (id: string) => `- **${id}** is left out: no run of its current recipe has finished (README, "Status of the exercises").`,
    time: (time: string, sharedBy: number | undefined) => (sharedBy ? `${time} (GPU shared by up to ${sharedBy} runs)` : time),
    layerColumns: ["layer", "type", "output shape", "parameters", "settings"],
    total: "total",
    provenance: (p: { profile: string; backend: string; device: string; time: string; commit: string; date: string; seeds: number[] }) =>
      `profile \`${p.profile}\`, ${p.seeds.length === 1 ? `seed ${p.seeds[0]}` : `seeds ${p.seeds.join(", ")}`}, backend ${p.backend} on ${p.device}, ${p.time}${p.seeds.length > 1 ? " per seed (mean)" : ""}, commit \`${p.commit}\`, ${p.date}`,
    resultsColumns: ["experiment", "method", "train accuracy", "test accuracy (mean ± sd, seeds)", "time", "device"],
  },
  charts: {
    valueOfPanel: "value (see the panel's title)",
    share: "share",
    accuracy: "accuracy",
    test: "test",
    trainBatches: "train (augmented batches)",
    epoch: "epoch",
    epochOverRounds: "epoch (consecutive over rounds)",
    round: (experiment: string, round: number) => `${experiment} round ${round}`,
  },
  curveTitles: {
    ex1: "Exercise 1: accuracy per epoch",
    ex3Step2: "Step 2: accuracy per epoch",
    ex4: "Exercise 4 (and Exercise 1): accuracy per epoch",
    ex6TwoStep: "Step 2: accuracy per epoch",
    ex6Joint: "One step (and Exercise 1): accuracy per epoch",
  },
  ex1: {
    network: (f: {
      widths: string; widthScale: number; profile: string; convolutions: number; pools: number; sizes: number[]; residualBlocks: number;
      classes: number; parameters: number; params: Record<string, unknown>; labeled: number; provenance: string;
    }) => {
      const p = f.params;
      return (
        `A ResNet-9-style network (widths ${f.widths}${f.widthScale === 1 ? ", half of ResNet-9's" : `, scaled by ${f.widthScale} for profile ${f.profile}`}): ` +
        `${f.convolutions} 3x3 convolutions with *same* padding, each followed by BatchNorm and ReLU; ${f.pools} max-pooling layers ` +
        `(${f.sizes.join(" → ")} pixels); ${f.residualBlocks} residual blocks; global average pooling and a single Dense layer giving ` +
        `the ${f.classes} logits: fully convolutional except the last layer, ${int(f.parameters)} parameters. ` +
        `It was trained for ${p.epochs} epochs over the ${int(f.labeled)} labeled images in batches of ${p.batchSize}, ` +
        `SGD with Nesterov momentum ${p.momentum} and L2 weight decay ${p.weightDecay} on the kernels, ` +
        `learning rate warmed up linearly to ${p.peakLearningRate} over the first ${pct(p.warmup as number, 0)} of the steps ` +
        `and then decayed linearly to 0, cross-entropy with label smoothing ${p.labelSmoothing}, and augmentation on the fly ` +
        `(random crop after 4-pixel reflect padding, horizontal flip); ${f.provenance}.`
      );
    },
    accuracy: (f: { train: number; test: Spread; labeled: number; testImages: number }) =>
      `**Train accuracy ${acc(f.train)}** (the ${int(f.labeled)} labeled images, without augmentation${f.test.n > 1 ? "; mean over the seeds" : ""}) and ` +
      `**test accuracy ${spread(f.test)}** (${int(f.testImages)} test images).`,
    conclusions: (f: Ex1Facts) =>
      [
        `- The network fits its training images ${f.fitsTraining ? "almost perfectly" : `to ${pct(f.train)}`} while reaching ${pct(f.test)} on unseen images: ` +
          `a generalisation gap of ${pp(f.train - f.test).replace("+", "")}. ` +
          (f.fitsTraining
            ? `With about ${f.labelsPerClass} labels per class, the labels, not the network's capacity, are what limits it; this is the room semi-supervised learning can fill with the unlabeled images.`
            : `The network does not even fit its own labeled images: training length or capacity limits it as well as the ${f.labelsPerClass} labels per class.`),
        `- Test accuracy (seed ${f.seed}'s curve) ${f.lateGain > 0.005 ? `was still rising at the end (${pp(f.lateGain)} over the last ${f.tailLength} evaluations)` : "had levelled off by the end"}; ` +
          (f.lastIsBest
            ? `its best value, ${acc(f.bestTest)}, came within half a point of the last epoch: with the learning rate decayed linearly to 0 the last epochs are the best ones, so no early stopping (which would have needed a validation split taken from the few labels) was needed.`
            : `its best value, ${acc(f.bestTest)} at epoch ${f.bestEpoch} of ${f.epochs}, is above the last one: stopping earlier would have helped, but choosing when needs a validation split taken from the few labels, so the last epoch is reported.`),
        `- The assignment's reference solution reached ${acc(f.reference.b.mean)} test accuracy with ${pct(f.referenceTrain)} train accuracy (no augmentation, no normalisation, 100 epochs). ` +
          `This baseline against it: ${verdict(f.reference)}` +
          (f.reference.verdict === "better"
            ? `, on the same labels: the gain comes from BatchNorm, residual connections, augmentation, label smoothing and a learning-rate schedule, not from more data.`
            : f.profile === "full" ? "." : ` (profile ${f.profile} trains a narrow network for a few epochs on a few hundred images; only the full profile answers the question).`),
        `- For scale: published results for the same amount of labels (10,000 on CIFAR-100) with a much larger WRN-28-8 reach ${about(f.published.supervisedOnLabels)} test accuracy trained on the labels alone, and ${about(f.published.fullySupervised)} with all 50,000 labels.`,
        `- Training took ${f.time}${f.reference.a.n > 1 ? " per seed" : ""} on ${f.device} (${f.backend}).`,
      ].join("\n"),
  },
  data: {
    splitColumns: (total: string, profile: string) => ["part", "images (full split)", `share of the ${total}`, `used by profile \`${profile}\``],
    labeledRow: "labeled (train)",
    unlabeledRow: "unlabeled (train, labels hidden)",
    testRow: "test",
    digest: (first: string, sha: string) => `First labeled indices: ${first}. SHA-256 of the labeled indices (ascending, int32 little-endian): \`${sha}\`.`,
    balanceTitle: (images: string, profile: string) => `Labeled images per class (${images} images, profile ${profile})`,
    fineClass: "fine class",
    labeledImages: "labeled images",
    balance: (mean: number, sd: number, fewest: string, most: string) => `Per class: mean ${mean.toFixed(1)}, standard deviation ${sd.toFixed(1)}, fewest ${fewest}; most ${most}.`,
    samplesCaption: (classes: number) => `One labeled image from each of ${classes} classes`,
  },
  summary: {
    experimentAxis: "experiment",
    testAxis: "test accuracy",
    trainAxis: "train accuracy (labeled images)",
    exercise: (k: number) => `Exercise ${k}`,
    trainLabeled: "train (labeled images)",
    chartTitle: "Every classifier of the study: accuracy (hollow: each seed; filled: mean ± sd)",
    columns: ["exercise", "experiment", "method", "train accuracy", "test accuracy (mean ± sd, seeds)", "time", "device", "profile"],
  },
  ex2: {
    roundsColumns: ["variant", "round", "pseudo-labels added", "precision of the added labels", "teacher accuracy on all unlabeled", "mean weight", "test accuracy"],
    teacherRow: (id: string) => `${id} (teacher of round 1)`,
    seedOf: (id: string, seed: number) => `${id} (seed ${seed})`,
    metricTest: "test accuracy",
    metricPrecision: "precision of the added pseudo-labels",
    metricAdded: "share of the unlabeled images added",
    metricMaskRate: "share of unlabeled images above the threshold",
    metricPseudoPrecision: "precision of those pseudo-labels (hidden labels)",
    roundsTitle: "Self-training per round (points: each seed; lines: means over the seeds)",
    round: "round",
    variant: "variant",
    weight: "weight",
    images: "images",
    weightsTitle: "Weights of the pseudo-labelled images (certainty weighting)",
    onlineTitle: (id: string) => `${id}: per epoch`,
    interruptedTitle: (id: string, planned: number) => `${id}, fixed recipe: per epoch until it was interrupted (of ${planned} planned)`,
    seed: "seed",
    interruptedPanels: ["share of unlabeled images ≥ threshold", "share of those pseudo-labels right", "test accuracy"],
    interrupted: (f: InterruptedFacts) => {
      const span = ([a, b]: [number, number], show: (x: number) => string) => (show(a) === show(b) ? show(a) : `${show(a)}-${show(b)}`);
      const cause = f.cause === "host-lost" ? "the GPU host was lost with their checkpoints" : f.cause;
      const stopped = f.stoppedAt[0] === f.stoppedAt[1] ? `stopped at epoch ${f.stoppedAt[0]}` : `stopped at epochs ${span(f.stoppedAt, String)}`;
      return `**${f.experiment}** with the fixed recipe: its ${seedsWord(f.seeds.length)} (${f.seeds.join(", ")}) ${stopped} of ${f.epochsPlanned} ` +
        `(${cause}; profile \`${f.profile}\`, ${f.backend} on ${f.device}, ${f.dates[0] === f.dates[1] ? f.dates[0] : `${f.dates[0]} to ${f.dates[1]}`}). ` +
        (f.stoppedAt[0] === f.stoppedAt[1] ? "" : `The figures are at epoch ${f.epochsRun}, the last every seed reached. `) +
        `Measured up to there, from the hidden labels: at epoch ${f.epochsRun}, ${span(f.maskRate, (x) => pct(x))} of the unlabeled images ` +
        `passed the ${f.threshold} threshold` +
        (f.precision ? ` and ${span(f.precision, (x) => pct(x, 0))} of those pseudo-labels were right` : "") +
        (f.precisionOnceMasked ? ` (${span(f.precisionOnceMasked, (x) => pct(x, 0))} over every epoch in which at least ${pct(f.maskedAtLeast)} passed, the first being epoch ${f.firstEpochMasked}; the chart shows those epochs)` : "") +
        `; test accuracy ${span(f.testAccuracy, acc)}, at a learning rate of ${f.learningRate} (peak ${f.peakLearningRate}). ` +
        "Its final accuracy was not measured, so it takes no part in the comparisons below.";
    },
    teacherPanel: "Exercise 1 (round-0 teacher)",
    onlinePanel: "online (FixMatch-style)",
    curvesTitle: "Exercise 2: accuracy per epoch of each training run",
    roundParams: (p: Record<string, unknown>) =>
      `${p.rounds} rounds; ${(p.threshold as number) > 0 ? `pseudo-labels kept when the teacher's certainty is ≥ ${p.threshold}` : "every unlabeled image kept (no threshold)"}; weights: ` +
      `${p.weighting === "softmatch" ? "SoftMatch's truncated Gaussian of the certainty (1 above the round's mean certainty)" : p.weighting === "none" ? "none (every pseudo-label weighs 1: the unweighted control)" : "the certainty itself"}; ` +
      `each round a new network (fresh weights) trained ${p.epochs} epochs on the labeled + pseudo-labelled images, batch ` +
      `${p.batchSize}, the Exercise 1 recipe otherwise (SGD Nesterov, peak learning rate ${p.peakLearningRate}, weight decay ` +
      `${p.weightDecay}, label smoothing ${p.labelSmoothing}, crop + flip)`,
    onlineParams: (p: Record<string, unknown>, steps: number) =>
      `${p.epochs} epochs of ${steps} steps; each step ${p.batchSize} labeled images and ` +
      `${(p.batchSize as number) * (p.unlabeledRatio as number)} unlabeled ones; pseudo-label from a weakly augmented view (crop + flip), ` +
      `trained on a strongly augmented view (plus colour jitter and a 16x16 cutout) when the certainty is ≥ ${p.threshold}, weighted by ` +
      `the certainty; unlabeled loss weight ${p.unlabeledWeight}; SGD Nesterov, peak learning rate ${p.peakLearningRate}, ` +
      `warm-up ${pct(p.warmup as number, 0)}, linear decay, weight decay ${p.weightDecay}`,
    accuracyColumns: ["model", "train accuracy (labeled images)", "test accuracy (mean ± sd, seeds)", "vs Exercise 1", "time¹", "run"],
    ex1Row: (id: string) => `${id} (Exercise 1)`,
    timeFootnote: `¹ Wall time of the whole experiment (per seed); for the round-based variants it includes training their round-0 teacher (Exercise 1). ${rule}`,
    improvement: (f: ImprovementFacts) => {
      const count = (kind: string) => f.verdicts.filter((v) => claim(v) === kind).length;
      const [better, worse, within, none] = [count("better"), count("worse"), count("within-noise"), count("none")];
      const tally = [
        better ? `${better} better than Exercise 1's ${spread(f.ex1Test)}` : "",
        worse ? `${worse} worse` : "",
        within ? `${within} within noise of it` : "",
        none ? `${none} without a claim (one run on a side)` : "",
      ].filter((x) => x);
      const ours = claim(f.topVsEx1);
      const refFell = f.reference.ex2 < f.reference.ex1;
      return (
        `Of the ${f.variants} variants: ${tally.join(", ")}. The highest mean, **${f.top}**, reaches **${spread(f.topTest)}** against Exercise 1: ${verdict(f.topVsEx1)}. ` +
        `The assignment's reference solution ${refFell ? "fell" : "rose"} from ${acc(f.reference.ex1)} to ${acc(f.reference.ex2)} with its self-training (one run)` +
        (ours === "better" ? (refFell ? ": here self-training went the other way." : ", as here.") : ours === "worse" ? (refFell ? ", as here." : ": here self-training went the other way.") : ".")
      );
    },
    conclusions: (f: Ex2ConclusionFacts) => {
      const lines: string[] = [];
      if (f.thresholds) {
        const { low, high, lowVsHigh } = f.thresholds;
        const kind = claim(lowVsHigh);
        lines.push(
          `- **${kind === "better" ? "Quantity beat purity" : kind === "worse" ? "Purity beat quantity" : "Quantity against purity: no measurable winner"}.** In round 1 the 0.8 threshold kept ${int(high.added)} images at ` +
            `${pct(high.precision)} precision, the 0.5 threshold ${int(low.added)} at ${pct(low.precision)}; threshold 0.5 against 0.8: ${verdict(lowVsHigh)}.` +
            (kind === "better" ? " With certainty weights the wrong labels count less, so a lower threshold costs little and adds many correct labels." : "") +
            (kind === "worse" ? " The certainty weights did not offset the extra wrong labels: a stricter threshold paid off." : ""),
        );
      }
      if (f.softMatch) {
        const s = f.softMatch;
        const kind = s.vsThresholded ? claim(s.vsThresholded) : "none";
        lines.push(
          `- **SoftMatch weights, no threshold**: every unlabeled image joins with a weight that is 1 above the mean certainty and falls off as a Gaussian below it` +
            `${s.meanWeight !== undefined && s.precision !== undefined ? ` (mean weight ${s.meanWeight.toFixed(2)}; precision of all pseudo-labels ${pct(s.precision)})` : ""}. ` +
            `It gave ${spread(s.test)}${s.isBest ? ", the highest mean of the variants" : ""}; against Exercise 1: ${verdict(s.vsEx1)}` +
            (s.vsThresholded ? `; against the best thresholded variant (${s.vsThresholded.other}): ${verdict(s.vsThresholded)}` : "") + ". " +
            (kind === "better" ? "Here the weights alone controlled the wrong pseudo-labels better than a threshold."
              : kind === "worse" ? "Dropping the threshold cost accuracy here: the weights alone let too many wrong pseudo-labels in."
              : kind === "within-noise" ? "Without a threshold it did as well as with one: the weights alone were enough." : ""),
        );
      }
      if (f.rounds) {
        const kinds = f.rounds.gains.map(claim);
        const helped = kinds.filter((k) => k === "better").length;
        const head = kinds.every((k) => k === "none") ? "Later rounds: no claim from one run"
          : helped === kinds.length ? "Later rounds helped every variant"
          : helped === 0 ? "Later rounds did not measurably help" : `Later rounds helped ${helped} of ${kinds.length} variants`;
        const why = f.rounds.addedRose && f.rounds.precisionRose
          ? "each round's teacher labelled more images above the threshold, and more of them correctly, while the student also inherits the teacher's mistakes."
          : f.rounds.addedRose
            ? "each round's teacher added more images, but their precision did not rise: more labels, not better ones."
            : helped > 0
              ? "the teachers of later rounds did not label more images, nor more of them correctly: the gain comes from training a fresh student on labels about as good, not from better labels."
              : "the teachers of later rounds did not label more images more correctly, so a later round has little new to teach.";
        lines.push(`- **${head}** (last round against round 1: ${f.rounds.variants.map((id, i) => `${id} ${verdict(f.rounds!.gains[i])}`).join("; ")}): ${why}`);
      }
      if (f.weights) {
        const w = f.weights;
        lines.push(
          `- **What the certainty weights add**: ${w.weighted} against the same pseudo-labels (certainty ≥ ${w.threshold}) with every weight 1 (${w.control}, a control): ${verdict(w.vs)}` +
            ({
              better: ". The weights helped: the wrong pseudo-labels, which tend to have low certainty, count less.",
              worse: ". The weights cost accuracy here: down-weighting the less certain pseudo-labels also down-weighted many correct ones.",
              "within-noise": ". At this threshold the weights made no measurable difference.",
              none: ".",
            }[claim(w.vs)]),
        );
      }
      if (f.online) {
        const o = f.online;
        const kind = claim(o.vsEx1);
        lines.push(
          `- **The online (FixMatch-style) variant reached ${spread(o.test)}** in ${o.epochs} epochs; against Exercise 1: ${verdict(o.vsEx1)}. ` +
            `The hidden labels (seed ${o.seed}): at the end ${pct(o.maskRate)} of the unlabeled images passed the ${o.threshold} threshold and ${pct(o.precision)} of those pseudo-labels were right. ` +
            (kind === "worse"
              ? o.precision < 0.8
                ? "The network became confident on unlabeled images it labels wrongly (confirmation bias), which the threshold alone does not prevent at this short schedule; the round-based variants, whose teacher is a finished network, do not have that feedback loop."
                : "Its confident pseudo-labels were mostly right: confirmation bias does not explain the shortfall."
              : kind === "better"
                ? "Its confident pseudo-labels added enough correct signal to beat the supervised network."
                : ""),
        );
      }
      const tr = f.train;
      lines.push(
        `- Train accuracy is measured on the labeled images only. From ${acc(tr.ex1)} (Exercise 1) it ${tr.allLower ? "falls" : "moves"} to ` +
          `${tr.variants.map((v) => `${acc(v.train)} (${v.experiment})`).join(", ")}` +
          (tr.allLower ? ": trained on pseudo-labelled images as well, the networks memorise the labeled ones less" : "") +
          `; the gap between train and test accuracy ${tr.bestGap < tr.ex1Gap ? "narrows" : "widens"} from ${pp(tr.ex1Gap).replace("+", "")} to ${pp(tr.bestGap).replace("+", "")} for the variant with the highest mean (${tr.best}).`,
      );
      return lines.join("\n");
    },
  },
  autoencoder: {
    gridTitles: {
      ex3: "Step 1: test images and their reconstructions",
      ex4: "Test images and their reconstructions by the jointly trained model",
    },
    curveTitles: {
      ex3: "Step 1: reconstruction error per epoch",
      ex4: "Exercise 4: reconstruction error per epoch (training batches)",
    },
    noSamples: (id: string) => `${id} stored no reconstructions.`,
    testImages: "test images",
    reconstructions: "reconstructions",
    stageSeries: "autoencoder (Exercise 3, step 1)",
    trainBatches: "train batches",
    errorAxis: "mean squared error per pixel",
    twoStepParams: (p: Record<string, unknown>, images: number | undefined) => [
      `step 1 (autoencoder): ${p.autoencoderEpochs} epochs over ${images === undefined ? "all" : int(images)} training images, batch ${p.autoencoderBatchSize}, ` +
        `Adam, learning rate ${p.autoencoderPeakLearningRate} (warm-up ${pct(p.autoencoderWarmup as number, 0)}, linear decay), mean squared error, crop + flip`,
      `step 2 (classifier, encoder ${p.encoder}): ${p.epochs} epochs over the labeled images, batch ${p.batchSize}, SGD Nesterov ${p.momentum}, ` +
        `peak learning rate ${p.peakLearningRate}, weight decay ${p.weightDecay}, label smoothing ${p.labelSmoothing}, crop + flip`,
    ],
    oneStepParams: (p: Record<string, unknown>) => [
      `${p.epochs} epochs (passes over the labeled images); each step ${p.labeledBatchSize} labeled + ${p.unlabeledBatchSize} unlabeled images; ` +
        `loss = cross-entropy on the labeled images (per-example weights, 0 for unlabeled) + ${p.reconstructionWeight} × mean squared reconstruction error on all; ` +
        `SGD Nesterov ${p.momentum}, peak learning rate ${p.peakLearningRate} (warm-up ${pct(p.warmup as number, 0)}, linear decay), weight decay ${p.weightDecay}, ` +
        `label smoothing ${p.labelSmoothing}, crop + flip`,
    ],
    accuracyColumns: ["model", "train accuracy (labeled images)", "test accuracy (mean ± sd, seeds)", "test reconstruction error", "time", "run"],
    comparison: (f: AeComparisonFacts) =>
      [
        ...f.rows.map(
          (r) => `- **${r.experiment}**: ${spread(r.test)}. ${r.vsEx1 ? `Against Exercise 1: ${verdict(r.vsEx1)}. ` : ""}Against the best earlier result (${f.bestEarlier}): ${verdict(r.vsBest)}.`,
        ),
        `- The assignment's reference solution reached ${acc(f.reference.figure)} here (one run; ${f.reference.file}); against it: ` +
          f.reference.rows.map((r) => `${r.experiment} ${verdict(r.versus)}`).join("; ") + ".",
      ].join("\n"),
    ex3Conclusions: (f: Ex3Facts) => {
      const lines: string[] = [];
      if (f.frozen) {
        lines.push(
          `- **Frozen encoder: ${spread(f.frozen.test)}**; against Exercise 1: ${verdict(f.frozen.vsEx1)}. Only the Dense layer learns, so this measures how linearly the autoencoder's features separate the classes.` +
            (claim(f.frozen.vsEx1) === "worse"
              ? " Reconstruction rewards keeping what redraws the pixels (colour, brightness, layout), not what tells a maple from an oak: the features carry some class information, far less than a network trained for the task."
              : claim(f.frozen.vsEx1) === "better" ? " The autoencoder's features separate the classes better than the supervised network's own: reconstruction kept class information the labels alone did not teach." : ""),
        );
      }
      if (f.tuned) {
        const k = claim(f.tuned.vsEx1);
        lines.push(
          `- **Fine-tuned encoder: ${spread(f.tuned.test)}**; against Exercise 1: ${verdict(f.tuned.vsEx1)}.` +
            (k === "better" ? " Starting from the autoencoder's weights helped: the unlabeled images shaped the first layers' filters before the labels were used."
              : k === "worse" || k === "within-noise"
                ? ` Starting from the autoencoder's weights did not help. A likely reason: with BatchNorm, augmentation and ${f.tuned.epochs} epochs the randomly initialised network already finds good low-level filters, and the early, high learning rate overwrites the pretrained ones.`
                : ""),
        );
      }
      if (f.tunedVsFrozen) {
        const k = claim(f.tunedVsFrozen);
        lines.push(`- Fine-tuned against frozen: ${verdict(f.tunedVsFrozen)}${k === "better" ? ": the classifier must be allowed to change the encoder." : "."}`);
      }
      if (f.stage) lines.push(`- The autoencoder reached a mean squared error of ${f.stage.error.toFixed(4)} per pixel on the test images (pixels in [0, 1]) after ${f.stage.epochs} epochs over ${int(f.stage.images)} images (${f.stage.time}).`);
      return lines.join("\n");
    },
    ex4Conclusions: (f: Ex4Facts) =>
      [
        `- Trained together, the classifier reaches **${spread(f.test)}**; against Exercise 1 (${f.ex1Epochs} epochs against ${f.epochs}: not an equal budget): ${verdict(f.vsEx1)}` +
          (f.vsBestTwoStep ? `; against the best two-step variant (${f.vsBestTwoStep.other}): ${verdict(f.vsBestTwoStep)}.` : "."),
        ...(f.vsBudgetControl
          ? [
              `- At equal steps, against the supervised network trained with this exercise's budget (${f.vsBudgetControl.other}, ${f.epochs} epochs): ${verdict(f.vsBudgetControl)}` +
                ({
                  better: ": the reconstruction term helps the classifier at the same number of steps.",
                  worse: ": at the same number of steps the reconstruction term costs the classifier accuracy.",
                  "within-noise": ": at the same number of steps the reconstruction term adds nothing measurable; a difference against Exercise 1 is then the budget's, not the autoencoder's.",
                  none: ".",
                }[claim(f.vsBudgetControl)]),
            ]
          : []),
        f.error !== undefined && f.stageError !== undefined
          ? `- The test reconstruction error is ${f.error.toFixed(4)} per pixel, against ${f.stageError.toFixed(4)} for the autoencoder trained for reconstruction alone` +
            (f.error > f.stageError ? ": the classification loss pulls the shared encoder towards class features, leaving the decoder less of the image to redraw." : ".")
          : `- The test reconstruction error is ${f.error === undefined ? "not recorded" : f.error.toFixed(4)} per pixel.`,
        `- Train accuracy on the labeled images is ${acc(f.train)} (Exercise 1: ${acc(f.ex1Train)}).`,
      ].join("\n"),
  },
  oneClass: {
    radiusSeries: "radius r (after the epoch)",
    lossSeries: "loss (1/nu) mean max(0, r - score)",
    belowSeries: "share of training batch scores below r",
    radiusTitle: (f: { tolerance: number; patience: number; stoppedEarly: boolean; epochsRun: number; epochs: number }) =>
      `One-class training: r moved less than ${f.tolerance} for ${f.patience} epochs in a row ${f.stoppedEarly ? `after ${f.epochsRun} epochs` : `(not within ${f.epochs} epochs)`}`,
    sets: { labeled: "labeled", unlabeled: "unlabeled" },
    scoresTitle: "Scores of the labeled and the unlabeled images; the rule is the radius r",
    scoreAxis: "one-class score",
    shareAxis: "share of the set",
    mostTypical: "Most typical unlabeled images (highest scores)",
    leastTypical: "Least typical unlabeled images (lowest scores: removed)",
    removedTitle: (top: number) => `Removed unlabeled images by (hidden) class: the ${top} most affected; the rule is a uniform share`,
    removedAxis: "removed images",
    removal: (f: RemovalFacts) =>
      [
        `- Training ${f.stoppedEarly ? `stopped after ${f.epochsRun} epochs, when r had moved less than ${f.tolerance} for ${f.patience} epochs in a row` : `ran all ${f.epochsRun} epochs without meeting the stopping rule`}; the final radius is **r = ${f.radius.toFixed(4)}**.`,
        `- **${int(f.removed)} of the ${int(f.removed + f.kept)} unlabeled images (${pct(f.removed / (f.removed + f.kept))}) score below r and are removed**; ${int(f.kept)} remain. ` +
          `By construction ${pct(1 - f.nu, 0)} of the labeled images fall below r (measured: ${pct(f.labeledBelow)}); ${pct(f.testBelow)} of the test images do.`,
        `- The classes that lost the most: ${f.mostAffected.map((c) => `${c.name} (${c.count})`).join(", ")}, where a removal blind to classes would take about ${f.uniform.toFixed(1)} from each; ${f.classesUntouched} classes lost none.`,
        ...(f.ties > 0 ? [`- ${f.ties} unlabeled images score exactly r (kept).`] : []),
      ].join("\n"),
    allUnlabeled: "all unlabeled images",
    outliersRemoved: "outliers removed",
    historyAxis: "radius, loss or share",
    modelAxis: "model",
    seedsAxis: "test accuracy (hollow: each seed; filled: mean ± sd)",
    beforeAfterTitle: "Test accuracy before and after removing the one-class outliers",
    testAxis: "test accuracy",
    answer: (f: Ex5Facts) => {
      const kinds = f.changed.map((c) => claim(c.afterVsBefore));
      const better = kinds.filter((k) => k === "better").length;
      const worse = kinds.filter((k) => k === "worse").length;
      const undecided = kinds.length - better - worse;
      const exercisesWhere = (kind: string) => f.changed.filter((c) => claim(c.afterVsBefore) === kind).map((c) => `Exercise ${c.exercise}`).join(" and ");
      const rest = kinds.includes("none") ? "is within noise or allows no claim" : "is within noise";
      const others = `for the other ${undecided === 1 ? "one" : undecided} the change ${rest}`;
      const why = () => {
        if (better === 0 && worse === 0) {
          return kinds.every((k) => k === "within-noise")
            ? "Removing the outliers makes no measurable difference here. The unlabeled images come from the same distribution as the labeled ones (a random split of one training set), so the least typical of them are unusual, not foreign."
            : "With one run per side the study's noise rule allows no answer yet; more seeds will give one.";
        }
        if (better > 0 && worse > 0) return "The effect depends on the method: no single answer for all of them.";
        if (better > 0) {
          return undecided === 0
            ? "Removing the least typical images helped every repeated method: they were the ones most likely to get wrong pseudo-labels or to pull the representation away from the labeled classes."
            : `Removing the least typical images helped ${exercisesWhere("better")} only; ${others}, so the removal is no general gain.`;
        }
        return undecided === 0
          ? "Removing them hurt every repeated method: the least typical images still carried useful information, and fewer unlabeled images means less signal for the semi-supervised methods."
          : `Removing them hurt ${exercisesWhere("worse")} only: there the least typical images still carried useful signal (fewer unlabeled images, less for that method to learn from); ${others}.`;
      };
      const lines = [
        ...f.unchanged.map((u) => `- Exercise 1 (${u.experiment}): unchanged by construction, ${spread(u.test)}: it trains on the labeled images only, and the removal touches only unlabeled ones.`),
        ...f.changed.map((c) => `- Exercise ${c.exercise} (${c.before} → ${c.after}): ${spread(c.beforeTest)} → **${spread(c.afterTest)}**: ${verdict(c.afterVsBefore)}.`),
      ];
      lines.push(
        `- ${better} of ${kinds.length} improved, ${worse} got worse, ${undecided} ${kinds.every((k) => k === "none") ? "allow no claim (one run on a side)" : "are within noise or allow no claim"}; the mean change is ${pp(f.meanChange)}. ` +
          why(),
      );
      return lines.join("\n");
    },
    repeated: (rows: RepeatedFacts[]) =>
      `Exercises ${rows.map((r) => r.exercise).join(", ")} are repeated with one variant each, on the unlabeled images that passed the one-class network:\n\n` +
      rows
        .map((r) => {
          const head = `- Exercise ${r.exercise}: **${r.repeated}** (${spread(r.test)})`;
          if (!r.choice) return `${head}, the exercise's only semi-supervised variant.`;
          const c = r.choice;
          const validation = c.validationBest === r.repeated ? "which the validation results confirm"
            : c.validationBest === null ? `not yet confirmed: no validation result for ${c.missingOnValidation.join(", ")}`
            : `but the validation results now favour ${c.validationBest}`;
          const test = r.bestOnTest
            ? `${r.bestOnTest.experiment} has a higher mean, against it: ${verdict(r.bestOnTest.versusRepeated)}`
            : "it also has the highest mean";
          if (c.pickedOnTestBeforeValidation) {
            return `${head}, picked on the test set before the validation split existed; ${validation === "which the validation results confirm" ? "the validation results confirm it" : validation.replace(/^but /, "")}, and Exercise 5 has not been rerun with that variant. On the test set, ${test}.`;
          }
          return `${head}, chosen among ${c.candidates.length} variants by their mean accuracy on the validation split, ${validation}. On the test set, which played no part in the choice, ${test}.`;
        })
        .join("\n"),
  },
  contrastive: {
    shareAxis: "share",
    probeAxis: "accuracy or score",
    stepOneSeries: (id: string) => `${id}: contrastive pretraining (step 1)`,
    oneStepSeries: (id: string) => `${id} (one step)`,
    pretrainingSeries: (outliersRemoved: boolean) => `contrastive pretraining${outliersRemoved ? " (outliers removed)" : ""}`,
    loss: (p: Record<string, unknown>, joint: boolean) => {
      const k = p.contrastiveClusters as number;
      const hue = (p.contrastiveHue as number | undefined) ?? 0;
      const greyscale = (p.contrastiveGreyscale as number | undefined) ?? 0;
      const colour = ["brightness, contrast and saturation jitter", ...(hue > 0 ? [`a hue rotation of up to ±${Math.round(hue * 360)}°`] : []), ...(greyscale > 0 ? [`greyscale with probability ${greyscale}`] : [])].join(", ");
      return [
        `For a batch of B images, two views each (shift + flip, a random crop of ${pct(p.contrastiveCropMinArea as number, 0)}-100% of the area resized to 32×32, then ${colour}), one forward pass over the 2B views gives`,
        `the encoder's 4×4×C feature maps; the classifier's own global average pooling (no weights) turns each into a vector **h** (C values),`,
        `the projection head maps it to **p = W₂ relu(W₁ h)** (${p.contrastiveProjection} values) and **Z = p / ‖p‖**. With Z₁, Z₂ the two views' rows (B × ${p.contrastiveProjection}) and c = softmax(logits / ${p.contrastiveClusterTemperature}) the cluster head's assignment`,
        `(BatchNorm(h), then a Dense layer with K = ${k} units):`,
        "",
        `- **InfoNCE** = ½ [CE(M, I) + CE(Mᵀ, I)], M = Z₁Z₂ᵀ / τ, τ = ${p.contrastiveTemperature}: each image must pick its own other view among the B in the batch;`,
        `- **cluster term** = λ [G(c₁) + G(c₂)], G = batch mean of Σₖ cₖ(1 − cₖ), λ = ${p.contrastiveClusterWeight}: pushes each view's assignment towards one-hot;`,
        `- **balance term** = β (ln K − H(c̄)), c̄ = mean assignment over both views of the batch, H its entropy, β = ${p.contrastiveBalanceWeight}: 0 when the`,
        `  batch uses the ${k} clusters equally, ln K = ${Math.log(k).toFixed(2)} when it uses one.`,
        "",
        `**L = InfoNCE + cluster term + balance term**` + (joint ? `, and in the one-step model **CE(labeled) + ${p.contrastiveWeight} × L**.` : "."),
      ].join("\n");
    },
    clusterPart: "cluster term λ(G₁+G₂)",
    balancePart: "balance term β(ln K − H)",
    classificationPart: "classification (labeled)",
    totalPart: "total loss",
    lossTitle: "Loss and its parts per epoch (means over the training batches)",
    lossAxis: "loss",
    largestCluster: "share of the images in the largest cluster",
    clustersInUse: (k: number) => `share of the ${k} clusters in use`,
    sizeEntropy: "entropy of the cluster sizes / ln K",
    clustersTitle: "Cluster sizes on the labeled images (argmax of the cluster head, inference mode)",
    probeH: "k-NN probe of h (test queries)",
    probeP: "k-NN probe of p (test queries)",
    nmi: "NMI of clusters and labels",
    classifierTest: "classifier test accuracy",
    ownView: "own view found in the batch (training)",
    probeTitle: "Is the representation learning? Probe accuracy per epoch",
    diagnostics: (f: DiagnosticFacts) => {
      const { first, last, start } = f;
      if (!first || !last || !start) return `- **${f.label}**: no history.`;
      const parts = [
        `InfoNCE ${first.infoNce.toFixed(3)} → ${last.infoNce.toFixed(3)} (epoch 1 → ${last.epoch}; own view found in ${pct(first.instanceAccuracy)} → ${pct(last.instanceAccuracy)} of the rows)`,
        `cluster term ${first.clusterTerm.toFixed(3)} → ${last.clusterTerm.toFixed(3)}, balance term ${first.balanceTerm.toFixed(3)} → ${last.balanceTerm.toFixed(3)}`,
        `k-NN probe of h ${pct(start.knnAccuracy)} → **${pct(last.knnAccuracy)}**${f.untrainedStart ? " (untrained network → last epoch)" : ""}` +
          (typeof last.knnProjectionAccuracy === "number" ? `, of the projection p ${typeof start.knnProjectionAccuracy === "number" ? `${pct(start.knnProjectionAccuracy)} → ` : ""}${pct(last.knnProjectionAccuracy)}` : ""),
        `largest cluster ${pct(start.largestClusterShare)} → ${pct(last.largestClusterShare)} of the labeled images, ${start.nonEmptyClusters} → ${last.nonEmptyClusters} of ${f.clusters} clusters in use, NMI with the labels ${start.clusterNmi.toFixed(3)} → ${last.clusterNmi.toFixed(3)}`,
      ];
      return `- **${f.label}**: ${parts.join("; ")}.`;
    },
    twoStepParams: (p: Record<string, unknown>, d: { labeled: number; unlabeled: number; removedBy?: string }, knnTemperature: number) => [
      `step 1 (contrastive pretraining, no labels): ${p.contrastiveEpochs} epochs over the ${int(d.labeled)} labeled + ${int(d.unlabeled)} unlabeled images${d.removedBy ? ` (outliers removed by ${d.removedBy})` : ""}, batch ${p.contrastiveBatchSize} images (${2 * (p.contrastiveBatchSize as number)} views), ` +
        `SGD Nesterov ${p.contrastiveMomentum}, peak learning rate ${p.contrastivePeakLearningRate} (warm-up ${pct(p.contrastiveWarmup as number, 0)}, linear decay), weight decay ${p.contrastiveWeightDecay}; ` +
        `τ ${p.contrastiveTemperature}, λ ${p.contrastiveClusterWeight}, β ${p.contrastiveBalanceWeight}, ${p.contrastiveClusters} clusters (softmax temperature ${p.contrastiveClusterTemperature})`,
      `step 2 (classifier, encoder ${p.encoder}): ${p.epochs} epochs over the labeled images, batch ${p.batchSize}, SGD Nesterov ${p.momentum}, ` +
        `peak learning rate ${p.peakLearningRate}, weight decay ${p.weightDecay}, label smoothing ${p.labelSmoothing}, crop + flip (the Exercise 1 recipe)`,
      `k-NN probe after every epoch: k = ${p.probeK}, vote weights exp(cosine / ${knnTemperature}), up to ${p.probeQueries} test images as queries, the labeled images as memory`,
    ],
    oneStepParams: (p: Record<string, unknown>, d: { labeled: number; unlabeled: number; removedBy?: string }, knnTemperature: number) => [
      `${p.epochs} epochs (passes over the labeled images) on the ${int(d.labeled)} labeled + ${int(d.unlabeled)} unlabeled images${d.removedBy ? ` (outliers removed by ${d.removedBy})` : ""}; each step ${p.labeledBatchSize} labeled + ${p.unlabeledBatchSize} unlabeled images, two strong views each ` +
        `(${2 * ((p.labeledBatchSize as number) + (p.unlabeledBatchSize as number))} rows in one forward pass)`,
      `loss = cross-entropy on both views of the labeled images (per-example weights; 0 on the unlabeled rows) + ${p.contrastiveWeight} × (InfoNCE + cluster term + balance term) on all rows; ` +
        `τ ${p.contrastiveTemperature}, λ ${p.contrastiveClusterWeight}, β ${p.contrastiveBalanceWeight}, ${p.contrastiveClusters} clusters (softmax temperature ${p.contrastiveClusterTemperature})`,
      `SGD Nesterov ${p.momentum}, peak learning rate ${p.peakLearningRate} (warm-up ${pct(p.warmup as number, 0)}, linear decay), weight decay ${p.weightDecay}, label smoothing ${p.labelSmoothing}`,
      `k-NN probe after every epoch: k = ${p.probeK}, vote weights exp(cosine / ${knnTemperature}), up to ${p.probeQueries} test images as queries, the labeled images as memory`,
    ],
    accuracyColumns: ["model", "train accuracy (labeled images)", "test accuracy (mean ± sd, seeds)", "k-NN probe of the encoder", "time", "run"],
    comparison: (f: Ex6ComparisonFacts) =>
      [
        ...f.rows.map((r) => {
          const parts = [
            r.vsAutoencoder ? `against the autoencoder in its place (${r.vsAutoencoder.other}): ${verdict(r.vsAutoencoder)}` : "",
            r.vsEx1 ? `against Exercise 1: ${verdict(r.vsEx1)}` : "",
            r.vsBest ? `against the best earlier result (${r.vsBest.other}): ${verdict(r.vsBest)}` : "",
          ].filter((x) => x);
          return `- **${r.experiment}**: ${spread(r.test)}; ${parts.join("; ")}.`;
        }),
        ...(f.reference ? [`- ${rule}`, `- The assignment's reference solution reached ${acc(f.reference!.test)} with its version of this technique (${acc(f.reference!.outliersRemoved)} with outliers removed; one run each; ${f.reference!.file}).`] : []),
      ].join("\n"),
    twoStepConclusions: (f: TwoStepFacts) => {
      const lines: string[] = [];
      const pre = f.pretraining;
      if (pre) {
        const k = claim(pre.probe);
        lines.push(
          `- ${pre.infoNce[1] < pre.infoNce[0] ? "The contrastive pretraining optimised its task" : "The contrastive pretraining did not lower its loss"}: over ${pre.epochs} epochs on ${int(pre.images)} images (${pre.time}) the InfoNCE went from ${pre.infoNce[0].toFixed(3)} to ${pre.infoNce[1].toFixed(3)} ` +
            `and each view found its own pair among the batch in ${pct(pre.ownView[0])} → ${pct(pre.ownView[1])} of the rows, with ${pre.clustersInUse} clusters in use (the largest holding ${pct(pre.largestCluster)} of the labeled images). ` +
            `The k-NN probe of its pooled features, untrained network → end: ${pct(pre.probe.b.mean)} → ${pct(pre.probe.a.mean)}, ${verdict(pre.probe)}. ` +
            (k === "better" ? "The features group images of the same class better than at the start, without any label."
              : k === "worse" || k === "within-noise"
                ? "What lets the encoder match two views of an image is not, here, what makes images of the same class neighbours: the frozen classifier below is the better measure of what the features hold."
                : ""),
        );
      }
      if (f.frozen) {
        const k = f.frozen.vsAutoencoder ? claim(f.frozen.vsAutoencoder) : "none";
        lines.push(
          `- **Frozen encoder: ${spread(f.frozen.test)}**; against Exercise 1: ${verdict(f.frozen.vsEx1)}` +
            (f.frozen.vsAutoencoder ? `; against the frozen autoencoder encoder: ${verdict(f.frozen.vsAutoencoder)}` : "") +
            `. Only the Dense layer learns, so this measures how linearly the contrastive features separate the classes.` +
            (k === "better" ? " Telling images apart under colour jitter and resized crops keeps more of what identifies an object than redrawing its pixels does."
              : k === "worse" ? " Redrawing the pixels kept more class information than telling views apart did here." : ""),
        );
      }
      if (f.tuned) {
        const k = claim(f.tuned.vsEx1);
        lines.push(
          `- **Fine-tuned encoder: ${spread(f.tuned.test)}**; against Exercise 1: ${verdict(f.tuned.vsEx1)}` +
            (f.tuned.vsAutoencoder ? `; against the fine-tuned autoencoder encoder: ${verdict(f.tuned.vsAutoencoder)}` : "") + ". " +
            (k === "better" ? "Starting from the contrastive weights helped: the unlabeled images shaped the encoder before the labels were used."
              : k === "worse" || k === "within-noise"
                ? `Starting from the contrastive weights did not help: with ${f.tuned.epochs} epochs of the Exercise 1 recipe (high early learning rate) the classifier largely overwrites its starting point.`
                : ""),
        );
      }
      if (f.tunedVsFrozen) lines.push(`- Fine-tuned against frozen: ${verdict(f.tunedVsFrozen)}.`);
      return lines.join("\n");
    },
    jointConclusions: (f: JointFacts) => {
      const lines = [
        `- Trained together, the classifier reaches **${spread(f.test)}**; against Exercise 1: ${verdict(f.vsEx1)}` +
          (f.vsAutoencoder ? `; against the autoencoder trained together with it (${f.vsAutoencoder.other}): ${verdict(f.vsAutoencoder)}` : "") +
          (f.vsBestTwoStep ? `; against the best two-step contrastive variant (${f.vsBestTwoStep.other}): ${verdict(f.vsBestTwoStep)}.` : "."),
        `- Train accuracy on the labeled images is ${acc(f.train)} (Exercise 1: ${acc(f.ex1Train)})` +
          (f.train < f.ex1Train ? ": lower, as expected when the contrastive term and the strongly augmented views act as a regulariser." : "."),
      ];
      if (f.probe) {
        lines.push(
          `- The k-NN probe of the shared encoder went from ${f.probe.start === undefined ? "(not recorded)" : pct(f.probe.start)} to ${pct(f.probe.end)}; the contrastive part of the loss ended at ` +
            `${f.probe.contrastiveLoss.toFixed(3)} (InfoNCE ${f.probe.infoNce.toFixed(3)}) with ${f.probe.clustersInUse} clusters in use.`,
        );
      }
      return lines.join("\n");
    },
    outliers: (f: OutlierFacts) =>
      [
        ...f.rows.map((r) =>
          !r.vsBase
            ? `- **${r.experiment}**: ${spread(r.test)} (no result without the outliers to compare with).`
            : `- **${r.experiment}**: ${spread(r.test)} against ${spread(r.vsBase.b)} for ${r.base} (${int(r.removed!)} of ${int(r.unlabeled!)} unlabeled images removed): ` +
              `${{ better: "yes: ", worse: "no, it is worse: ", "within-noise": "no: ", none: "" }[claim(r.vsBase)]}${verdict(r.vsBase)}.`,
        ),
        `- The reference solution's contrastive variant ${f.reference.outliersRemoved < f.reference.test ? "fell" : "rose"} from ${acc(f.reference.test)} to ${acc(f.reference.outliersRemoved)} with its outliers removed (one run each).`,
      ].join("\n"),
    noAblations: "(no ablation results in bench/results/contrastive-ablation)",
    ablatedLabels: { contrastiveHue: "hue", contrastiveGreyscale: "greyscale", contrastiveTemperature: "τ", contrastiveCropMinArea: "crop min area", contrastiveClusterWeight: "λ", contrastiveBalanceWeight: "β" },
    chosenMark: "the full runs' setting",
    ablation: (f: { epochs: number; images: number; rows: string[]; seeds: number[]; best: string; bestProbe: number; chosen: string; queriesFrom: "test" | "validation" }) =>
      [
        `Short runs of the pretraining (${f.epochs} epochs over the ${int(f.images)} training images, the schedule scaled to them, ` +
          `same seed; \`scripts/ablate-contrastive.ts\`), one setting changed at a time:`,
        "",
        "| run | views and loss | k-NN probe of h (untrained → last epoch) | k-NN of p | own view found | largest cluster | time | run on |",
        "|---|---|---:|---:|---:|---:|---:|---|",
        ...f.rows,
        "",
        `Each row is one run (seed ${f.seeds.join(", ")}): by the study's noise rule a difference between two rows is not a claim; the rows chose the settings, they do not prove one better. ` +
          "The instance accuracy is not comparable across temperatures.",
        "",
        `Best probe: **${f.best}** (${pct(f.bestProbe)}). The full runs use ${f.chosen}. ` +
          (f.queriesFrom === "validation"
            ? "The probe's queries were the validation split's held-out labeled images: the choice did not read the test set."
            : "The probe's queries were test images: these runs predate the validation split, so this choice read the test set; " +
              "`scripts/ablate-contrastive.ts --profile validation` reruns them on the held-out labeled images (not yet done)."),
      ].join("\n"),
  },
};
