// The validation split: choices (the variant Exercise 5 repeats, hyper-parameters) are made on labeled images held
// out from training, never on the test set. `size` of the labeled images are drawn per class in proportion to the
// class's share (largest remainders), shuffled with a Mersenne Twister of its own seed so the split is the same on
// every machine. The validation profile trains on the rest and evaluates on these; the final runs train on all.
import { MT19937 } from "./mt19937";

export const VALIDATION_SEED = 2026;

export interface HoldOut {
  /** Labeled indices left for training, ascending. */
  train: Int32Array;
  /** Held-out labeled indices, ascending. */
  validation: Int32Array;
}

/** Stratified hold-out of `size` of `indices` (training-set indices), by their fine `labels` (of all training images). */
export function stratifiedHoldOut(indices: Int32Array, labels: ArrayLike<number>, size: number, seed = VALIDATION_SEED): HoldOut {
  if (!Number.isInteger(size) || size < 0 || size > indices.length) {
    throw new RangeError(`stratifiedHoldOut: size must be an integer in [0, ${indices.length}], got ${size}`);
  }
  const byClass = new Map<number, number[]>();
  for (const i of indices) {
    const members = byClass.get(labels[i]) ?? [];
    members.push(i);
    byClass.set(labels[i], members);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const quota = largestRemainders(classes.map((c) => (size * byClass.get(c)!.length) / indices.length), size);
  const rng = new MT19937(seed);
  const held: number[] = [];
  classes.forEach((c, k) => held.push(...shuffled(byClass.get(c)!, rng).slice(0, quota[k])));
  const heldSet = new Set(held);
  return {
    train: Int32Array.from([...indices].filter((i) => !heldSet.has(i))).sort(),
    validation: Int32Array.from(held).sort(),
  };
}

/** Integers summing to `total`: the floors of `shares`, plus one for the largest remainders. */
function largestRemainders(shares: number[], total: number): number[] {
  const counts = shares.map(Math.floor);
  const order = shares.map((s, i) => [s - Math.floor(s), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const missing = total - counts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < missing; k++) counts[order[k][1]]++;
  return counts;
}

function shuffled(values: number[], rng: MT19937): number[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.randomSample() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
