// Where every result a notebook shows was trained: one row per experiment and seed, from its result file (device,
// backend, commit, date, wall time). Each notebook ends with this table; its first cell names only the backend that
// renders it, which is not where the results came from.
import type { SeededResult } from "../experiments/aggregate";
import type { ResultRecord } from "../experiments/results";
import { runsOf } from "./chart-helpers";
import { minutes } from "./common";
import { text } from "./text/index";

export interface ProvenanceRow {
  experiment: string;
  seed: number;
  profile: string;
  device: string;
  /** False when the device string does not name the card (only the driver's description, e.g. "NVIDIA: 580.159.04"). */
  cardNamed: boolean;
  backend: string;
  commit: string;
  /** "YYYY-MM-DD HH:MM", UTC. */
  date: string;
  seconds: number;
  deviceSharedBy: number | null;
}

/** True when `device` names the card, false for a bare driver description ("NVIDIA: 580.159.04 ..., vendor nvidia"). */
export function namesCard(device: string): boolean {
  return !/^[\w .-]+: \d/.test(device.split(", ")[0]);
}

/** One row per run of `results` (null entries, for paused runs, are skipped), each experiment and seed once, in order. */
export function provenanceRows(results: (ResultRecord | SeededResult | null | undefined)[]): ProvenanceRow[] {
  const seen = new Set<string>();
  const rows: ProvenanceRow[] = [];
  for (const result of results) {
    if (!result) continue;
    for (const run of runsOf(result)) {
      const key = `${run.profile}/${run.experiment}/${run.seed}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({
        experiment: run.experiment,
        seed: run.seed,
        profile: run.profile,
        device: run.device,
        cardNamed: namesCard(run.device),
        backend: run.backend,
        commit: run.commit.length > 16 ? `${run.commit.slice(0, 10)}${run.commit.endsWith("-dirty") ? "-dirty" : ""}` : run.commit,
        date: run.date.replace(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d).*$/, "$1 $2"),
        seconds: run.seconds,
        deviceSharedBy: run.deviceSharedBy && run.deviceSharedBy > 1 ? run.deviceSharedBy : null,
      });
    }
  }
  return rows;
}

/** The provenance table of a notebook as markdown (with a note for devices recorded without the card's name). */
export function provenanceMarkdown(results: (ResultRecord | SeededResult | null | undefined)[]): string {
  const rows = provenanceRows(results);
  const t = text().provenance;
  if (rows.length === 0) return t.none;
  const unnamed = rows.some((r) => !r.cardNamed);
  const lines = rows.map((r) => {
    const device = `${r.device}${r.cardNamed ? "" : " ¹"}`;
    const time = `${minutes(r.seconds)}${r.deviceSharedBy ? ` (${t.shared(r.deviceSharedBy)})` : ""}`;
    return `| ${r.experiment} | ${r.seed} | ${device} | ${r.backend} | \`${r.commit}\` | ${r.date} | ${time} |`;
  });
  const experiments = new Set(rows.map((r) => r.experiment)).size;
  const total = rows.reduce((sum, r) => sum + r.seconds, 0);
  return [
    t.intro,
    "",
    `| ${t.header.join(" | ")} |`,
    "|---|---:|---|---|---|---|---:|",
    ...lines,
    "",
    t.total(rows.length, experiments, minutes(total)),
    ...(unnamed ? ["", `¹ ${t.noCardName}.`] : []),
  ].join("\n");
}
