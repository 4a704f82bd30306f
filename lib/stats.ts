// Plain descriptive statistics, below every other module (methods, experiments and report use them alike).

export function mean(xs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i];
  return sum / xs.length;
}

/** Sample standard deviation (n - 1), for seeds drawn from a population; null for fewer than two values. */
export function sampleSd(xs: ArrayLike<number>): number | null {
  if (xs.length < 2) return null;
  return Math.sqrt(squaredDeviations(xs) / (xs.length - 1));
}

/** Population standard deviation (n), for a whole set described as it is (0 for an empty one). */
export function populationSd(xs: ArrayLike<number>): number {
  return xs.length === 0 ? 0 : Math.sqrt(squaredDeviations(xs) / xs.length);
}

function squaredDeviations(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += (xs[i] - m) ** 2;
  return sum;
}
