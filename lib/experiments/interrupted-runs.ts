/**
 * Runs that stopped before their last epoch and can no longer be resumed (their checkpoints were lost with the GPU
 * host): what they measured up to there, read back from the runner's logs. They are never results: no final
 * accuracy, no place in the summary or in any comparison. The notebooks show their curves, marked as interrupted.
 */
import * as fs from "fs";
import * as path from "path";
import type { EpochRecord } from "../training/loop";
import { resultsRoot, writeJsonAtomic } from "./results";

/** Why a run stopped for good. */
export type InterruptionCause = "host-lost";

export interface InterruptedRun {
  experiment: string;
  seed: number;
  profile: string;
  configHash: string;
  epochsPlanned: number;
  /** Epochs 1 to n, consecutive, as the runner printed them (4 decimals; learning rate 3 significant digits). */
  history: EpochRecord[];
  cause: InterruptionCause;
  /** The tfjs backend and the device, as the runner's log names them. */
  backend: string;
  device: string;
  /** The commit the runner was built from, and the day it ran (the logs carry neither). */
  commit: string;
  date: string;
  /** The log files it was read from, relative to the repository root, in epoch order. */
  logs: string[];
}

/** One experiment's stretch of a runner's log: its header line and the epochs it printed. */
export interface LoggedRun {
  experiment: string;
  seed: number;
  profile: string;
  configHash: string;
  backend: string;
  device: string;
  epochsPlanned: number;
  epochs: EpochRecord[];
}

const HEADER = /^experiment (\S+) \(.*\), seed (\d+), profile (\S+), config ([0-9a-f]+)$/;
const BACKEND = /^backend: (\S+) .*?, device: (.+)$/;
const EPOCH = /^epoch (\d+)\/(\d+) {2}(.*) {2}lr (\S+) {2}([\d.]+) s$/;

/**
 * The runs in a log of `scripts/experiments.ts` (lib/training/progress.ts's epoch lines after lib/experiments'
 * header line), in the order they appear. `source` names the log in errors.
 */
export function parseTrainingLog(text: string, source: string): LoggedRun[] {
  const runs: LoggedRun[] = [];
  let [backend, device] = ["", ""];
  for (const [index, line] of text.split("\n").entries()) {
    const backendLine = BACKEND.exec(line);
    if (backendLine) [backend, device] = [backendLine[1], backendLine[2]];
    const header = HEADER.exec(line);
    if (header) {
      runs.push({ experiment: header[1], seed: Number(header[2]), profile: header[3], configHash: header[4], backend, device, epochsPlanned: 0, epochs: [] });
    }
    const epoch = EPOCH.exec(line);
    if (!epoch) continue;
    const run = runs[runs.length - 1];
    if (!run) throw new Error(`${source}:${index + 1}: an epoch line before any "experiment ..." line; is this a log of scripts/experiments.ts?`);
    const where = `${source}:${index + 1}`;
    run.epochsPlanned = Number(epoch[2]);
    run.epochs.push({ epoch: Number(epoch[1]), ...metrics(epoch[3], where), learningRate: number(epoch[4], where), seconds: Number(epoch[5]) } as EpochRecord);
  }
  return runs;
}

function metrics(text: string, where: string): Record<string, number> {
  return Object.fromEntries(text.split(/ {2}/).map((pair) => {
    const [name, value, extra] = pair.split(" ");
    if (!name || extra !== undefined) throw new Error(`${where}: "${pair}" is not "name value"; is the log cut or changed?`);
    return [name, number(value, where)];
  }));
}

function number(text: string | undefined, where: string): number {
  const value = Number(text);
  if (text === undefined || text === "" || !Number.isFinite(value)) throw new Error(`${where}: "${text}" is not a number; is the log cut or changed?`);
  return value;
}

/**
 * One run, stitched from the stretches that several calls printed of it (a run resumes from its checkpoint in the
 * next call). Every stretch must belong to the same experiment, seed, profile and configuration, and the epochs must
 * follow each other from 1 without a gap.
 */
export function stitchRun(stretches: { run: LoggedRun; log: string }[], provenance: Pick<InterruptedRun, "cause" | "commit" | "date">): InterruptedRun {
  if (stretches.length === 0) throw new Error("no log stretch given for the interrupted run");
  const sorted = [...stretches].sort((a, b) => (a.run.epochs[0]?.epoch ?? 0) - (b.run.epochs[0]?.epoch ?? 0));
  const first = sorted[0].run;
  const key = (r: LoggedRun) => `${r.experiment} seed ${r.seed}, profile ${r.profile}, config ${r.configHash}, ${r.epochsPlanned} epochs`;
  for (const { run, log } of sorted) {
    if (key(run) !== key(first)) throw new Error(`${log} logs ${key(run)}, not ${key(first)}: give the logs of one run only`);
  }
  const history = sorted.flatMap(({ run }) => run.epochs);
  history.forEach((record, index) => {
    if (record.epoch < index + 1) throw new Error(`${key(first)}: epoch ${record.epoch} appears twice in the logs; give each call's log once`);
    if (record.epoch > index + 1) {
      throw new Error(`${key(first)}: epoch ${index + 1} is missing from the logs (found epoch ${record.epoch} next); give every call's log`);
    }
  });
  if (history.length >= first.epochsPlanned) throw new Error(`${key(first)} finished all its epochs: it is a result, not an interrupted run`);
  return {
    experiment: first.experiment, seed: first.seed, profile: first.profile, configHash: first.configHash, epochsPlanned: first.epochsPlanned,
    history, cause: provenance.cause, backend: first.backend, device: first.device, commit: provenance.commit, date: provenance.date, logs: sorted.map(({ log }) => log),
  };
}

export function interruptedRunPath(experiment: string, seed: number, root = resultsRoot()): string {
  return path.join(root, "interrupted", experiment, `seed-${seed}.json`);
}

export function writeInterruptedRun(run: InterruptedRun, root = resultsRoot()): string {
  const file = interruptedRunPath(run.experiment, run.seed, root);
  writeJsonAtomic(file, run);
  return file;
}

/** The interrupted runs of `experiment` in `profile`, by seed. */
export function readInterruptedRuns(experiment: string, profile: string, root = resultsRoot()): InterruptedRun[] {
  const dir = path.dirname(interruptedRunPath(experiment, 0, root));
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir)
    .filter((name) => /^seed-\d+\.json$/.test(name))
    .map((name) => readInterruptedRun(path.join(dir, name)))
    .filter((run) => run.profile === profile)
    .sort((a, b) => a.seed - b.seed);
}

function readInterruptedRun(file: string): InterruptedRun {
  let run: Partial<InterruptedRun>;
  try {
    run = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<InterruptedRun>;
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}): restore it from git or write it again with scripts/interrupted-run.ts`);
  }
  if (typeof run.experiment !== "string" || typeof run.seed !== "number" || typeof run.profile !== "string" || typeof run.backend !== "string" || !Array.isArray(run.history)) {
    throw new Error(`${file} is not an interrupted run (experiment, seed, profile, backend, history): restore it from git or write it again with scripts/interrupted-run.ts`);
  }
  return run as InterruptedRun;
}
