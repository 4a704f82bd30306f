// Command-line options, the printed table and the JSON record of `npm run bench`.
import { execSync } from "child_process";
import { parseConv2DTiles } from "../kernels/webgpu/conv2d";
import { CAPTURED_BENCH_MODELS, CapturedBenchModel } from "./captured";
import { BENCH_MODELS, BenchModelName } from "./models";
import type { ModelResult, StepProfile } from "./runner";

export interface BenchArgs {
  models: BenchModelName[];
  steps: number;
  warmup: number;
  batch: Record<BenchModelName, number>;
  seed: number;
  profile: boolean;
  ablate: boolean;
  /** Also time the training loop's step eagerly and captured for the study network and both bench models. */
  captured: boolean;
  /** The models of the captured bench (all three unless --captured-models). */
  capturedModels: CapturedBenchModel[];
  /** One batch size for every captured model instead of each one's default (study 256, refcnn 512, resnet 256). */
  capturedBatch: number | null;
  /** Only the captured bench (no trainOnBatch stock vs project runs). */
  capturedOnly: boolean;
  /**
   * Forward-convolution variants the captured bench runs every model with, in this order: "stock" (tfjs' Conv2DMM),
   * "project" (the project GEMM, tile from TFJS_PROJECT_CONV2D_TILE or the default) or "project:TMxTNxTK".
   * null: whatever TFJS_PROJECT_CONV2D says, one run per model.
   */
  conv2d: string[] | null;
  json: string | null;
}

export const DEFAULT_ARGS: BenchArgs = {
  models: [...BENCH_MODELS],
  steps: 10,
  warmup: 3,
  batch: { refcnn: 512, resnet: 256 },
  seed: 1234,
  profile: false,
  ablate: false,
  captured: false,
  capturedModels: [...CAPTURED_BENCH_MODELS],
  capturedBatch: null,
  capturedOnly: false,
  conv2d: null,
  json: null,
};

export const USAGE = `usage: npm run bench -- [--models refcnn,resnet] [--steps N] [--warmup W]
  [--batch-refcnn 512] [--batch-resnet 256] [--seed S] [--profile] [--ablate] [--captured] [--json out.json]
  [--captured-models study,refcnn,resnet] [--captured-batch N] [--captured-only]
  [--conv2d stock,project,project:128x64x16,...]
  --profile: tf.profile one extra step per mode (top GPU programs, launches); with --captured also one profiled
             replay per model (GPU ms per program from timestamp queries)
  --ablate:  also time the project kernels with each one left out in turn
  --captured: also time the loop's step eagerly and captured (study network b256, refcnn b512, resnet b256)
  --captured-models, --captured-batch: which models the captured bench runs, at one batch size for all
  --captured-only: the captured bench alone (implies --captured)
  --conv2d: run the captured bench once per forward-convolution variant: stock (tfjs' Conv2DMM), project (the
             project GEMM, TFJS_PROJECT_CONV2D_TILE or 64x64x16) or project:TMxTNxTK (TM 16-128, TN 16-128,
             TK 4-32, powers of 2); without it TFJS_PROJECT_CONV2D=1 decides`;

/** A --conv2d entry as (project on?, tile or null for the current one); throws on anything else. */
export function parseConv2DVariant(text: string): { project: boolean; tiles: ReturnType<typeof parseConv2DTiles> | null } {
  if (text === "stock") return { project: false, tiles: null };
  if (text === "project") return { project: true, tiles: null };
  const match = /^project:(.+)$/.exec(text);
  if (!match) throw new Error(`--conv2d: unknown variant "${text}" (stock, project or project:TMxTNxTK)\n${USAGE}`);
  return { project: true, tiles: parseConv2DTiles(match[1]) };
}

function positiveInt(flag: string, raw: string | undefined, allowZero = false): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`${flag} needs a ${allowZero ? "non-negative" : "positive"} integer, got ${raw}\n${USAGE}`);
  return n;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { ...DEFAULT_ARGS, batch: { ...DEFAULT_ARGS.batch } };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i];
    switch (flag) {
      case "--models": {
        const names = (value() ?? "").split(",").map((s) => s.trim());
        const bad = names.filter((n) => !(BENCH_MODELS as readonly string[]).includes(n));
        if (bad.length > 0 || names.length === 0) throw new Error(`--models: unknown ${bad.join(", ")}\n${USAGE}`);
        args.models = names as BenchModelName[];
        break;
      }
      case "--steps": args.steps = positiveInt(flag, value()); break;
      case "--warmup": args.warmup = positiveInt(flag, value(), true); break;
      case "--batch-refcnn": args.batch.refcnn = positiveInt(flag, value()); break;
      case "--batch-resnet": args.batch.resnet = positiveInt(flag, value()); break;
      case "--seed": args.seed = positiveInt(flag, value(), true); break;
      case "--profile": args.profile = true; break;
      case "--ablate": args.ablate = true; break;
      case "--captured": args.captured = true; break;
      case "--captured-models": {
        const names = (value() ?? "").split(",").map((s) => s.trim());
        const bad = names.filter((n) => !(CAPTURED_BENCH_MODELS as readonly string[]).includes(n));
        if (bad.length > 0 || names.length === 0) throw new Error(`--captured-models: unknown ${bad.join(", ")}\n${USAGE}`);
        args.capturedModels = names as CapturedBenchModel[];
        break;
      }
      case "--captured-batch": args.capturedBatch = positiveInt(flag, value()); break;
      case "--captured-only": args.capturedOnly = args.captured = true; break;
      case "--conv2d": {
        const names = (value() ?? "").split(",").map((n) => n.trim()).filter((n) => n !== "");
        if (names.length === 0) throw new Error(`--conv2d needs a list of variants\n${USAGE}`);
        names.forEach(parseConv2DVariant);
        args.conv2d = names;
        break;
      }
      case "--json": args.json = value() ?? null; break;
      default: throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return args;
}

/**
 * The commit benchmarked: $GIT_COMMIT, else the commit a GPU-host bundle was built from (esbuild defines
 * process.env.BUNDLED_GIT_COMMIT), else `git rev-parse HEAD` ("-dirty" when tracked files changed), else null.
 */
export function gitCommit(env: NodeJS.ProcessEnv = process.env): string | null {
  const known = env.GIT_COMMIT ?? process.env.BUNDLED_GIT_COMMIT;
  if (known) return known;
  try {
    const run = (cmd: string) => execSync(cmd, { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    const head = run("git rev-parse HEAD");
    return run("git status --porcelain --untracked-files=no") === "" ? head : `${head}-dirty`;
  } catch {
    return null;
  }
}

const fmt = (n: number | null | undefined, digits = 1) => (n == null ? "-" : n.toFixed(digits));

export function formatTable(results: ModelResult[], backend: string, device: string): string {
  const header = ["model", "batch", "stock img/s", "project img/s", "speed-up", "launches/step stock->project", "host ms/step stock->project", "final loss stock/project", "backend", "adapter"];
  const rows = results.map((r) => {
    const lastLoss = (losses: number[] | undefined) => (losses ? losses[losses.length - 1] : null);
    return [
      r.model,
      String(r.batch),
      fmt(r.stock.imagesPerSec),
      fmt(r.project?.imagesPerSec),
      r.speedup == null ? "-" : `${r.speedup.toFixed(2)}x`,
      `${fmt(r.stock.launchesPerStep, 0)} -> ${fmt(r.project?.launchesPerStep, 0)}`,
      `${fmt(r.stock.medianHostMs)} -> ${fmt(r.project?.medianHostMs)}`,
      `${fmt(lastLoss(r.stock.losses), 4)} / ${fmt(lastLoss(r.project?.losses), 4)}`,
      backend,
      device,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(" | ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)].join("\n");
}

/** Largest gap (ModelResult.lossGap) between the stock and project runs' final losses that is "the same loss". */
export const SAME_LOSS_TOLERANCE = 1e-3;

/** The same-loss check, one line per model; `ok` is false when any model's losses drifted apart. */
export function lossCheck(results: ModelResult[]): { ok: boolean; text: string } {
  const lines = results
    .filter((r) => r.lossGap != null)
    .map((r) => `${r.model}: final loss stock ${fmt(r.stock.losses[r.stock.losses.length - 1], 5)}, project ` +
      `${fmt(r.project?.losses[r.project.losses.length - 1], 5)}, gap ${r.lossGap!.toExponential(1)} ` +
      `(${r.lossGap! <= SAME_LOSS_TOLERANCE ? "same loss" : `MISMATCH: over ${SAME_LOSS_TOLERANCE}`})`);
  return { ok: results.every((r) => r.lossGap == null || r.lossGap <= SAME_LOSS_TOLERANCE), text: lines.join("\n") };
}

/** One line per leave-one-out run: what each project kernel is worth on its own. */
export function formatAblations(results: ModelResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    if (!r.project) continue;
    for (const a of r.ablations) {
      const loss = (1 - a.imagesPerSec / r.project.imagesPerSec) * 100;
      lines.push(`${r.model} b${r.batch}: ${a.mode}: ${fmt(a.imagesPerSec)} img/s (${loss >= 0 ? "-" : "+"}${fmt(Math.abs(loss))}% vs all project kernels), ` +
        `${fmt(a.launchesPerStep, 0)} launches/step, host ${fmt(a.medianHostMs)} ms`);
    }
  }
  return lines.join("\n");
}

export function formatProfile(model: string, mode: string, p: StepProfile, top = 12): string {
  const lines = [
    `${model} (${mode}): one profiled step: wall ${fmt(p.wallMs)} ms, GPU kernels ${fmt(p.kernelMs)} ms, ` +
      `${p.kernels} tfjs kernels, ${p.programs.reduce((a, k) => a + k.count, 0)} GPU programs`,
  ];
  for (const k of p.programs.slice(0, top)) lines.push(`  ${k.name.padEnd(36)} ${String(k.count).padStart(5)} x  ${fmt(k.ms, 2).padStart(9)} ms`);
  return lines.join("\n");
}
