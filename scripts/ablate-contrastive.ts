// npx tsx scripts/ablate-contrastive.ts <variant...> [--epochs N] [--time-budget SECONDS] [--profile NAME] [--list]
//
// Short runs of Exercise 6's contrastive pretraining with one thing changed, to find what makes the k-NN probe of
// the encoder improve: each variant is CONTRASTIVE_PARAMS with the overrides below and fewer epochs (the schedule
// is scaled to them), run as an experiment of its own (checkpointed, resumable with the same command, result file
// with provenance in RESULTS_DIR; the committed ones are in bench/results/contrastive-ablation/). Run one process
// per variant on the GPU host to run them side by side. The profile defaults to `validation`, so the probe's queries
// are held-out labeled images and the choice never reads the test set (the committed runs predate that default).
import { PROFILE_ENV } from "../lib/config";
import { loadStudyData } from "../lib/data/study";
import { Experiment, ExperimentContext, ExperimentOutcome, Params, Runner, runInTurn } from "../lib/experiments/experiment";
import { finishedLine } from "../lib/experiments/results";
import { CONTRASTIVE_PARAMS, buildFamily, pretrainContrastive } from "../lib/methods/contrastive";
import { pausedOutcome } from "../lib/methods/recipe";
import { startSession } from "../lib/session";

/** What each variant changes. "jitter" is the augmentation the full runs of commit 22440e4 used. */
const VARIANTS: Record<string, Params> = {
  "jitter": { contrastiveHue: 0, contrastiveGreyscale: 0 },
  "jitter-no-clusters": { contrastiveHue: 0, contrastiveGreyscale: 0, contrastiveClusterWeight: 0, contrastiveBalanceWeight: 0 },
  "colour": { contrastiveHue: 0.1, contrastiveGreyscale: 0.2 },
  "colour-no-clusters": { contrastiveHue: 0.1, contrastiveGreyscale: 0.2, contrastiveClusterWeight: 0, contrastiveBalanceWeight: 0 },
  "colour-crop-0.08": { contrastiveHue: 0.1, contrastiveGreyscale: 0.2, contrastiveCropMinArea: 0.08 },
  "colour-tau-0.2": { contrastiveHue: 0.1, contrastiveGreyscale: 0.2, contrastiveTemperature: 0.2 },
};

/** Step 1 of the two-step variant alone; the "test accuracy" of the record is the last k-NN probe of h. */
async function pretrainOnly(ctx: ExperimentContext, params: Params): Promise<ExperimentOutcome> {
  const family = buildFamily(params, ctx.seed);
  try {
    const stage = await pretrainContrastive(ctx, params, family);
    if (!stage.complete) return pausedOutcome([], stage.seconds);
    const { labeled, unlabeled, test } = ctx.data;
    return {
      complete: true,
      trainAccuracy: NaN,
      testAccuracy: stage.final.knnAccuracy,
      history: stage.history,
      details: { initial: stage.initial, final: stage.final },
      data: { labeled: labeled.length, unlabeled: unlabeled.length, test: test.count },
      seconds: stage.seconds,
    };
  } finally {
    family.joint.dispose();
  }
}

function ablation(name: string, epochs: number): Experiment {
  const overrides = VARIANTS[name];
  if (!overrides) throw new Error(`no ablation variant "${name}"; known: ${Object.keys(VARIANTS).join(", ")}`);
  return {
    id: `ablation-${name}-${epochs}ep`,
    exercise: 6,
    method: "contrastive-pretraining",
    title: `Contrastive pretraining, ${epochs} epochs: ${JSON.stringify(overrides)}`,
    params: { ...CONTRASTIVE_PARAMS, ...overrides, contrastiveEpochs: epochs },
    seeds: [6],
    run: pretrainOnly,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const argv = process.argv.slice(2);
  let epochs = 8;
  let budget: number | null = null;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--epochs") epochs = Number(argv[++i]);
    else if (argv[i] === "--time-budget") budget = Number(argv[++i]);
    else if (argv[i] === "--profile") process.env[PROFILE_ENV] = argv[++i];
    else if (argv[i] === "--list") return void Object.entries(VARIANTS).forEach(([n, o]) => console.log(`${n.padEnd(20)} ${JSON.stringify(o)}`));
    else if (argv[i].startsWith("--")) throw new Error(`unknown option ${argv[i]}; options: --epochs N, --time-budget SECONDS, --profile NAME, --list`);
    else names.push(argv[i]);
  }
  if (!(Number.isInteger(epochs) && epochs > 0)) throw new Error(`--epochs takes a whole number > 0 (got ${epochs})`);
  if (!process.env[PROFILE_ENV]) process.env[PROFILE_ENV] = "validation";
  const experiments = names.map((n) => ablation(n, epochs));
  const { profile, backend } = await startSession();
  const runner: Runner = { profile, backend, data: await loadStudyData(profile), experiments: new Map(experiments.map((e) => [e.id, e])) };
  const deadline = budget === null ? undefined : started + budget * 1000;
  const paused = await runInTurn(runner, experiments.map((e) => e.id), { deadline }, (result, reused) =>
    console.log(reused ? finishedLine(result, true) : `${result.experiment}: k-NN probe ${result.testAccuracy.toFixed(4)} (${result.seconds.toFixed(0)} s)`),
  );
  if (paused) console.log(`paused at the time budget: ${paused}; run the same command again to resume`);
}

main()
  .then(() => process.exit(0))
  .catch((e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  });
