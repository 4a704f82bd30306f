// The labeled/unlabeled split of the training set, identical to the reference solution's
// `np.random.seed(125); p = np.random.rand(50000); labeled = p <= 0.2` (10,080 labeled, 39,920 unlabeled).

import { createHash } from "crypto";
import { MT19937 } from "./mt19937";

export interface LabeledSplit {
  /** Indices of the images that keep their label, ascending. */
  labeled: Int32Array;
  /** Indices of the images whose label is removed, ascending. */
  unlabeled: Int32Array;
}

export function labeledSplit(count = 50000, seed = 125, labeledFraction = 0.2): LabeledSplit {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`labeledSplit: count must be a non-negative integer, got ${count}.`);
  }
  if (!(labeledFraction >= 0 && labeledFraction <= 1)) {
    throw new RangeError(`labeledSplit: labeledFraction must be in [0, 1], got ${labeledFraction}.`);
  }
  const rng = new MT19937(seed);
  const labeled: number[] = [];
  const unlabeled: number[] = [];
  for (let i = 0; i < count; i++) {
    // One draw per image, in index order, exactly like `np.random.rand(count) <= labeledFraction`.
    (rng.randomSample() <= labeledFraction ? labeled : unlabeled).push(i);
  }
  return { labeled: Int32Array.from(labeled), unlabeled: Int32Array.from(unlabeled) };
}

/** SHA-256 (hex) of the indices as little-endian int32, i.e. of numpy's `np.flatnonzero(p <= 0.2).astype("<i4")`. */
export function splitDigest(labeled: Int32Array): string {
  const bytes = Buffer.alloc(labeled.length * 4);
  labeled.forEach((index, i) => bytes.writeInt32LE(index, i * 4));
  return createHash("sha256").update(bytes).digest("hex");
}
