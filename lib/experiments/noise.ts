// The study's one noise rule. A difference between two methods' mean test accuracies is called better or worse
// only when it exceeds twice its standard error over the seeds, sqrt(sdA²/nA + sdB²/nB); otherwise it is within
// noise. With fewer than two seeds on either side there is no spread to measure, so nothing is claimed.
// This module computes verdicts only; the report modules phrase them.

import { mean, sampleSd } from "../stats";

export type Verdict = "better" | "worse" | "within-noise";

export interface Comparison {
  /** mean(a) - mean(b). */
  difference: number;
  /** Standard error of the difference; null when a side has fewer than two seeds. */
  standardError: number | null;
  verdict: Verdict;
  /** Seeds behind each side. */
  seeds: [number, number];
}

/** Times the standard error a difference must exceed. */
export const NOISE_RULE_FACTOR = 2;


/** Is `a` better than, worse than, or within noise of `b`? Each side lists one accuracy per seed. */
export function compareSeeds(a: number[], b: number[]): Comparison {
  if (a.length === 0 || b.length === 0) throw new Error(`compareSeeds needs at least one value per side (got ${a.length} and ${b.length})`);
  const difference = mean(a) - mean(b);
  const sdA = sampleSd(a);
  const sdB = sampleSd(b);
  const standardError = sdA === null || sdB === null ? null : Math.sqrt(sdA ** 2 / a.length + sdB ** 2 / b.length);
  let verdict: Verdict = "within-noise";
  if (standardError !== null && Math.abs(difference) > NOISE_RULE_FACTOR * standardError) verdict = difference > 0 ? "better" : "worse";
  return { difference, standardError, verdict, seeds: [a.length, b.length] };
}
