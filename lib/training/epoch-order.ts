// The order in which a task visits its examples: a fresh random permutation at the start of every epoch, cut into
// full batches (the last partial batch is dropped). Checkpoints fall between epochs, so a resumed run redraws the
// permutation from the restored generator exactly as the uninterrupted run did.
import type { Rng } from "./rng";

export interface EpochOrder {
  stepsPerEpoch: number;
  /** Positions (0 .. count - 1) of the examples of `step`; draws the epoch's permutation at step 0. */
  picked(rng: Rng, step: number): Int32Array;
}

export function epochOrder(count: number, batchSize: number): EpochOrder {
  let order = new Int32Array(0);
  return {
    stepsPerEpoch: Math.floor(count / batchSize),
    picked(rng, step) {
      if (step === 0) order = rng.permutation(count);
      return order.subarray(step * batchSize, (step + 1) * batchSize);
    },
  };
}
