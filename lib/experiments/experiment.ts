// Experiments: a config (exercise, method, hyper-parameters, seeds) plus the profile it runs under. Running one
// seed writes a result file with its provenance; notebooks call runOrLoad, which renders from the existing results
// of the same configuration instead of retraining (force retrains), aggregated over the seeds.
//
// Seeds pair up across dependencies by position: the i-th seed of Exercise 2's students starts from the i-th seed
// of Exercise 1's network, so each seed is an independent replicate of the whole chain.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BackendInfo } from "../backend";
import type { Profile } from "../config";
import type { StudyData } from "../data/study";
import { checkpointsRoot } from "../paths";
import type { EpochRecord } from "../training/loop";
import { Progress, consoleProgress } from "../training/progress";
import { SeededResult, seededResult } from "./aggregate";
import { gitCommit } from "./provenance";
import { ResultRecord, readResult, writeResult } from "./results";

export type Params = Record<string, number | string | boolean | number[] | null>;

export interface ExperimentContext {
  profile: Profile;
  backend: BackendInfo;
  data: StudyData;
  /** This run's seed and configuration hash (checkpoints of another configuration are never resumed). */
  seed: number;
  configHash: string;
  /** The experiment's own checkpoint folder (or a sub-folder of it), under CHECKPOINT_DIR. */
  checkpointDir(part?: string): string;
  /** Date.now() by which training must pause (checkpointed), for time-limited jobs. */
  deadline?: number;
  progress: Progress;
  /**
   * Another experiment's result for the seed at this run's position, running it first when needed (e.g. Exercise 2
   * starts from Exercise 1); with `checkpoint`, its trained weights must be on disk too (results are committed,
   * weights are not).
   */
  dependency(id: string, options?: { checkpoint?: boolean }): Promise<ResultRecord>;
  /** Another experiment's checkpoint folder (its trained weights, at this run's seed position). */
  checkpointDirOf(id: string): string;
  /** A folder for a stage that several experiments share (named by the stage's own configuration key). */
  sharedCheckpointDir(name: string): string;
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
  /** One run per seed (the full profile runs them all; see Profile.seedCount). */
  seeds: number[];
  /** A control run that measures one factor (budget, weights), not an answer to its exercise. */
  control?: boolean;
  /**
   * Why this experiment has no result of its current configuration yet (its recipe changed and its full runs are
   * still to be done): the notebooks leave it out and say so instead of training it at full scale. A test requires
   * the flag to go once a current result exists.
   */
  awaitingRun?: string;
  /** The experiment this one repeats on other data (Exercise 5's runs without the outliers). */
  repeats?: string;
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

export function configHash(experiment: Experiment, profile: Profile, seed: number): string {
  const base = { id: experiment.id, params: effectiveParams(experiment.params, profile), profile: profile.name, seed };
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
  /** Replaces every experiment's seeds (the experiments command's --seeds). */
  seeds?: number[];
  /** Runs only the seeds at these positions (0-based) of each list (--replicate: parallel processes per seed). */
  positions?: number[];
}

function experimentOf(runner: Runner, id: string): Experiment {
  const experiment = runner.experiments.get(id);
  if (!experiment) throw new Error(`no experiment "${id}"; known: ${[...runner.experiments.keys()].join(", ")}`);
  return experiment;
}

/** The seeds run for `experiment`: the runner's override, else the registry's first profile.seedCount. */
export function seedsFor(runner: Runner, experiment: Experiment): number[] {
  return runner.seeds ?? experiment.seeds.slice(0, runner.profile.seedCount);
}

function currentResult(runner: Runner, experiment: Experiment, seed: number): ResultRecord | null {
  const existing = readResult(experiment.id, runner.profile.name, seed);
  return existing && existing.configHash === configHash(experiment, runner.profile, seed) ? existing : null;
}

/** The experiment's seeds (of the runner's list) that have a result of the current configuration. */
export function seedsWithCurrentResults(runner: Runner, experiment: Experiment): number[] {
  return seedsFor(runner, experiment).filter((seed) => currentResult(runner, experiment, seed) !== null);
}

/**
 * What the notebooks render: the experiment's results for the current profile over the seeds that have a result of
 * the current configuration; when none has (or with force), every seed is trained. A missing seed is never trained
 * at full scale behind a reader's back: `npm run experiments` completes them. Null when the deadline paused a seed.
 */
export async function runOrLoad(runner: Runner, id: string, options: RunOptions = {}): Promise<SeededResult | null> {
  const experiment = experimentOf(runner, id);
  const seeds = seedsFor(runner, experiment);
  let positions = seeds.map((_, i) => i);
  if (!options.force) {
    const present = positions.filter((i) => currentResult(runner, experiment, seeds[i]) !== null);
    if (present.length > 0) positions = present;
    else if (experiment.awaitingRun) return null;
  }
  const runs: ResultRecord[] = [];
  for (const position of positions) {
    const { result } = await runOrReuse(runner, experiment, position, options);
    if (!result) return null;
    runs.push(result);
  }
  return seededResult(runs);
}

/**
 * runOrLoad over several experiments: the results, and the experiments left out because they await their run
 * (Experiment.awaitingRun; the notebooks say which).
 */
export async function runOrLoadAll(runner: Runner, experiments: Experiment[], options: RunOptions = {}): Promise<{ results: SeededResult[]; awaiting: Experiment[] }> {
  const results: SeededResult[] = [];
  const awaiting: Experiment[] = [];
  for (const e of experiments) {
    const result = await runOrLoad(runner, e.id, options);
    if (result) results.push(result);
    else if (e.awaitingRun && !options.force) awaiting.push(e);
    else throw new DeadlineReached(`${e.id} paused at the deadline`);
  }
  return { results, awaiting };
}

/** One seed (the one at `position` in the experiment's list), also saying whether it was reused from its file. */
async function runOrReuse(runner: Runner, experiment: Experiment, position: number, options: RunOptions): Promise<{ result: ResultRecord | null; reused: boolean }> {
  const seed = seedsFor(runner, experiment)[position];
  if (seed === undefined) throw new Error(`${experiment.id} has no seed at position ${position} (seeds ${seedsFor(runner, experiment).join(", ")})`);
  const existing = currentResult(runner, experiment, seed);
  if (existing && !options.force) return { result: existing, reused: true };
  return { result: await runExperiment(runner, experiment, position, options), reused: false };
}

function checkpointDirOf(profile: Profile, id: string, seed: number): string {
  return path.join(checkpointsRoot(), profile.name, id, `seed-${seed}`);
}

async function runExperiment(runner: Runner, experiment: Experiment, position: number, options: RunOptions): Promise<ResultRecord | null> {
  const { profile, backend, data } = runner;
  const seed = seedsFor(runner, experiment)[position];
  const hash = configHash(experiment, profile, seed);
  const root = checkpointDirOf(profile, experiment.id, seed);
  if (options.force) fs.rmSync(root, { recursive: true, force: true });
  const progress = options.progress ?? consoleProgress();
  const params = effectiveParams(experiment.params, profile);
  const dependencyDir = (id: string) => checkpointDirOf(profile, id, seedsFor(runner, experimentOf(runner, id))[position]);
  const dependencies: NonNullable<ResultRecord["dependencies"]> = {};
  progress.note(`experiment ${experiment.id} (${experiment.title}), seed ${seed}, profile ${profile.name}, config ${hash}`);
  const outcome = await experiment.run(
    {
      profile, backend, data, progress, deadline: options.deadline, seed, configHash: hash,
      checkpointDir: (part) => (part ? path.join(root, part) : root),
      checkpointDirOf: dependencyDir,
      sharedCheckpointDir: (name) => path.join(checkpointsRoot(), profile.name, name),
      dependency: async (dep, depOptions = {}) => {
        const weightsMissing = depOptions.checkpoint === true && !fs.existsSync(dependencyDir(dep));
        const { result } = await runOrReuse(runner, experimentOf(runner, dep), position, { deadline: options.deadline, progress, force: weightsMissing });
        if (!result) throw new DeadlineReached(`dependency ${dep} paused at the deadline`);
        dependencies[dep] = { seed: result.seed, configHash: result.configHash };
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
    seed,
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
    ...(Object.keys(dependencies).length > 0 ? { dependencies } : {}),
  };
  const file = writeResult(result);
  progress.note(`${experiment.id} seed ${seed}: train accuracy ${result.trainAccuracy.toFixed(4)}, test accuracy ${result.testAccuracy.toFixed(4)}, ${result.seconds.toFixed(0)} s -> ${file}`);
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
 * Runs (or loads) every seed of the experiments `ids`, one after another, until one pauses at `options.deadline`;
 * `finished` hears of each seed's result and whether it was reused from its file. Returns "<id> seed <n>" for the
 * run that paused (the same call again resumes it), or null when every one finished.
 */
export async function runInTurn(
  runner: Runner,
  ids: string[],
  options: RunOptions,
  finished: (result: ResultRecord, reused: boolean) => void,
): Promise<string | null> {
  for (const id of ids) {
    const experiment = experimentOf(runner, id);
    const seeds = seedsFor(runner, experiment);
    for (const position of runner.positions ?? seeds.map((_, i) => i)) {
      let outcome: { result: ResultRecord | null; reused: boolean } = { result: null, reused: false };
      try {
        outcome = await runOrReuse(runner, experiment, position, options);
      } catch (e) {
        if (!(e instanceof DeadlineReached)) throw e;
      }
      if (!outcome.result) return `${id} seed ${seeds[position]}`;
      finished(outcome.result, outcome.reused);
    }
  }
  return null;
}
