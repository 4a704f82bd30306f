// Choices between variants are made on the validation split (the `validation` profile: 1,000 labeled images held
// out, lib/data/validation.ts), never on the test set. This module reads only the validation profile's results.
import { type SummaryRow, summarizeRuns } from "./aggregate";
import { readAllResults, resultsRoot } from "./results";

export interface ValidationChoice {
  /** The candidate with the highest mean validation accuracy; null when a candidate has no validation result. */
  best: string | null;
  /** The candidates with validation results, best first (testAccuracy here is the validation accuracy). */
  ranking: SummaryRow[];
  /** Candidates never run under the validation profile. */
  missing: string[];
}

export function bestOnValidation(candidates: string[], root = resultsRoot()): ValidationChoice {
  const rows = summarizeRuns(readAllResults("validation", root)).filter((r) => candidates.includes(r.experiment));
  const ranking = rows.sort((a, b) => b.testAccuracyMean - a.testAccuracyMean);
  const missing = candidates.filter((c) => !rows.some((r) => r.experiment === c));
  return { best: missing.length === 0 && ranking.length > 0 ? ranking[0].experiment : null, ranking, missing };
}
