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

interface Args {
  selection: string[];
  force: boolean;
  timeBudget: number | null;
  list: boolean;
  summary: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { selection: [], force: false, timeBudget: null, list: false, summary: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--force") args.force = true;
    else if (a === "--list") args.list = true;
    else if (a === "--summary") args.summary = true;
    else if (a === "--profile") process.env[PROFILE_ENV] = argv[++i];
    else if (a === "--time-budget") args.timeBudget = Number(argv[++i]);
    else if (a.startsWith("--")) throw new Error(`unknown option ${a}; options: --profile NAME, --force, --time-budget SECONDS, --list, --summary`);
    else args.selection.push(a);
  }
  if (args.timeBudget !== null && !(args.timeBudget > 0)) throw new Error("--time-budget takes a number of seconds > 0");
  return args;
}

async function main(): Promise<void> {
  const started = Date.now();
  const args = parseArgs(process.argv.slice(2));
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
  const chosen = selectExperiments(args.selection);
  const { profile, backend } = await startSession();
  const data = await loadStudyData(profile);
  const runner: Runner = { profile, backend, data, experiments: EXPERIMENTS_BY_ID };
  const deadline = args.timeBudget === null ? undefined : started + args.timeBudget * 1000;
  const paused = await runInTurn(runner, chosen.map((e) => e.id), { force: args.force, deadline }, (result, reused) =>
    console.log(finishedLine(result, reused)),
  );
  if (paused) console.log(`paused at the time budget: ${paused}; run the same command again to resume`);
}

main()
  .then(() => process.exit(0))
  .catch((e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  });
