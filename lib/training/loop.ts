// The one training loop of the study. Every method (supervised, self-training, FixMatch, autoencoders,
// contrastive, one-class) is a TrainingTask: it says how to assemble a step's batch and what the step's loss
// is; this loop owns the rest: epochs, the learning-rate schedule, the optimizer, per-epoch evaluation and
// history, progress, a checkpoint after every epoch with resume, the stop on a NaN loss, and tensor hygiene.
import * as tf from "@tensorflow/tfjs-core";
import { util } from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { LoadedCheckpoint, loadCheckpoint, saveCheckpoint, setAsideCheckpoint } from "./checkpoint";
import { LoopOptimizer, OptimizerConfig, createOptimizer } from "./optimizer";
import { CapturedStep, captureWanted, recordStep } from "../kernels/webgpu/capture";
import { Progress, consoleProgress } from "./progress";
import { Rng } from "./rng";
import { Schedule, learningRateAt } from "./schedule";

export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  learningRate: number;
  seconds: number;
  /** Means over the epoch's steps of the task's step metrics (e.g. trainAccuracy on augmented batches). */
  [metric: string]: number;
}

export type StepInputs = Record<string, tf.Tensor>;

/** The input the loop adds to every step: the optimizer's per-step scalars (learning rate first). */
export const STEP_SCALARS = "stepScalars";

export interface StepResult {
  /** Scalar loss to minimise (mean over the batch). */
  loss: tf.Scalar;
  /** Scalar metrics (means over the batch) averaged per epoch, e.g. { trainAccuracy }. */
  metrics?: Record<string, tf.Scalar>;
}

export interface TrainingTask {
  /** Models whose weights (trainable and not, e.g. BatchNorm statistics) this run trains and checkpoints. */
  models: tfl.LayersModel[];
  /** Variables the optimizer updates (default: every trainable weight of `models`). */
  trainableVariables?: () => tf.Variable[];
  stepsPerEpoch: number;
  /**
   * Builds one step's inputs (the loop disposes them after the step). Everything that varies from step to step must
   * be here, not computed from JS values inside step(): a captured step replays step() with new inputs only.
   */
  batch(rng: Rng, epoch: number, step: number): StepInputs;
  /**
   * GPU work of a step that is not differentiated (pseudo-labels from the current model): runs before step(), outside
   * the gradient tape, inside a captured step; its tensors join step()'s inputs and are disposed after it.
   */
  prepare?(inputs: StepInputs): StepInputs;
  /** The step's loss, under the gradient tape, with the models in training mode: a function of the inputs and weights. */
  step(inputs: StepInputs): StepResult;
  /** Evaluation after an epoch (e.g. { testAccuracy }), every `evalEvery` epochs and after the last. */
  evaluate?(epoch: number): Promise<Record<string, number>>;
  /** Called after each epoch's record is complete; returning "stop" ends training (e.g. converged). */
  endEpoch?(record: EpochRecord): Promise<"stop" | void> | "stop" | void;
  /** Extra JSON state for checkpoints (e.g. the one-class radius), restored by loadState on resume. */
  saveState?(): unknown | Promise<unknown>;
  loadState?(state: unknown): void;
}

export interface TrainOptions {
  epochs: number;
  schedule: Schedule;
  optimizer: OptimizerConfig;
  seed: number;
  /** Folder for the per-epoch checkpoint; null: no checkpoints. */
  checkpointDir: string | null;
  /** Identifies the configuration: a checkpoint written by another configuration is never resumed. */
  configHash: string;
  /** Evaluate every this many epochs (and after the last). */
  evalEvery?: number;
  /** Read losses back (and check them for NaN) every this many steps (default 8, captured 32); between reads the GPU runs ahead. */
  syncEvery?: number;
  progress?: Progress;
  /** Replay captured steps (default: on the webgpu backend, unless TFJS_CAPTURE=0). */
  capture?: boolean;
  /**
   * Wall-clock time (Date.now() ms) by which this call must return: no epoch starts that would likely end
   * after it (the checkpoint lets a later call finish the run), to split a run across time-limited jobs.
   */
  deadline?: number;
}

export interface TrainResult {
  history: EpochRecord[];
  /** Training wall time over all calls (a resumed run adds to it). */
  seconds: number;
  /** Epoch the run resumed after (0: started afresh). */
  resumedAfter: number;
  /** False when the deadline ended the call early; the checkpoint lets a later call finish it. */
  complete: boolean;
  /** True when the task's endEpoch asked to stop before `epochs`. */
  stoppedEarly: boolean;
}

interface CheckpointState {
  configHash: string;
  epoch: number;
  rng: number;
  seconds: number;
  history: EpochRecord[];
  task: unknown;
  stoppedEarly: boolean;
}

export class TrainingDivergedError extends Error {}

function uniqueVariables(models: tfl.LayersModel[], trainable: boolean): tfl.LayerVariable[] {
  const seen = new Set<tfl.LayerVariable>();
  for (const model of models) for (const w of trainable ? model.trainableWeights : model.weights) seen.add(w);
  return [...seen];
}

/** Every tensor a resume needs: all weights (BatchNorm statistics too) and the optimizer's state. */
async function checkpointTensors(weights: tfl.LayerVariable[], trainables: tf.Variable[], optimizer: LoopOptimizer) {
  return [...weights.map((w, i) => ({ name: `weight${i}`, tensor: w.read() })), ...(await optimizer.state(trainables))];
}

/** Writes a checkpoint's weights into `weights` (by position: auto-generated layer names differ between builds). */
function writeWeights(checkpoint: LoadedCheckpoint<CheckpointState>, weights: tfl.LayerVariable[], dir: string): void {
  weights.forEach((w, i) => {
    const t = checkpoint.tensor(`weight${i}`);
    try {
      if (!util.arraysEqual(t.shape, w.shape as number[])) {
        throw new Error(`checkpoint ${dir} holds a ${JSON.stringify(t.shape)} tensor where ${w.originalName} is ${JSON.stringify(w.shape)}: it belongs to another architecture; delete it or force a fresh run`);
      }
      w.write(t);
    } finally {
      t.dispose();
    }
  });
}

async function restore(
  dir: string, configHash: string, weights: tfl.LayerVariable[], trainables: tf.Variable[], optimizer: LoopOptimizer, progress: Progress,
): Promise<CheckpointState | null> {
  const checkpoint = loadCheckpoint<CheckpointState>(dir);
  if (!checkpoint) return null;
  if (checkpoint.state.configHash !== configHash) {
    // Never resumed (other parameters, other data), never deleted either: moved aside, and this run starts afresh.
    const aside = setAsideCheckpoint(dir, checkpoint.state.configHash);
    progress.note(`checkpoint ${dir} was written by another configuration (${checkpoint.state.configHash}, this run is ${configHash}): moved to ${aside}; training starts afresh`);
    return null;
  }
  writeWeights(checkpoint, weights, dir);
  await optimizer.setState(trainables, checkpoint.names, (name) => checkpoint.tensor(name));
  return checkpoint.state;
}

/** A step's scalar outputs, by name: the loss and the task's metrics. */
type StepOutputs = Record<string, tf.Scalar>;

/** Sums of the step outputs over an epoch, fed by eager steps (tensors) and by replays (accumulated on the GPU). */
class EpochSums {
  readonly sums: Record<string, number> = {};
  steps = 0;
  private pending: StepOutputs[] = [];

  constructor(private readonly epoch: number, private readonly peak: number) {}

  addEager(outputs: StepOutputs): void {
    this.pending.push(outputs);
  }

  /** Reads back what is pending: the eager steps' tensors and `replays`' accumulated outputs (named `names`). */
  async flush(replays: { step: CapturedStep; names: string[] } | null): Promise<void> {
    const eager = this.pending;
    this.pending = [];
    try {
      if (eager.length > 0) {
        // Every pending step's outputs in one read: each read is a GPU round trip.
        const names = Object.keys(eager[0]);
        const stacked = tf.stack(eager.flatMap((outputs) => names.map((n) => outputs[n])));
        const values = await stacked.data();
        stacked.dispose();
        for (let i = 0; i < values.length; i += names.length) this.add(names, values, i);
      }
    } finally {
      for (const outputs of eager) tf.dispose(Object.values(outputs));
    }
    if (replays && replays.step.replaysPending > 0) {
      const values = await replays.step.readOutputs();
      for (let r = 0; r < values.length; r += replays.names.length) this.add(replays.names, values, r);
    }
  }

  private add(names: string[], values: ArrayLike<number>, offset: number): void {
    names.forEach((name, i) => {
      const value = values[offset + i];
      if (name === "loss" && !Number.isFinite(value)) {
        throw new TrainingDivergedError(
          `the training loss became ${value} in epoch ${this.epoch} (around step ${this.steps + 1}); the checkpoint of the last ` +
            `finished epoch is kept. Lower the learning rate (peak ${this.peak}) or check the inputs.`,
        );
      }
      this.sums[name] = (this.sums[name] ?? 0) + value;
    });
    this.steps++;
  }
}

/**
 * Captured steps on WebGPU (lib/kernels/webgpu/capture.ts): the first steps of an epoch run eagerly while they are
 * recorded; once two consecutive recordings agree, the rest of the epoch replays the recording. Each epoch records
 * its first step again, since a task may change state between epochs (a radius, pseudo-labels): a recording that
 * still equals the last epoch's is replayed from the second step on.
 */
class StepCapture {
  /** The recording to replay, once one is ready (check stale() first). */
  replayable: CapturedStep | null = null;
  private candidate: CapturedStep | null = null;
  private names: string[] = [];
  private attempts = 0;
  private reported = false;
  private disabled = false;

  constructor(private readonly progress: Progress) {}

  /** True when the replayable recording reads a variable that changed outside it (its replays must be read first). */
  stale(): boolean {
    return this.replayable !== null && !this.replayable.isCurrent();
  }

  /** The replays to read back at the next flush. */
  replays(): { step: CapturedStep; names: string[] } | null {
    return this.replayable ? { step: this.replayable, names: this.names } : null;
  }

  /** Whether the next eager step should be recorded (at most 3 tries per epoch, none once capture is off). */
  wantsRecording(): boolean {
    return !this.disabled && this.attempts < 3;
  }

  /** Keeps a new recording: it becomes replayable once it agrees with the previous one. */
  recorded(step: CapturedStep, names: string[]): void {
    this.attempts++;
    if (step.unsafe) {
      step.dispose();
      this.off(`captured steps: off for this run: ${step.unsafe}`);
      return;
    }
    const previous = this.candidate;
    const sameOutputs = names.join() === this.names.join();
    this.candidate = step;
    this.names = names;
    if (previous && previous.sameAs(step) && sameOutputs) {
      previous.dispose();
      this.replayable = step;
      this.candidate = null;
      if (!this.reported) this.progress.note(`captured steps: ${step.dispatches} GPU dispatches recorded once, replayed every step`);
      this.reported = true;
    } else {
      previous?.dispose();
      if (this.attempts === 3) {
        this.off("captured steps: off for this run: three recordings of consecutive steps differ (a host value reaches the GPU inside the step)");
      }
    }
  }

  /** Runs every later step eagerly and says so once. */
  private off(reason: string): void {
    this.disabled = true;
    this.drop();
    this.progress.note(reason);
  }

  /**
   * After an epoch: read what the replays produced. The next epoch records its first step again and replays from
   * its second step on if that recording equals this epoch's (from its third if not and the next two agree).
   */
  async endEpoch(sums: EpochSums): Promise<void> {
    await sums.flush(this.replays());
    this.candidate?.dispose();
    this.candidate = this.replayable;
    this.replayable = null;
    this.attempts = 0;
  }

  drop(): void {
    this.replayable?.dispose();
    this.candidate?.dispose();
    this.replayable = this.candidate = null;
  }
}

/** Runs one epoch's steps; returns the means of the loss and the step metrics. */
async function runEpoch(task: TrainingTask, ctx: {
  rng: Rng; epoch: number; firstStep: number; totalSteps: number; options: TrainOptions;
  trainables: tf.Variable[]; optimizer: LoopOptimizer; progress: Progress; capture: StepCapture | null;
}): Promise<{ means: Record<string, number>; learningRate: number }> {
  const { rng, epoch, options, trainables, optimizer, progress, capture } = ctx;
  // Captured steps are read back less often: each read drains the GPU's queue while the host waits.
  const syncEvery = options.syncEvery ?? (capture ? 32 : 8);
  const sums = new EpochSums(epoch, options.schedule.peak);
  let learningRate = 0;
  const eagerStep = (inputs: StepInputs): StepOutputs => {
    let metrics: Record<string, tf.Scalar> = {};
    const prepared = task.prepare?.(inputs) ?? {};
    const { value, grads } = tf.variableGrads(() => {
      const out = task.step({ ...inputs, ...prepared });
      metrics = out.metrics ?? {};
      for (const m of Object.values(metrics)) tf.keep(m);
      return out.loss;
    }, trainables);
    optimizer.apply(trainables, grads, inputs[STEP_SCALARS] as tf.Tensor1D);
    tf.dispose([...Object.values(grads), ...Object.values(prepared)]);
    return { loss: value, ...metrics };
  };
  try {
    for (let s = 0; s < task.stepsPerEpoch; s++) {
      learningRate = learningRateAt(options.schedule, ctx.firstStep + s, ctx.totalSteps);
      const inputs = task.batch(rng, epoch, s);
      inputs[STEP_SCALARS] = tf.tensor1d(optimizer.stepScalars(learningRate));
      try {
        if (capture?.stale()) {
          await sums.flush(capture.replays());
          capture.drop();
        }
        const replay = capture?.replayable;
        if (replay) {
          replay.replay(inputs);
        } else if (capture?.wantsRecording()) {
          const { result, step } = recordStep(inputs, () => eagerStep(inputs));
          sums.addEager(result);
          capture.recorded(step, Object.keys(result));
        } else {
          sums.addEager(eagerStep(inputs));
        }
      } finally {
        tf.dispose(Object.values(inputs));
      }
      if ((s + 1) % syncEvery === 0 || s === task.stepsPerEpoch - 1) {
        await sums.flush(capture?.replays() ?? null);
        progress.step(s + 1, task.stepsPerEpoch, { loss: sums.sums.loss / sums.steps, learningRate });
      }
    }
    if (capture) await capture.endEpoch(sums);
  } catch (e) {
    capture?.drop();
    throw e;
  }
  const means = Object.fromEntries(Object.entries(sums.sums).map(([k, v]) => [k, v / task.stepsPerEpoch]));
  return { means, learningRate };
}

export async function train(task: TrainingTask, options: TrainOptions): Promise<TrainResult> {
  const progress = options.progress ?? consoleProgress();
  const weights = uniqueVariables(task.models, false);
  const trainables = task.trainableVariables?.() ?? uniqueVariables(task.models, true).map((w) => w.read() as tf.Variable);
  const optimizer = createOptimizer(options.optimizer);
  const rng = new Rng(options.seed);
  let history: EpochRecord[] = [];
  let seconds = 0;
  let stoppedEarly = false;
  const resumed = options.checkpointDir ? await restore(options.checkpointDir, options.configHash, weights, trainables, optimizer, progress) : null;
  if (resumed) {
    rng.setState(resumed.rng);
    history = resumed.history;
    seconds = resumed.seconds;
    stoppedEarly = resumed.stoppedEarly;
    task.loadState?.(resumed.task);
    progress.note(`resumed from the checkpoint after epoch ${resumed.epoch} (${options.checkpointDir})`);
  }
  const resumedAfter = resumed?.epoch ?? 0;
  const totalSteps = options.epochs * task.stepsPerEpoch;
  const evalEvery = options.evalEvery ?? 1;
  const capture = captureWanted(options.capture) ? new StepCapture(progress) : null;
  let epoch = resumedAfter;
  try {
    while (epoch < options.epochs && !stoppedEarly) {
      const lastEpochMs = history.length > 0 ? history[history.length - 1].seconds * 1000 : 0;
      if (options.deadline !== undefined && Date.now() + 1.2 * lastEpochMs > options.deadline) {
        progress.note(`stopping after epoch ${epoch} to meet the deadline; the checkpoint resumes the run`);
        break;
      }
      epoch++;
      const started = Date.now();
      progress.epochStart(epoch, options.epochs);
      const { means, learningRate } = await runEpoch(task, {
        rng, epoch, firstStep: (epoch - 1) * task.stepsPerEpoch, totalSteps, options, trainables, optimizer, progress, capture,
      });
      const evaluated = task.evaluate && (epoch % evalEvery === 0 || epoch === options.epochs) ? await task.evaluate(epoch) : {};
      const epochSeconds = (Date.now() - started) / 1000;
      seconds += epochSeconds;
      const record: EpochRecord = { ...means, ...evaluated, epoch, loss: means.loss, learningRate, seconds: epochSeconds };
      history.push(record);
      progress.epochEnd(record, options.epochs);
      stoppedEarly = (await task.endEpoch?.(record)) === "stop";
      if (options.checkpointDir) {
        const state: CheckpointState = {
          configHash: options.configHash, epoch, rng: rng.getState(), seconds, history, task: await task.saveState?.(), stoppedEarly,
        };
        await saveCheckpoint(options.checkpointDir, state, await checkpointTensors(weights, trainables, optimizer));
      }
    }
  } finally {
    capture?.drop();
    optimizer.dispose();
  }
  return { history, seconds, resumedAfter, complete: epoch >= options.epochs || stoppedEarly, stoppedEarly };
}

/** Loads the weights of a finished run's checkpoint into `models` (built with the same architecture). */
export function restoreWeights(models: tfl.LayersModel[], dir: string): void {
  const checkpoint = loadCheckpoint<CheckpointState>(dir);
  if (!checkpoint) throw new Error(`no checkpoint in ${dir}: run the experiment that writes it first`);
  writeWeights(checkpoint, uniqueVariables(models, false), dir);
}
