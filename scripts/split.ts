// Prints the labeled/unlabeled split as one JSON object, formatted like Python's `json.dumps`, so it can be
// compared verbatim with numpy's: `np.flatnonzero(np.random.RandomState(125).rand(50000) <= 0.2).astype("<i4")`.

import { labeledSplit, splitDigest } from "../lib/data/split";

const split = labeledSplit();
const summary = {
  labeled: split.labeled.length,
  unlabeled: split.unlabeled.length,
  sha256: splitDigest(split.labeled),
};
const fields = Object.entries(summary).map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`);
console.log(`{${fields.join(", ")}}`);
