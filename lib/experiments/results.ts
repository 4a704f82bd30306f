// Result files: results/<experiment>.json for the full profile (committed), results/<profile>/<experiment>.json
// for the others, and a summary.json beside them listing every result. Written atomically.
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../paths";
import type { EpochRecord } from "../training/loop";

export interface ResultRecord {
  experiment: string;
  exercise: number;
  method: string;
  title: string;
  profile: string;
  /** Hyper-parameters as run (after the profile's limits). */
  params: Record<string, unknown>;
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
}

export const SUMMARY_FIELDS = [
  "experiment", "exercise", "method", "profile", "trainAccuracy", "testAccuracy", "seconds", "backend", "device", "deviceSharedBy", "commit",
] as const;

export type SummaryRow = Pick<ResultRecord, (typeof SUMMARY_FIELDS)[number]>;

/** The repository's results folder (RESULTS_DIR overrides, e.g. on the GPU host). */
export function resultsRoot(): string {
  return process.env.RESULTS_DIR ?? path.join(projectRoot(), "results");
}

export function resultsDir(profile: string, root = resultsRoot()): string {
  return profile === "full" ? root : path.join(root, profile);
}

export function resultPath(experiment: string, profile: string, root = resultsRoot()): string {
  return path.join(resultsDir(profile, root), `${experiment}.json`);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 1)}\n`);
  fs.renameSync(tmp, file);
}

export function readResult(experiment: string, profile: string, root = resultsRoot()): ResultRecord | null {
  const file = resultPath(experiment, profile, root);
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as ResultRecord;
  } catch (e) {
    throw new Error(`result file ${file} is not valid JSON (${(e as Error).message}); delete it and run the experiment again`);
  }
}

/** Every result of a profile, by experiment id. */
export function readAllResults(profile: string, root = resultsRoot()): ResultRecord[] {
  const dir = resultsDir(profile, root);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json") && f !== "summary.json")
    .map((f) => readResult(f.slice(0, -5), profile, root))
    .filter((r): r is ResultRecord => r !== null && r.profile === profile)
    .sort((a, b) => a.experiment.localeCompare(b.experiment));
}

/** One row per result; deviceSharedBy is 1 for a run that had the device to itself. */
export function summaryRows(results: ResultRecord[]): SummaryRow[] {
  return results.map((r) => Object.fromEntries(SUMMARY_FIELDS.map((f) => [f, f === "deviceSharedBy" ? (r.deviceSharedBy ?? 1) : r[f]])) as SummaryRow);
}

/** Writes a result and refreshes the summary of its profile. */
export function writeResult(result: ResultRecord, root = resultsRoot()): string {
  const file = resultPath(result.experiment, result.profile, root);
  writeJsonAtomic(file, result);
  const summary = summaryRows(readAllResults(result.profile, root));
  writeJsonAtomic(path.join(resultsDir(result.profile, root), "summary.json"), summary);
  return file;
}

/**
 * What a runner prints for a finished experiment: its accuracies when it trained now, else the file it reused and
 * where and when that was trained (so a reused number is never mistaken for a fresh run).
 */
export function finishedLine(result: ResultRecord, reused: boolean, root = resultsRoot()): string {
  if (!reused) {
    const accuracies = `test accuracy ${result.testAccuracy.toFixed(4)} (train ${result.trainAccuracy.toFixed(4)}`;
    return `${result.experiment}: ${accuracies}, ${result.seconds.toFixed(0)} s)`;
  }
  const file = resultPath(result.experiment, result.profile, root);
  const relative = path.relative(projectRoot(), file);
  const shown = relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
  const when = result.date.replace(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d).*$/, "$1 $2 UTC");
  return `${result.experiment}: reused ${shown} (trained on ${result.device}, ${when})`;
}
