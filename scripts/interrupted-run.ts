// npx tsx scripts/interrupted-run.ts --experiment ID --commit REV --date YYYY-MM-DD [--cause host-lost] LOG...
//
// Records the runs of one experiment that stopped for good before their last epoch (their checkpoints were lost
// with the GPU host) from the runner's logs, one file per seed in results/interrupted/: what they measured up to
// there, for the notebooks' curves. Give every call's log of each run: a run resumed in a later call continues in
// that call's log. The logs carry neither commit nor date, so they are given (the bundle's commit, the day it ran).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { InterruptionCause, LoggedRun, parseTrainingLog, stitchRun, writeInterruptedRun } from "../lib/experiments/interrupted-runs";
import { projectRoot } from "../lib/paths";

const CAUSES: InterruptionCause[] = ["host-lost"];

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { experiment: { type: "string" }, commit: { type: "string" }, date: { type: "string" }, cause: { type: "string", default: "host-lost" } },
  });
  const { experiment, date, cause } = values;
  if (!experiment || !values.commit || !date || positionals.length === 0) {
    throw new Error("usage: scripts/interrupted-run.ts --experiment ID --commit REV --date YYYY-MM-DD [--cause host-lost] LOG...");
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`--date ${date} is not YYYY-MM-DD`);
  if (!CAUSES.includes(cause as InterruptionCause)) throw new Error(`--cause ${cause} is not one of ${CAUSES.join(", ")}`);
  const commit = execFileSync("git", ["rev-parse", "--verify", `${values.commit}^{commit}`], { encoding: "utf8" }).trim();

  const bySeed = new Map<number, { run: LoggedRun; log: string }[]>();
  for (const file of positionals) {
    const log = path.relative(projectRoot(), path.resolve(file));
    for (const run of parseTrainingLog(fs.readFileSync(file, "utf8"), log)) {
      if (run.experiment !== experiment || run.epochs.length === 0) continue;
      bySeed.set(run.seed, [...(bySeed.get(run.seed) ?? []), { run, log }]);
    }
  }
  if (bySeed.size === 0) throw new Error(`no epoch of ${experiment} in ${positionals.join(", ")}`);
  // Every seed is checked before any file is written: a bad log leaves nothing half done.
  const runs = [...bySeed.values()].map((stretches) => stitchRun(stretches, { cause: cause as InterruptionCause, commit, date }));
  for (const run of runs) {
    const file = writeInterruptedRun(run);
    console.log(`${path.relative(projectRoot(), file)}: seed ${run.seed}, epochs 1-${run.history.length} of ${run.epochsPlanned} (${run.logs.join(", ")})`);
  }
}

main();
