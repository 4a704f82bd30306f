// The study's data, as every notebook and experiment sees it: CIFAR-100, the assignment's labeled/unlabeled
// split (numpy seed 125), and the current profile's limits (the smoke profile keeps a few hundred images).
import type { Profile } from "../config";
import { Cifar100, ImageSet, loadCifar100, subset } from "./cifar100";
import { LabeledSplit, labeledSplit } from "./split";
import { stratifiedHoldOut } from "./validation";

export interface StudyData {
  cifar: Cifar100;
  /** The full split of the 50,000 training images (10,080 labeled). */
  split: LabeledSplit;
  /** Labeled training indices used by this profile (ascending). */
  labeled: Int32Array;
  /** Unlabeled training indices used by this profile (their labels are hidden from every method). */
  unlabeled: Int32Array;
  /** Images every accuracy called "test" is measured on: the test set, or the validation split's held-out images. */
  test: ImageSet;
  /** Which of the two `test` holds (a validation profile holds labeled training images out of `labeled`). */
  evaluation: "test" | "validation";
  profile: Profile;
}

const cache = new Map<string, Promise<Cifar100>>();

function limit(indices: Int32Array, max: number | null): Int32Array {
  return max === null || indices.length <= max ? indices : indices.slice(0, max);
}

/** Loads (once per process and folder) and splits the data for `profile`. */
export async function loadStudyData(profile: Profile, options: { dir?: string } = {}): Promise<StudyData> {
  const key = options.dir ?? "";
  if (!cache.has(key)) {
    const loading = loadCifar100(options.dir ? { dir: options.dir } : {});
    loading.catch(() => cache.delete(key));
    cache.set(key, loading);
  }
  const cifar = await cache.get(key)!;
  const split = labeledSplit(cifar.train.count);
  const test = profile.testLimit === null || cifar.test.count <= profile.testLimit
    ? cifar.test
    : subset(cifar.test, Int32Array.from({ length: profile.testLimit }, (_, i) => i));
  const labeled = limit(split.labeled, profile.labeledLimit);
  const unlabeled = limit(split.unlabeled, profile.unlabeledLimit);
  if (profile.validationSize !== null) {
    const held = stratifiedHoldOut(labeled, cifar.train.fine, profile.validationSize);
    return { cifar, split, labeled: held.train, unlabeled, test: subset(cifar.train, held.validation), evaluation: "validation", profile };
  }
  return { cifar, split, labeled, unlabeled, test, evaluation: "test", profile };
}

/** Fine labels of `indices` in the training set. */
export function trainLabels(data: StudyData, indices: Int32Array): Int32Array {
  return Int32Array.from(indices, (i) => data.cifar.train.fine[i]);
}
