// Experiments: a config (exercise, method, hyper-parameters, seed) plus the profile it runs under. Running one
// writes a result file with its provenance; notebooks call runOrLoad, which renders from an existing result of
// the same configuration instead of retraining (force retrains).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BackendInfo } from "../backend";
import type { Profile } from "../config";
import type { StudyData } from "../data/study";
import { checkpointsRoot } from "../paths";
import type { EpochRecord } from "../training/loop";
import { Progress, consoleProgress } from "../training/progress";
import { gitCommit } from "./provenance";
import { ResultRecord, readResult, writeResult } from "./results";

export type Params = Record<string, number | string | boolean | number[] | null>;

export interface ExperimentContext {
  profile: Profile;
  backend: BackendInfo;
  data: StudyData;
  /** The experiment's seed and configuration hash (checkpoints of another configuration are never resumed). */
  seed: number;
  configHash: string;
  /** The experiment's own checkpoint folder (or a sub-folder of it), under CHECKPOINT_DIR. */
  checkpointDir(part?: string): string;
  /** Date.now() by which training must pause (checkpointed), for time-limited jobs. */
  deadline?: number;
  progress: Progress;
  /**
   * Another experiment's result, running it first when needed (e.g. Exercise 2 starts from Exercise 1); with
   * `checkpoint`, its trained weights must be on disk too (results are committed, weights are not).
   */
  dependency(id: string, options?: { checkpoint?: boolean }): Promise<ResultRecord>;
  /** Another experiment's checkpoint folder (its trained weights). */
  checkpointDirOf(id: string): string;
}

export interface ExperimentOutcome {
  /** False when the deadline paused training: no result is written, a later call resumes. */
  complete: boolean;
  trainAccuracy: number;
  testAccuracy: number;
  history: EpochRecord[];
  details: Record<string, unknown>;
  data: ResultRecord["data"];
  /** Wall time of the experiment summed over every call that worked on it (training, evaluation, labelling). */
  seconds: number;
}

export interface Experiment {
  id: string;
  exercise: number;
  method: string;
  title: string;
  /** Hyper-parameters at the full profile's scale. */
  params: Params;
  seed: number;
  run(ctx: ExperimentContext, params: Params): Promise<ExperimentOutcome>;
}

/** The parameters as run under `profile`: epochs and batch sizes capped, widths scaled. */
export function effectiveParams(params: Params, profile: Profile): Params {
  const out: Params = { ...params };
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== "number") continue;
    if (profile.maxEpochs !== null && /^epochs|Epochs$/.test(key)) out[key] = Math.min(value, profile.maxEpochs);
    if (profile.maxBatchSize !== null && /^batchSize|BatchSize$/.test(key)) out[key] = Math.min(value, profile.maxBatchSize);
  }
  out.widthScale = profile.widthScale;
  return out;
}

export function configHash(experiment: Experiment, profile: Profile): string {
  const base = { id: experiment.id, params: effectiveParams(experiment.params, profile), profile: profile.name, seed: experiment.seed };
  // A profile that trains on a subset names its sizes, so changing them retrains; the full profile uses every
  // image and has none, which keeps its key (and the committed results' hashes) as it has always been.
  const limits = [profile.labeledLimit, profile.unlabeledLimit, profile.testLimit];
  const key = limits.every((l) => l === null) ? base : { ...base, limits };
  return createHash("sha256").update(JSON.stringify(key)).digest("hex").slice(0, 16);
}

export interface RunOptions {
  /** Retrain even when a result of the same configuration exists (its checkpoints are deleted first). */
  force?: boolean;
  deadline?: number;
  progress?: Progress;
}

export interface Runner {
  profile: Profile;
  backend: BackendInfo;
  data: StudyData;
  experiments: Map<string, Experiment>;
}

/** The experiment's result for the current profile: loaded when one of the same configuration exists, else trained. */
export async function runOrLoad(runner: Runner, id: string, options: RunOptions = {}): Promise<ResultRecord | null> {
  return (await runOrReuse(runner, id, options)).result;
}

/** runOrLoad, also saying whether the result was reused from its file (the runners print which). */
async function runOrReuse(runner: Runner, id: string, options: RunOptions): Promise<{ result: ResultRecord | null; reused: boolean }> {
  const experiment = runner.experiments.get(id);
  if (!experiment) {
    throw new Error(`no experiment "${id}"; known: ${[...runner.experiments.keys()].join(", ")}`);
  }
  const hash = configHash(experiment, runner.profile);
  const existing = readResult(id, runner.profile.name);
  if (existing && existing.configHash === hash && !options.force) return { result: existing, reused: true };
  return { result: await runExperiment(runner, experiment, hash, options), reused: false };
}

function checkpointDirOf(profile: Profile, id: string): string {
  return path.join(checkpointsRoot(), profile.name, id);
}

async function runExperiment(runner: Runner, experiment: Experiment, hash: string, options: RunOptions): Promise<ResultRecord | null> {
  const { profile, backend, data } = runner;
  const root = checkpointDirOf(profile, experiment.id);
  if (options.force) fs.rmSync(root, { recursive: true, force: true });
  const progress = options.progress ?? consoleProgress();
  const params = effectiveParams(experiment.params, profile);
  progress.note(`experiment ${experiment.id} (${experiment.title}), profile ${profile.name}, config ${hash}`);
  const outcome = await experiment.run(
    {
      profile, backend, data, progress, deadline: options.deadline, seed: experiment.seed, configHash: hash,
      checkpointDir: (part) => (part ? path.join(root, part) : root),
      checkpointDirOf: (id) => checkpointDirOf(profile, id),
      dependency: async (dep, depOptions = {}) => {
        const weightsMissing = depOptions.checkpoint === true && !fs.existsSync(checkpointDirOf(profile, dep));
        const result = await runOrLoad(runner, dep, { deadline: options.deadline, progress, force: weightsMissing });
        if (!result) throw new DeadlineReached(`dependency ${dep} paused at the deadline`);
        return result;
      },
    },
    params,
  );
  if (!outcome.complete) return null;
  const result: ResultRecord = {
    experiment: experiment.id,
    exercise: experiment.exercise,
    method: experiment.method,
    title: experiment.title,
    profile: profile.name,
    params,
    configHash: hash,
    trainAccuracy: outcome.trainAccuracy,
    testAccuracy: outcome.testAccuracy,
    seconds: outcome.seconds,
    backend: backend.choice,
    device: backend.device,
    ...deviceSharing(),
    commit: gitCommit(),
    date: new Date().toISOString(),
    data: outcome.data,
    history: outcome.history,
    details: outcome.details,
  };
  const file = writeResult(result);
  progress.note(`${experiment.id}: train accuracy ${result.trainAccuracy.toFixed(4)}, test accuracy ${result.testAccuracy.toFixed(4)}, ${result.seconds.toFixed(0)} s -> ${file}`);
  return result;
}

/**
 * Full runs on the GPU host start several experiment processes at once (the GPU sits idle between one process's
 * kernel launches); DEVICE_SHARED_BY=N says so, and the result records it because its wall time is then longer
 * than the experiment alone would take.
 */
export function deviceSharing(): { deviceSharedBy?: number } {
  const raw = process.env.DEVICE_SHARED_BY;
  if (raw === undefined || raw === "") return {};
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`DEVICE_SHARED_BY=${raw}: expected the number of experiment processes sharing the device (an integer >= 1)`);
  return n > 1 ? { deviceSharedBy: n } : {};
}

/** Thrown when a time-limited job must stop before an experiment (or its dependency) is complete. */
export class DeadlineReached extends Error {}

/**
 * Runs (or loads) the experiments `ids` one after another until one pauses at `options.deadline`; `finished` hears
 * of each result and whether it was reused from its file. Returns the id that paused (the same call again resumes
 * it), or null when every one finished.
 */
export async function runInTurn(
  runner: Runner,
  ids: string[],
  options: RunOptions,
  finished: (result: ResultRecord, reused: boolean) => void,
): Promise<string | null> {
  for (const id of ids) {
    let outcome: { result: ResultRecord | null; reused: boolean } = { result: null, reused: false };
    try {
      outcome = await runOrReuse(runner, id, options);
    } catch (e) {
      if (!(e instanceof DeadlineReached)) throw e;
    }
    if (!outcome.result) return id;
    finished(outcome.result, outcome.reused);
  }
  return null;
}
