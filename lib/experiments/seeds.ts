// Every experiment runs with three seeds: its own first seed (the one its committed single-seed result was
// trained with, so that result stays valid) and two more, 100 and 200 above it, which no other experiment uses.
// The full profile runs all of them; `npm run experiments -- --seeds 1,2` replaces the lists.
export const SEEDS_PER_EXPERIMENT = 3;

export function seedsFrom(first: number): number[] {
  return Array.from({ length: SEEDS_PER_EXPERIMENT }, (_, i) => first + 100 * i);
}
