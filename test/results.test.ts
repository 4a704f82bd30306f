import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROFILES } from "../lib/config";
import { configHash } from "../lib/experiments/experiment";
import { EXPERIMENTS } from "../lib/experiments/registry";
import { summarizeRuns, type SummaryRow } from "../lib/experiments/aggregate";
import { readAllResults } from "../lib/experiments/results";
import { acc } from "../lib/report/common";
import { REFERENCE_SOLUTION } from "../lib/report/reference";
import { ABLATED_PARAMS, ablationMarkdown, readContrastiveAblations } from "../lib/report/contrastive";

// The committed full-profile results are what the hand-in notebooks render from. A registry change that no longer
// matches them would make the notebooks retrain at full scale (on a CPU: for days), so it fails here instead.
describe("committed full-profile results", () => {
  const root = path.resolve(__dirname, "..", "results");
  const results = readAllResults("full", root);

  it("exist for every experiment of the registry (at least one seed), each with the registry's configuration hash", () => {
    for (const e of EXPERIMENTS) {
      const own = results.filter((x) => x.experiment === e.id);
      assert.ok(own.length > 0, `results/${e.id}/ has no result: the notebooks would train ${e.id} at full scale; run it on the GPU host`);
      for (const r of own) {
        assert.ok(e.seeds.includes(r.seed), `${e.id}: seed ${r.seed} is not one of the registry's (${e.seeds.join(", ")})`);
        assert.equal(r.configHash, configHash(e, PROFILES.full, r.seed), `${e.id}: results/${e.id}/seed-${r.seed}.json was produced by another configuration; rerun it`);
      }
    }
  });

  it("cover the exercises whose notebooks are committed executed", () => {
    const notebooks = fs.readdirSync(path.resolve(__dirname, "..", "notebooks")).filter((f) => f.endsWith(".ipynb"));
    const executed = notebooks.filter((f) => {
      const nb = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "notebooks", f), "utf8")) as { cells: { outputs?: unknown[] }[] };
      return nb.cells.some((c) => (c.outputs ?? []).length > 0);
    });
    for (const f of executed) {
      const exercise = Number(f.slice(0, 2));
      const missing = EXPERIMENTS.filter((e) => e.exercise === exercise && !results.some((r) => r.experiment === e.id));
      assert.deepEqual(missing.map((e) => e.id), [], `${f} is committed executed but these experiments have no full result`);
    }
  });

  it("carry their provenance and are all listed in summary.json, with the same values", () => {
    const summary = JSON.parse(fs.readFileSync(path.join(root, "summary.json"), "utf8")) as Record<string, unknown>[];
    assert.deepEqual(summary.map((s) => s.experiment).sort(), results.map((r) => r.experiment).sort());
    const expectedRows = summarizeRuns(results);
    assert.deepEqual(summary.map((s) => s.experiment), expectedRows.map((r) => r.experiment), "one row per experiment");
    // Every field of every row as the result files give it (npm run experiments -- --summary rewrites a stale one).
    for (const expected of expectedRows) {
      assert.deepEqual(summary.find((row) => row.experiment === expected.experiment), expected, `summary.json's row of ${expected.experiment}`);
    }
    for (const r of results) {
      assert.equal(r.profile, "full");
      assert.ok(r.testAccuracy > 0 && r.testAccuracy <= 1 && r.history.length > 0, r.experiment);
      assert.match(r.commit, /^[0-9a-f]{40}/, `${r.experiment}: commit`);
    }
  });
});

// The README's status table is typed by hand; every number in it must be the committed result's (or the reference
// solution's, in brackets), and its "best variant" the best classifier of the exercise.
describe("README's status table", () => {
  const root = path.resolve(__dirname, "..", "results");
  const results = new Map(summarizeRuns(readAllResults("full", root)).map((r) => [r.experiment, r]));
  const summary = JSON.parse(fs.readFileSync(path.join(root, "summary.json"), "utf8")) as SummaryRow[];
  /** The variants named in brackets after the best one, by their label in the table. */
  const VARIANTS: Record<string, Record<string, string[]>> = {
    "ex3-autoencoder-finetuned": { frozen: ["ex3-autoencoder-frozen"] },
    "ex5-selftrain-softmatch": { autoencoder: ["ex5-autoencoder-finetuned"], "one step": ["ex5-joint"] },
    "ex6-contrastive-finetuned": {
      frozen: ["ex6-contrastive-frozen"],
      "one step": ["ex6-contrastive-joint"],
      "outliers removed": ["ex6-outliers-contrastive-finetuned", "ex6-outliers-contrastive-joint"],
    },
  };

  /** The test accuracy as the table shows it, after checking that the result file and summary.json agree. */
  const shown = (id: string): string => {
    const result = results.get(id);
    assert.ok(result, `the table names ${id}, which has no results/${id}/`);
    assert.equal(summary.find((row) => row.experiment === id)?.testAccuracy, result.testAccuracy, `${id}: summary.json`);
    return acc(result.testAccuracy);
  };

  it("shows the committed test accuracy of every experiment it names, and the reference solution's", () => {
    const rows = statusTableRows(fs.readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8"));
    assert.deepEqual(rows.map((r) => r.exercise), [1, 2, 3, 4, 5, 6], "one row per exercise");
    for (const row of rows) {
      assert.equal(row.accuracy, shown(row.best), `exercise ${row.exercise}: ${row.best}`);
      const reference = (REFERENCE_SOLUTION as Record<string, { test?: number }>)[`ex${row.exercise}`]?.test;
      if (row.reference !== null) assert.equal(row.reference, reference === undefined ? "none" : acc(reference), `exercise ${row.exercise}: reference`);
      const expected = VARIANTS[row.best] ?? {};
      assert.deepEqual(Object.keys(row.variants), Object.keys(expected), `exercise ${row.exercise}: variants named`);
      for (const [label, ids] of Object.entries(expected)) assert.deepEqual(row.variants[label], ids.map(shown), `${row.best}: ${label}`);
      const numbers = row.line.match(/\d\.\d+/g) ?? [];
      const checked = 1 + (row.reference === null ? 0 : 1) + Object.values(expected).flat().length;
      assert.equal(numbers.length, checked, `every number of the row is checked: ${row.line}`);
    }
  });

  it("names as best variant the exercise's best classifier", () => {
    for (const row of statusTableRows(fs.readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8"))) {
      const best = results.get(row.best)!;
      assert.equal(best.exercise, row.exercise, row.best);
      // The one-class model's accuracy is that of the outlier detector, not of a CIFAR-100 classifier.
      const better = [...results.values()].filter((r) => r.exercise === row.exercise && r.method !== "one-class" && r.testAccuracy > best.testAccuracy);
      assert.deepEqual(better.map((r) => r.experiment), [], `exercise ${row.exercise}: better than ${row.best}`);
    }
  });
});

interface StatusRow {
  line: string;
  exercise: number;
  best: string;
  /** Labeled accuracies in brackets after the best variant, e.g. { frozen: ["0.1748"] }. */
  variants: Record<string, string[]>;
  accuracy: string;
  reference: string | null;
}

/** The rows of the table under "## Status of the exercises". */
function statusTableRows(readme: string): StatusRow[] {
  const section = readme.split(/^## /m).find((part) => part.startsWith("Status of the exercises"));
  assert.ok(section, "README has a Status of the exercises section");
  return section.split("\n").filter((line) => /^\| \d/.test(line)).map((line) => {
    const [exercise, variant, accuracy] = line.split("|").slice(1, -1).map((cell) => cell.trim());
    const best = /^(\S+)(?: \((.*)\))?$/.exec(variant);
    const value = /^(\d\.\d{4})(?: \((\d\.\d{4})\))?$/.exec(accuracy);
    assert.ok(best && value, `a status row of an unexpected form: ${line}`);
    const variants: Record<string, string[]> = {};
    let label = "";
    // "frozen: 0.3744, one step: 0.4416; outliers removed: 0.5478, 0.4424": a label, then its numbers.
    for (const [, name, number] of (best[2] ?? "").matchAll(/([a-z][a-z ]*):|(\d\.\d+)/g)) {
      if (name) variants[(label = name)] = [];
      else variants[label].push(number);
    }
    return { line, exercise: Number.parseInt(exercise, 10), best: best[1], variants, accuracy: value[1], reference: value[2] ?? null };
  });
}

describe("npm run experiments -- --summary", () => {
  it("rewrites summary.json from the result files in RESULTS_DIR, training nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "summary-"));
    try {
      for (const id of ["ex1-supervised", "ex4-joint"]) fs.cpSync(path.resolve(__dirname, "..", "results", id), path.join(dir, id), { recursive: true });
      fs.writeFileSync(path.join(dir, "summary.json"), "[]\n");
      const out = execFileSync(process.execPath, ["--import", "tsx", path.resolve(__dirname, "..", "scripts", "experiments.ts"), "--summary"], {
        env: { ...process.env, RESULTS_DIR: dir, PROFILE: "full" },
        encoding: "utf8",
      });
      assert.match(out, /summary\.json: 2 experiments, 2 runs/);
      const rows = JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8")) as Record<string, unknown>[];
      assert.deepEqual(rows.map((r) => r.experiment), ["ex1-supervised", "ex4-joint"]);
      assert.deepEqual(rows.map((r) => r.deviceSharedBy), [1, 9], "1 for a run alone");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("committed contrastive ablation (bench/results/contrastive-ablation)", () => {
  const ablations = readContrastiveAblations();
  const chosen = EXPERIMENTS.find((e) => e.id === "ex6-contrastive-finetuned")!.params;

  it("holds a measured variant with the loss and view settings the full Exercise 6 runs use", () => {
    assert.ok(ablations.length >= 2, `${ablations.length} ablation results`);
    const same = ablations.filter((r) => ABLATED_PARAMS.every((k) => r.params[k] === chosen[k]));
    assert.equal(same.length, 1, "the full runs' settings were measured by exactly one ablation variant");
    for (const r of ablations) assert.equal(r.testAccuracy, r.history[r.history.length - 1].knnAccuracy, `${r.experiment}: its accuracy is its last k-NN probe`);
  });

  it("renders as a table that marks the full runs' setting and names the best probe", () => {
    const saved = process.env.REPORT_LANG;
    process.env.REPORT_LANG = "en"; // the phrases asserted below are the English ones
    let table: string;
    try {
      table = ablationMarkdown(ablations, chosen);
    } finally {
      if (saved === undefined) delete process.env.REPORT_LANG;
      else process.env.REPORT_LANG = saved;
    }
    const rows = table.split("\n").filter((l) => l.startsWith("| ablation-"));
    assert.equal(rows.length, ablations.length);
    assert.equal(rows.filter((l) => l.includes("the full runs' setting")).length, 1);
    const best = ablations.reduce((a, b) => (b.testAccuracy > a.testAccuracy ? b : a));
    assert.ok(table.includes(`Best probe: **${best.experiment}**`), table.slice(-300));
    assert.ok(rows[rows.length - 1].startsWith(`| ${best.experiment}`), "rows sorted by probe, best last");
  });
});
