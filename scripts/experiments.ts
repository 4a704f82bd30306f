// npm run experiments -- <selection...> [--profile full|smoke] [--force] [--time-budget SECONDS] [--list] [--summary]
//
// Trains the selected experiments (ids, prefixes such as "ex2", globs such as "ex2-self*", or "all") and writes
// their result files; an experiment whose result exists for the same configuration is skipped unless --force.
// With --time-budget, training pauses (checkpointed) before the budget runs out; running the same command again
// resumes it. That is how full runs fit the GPU host's 10-minute commands. --summary rewrites the profile's
// summary.json from its result files (after copying results in from elsewhere) and trains nothing.
import * as path from "node:path";
import { PROFILE_ENV, currentProfile } from "../lib/config";
import { loadStudyData } from "../lib/data/study";
import { Runner, runInTurn } from "../lib/experiments/experiment";
import { EXPERIMENTS, EXPERIMENTS_BY_ID, selectExperiments } from "../lib/experiments/registry";
import { finishedLine, readAllResults, resultsDir, summaryRows, writeJsonAtomic } from "../lib/experiments/results";
import { startSession } from "../lib/session";

const USAGE = `usage: npm run experiments -- <selection...> [options]
       npm run experiments -- --list | --summary [--profile NAME]

Trains the selected experiments and writes results/<id>.json (results/<profile>/ for other profiles); an experiment
whose result exists for the same configuration is reused, not retrained.

selection        experiment ids, prefixes such as ex2, globs such as 'ex2-self*', or all (--list shows them)
--profile NAME   full (the default, the assignment's scale: meant for a GPU) or smoke (tiny, for a CPU)
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
}

function parseArgs(argv: string[]): Args {
  const args: Args = { selection: [], force: false, timeBudget: null, list: false, summary: false, help: false };
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
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else args.selection.push(a);
  }
  if (args.timeBudget !== null && !(args.timeBudget > 0)) throw new UsageError("--time-budget takes a number of seconds > 0");
  asUsageError(() => currentProfile());
  if (!args.help && !args.list && !args.summary && args.selection.length === 0) {
    throw new UsageError("no experiments selected: name them, or all (full-profile training of every experiment)");
  }
  return args;
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
    const profile = currentProfile().name;
    const results = readAllResults(profile);
    const file = path.join(resultsDir(profile), "summary.json");
    writeJsonAtomic(file, summaryRows(results));
    console.log(`${file}: ${results.length} results`);
    return;
  }
  const chosen = asUsageError(() => selectExperiments(args.selection));
  const { profile, backend } = await startSession();
  const data = await loadStudyData(profile);
  const runner: Runner = { profile, backend, data, experiments: EXPERIMENTS_BY_ID };
  const deadline = args.timeBudget === null ? undefined : started + args.timeBudget * 1000;
  const paused = await runInTurn(runner, chosen.map((e) => e.id), { force: args.force, deadline }, (result, reused) =>
    console.log(finishedLine(result, reused)),
  );
  if (paused) console.log(`paused at the time budget: ${paused}; run the same command again to resume`);
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
