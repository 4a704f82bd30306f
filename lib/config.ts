// Run profiles: one switch (the PROFILE environment variable) that scales every experiment.
//
// `full` is the assignment's scale and is meant for a GPU. `smoke` runs the very same code paths on a few
// hundred images for an epoch or two, so CI on a 2-core CPU machine can execute every notebook end to end.

export type ProfileName = "full" | "smoke" | "validation";

export interface Profile {
  name: ProfileName;
  description: string;
  /** Keep at most this many labeled training images (null: all 10,080). */
  labeledLimit: number | null;
  /** Keep at most this many unlabeled training images (null: all 39,920). */
  unlabeledLimit: number | null;
  /** Evaluate on at most this many test images (null: all 10,000). */
  testLimit: number | null;
  /** Cap on the epochs of any training run (null: the experiment's own count). */
  maxEpochs: number | null;
  /** Cap on every batch size (null: the experiment's own). */
  maxBatchSize: number | null;
  /** Multiplies every convolution width (smoke runs may use narrower networks). */
  widthScale: number;
  /** How many of each experiment's seeds run (the first ones of its list in the registry). */
  seedCount: number;
  /**
   * Labeled images held out as the validation split (lib/data/validation.ts): training uses the rest and every
   * "test" accuracy of the run is measured on them instead of the test set. null: train on all, test on the test set.
   */
  validationSize: number | null;
}

export const PROFILES: Record<ProfileName, Profile> = {
  full: {
    name: "full",
    description: "the assignment's scale: all 50,000 training and 10,000 test images (meant for a GPU)",
    labeledLimit: null,
    unlabeledLimit: null,
    testLimit: null,
    maxEpochs: null,
    maxBatchSize: null,
    widthScale: 1,
    seedCount: 3,
    validationSize: null,
  },
  smoke: {
    name: "smoke",
    description: "the same code paths on a few hundred images and at most two epochs (for CI on a CPU)",
    labeledLimit: 256,
    unlabeledLimit: 256,
    testLimit: 128,
    maxEpochs: 2,
    maxBatchSize: 64,
    widthScale: 0.25,
    seedCount: 1,
    validationSize: null,
  },
  validation: {
    name: "validation",
    description: "the full scale with 1,000 labeled images held out: choices between variants are made on them, never on the test set",
    labeledLimit: null,
    unlabeledLimit: null,
    testLimit: null,
    maxEpochs: null,
    maxBatchSize: null,
    widthScale: 1,
    seedCount: 1,
    validationSize: 1000,
  },
};

export const PROFILE_ENV = "PROFILE";

/** The profile named by $PROFILE (default `full`); an unknown name is an error, never a silent default. */
export function currentProfile(env: NodeJS.ProcessEnv = process.env): Profile {
  const raw = (env[PROFILE_ENV] ?? "").trim();
  if (raw === "") return PROFILES.full;
  const profile = (PROFILES as Record<string, Profile | undefined>)[raw];
  if (!profile) {
    throw new Error(
      `${PROFILE_ENV}=${JSON.stringify(raw)} is not a profile: use one of ${Object.keys(PROFILES).join(", ")} ` +
        `(or leave it unset for "full").`,
    );
  }
  return profile;
}
