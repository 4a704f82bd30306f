// Prints the labeled/unlabeled split as one JSON object, formatted like Python's `json.dumps`, so it can be
// compared verbatim with numpy's: `np.flatnonzero(np.random.RandomState(125).rand(50000) <= 0.2).astype("<i4")`.
// The split is of the data set's training images, so the data set is found and verified first, like every other
// entry point: a missing or truncated copy is one error (exit 1), never a split of images that are not there.

import { loadCifar100 } from "../lib/data/cifar100";
import { labeledSplit, splitDigest } from "../lib/data/split";

async function main(): Promise<void> {
  const data = await loadCifar100();
  const split = labeledSplit(data.train.count);
  const summary = {
    labeled: split.labeled.length,
    unlabeled: split.unlabeled.length,
    sha256: splitDigest(split.labeled),
  };
  const fields = Object.entries(summary).map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  console.log(`{${fields.join(", ")}}`);
}

main().catch((e) => {
  // The loader's errors already say what, where and what to do; a stack trace would bury that.
  console.error(`split: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
