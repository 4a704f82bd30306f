// Every experiment of the study, by id. A new method adds its module under lib/methods/ and its entries here.
import { runFixMatch } from "../methods/fixmatch";
import { runSelfTraining } from "../methods/self-training";
import { SUPERVISED_PARAMS, runSupervised } from "../methods/supervised";
import type { Experiment, Params } from "./experiment";

const selfTraining = (id: string, title: string, params: Params): Experiment => ({
  id,
  exercise: 2,
  method: "self-training",
  title,
  // Each student sees 2.5-5x more images per epoch than Exercise 1's model: 12 epochs give it about as many steps.
  params: { ...SUPERVISED_PARAMS, teacher: "ex1-supervised", rounds: 2, epochs: 12, ...params },
  seed: 2,
  run: runSelfTraining,
});

const fixMatch = (id: string, title: string, params: Params): Experiment => ({
  id,
  exercise: 2,
  method: "fixmatch",
  title,
  params: {
    ...SUPERVISED_PARAMS,
    batchSize: 64,
    unlabeledRatio: 3,
    unlabeledWeight: 1,
    peakLearningRate: 0.05,
    warmup: 0.05,
    epochs: 20,
    ...params,
  },
  seed: 3,
  run: runFixMatch,
});

export const EXPERIMENTS: Experiment[] = [
  {
    id: "ex1-supervised",
    exercise: 1,
    method: "supervised",
    title: "Exercise 1: the classifier on the 10,080 labeled images",
    params: SUPERVISED_PARAMS,
    seed: 1,
    run: runSupervised,
  },
  selfTraining("ex2-selftrain-confidence-t0.8", "Self-training, weights = confidence, threshold 0.8", { weighting: "confidence", threshold: 0.8 }),
  selfTraining("ex2-selftrain-confidence-t0.5", "Self-training, weights = confidence, threshold 0.5", { weighting: "confidence", threshold: 0.5 }),
  selfTraining("ex2-selftrain-softmatch", "Self-training, SoftMatch truncated-Gaussian weights, no threshold", { weighting: "softmatch", threshold: 0 }),
  fixMatch("ex2-fixmatch-confidence", "Online (FixMatch-style), weights = confidence above 0.95", { weighting: "confidence", threshold: 0.95 }),
];

export const EXPERIMENTS_BY_ID = new Map(EXPERIMENTS.map((e) => [e.id, e]));

/** Experiments matching a selection: exact ids, prefixes ("ex2"), globs ("ex2-*"), or "all". */
export function selectExperiments(selection: string[]): Experiment[] {
  if (selection.length === 0 || selection.includes("all")) return EXPERIMENTS;
  const chosen = EXPERIMENTS.filter((e) =>
    selection.some((s) => e.id === s || e.id.startsWith(`${s}-`) || new RegExp(`^${s.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(e.id)),
  );
  const unknown = selection.filter((s) => !EXPERIMENTS.some((e) => e.id === s || e.id.startsWith(`${s}-`) || s.includes("*")));
  if (unknown.length > 0) {
    throw new Error(`no experiment matches ${unknown.map((s) => JSON.stringify(s)).join(", ")}; known: ${EXPERIMENTS.map((e) => e.id).join(", ")}`);
  }
  return chosen;
}
