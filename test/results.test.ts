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
import type { Experiment } from "../lib/experiments/experiment";
import { statusTableMarkdown, withStatusTable } from "../lib/report/status";
import { ABLATED_PARAMS, ablationMarkdown, readContrastiveAblations } from "../lib/report/contrastive";

// The committed full-profile results are what the hand-in notebooks render from. A registry change that no longer
// matches them would make the notebooks retrain at full scale (on a CPU: for days), so it fails here instead.
describe("committed full-profile results", () => {
  const root = path.resolve(__dirname, "..", "results");
  const results = readAllResults("full", root);

  it("exist for every experiment of the registry (at least one seed), each with the registry's configuration hash", () => {
    for (const e of EXPERIMENTS) {
      const own = results.filter((x) => x.experiment === e.id);
      const current = own.filter((r) => r.configHash === configHash(e, PROFILES.full, r.seed));
      if (e.awaitingRun) {
        // The notebooks leave it out and say why; once a current result exists the flag must go.
        assert.deepEqual(current.map((r) => r.seed), [], `${e.id} has current results: remove its awaitingRun`);
        continue;
      }
      assert.ok(own.length > 0, `results/${e.id}/ has no result: the notebooks would train ${e.id} at full scale; run it on the GPU host`);
      for (const r of own) {
        assert.ok(e.seeds.includes(r.seed), `${e.id}: seed ${r.seed} is not one of the registry's (${e.seeds.join(", ")})`);
        assert.equal(r.configHash, configHash(e, PROFILES.full, r.seed), `${e.id}: results/${e.id}/seed-${r.seed}.json was produced by another configuration; rerun it`);
      }
    }
  });

  it("started from the committed results of their dependencies (a dependency rerun with another configuration leaves them stale)", () => {
    for (const r of results) {
      for (const [id, dep] of Object.entries(r.dependencies ?? {})) {
        const current = results.find((x) => x.experiment === id && x.seed === dep.seed);
        assert.ok(current, `${r.experiment} seed ${r.seed} started from ${id} seed ${dep.seed}, which has no committed result`);
        assert.equal(current.configHash, dep.configHash, `${r.experiment} seed ${r.seed} started from another configuration of ${id}: rerun it`);
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
      const missing = EXPERIMENTS.filter((e) => e.exercise === exercise && !e.awaitingRun && !results.some((r) => r.experiment === e.id));
      assert.deepEqual(missing.map((e) => e.id), [], `${f} is committed executed but these experiments have no full result`);
    }
  });

  it("carry their provenance and are all listed in summary.json, with the same values", () => {
    const summary = JSON.parse(fs.readFileSync(path.join(root, "summary.json"), "utf8")) as Record<string, unknown>[];
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

// The README's status table is generated from results/ (npm run status-table); it must be the generated one.
describe("README's status table", () => {
  const root = path.resolve(__dirname, "..", "results");

  it("is the table generated from the committed results", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8");
    const table = statusTableMarkdown(summarizeRuns(readAllResults("full", root)), EXPERIMENTS);
    assert.equal(withStatusTable(readme, table), readme, "README.md's status table is stale: run npm run status-table");
  });

  it("names per exercise the answer with the highest mean, never a control or the one-class detector", () => {
    const row = (experiment: string, exercise: number, testAccuracyMean: number) =>
      ({ experiment, exercise, testAccuracyMean, testAccuracySd: 0.01, seeds: [1, 2, 3] }) as SummaryRow;
    const experiments = [
      { id: "a", exercise: 2, method: "m" }, { id: "b", exercise: 2, method: "m" }, { id: "c", exercise: 2, method: "m", control: true },
      { id: "d", exercise: 5, method: "one-class" }, { id: "e", exercise: 5, method: "m" },
    ] as Experiment[];
    const table = statusTableMarkdown([row("a", 2, 0.5), row("b", 2, 0.6), row("c", 2, 0.7), row("d", 5, 0.9), row("e", 5, 0.4)], experiments);
    assert.match(table, /\| 2 self-training \| b \(3 seeds\) \(a: 0\.5000 ± 0\.0100; control c: 0\.7000 ± 0\.0100\) \| 0\.6000 ± 0\.0100 \| 0\.2165 \|/);
    assert.match(table, /\| 5 outliers removed \| e \(3 seeds\) \| 0\.4000 ± 0\.0100 \|/);
    assert.doesNotMatch(table, /\bd\b/);
  });
});

describe("npm run experiments -- --summary", () => {
  it("rewrites summary.json from the result files in RESULTS_DIR, training nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "summary-"));
    try {
      for (const id of ["ex3-autoencoder-frozen", "ex4-joint"]) fs.cpSync(path.resolve(__dirname, "..", "results", id), path.join(dir, id), { recursive: true });
      fs.writeFileSync(path.join(dir, "summary.json"), "[]\n");
      const out = execFileSync(process.execPath, ["--import", "tsx", path.resolve(__dirname, "..", "scripts", "experiments.ts"), "--summary"], {
        env: { ...process.env, RESULTS_DIR: dir, PROFILE: "full" },
        encoding: "utf8",
      });
      const runs = ["ex3-autoencoder-frozen", "ex4-joint"].reduce((n, id) => n + fs.readdirSync(path.join(dir, id)).length, 0);
      assert.match(out, new RegExp(`summary\\.json: 2 experiments, ${runs} runs`));
      const rows = JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8")) as Record<string, unknown>[];
      assert.deepEqual(rows.map((r) => r.experiment), ["ex3-autoencoder-frozen", "ex4-joint"]);
      assert.deepEqual(rows.map((r) => r.deviceSharedBy), [9, 14], "the most processes any seed shared the GPU with");
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
    // The committed runs probed with test images (they predate the validation split): the text must say so.
    assert.ok(ablations.every((r) => r.profile === "full"));
    assert.match(table, /(probe's queries were test images.*this choice read the test set|consultas de la sonda fueron imágenes de test.*esta elección leyó el conjunto de test)/);
    const onValidation = ablationMarkdown(ablations.map((r) => ({ ...r, profile: "validation" })), chosen);
    assert.match(onValidation, /(the choice did not read the test set|la elección no leyó el conjunto de test)/);
  });
});
