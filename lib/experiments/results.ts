// Result files: one per experiment and seed, results/<experiment>/seed-<n>.json for the full profile (committed),
// results/<profile>/<experiment>/seed-<n>.json for the others, and a summary.json beside them with one row per
// experiment (its seeds, mean and standard deviation, aggregated in lib/experiments/aggregate.ts). Written atomically.
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../paths";
import type { EpochRecord } from "../training/loop";
import { PolarsUnavailable, summarizeRuns, type SummaryRow } from "./aggregate";

export interface ResultRecord {
  experiment: string;
  exercise: number;
  method: string;
  title: string;
  profile: string;
  /** Hyper-parameters as run (after the profile's limits). */
  params: Record<string, unknown>;
  /** The run's seed (one of the experiment's seeds in the registry). */
  seed: number;
  /** Hash of experiment, params, profile and seed: a result is reused only for the same hash. */
  configHash: string;
  trainAccuracy: number;
  testAccuracy: number;
  /** Wall time of the whole experiment (training and evaluation), summed over resumed calls. */
  seconds: number;
  backend: string;
  device: string;
  /** How many experiment processes shared the device while this one ran (DEVICE_SHARED_BY); absent = alone. */
  deviceSharedBy?: number;
  commit: string;
  date: string;
  /** Training images per example count: labeled, unlabeled and test images the run saw. */
  data: { labeled: number; unlabeled: number; test: number };
  history: EpochRecord[];
  /** Method-specific results (e.g. self-training rounds), plain JSON. */
  details: Record<string, unknown>;
  /**
   * The results this run started from (its teacher, the one-class network's outliers), by experiment: their seed and
   * configuration hash. A dependency retrained with another configuration leaves this run stale, which the committed
   * results' test catches. Absent in results written before 2026-12-02.
   */
  dependencies?: Record<string, { seed: number; configHash: string }>;
}


/** The repository's results folder (RESULTS_DIR overrides, e.g. on the GPU host). */
export function resultsRoot(): string {
  return process.env.RESULTS_DIR ?? path.join(projectRoot(), "results");
}

export function resultsDir(profile: string, root = resultsRoot()): string {
  return profile === "full" ? root : path.join(root, profile);
}

export function resultPath(experiment: string, profile: string, seed: number, root = resultsRoot()): string {
  return path.join(resultsDir(profile, root), experiment, `seed-${seed}.json`);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 1)}\n`);
  fs.renameSync(tmp, file);
}

function readResultFile(file: string): ResultRecord {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as ResultRecord;
  } catch (e) {
    throw new Error(`result file ${file} is not valid JSON (${(e as Error).message}); delete it and run the experiment again`);
  }
}

export function readResult(experiment: string, profile: string, seed: number, root = resultsRoot()): ResultRecord | null {
  const file = resultPath(experiment, profile, seed, root);
  return fs.existsSync(file) ? readResultFile(file) : null;
}

/** The seeds of `experiment` that have a result file, ascending. */
export function seedsWithResults(experiment: string, profile: string, root = resultsRoot()): number[] {
  const dir = path.join(resultsDir(profile, root), experiment);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [];
  return fs
    .readdirSync(dir)
    .map((f) => /^seed-(\d+)\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Every result of a profile (every experiment, every seed), by experiment id and seed. */
export function readAllResults(profile: string, root = resultsRoot()): ResultRecord[] {
  const dir = resultsDir(profile, root);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .flatMap((id) => seedsWithResults(id, profile, root).map((seed) => readResult(id, profile, seed, root)!))
    .filter((r) => r.profile === profile)
    .sort((a, b) => a.experiment.localeCompare(b.experiment) || a.seed - b.seed);
}

/** Rewrites the profile's summary.json from its result files. */
export function writeSummary(profile: string, root = resultsRoot()): { file: string; rows: SummaryRow[] } {
  const rows = summarizeRuns(readAllResults(profile, root));
  const file = path.join(resultsDir(profile, root), "summary.json");
  writeJsonAtomic(file, rows);
  return { file, rows };
}

/**
 * Writes a result and refreshes the summary of its profile (where nodejs-polars is missing, the GPU host's bundled
 * runners, the summary is left to `npm run experiments -- --summary` after the results are brought back).
 */
export function writeResult(result: ResultRecord, root = resultsRoot()): string {
  const file = resultPath(result.experiment, result.profile, result.seed, root);
  writeJsonAtomic(file, result);
  try {
    writeSummary(result.profile, root);
  } catch (e) {
    if (!(e instanceof PolarsUnavailable)) throw e;
    if (!summaryWarned) console.warn(`summary.json not refreshed: ${e.message}`);
    summaryWarned = true;
  }
  return file;
}

let summaryWarned = false;

/**
 * What a runner prints for a finished experiment: its accuracies when it trained now, else the file it reused and
 * where and when that was trained (so a reused number is never mistaken for a fresh run).
 */
export function finishedLine(result: ResultRecord, reused: boolean, root = resultsRoot()): string {
  if (!reused) {
    const accuracies = `test accuracy ${result.testAccuracy.toFixed(4)} (train ${result.trainAccuracy.toFixed(4)}`;
    return `${result.experiment} seed ${result.seed}: ${accuracies}, ${result.seconds.toFixed(0)} s)`;
  }
  const file = resultPath(result.experiment, result.profile, result.seed, root);
  const relative = path.relative(projectRoot(), file);
  const shown = relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
  const when = result.date.replace(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d).*$/, "$1 $2 UTC");
  return `${result.experiment} seed ${result.seed}: reused ${shown} (trained on ${result.device}, ${when})`;
}
