// npm run experiments -- <selection...> [--profile full|smoke] [--seeds 1,2,3] [--force] [--time-budget SECONDS] [--list] [--summary]
//
// Trains every seed of the selected experiments (ids, prefixes such as "ex2", globs such as "ex2-self*", or "all")
// and writes their result files; a seed whose result exists for the same configuration is skipped unless --force.
// With --time-budget, training pauses (checkpointed) before the budget runs out; running the same command again
// resumes it. That is how full runs fit the GPU host's 10-minute commands. --summary rewrites the profile's
// summary.json from its result files (after copying results in from elsewhere) and trains nothing.
import { PROFILE_ENV, currentProfile } from "../lib/config";
import { loadStudyData } from "../lib/data/study";
import { Experiment, Runner, runInTurn, seedsFor, seedsWithCurrentResults } from "../lib/experiments/experiment";
import { EXPERIMENTS, EXPERIMENTS_BY_ID, selectExperiments } from "../lib/experiments/registry";
import { finishedLine, writeSummary } from "../lib/experiments/results";
import { startSession } from "../lib/session";

const USAGE = `usage: npm run experiments -- <selection...> [options]
       npm run experiments -- --list | --summary [--profile NAME]

Trains every seed of the selected experiments and writes results/<id>/seed-<n>.json (under results/<profile>/ for
other profiles); a seed whose result exists for the same configuration is reused, not retrained.

selection        experiment ids, prefixes such as ex2, globs such as 'ex2-self*', or all (--list shows them)
--profile NAME   full (the default, the assignment's scale: meant for a GPU), smoke (tiny, for a CPU) or validation
                 (full scale, 1,000 labeled images held out and evaluated on: where variants are chosen)
--seeds LIST     comma-separated seeds replacing every experiment's own (full: 3 per experiment, smoke: the first)
--replicate K    only the K-th seed of each experiment's list (1-based), e.g. one process per seed on the GPU host
--reuse-partial  what the notebooks render: an experiment with a result for some of its seeds is reused as it is
                 (its missing seeds are listed, not trained), one awaiting its run is skipped; only experiments
                 without any result train (the main job uses it, so a CPU machine never trains missing seeds)
--force          retrain even when a result of the same configuration exists
--time-budget S  pause (checkpointed) before S seconds have passed; the same command again resumes
--list           list the experiments and exit
--summary        rewrite the profile's summary.json from its result files, training nothing
-h, --help       show this text`;

/** A mistake in the command line: printed with the usage, exit status 2. */
class UsageError extends Error {}

interface Args {
  selection: string[];
  force: boolean;
  timeBudget: number | null;
  list: boolean;
  summary: boolean;
  help: boolean;
  seeds: number[] | null;
  replicate: number | null;
  reusePartial: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { selection: [], force: false, timeBudget: null, list: false, summary: false, help: false, seeds: null, replicate: null, reusePartial: false };
  const value = (i: number) => {
    if (i >= argv.length || argv[i].startsWith("-")) throw new UsageError(`${argv[i - 1]} needs a value`);
    return argv[i];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") args.help = true;
    else if (a === "--force") args.force = true;
    else if (a === "--list") args.list = true;
    else if (a === "--summary") args.summary = true;
    else if (a === "--profile") process.env[PROFILE_ENV] = value(++i);
    else if (a === "--time-budget") args.timeBudget = Number(value(++i));
    else if (a === "--seeds") args.seeds = parseSeeds(value(++i));
    else if (a === "--replicate") args.replicate = Number(value(++i));
    else if (a === "--reuse-partial") args.reusePartial = true;
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else args.selection.push(a);
  }
  if (args.timeBudget !== null && !(args.timeBudget > 0)) throw new UsageError("--time-budget takes a number of seconds > 0");
  if (args.replicate !== null && !(Number.isInteger(args.replicate) && args.replicate >= 1)) throw new UsageError("--replicate takes a seed position >= 1");
  const profile = asUsageError(() => currentProfile());
  if (args.replicate !== null && args.replicate > (args.seeds?.length ?? profile.seedCount)) {
    throw new UsageError(`--replicate ${args.replicate}: profile ${profile.name} runs ${args.seeds?.length ?? profile.seedCount} seed(s) per experiment`);
  }
  if (!args.help && !args.list && !args.summary && args.selection.length === 0) {
    throw new UsageError("no experiments selected: name them, or all (full-profile training of every experiment)");
  }
  return args;
}

function parseSeeds(text: string): number[] {
  const seeds = text.split(",").map((s) => Number(s.trim()));
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0) || new Set(seeds).size !== seeds.length) {
    throw new UsageError(`--seeds ${text}: expected distinct non-negative integers separated by commas, e.g. 1,2,3`);
  }
  return seeds;
}

async function main(): Promise<void> {
  const started = Date.now();
  const args = parseArgs(process.argv.slice(2));
  if (args.help) return void console.log(USAGE);
  if (args.list) {
    for (const e of EXPERIMENTS) console.log(`${e.id.padEnd(34)} exercise ${e.exercise}  ${e.title}`);
    return;
  }
  if (args.summary) {
    const { file, rows } = writeSummary(currentProfile().name);
    console.log(`${file}: ${rows.length} experiments, ${rows.reduce((n, r) => n + r.seeds.length, 0)} runs`);
    return;
  }
  const chosen = asUsageError(() => selectExperiments(args.selection));
  const { profile, backend } = await startSession();
  const data = await loadStudyData(profile);
  const runner: Runner = { profile, backend, data, experiments: EXPERIMENTS_BY_ID, ...(args.seeds ? { seeds: args.seeds } : {}),
    ...(args.replicate ? { positions: [args.replicate - 1] } : {}),
  };
  const deadline = args.timeBudget === null ? undefined : started + args.timeBudget * 1000;
  const toRun = args.reusePartial && !args.force ? chosen.filter((e) => !reusedAsItIs(runner, e)) : chosen;
  const paused = await runInTurn(runner, toRun.map((e) => e.id), { force: args.force, deadline }, (result, reused) =>
    console.log(finishedLine(result, reused)),
  );
  if (paused) console.log(`paused at the time budget: ${paused}; run the same command again to resume`);
}

/** --reuse-partial: true (and says why) for an experiment with some current seeds, or one awaiting its run. */
function reusedAsItIs(runner: Runner, experiment: Experiment): boolean {
  const present = seedsWithCurrentResults(runner, experiment);
  const missing = seedsFor(runner, experiment).filter((s) => !present.includes(s));
  if (present.length > 0) {
    if (missing.length > 0) console.log(`${experiment.id}: reused ${present.length} of ${present.length + missing.length} seeds; seeds ${missing.join(", ")} missing (npm run experiments -- ${experiment.id}, on a GPU)`);
    else console.log(`${experiment.id}: reused all ${present.length} seeds`);
    return true;
  }
  if (experiment.awaitingRun) {
    console.log(`${experiment.id}: awaits its run, skipped (${experiment.awaitingRun})`);
    return true;
  }
  return false;
}

/** `check()`, with its error reported as a command-line mistake (an unknown profile or experiment name). */
function asUsageError<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

main()
  .then(() => process.exit(0))
  .catch((e) => {
    if (e instanceof UsageError) {
      console.error(`experiments: ${e.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  });
