// Exercise 5's second half: any experiment, repeated on the data with the one-class network's outliers removed.
//
// The one-class experiment (ONE_CLASS_EXPERIMENT) stores the unlabeled indices it judged atypical in its result
// (details.removed); a wrapped experiment runs unchanged on a copy of the study data whose unlabeled set lacks
// them. The labeled images are never filtered, which is why Exercise 1 (labeled images only) cannot change.
import type { ExperimentContext, ExperimentOutcome, Experiment, Params } from "../experiments/experiment";

export const ONE_CLASS_EXPERIMENT = "ex5-oneclass";

/** The unlabeled indices the one-class experiment removed (running it first when needed). */
export async function removedOutliers(ctx: ExperimentContext): Promise<Set<number>> {
  const oneClass = await ctx.dependency(ONE_CLASS_EXPERIMENT);
  const removed = oneClass.details.removed as number[] | undefined;
  if (!Array.isArray(removed)) throw new Error(`result ${ONE_CLASS_EXPERIMENT} has no details.removed; run it again`);
  return new Set(removed);
}

/**
 * `base` with the outliers removed from the unlabeled images: a new id, exercise 5, the same method and
 * parameters plus `outliersRemovedBy` (so its checkpoints, and shared stages keyed by parameters, never mix with
 * the unfiltered run's).
 */
export function withOutliersRemoved(base: Experiment, id: string, title: string): Experiment {
  return {
    ...base,
    id,
    exercise: 5,
    title,
    repeats: base.id,
    params: { ...base.params, outliersRemovedBy: ONE_CLASS_EXPERIMENT },
    async run(ctx: ExperimentContext, params: Params): Promise<ExperimentOutcome> {
      const removed = await removedOutliers(ctx);
      const unlabeled = ctx.data.unlabeled.filter((i) => !removed.has(i));
      ctx.progress.note(`${id}: ${ctx.data.unlabeled.length - unlabeled.length} unlabeled outliers removed, ${unlabeled.length} kept`);
      return base.run({ ...ctx, data: { ...ctx.data, unlabeled } }, params);
    },
  };
}
