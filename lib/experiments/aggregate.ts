// Aggregation over seeds, with nodejs-polars: one row per experiment (its seeds, mean and standard deviation of
// the test accuracy, mean train accuracy and time). summary.json, the notebooks' tables and the reports' seeded
// results are all computed here, so a mean is computed one way everywhere.
import type * as Polars from "nodejs-polars";
import type { ResultRecord } from "./results";

/** nodejs-polars is missing where only the bundled runners travel (the GPU host: its native library is 98 MB). */
export class PolarsUnavailable extends Error {}

function polars(): typeof Polars {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("nodejs-polars") as typeof Polars;
  } catch (e) {
    throw new PolarsUnavailable(`nodejs-polars cannot be loaded here (${(e as Error).message.split("\n")[0]}); aggregate the results where it is installed (npm run experiments -- --summary)`);
  }
}

export interface RunRow {
  seed: number;
  testAccuracy: number;
  trainAccuracy: number;
  seconds: number;
  commit: string;
  date: string;
}

export interface SummaryRow {
  experiment: string;
  exercise: number;
  method: string;
  profile: string;
  /** The seeds that have a result, ascending. */
  seeds: number[];
  /** Means over the seeds (testAccuracy equals testAccuracyMean; kept under today's name for readers of the file). */
  testAccuracy: number;
  testAccuracyMean: number;
  /** Sample standard deviation over the seeds; null with one seed. */
  testAccuracySd: number | null;
  trainAccuracy: number;
  /** Mean wall time of one seed's run. */
  seconds: number;
  backend: string;
  device: string;
  /** The most experiment processes that shared the device during any of the runs (1: always alone). */
  deviceSharedBy: number;
  /** The commit of the most recent run. */
  commit: string;
  runs: RunRow[];
}

/** Rows per experiment, sorted by experiment id. */
export function summarizeRuns(results: ResultRecord[]): SummaryRow[] {
  if (results.length === 0) return [];
  const pl = polars();
  const runs = pl.DataFrame(
    results.map((r) => ({
      experiment: r.experiment, exercise: r.exercise, method: r.method, profile: r.profile, seed: r.seed,
      testAccuracy: r.testAccuracy, trainAccuracy: r.trainAccuracy, seconds: r.seconds,
      backend: r.backend, device: r.device, deviceSharedBy: r.deviceSharedBy ?? 1, commit: r.commit, date: r.date,
    })),
  ).sort(["experiment", "seed"]);
  const grouped = runs
    .groupBy("experiment")
    .agg(
      pl.col("exercise").first(),
      pl.col("method").first(),
      pl.col("profile").first(),
      pl.col("seed").alias("seeds"),
      pl.col("testAccuracy").mean().alias("testAccuracyMean"),
      pl.col("testAccuracy").std().alias("testAccuracySd"),
      pl.col("trainAccuracy").mean(),
      pl.col("seconds").mean(),
      pl.col("backend").first(),
      pl.col("device").first(),
      pl.col("deviceSharedBy").max(),
      pl.col("commit").sortBy("date").last(),
    )
    .sort("experiment");
  return (grouped.toRecords() as Record<string, unknown>[]).map((g) => {
    const own = results.filter((r) => r.experiment === g.experiment).sort((a, b) => a.seed - b.seed);
    return {
      experiment: g.experiment as string,
      exercise: Number(g.exercise),
      method: g.method as string,
      profile: g.profile as string,
      seeds: (g.seeds as number[]).map(Number),
      testAccuracy: g.testAccuracyMean as number,
      testAccuracyMean: g.testAccuracyMean as number,
      testAccuracySd: (g.testAccuracySd as number | null) ?? null,
      trainAccuracy: g.trainAccuracy as number,
      seconds: g.seconds as number,
      backend: g.backend as string,
      device: g.device as string,
      deviceSharedBy: Number(g.deviceSharedBy),
      commit: g.commit as string,
      runs: own.map((r) => ({ seed: r.seed, testAccuracy: r.testAccuracy, trainAccuracy: r.trainAccuracy, seconds: r.seconds, commit: r.commit, date: r.date })),
    };
  });
}

/**
 * An experiment's results over its seeds as one record: accuracies and seconds are the means, testAccuracySd
 * their spread, `runs` every seed's own record; history and details are the first seed's (charts of one run's
 * curves say which seed they show).
 */
export interface SeededResult extends ResultRecord {
  runs: ResultRecord[];
  seeds: number[];
  testAccuracySd: number | null;
}

export function seededResult(runs: ResultRecord[]): SeededResult {
  if (runs.length === 0) throw new Error("seededResult needs at least one run");
  const ids = new Set(runs.map((r) => r.experiment));
  if (ids.size !== 1) throw new Error(`seededResult mixes experiments: ${[...ids].join(", ")}`);
  const [row] = summarizeRuns(runs);
  const sorted = [...runs].sort((a, b) => a.seed - b.seed);
  return {
    ...sorted[0],
    testAccuracy: row.testAccuracyMean,
    trainAccuracy: row.trainAccuracy,
    seconds: row.seconds,
    deviceSharedBy: row.deviceSharedBy > 1 ? row.deviceSharedBy : undefined,
    runs: sorted,
    seeds: row.seeds,
    testAccuracySd: row.testAccuracySd,
  };
}

/** Test accuracy per seed: what compareSeeds (lib/experiments/noise.ts) takes. */
export const testAccuracies = (r: SeededResult): number[] => r.runs.map((x) => x.testAccuracy);
