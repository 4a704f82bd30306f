// The README's status table, generated from results/summary.json's rows (npm run status-table rewrites it; a test
// fails when the README's copy differs): per exercise, its best answer by mean test accuracy over the seeds, the
// other answers and the controls in brackets, and the reference solution's figure.
import type { SummaryRow } from "../experiments/aggregate";
import type { Experiment } from "../experiments/experiment";
import { REFERENCE_SOLUTION } from "./reference";

export const STATUS_START = "<!-- status-table:start (npm run status-table) -->";
export const STATUS_END = "<!-- status-table:end -->";

const EXERCISES: Record<number, string> = {
  1: "1 supervised", 2: "2 self-training", 3: "3 autoencoder, two steps", 4: "4 autoencoder, one step", 5: "5 outliers removed", 6: "6 contrastive",
};

const meanSd = (r: SummaryRow) => `${r.testAccuracyMean.toFixed(4)}${r.testAccuracySd === null ? "" : ` ± ${r.testAccuracySd.toFixed(4)}`}`;
const seedsOf = (r: SummaryRow) => `${r.seeds.length} seed${r.seeds.length === 1 ? "" : "s"}`;

/** The classifier answers of an exercise (no one-class detector, no control), best mean first. */
export function exerciseAnswers(rows: SummaryRow[], experiments: Experiment[], exercise: number): SummaryRow[] {
  const answer = new Set(experiments.filter((e) => e.exercise === exercise && !e.control && e.method !== "one-class").map((e) => e.id));
  return rows.filter((r) => answer.has(r.experiment)).sort((a, b) => b.testAccuracyMean - a.testAccuracyMean);
}

export function statusTableMarkdown(rows: SummaryRow[], experiments: Experiment[]): string {
  const lines = ["| exercise | highest mean (other answers; controls) | test accuracy, mean ± sd over seeds | reference solution |", "|---|---|---:|---:|"];
  for (const exercise of Object.keys(EXERCISES).map(Number)) {
    const [best, ...others] = exerciseAnswers(rows, experiments, exercise);
    if (!best) continue;
    const controls = rows.filter((r) => experiments.some((e) => e.id === r.experiment && e.exercise === exercise && e.control));
    const bracket = [others.map((r) => `${r.experiment}: ${meanSd(r)}`).join(", "), controls.map((r) => `control ${r.experiment}: ${meanSd(r)}`).join(", ")]
      .filter((part) => part !== "")
      .join("; ");
    const reference = (REFERENCE_SOLUTION as Record<string, { test?: number }>)[`ex${exercise}`]?.test;
    lines.push(
      `| ${EXERCISES[exercise]} | ${best.experiment} (${seedsOf(best)})${bracket ? ` (${bracket})` : ""} | ${meanSd(best)} | ${reference === undefined ? "" : reference.toFixed(4)} |`,
    );
  }
  return lines.join("\n");
}

/** `readme` with the text between the status markers replaced by `table`. */
export function withStatusTable(readme: string, table: string): string {
  const start = readme.indexOf(STATUS_START);
  const end = readme.indexOf(STATUS_END);
  if (start < 0 || end < start) throw new Error(`README.md has no status table markers (${STATUS_START} ... ${STATUS_END})`);
  return `${readme.slice(0, start + STATUS_START.length)}\n${table}\n${readme.slice(end)}`;
}
