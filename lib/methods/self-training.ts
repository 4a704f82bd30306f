// Exercise 2: self-training with certainty weights (the assignment's algorithm).
//
// Round 0's teacher is Exercise 1's classifier. Each round the teacher labels every unlabeled image; images
// whose certainty (the top softmax probability) passes the threshold join the labeled ones with their
// pseudo-label, weighted by a function of that certainty; a NEW classifier (fresh weights) is trained on the
// union and becomes the next teacher. Weightings:
//   none        w = 1                                         (no certainty weighting: the control that measures
//                                                             what the weights add)
//   confidence  w = p_max                                     (the raw certainty)
//   softmatch   w = 1 if p_max >= mu, else exp(-(p_max - mu)^2 / (2 sigma^2))   (SoftMatch's truncated
//               Gaussian; mu and sigma^2 are the mean and variance of the certainties of that round)
// The hidden true labels of the unlabeled images are used for one diagnostic only: the precision of the
// pseudo-labels of each round. No method ever trains on them.
import * as fs from "node:fs";
import * as path from "node:path";
import { trainLabels } from "../data/study";
import type { ExperimentContext, ExperimentOutcome, Params } from "../experiments/experiment";
import { writeJsonAtomic } from "../experiments/results";
import { accuracy, predict } from "../training/evaluate";
import { setAsideCheckpoint } from "../training/checkpoint";
import { EpochRecord, restoreWeights } from "../training/loop";
import { pausedOutcome } from "./recipe";
import { newClassifier, trainClassifier } from "./supervised";

export type Weighting = "none" | "confidence" | "softmatch";

export function certaintyWeights(confidence: Float32Array, weighting: Weighting): Float32Array {
  if (weighting === "none") return new Float32Array(confidence.length).fill(1);
  if (weighting === "confidence") return Float32Array.from(confidence);
  if (weighting !== "softmatch") throw new Error(`unknown self-training weighting ${JSON.stringify(weighting)}: use none, confidence or softmatch`);
  let mean = 0;
  for (const c of confidence) mean += c;
  mean /= Math.max(1, confidence.length);
  let variance = 0;
  for (const c of confidence) variance += (c - mean) ** 2;
  variance /= Math.max(1, confidence.length);
  return confidence.map((c) => (c >= mean ? 1 : Math.exp(-((c - mean) ** 2) / (2 * Math.max(variance, 1e-8)))));
}

/** Counts of `values` (in [0, 1]) in `bins` equal bins. */
export function histogram(values: ArrayLike<number>, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) counts[Math.min(bins - 1, Math.floor(values[i] * bins))]++;
  return counts;
}

export interface RoundReport {
  round: number;
  /** Pseudo-labelled images added to the labeled ones. */
  added: number;
  /** Fraction of the added pseudo-labels that equal the hidden true label (diagnostic). */
  precision: number;
  /** Precision of the teacher's labels over all unlabeled images (its accuracy there). */
  teacherAccuracyOnUnlabeled: number;
  meanWeight: number;
  /** Weights of the added images in 20 bins over [0, 1]. */
  weightHistogram: number[];
  testAccuracy: number;
  seconds: number;
  history: EpochRecord[];
}

interface RoundsState {
  configHash: string;
  rounds: RoundReport[];
}

export async function runSelfTraining(ctx: ExperimentContext, params: Params): Promise<ExperimentOutcome> {
  const { data } = ctx;
  const images = data.cifar.train.images;
  const labeledLabels = trainLabels(data, data.labeled);
  const hiddenLabels = trainLabels(data, data.unlabeled);
  const statePath = path.join(ctx.checkpointDir(), "rounds.json");
  const saved: RoundsState | null = fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, "utf8")) : null;
  if (saved && saved.configHash !== ctx.configHash) {
    const aside = setAsideCheckpoint(ctx.checkpointDir(), saved.configHash);
    ctx.progress.note(`${statePath} belongs to another configuration (${saved.configHash}): its rounds moved to ${aside}; training starts afresh`);
  }
  const state: RoundsState = saved && saved.configHash === ctx.configHash ? saved : { configHash: ctx.configHash, rounds: [] };

  const teacherRun = await ctx.dependency(params.teacher as string, { checkpoint: true });
  let teacher = newClassifier(params, ctx.seed);
  restoreWeights([teacher], ctx.checkpointDirOf(params.teacher as string));
  let seconds = teacherRun.seconds;
  const history: EpochRecord[] = teacherRun.history.map((r) => ({ ...r, round: 0 }));
  try {
    for (let round = 1; round <= (params.rounds as number); round++) {
      const roundDir = ctx.checkpointDir(`round-${round}`);
      const labelling = Date.now();
      const pseudo = await predict(teacher, images, data.unlabeled);
      const labellingSeconds = (Date.now() - labelling) / 1000;
      const chosen: number[] = [];
      for (let i = 0; i < pseudo.confidence.length; i++) if (pseudo.confidence[i] >= (params.threshold as number)) chosen.push(i);
      const weights = certaintyWeights(Float32Array.from(chosen, (i) => pseudo.confidence[i]), params.weighting as Weighting);
      const student = newClassifier(params, ctx.seed + round);
      const examples = {
        indices: Int32Array.from([...data.labeled, ...chosen.map((i) => data.unlabeled[i])]),
        labels: Int32Array.from([...labeledLabels, ...chosen.map((i) => pseudo.labels[i])]),
        weights: Float32Array.from([...new Array<number>(data.labeled.length).fill(1), ...weights]),
      };
      const done = state.rounds.find((r) => r.round === round);
      if (done) {
        restoreWeights([student], roundDir);
      } else {
        ctx.progress.note(`round ${round}: ${chosen.length} pseudo-labelled images added (threshold ${params.threshold}, ${params.weighting} weights)`);
        const run = await trainClassifier(ctx, student, examples, params, ctx.seed + round, roundDir);
        if (!run.complete) {
          student.dispose();
          return pausedOutcome(history, seconds);
        }
        let correct = 0;
        for (const i of chosen) if (pseudo.labels[i] === hiddenLabels[i]) correct++;
        let teacherCorrect = 0;
        for (let i = 0; i < hiddenLabels.length; i++) if (pseudo.labels[i] === hiddenLabels[i]) teacherCorrect++;
        state.rounds.push({
          round,
          added: chosen.length,
          precision: chosen.length ? correct / chosen.length : 0,
          teacherAccuracyOnUnlabeled: hiddenLabels.length ? teacherCorrect / hiddenLabels.length : 0,
          meanWeight: weights.length ? weights.reduce((a, b) => a + b, 0) / weights.length : 0,
          weightHistogram: histogram(weights, 20),
          testAccuracy: run.testAccuracy,
          seconds: run.seconds + labellingSeconds,
          history: run.history.map((r) => ({ ...r, round })),
        });
        writeJsonAtomic(statePath, state);
      }
      teacher.dispose();
      teacher = student;
    }
    const started = Date.now();
    const trainAccuracy = await accuracy(teacher, images, labeledLabels, { indices: data.labeled });
    const testAccuracy = await accuracy(teacher, data.test.images, data.test.fine);
    seconds += state.rounds.reduce((s, r) => s + r.seconds, 0) + (Date.now() - started) / 1000;
    for (const r of state.rounds) history.push(...r.history);
    return {
      complete: true,
      trainAccuracy,
      testAccuracy,
      history,
      details: { rounds: state.rounds.map(({ history: _, ...report }) => report), teacherTestAccuracy: teacherRun.testAccuracy },
      data: { labeled: data.labeled.length, unlabeled: data.unlabeled.length, test: data.test.count },
      seconds,
    };
  } finally {
    teacher.dispose();
  }
}
