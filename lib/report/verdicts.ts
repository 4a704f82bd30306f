// Verdicts of the generated answers, all by the study's one noise rule (lib/experiments/noise.ts): a comparison of
// two experiments is better or worse only beyond two standard errors over their seeds. The language modules phrase
// these facts; nothing here is text.
import { testAccuracies, type SeededResult } from "../experiments/aggregate";
import { compareSeeds, type Comparison } from "../experiments/noise";
import { mean, sampleSd } from "../stats";

/** Mean, sample standard deviation (null with one seed) and number of seeds of a per-seed measure. */
export interface Spread {
  mean: number;
  sd: number | null;
  n: number;
}

export const spreadOf = (values: number[]): Spread => ({ mean: mean(values), sd: sampleSd(values), n: values.length });

/** The test accuracy of an experiment over its seeds. */
export const testSpread = (r: SeededResult): Spread => spreadOf(testAccuracies(r));

/** A comparison of `a` with `b` and what it compares: the two spreads and `b`'s name. */
export interface Versus extends Comparison {
  a: Spread;
  b: Spread;
  /** The experiment (or reference) compared with. */
  other: string;
}

/** Per-seed values of two measures, compared. */
export function versusValues(a: number[], b: number[], other: string): Versus {
  return { ...compareSeeds(a, b), a: spreadOf(a), b: spreadOf(b), other };
}

/** Experiment `a`'s test accuracy against `b`'s. */
export const versus = (a: SeededResult, b: SeededResult): Versus => versusValues(testAccuracies(a), testAccuracies(b), b.experiment);

/**
 * `a` against a printed figure (the reference solution's). A figure has no spread: its side enters the rule as two
 * equal values (sd 0), so only `a`'s seeds count, and one seed of `a` still allows no claim.
 */
export function versusFigure(a: SeededResult, figure: number, name: string): Versus {
  return { ...versusValues(testAccuracies(a), [figure, figure], name), b: { mean: figure, sd: null, n: 1 } };
}

/** The result with the highest mean test accuracy. */
export const best = <T extends SeededResult>(results: T[]): T => results.reduce((a, b) => (b.testAccuracy > a.testAccuracy ? b : a));

/** What a comparison allows saying: its verdict, or "none" when a side has one seed. */
export type Claim = "better" | "worse" | "within-noise" | "none";
export const claim = (v: Versus): Claim => (v.standardError === null ? "none" : v.verdict);
