import assert from "node:assert/strict";
import { namesCard, provenanceMarkdown, provenanceRows } from "../lib/report/provenance";
import { text as phrases } from "../lib/report/text/index";

const PROVENANCE_TEXT = phrases().provenance;
import { H200, record, seeded } from "./helpers/results";
import { provenanceLine } from "../lib/report/common";
import { seededResult } from "../lib/experiments/aggregate";

describe("provenance table", () => {
  it("has one row per experiment and seed, each once, in the order shown", () => {
    const ex1 = seeded("ex1-supervised", [0.52, 0.53, 0.51]);
    const ex2 = seeded("ex2-selftrain-softmatch", [0.56], { seconds: 900, deviceSharedBy: 4, commit: "b68f4b10ee8c9ada31169d15dd5bb9d48ab2e875-dirty" });
    const rows = provenanceRows([ex1, null, ex2, ex1]);
    assert.deepEqual(rows.map((r) => `${r.experiment}/${r.seed}`), ["ex1-supervised/1", "ex1-supervised/101", "ex1-supervised/201", "ex2-selftrain-softmatch/1"]);
    assert.deepEqual(rows[3], {
      experiment: "ex2-selftrain-softmatch", seed: 1, profile: "full", device: H200, cardNamed: true, backend: "webgpu",
      commit: "b68f4b10ee-dirty", date: "2026-11-26 22:18", seconds: 900, deviceSharedBy: 4,
    });
    assert.equal(rows[0].deviceSharedBy, null);
  });

  it("names every commit, device and the span of dates of a result whose seeds ran in different sessions", () => {
    const first = record({ experiment: "ex6-contrastive-joint", seed: 7, seconds: 404, commit: "ac747c8192aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", date: "2026-11-27T10:00:00.000Z", device: "NVIDIA H100 80GB HBM3" });
    const later = (seed: number) => record({ experiment: "ex6-contrastive-joint", seed, seconds: 201, commit: "0bd24b3e88bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", date: "2026-12-03T06:39:00.000Z" });
    const line = provenanceLine(seededResult([first, later(107), later(207)]));
    assert.match(line, /`ac747c8192`, `0bd24b3e88`/);
    assert.match(line, /2026-11-27 – 2026-12-03/);
    assert.match(line, new RegExp(`NVIDIA H100 80GB HBM3 / ${H200.replace(/[.]/g, "\\.")}`));
    // One session: one commit, one date, one device.
    const single = provenanceLine(seededResult([later(107), later(207)]));
    assert.doesNotMatch(single, /–|, `/);
    assert.ok(single.includes("`0bd24b3e88`") && single.includes("2026-12-03"));
  });

  it("takes plain result records too (the contrastive ablation's runs)", () => {
    assert.deepEqual(provenanceRows([record({ experiment: "ablation-colour-8ep", seed: 6 })]).map((r) => r.experiment), ["ablation-colour-8ep"]);
  });

  it("shows a device recorded without the card's name as recorded, with a note", () => {
    const bare = "NVIDIA: 580.159.04 580.159.4.0, vendor nvidia";
    assert.equal(namesCard(bare), false);
    assert.equal(namesCard(H200), true);
    assert.equal(namesCard("llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1, vendor mesa, software"), true);
    assert.equal(namesCard("CPU (libtensorflow 2.19.0, from PyPI's tensorflow-cpu 2.19.0 wheel)"), true);
    const text = provenanceMarkdown([seeded("ex1-supervised", [0.52], { device: bare }), seeded("ex2-fixmatch-confidence", [0.47])]);
    assert.match(text, new RegExp(`\\| ex1-supervised \\| 1 \\| ${bare.replace(/[.]/g, "\\.")} ¹ \\| webgpu \\| \`389c334cd6\` \\| 2026-11-26 22:18 \\| 2\\.7 min \\|`));
    assert.match(text, /\| ex2-fixmatch-confidence \| 1 \| NVIDIA H200, [^|]* \| webgpu \|/);
    assert.ok(text.includes(`¹ ${PROVENANCE_TEXT.noCardName}.`));
    assert.ok(text.includes(PROVENANCE_TEXT.total(2, 2, "5.3 min")));
  });

  it("flags wall times measured on a shared device, and says when nothing was shown", () => {
    assert.match(provenanceMarkdown([record({ deviceSharedBy: 6, seconds: 300 })]), new RegExp(`\\| 5\\.0 min \\(${PROVENANCE_TEXT.shared(6)}\\) \\|`));
    assert.doesNotMatch(provenanceMarkdown([record()]), /¹/);
    assert.equal(provenanceMarkdown([]), PROVENANCE_TEXT.none);
  });
});
