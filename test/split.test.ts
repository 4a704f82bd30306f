import assert from "node:assert/strict";
import { createHash } from "crypto";
import { MT19937 } from "../lib/data/mt19937";
import { labeledSplit, splitDigest } from "../lib/data/split";

// Expected values below come from numpy 2.4 (`np.random.RandomState(seed)`), computed once; the tests need no Python.

describe("MT19937", () => {
  it("matches the reference generator for the default seed 5489", () => {
    const rng = new MT19937(5489);
    assert.equal(rng.nextUint32(), 3499211612);
    for (let i = 2; i < 10000; i++) rng.nextUint32();
    // The C++ standard's check: the 10,000th output of a default-constructed std::mt19937.
    assert.equal(rng.nextUint32(), 4123659995);
  });

  it("gives numpy's first random_sample draws for seed 125, bit for bit", () => {
    const rng = new MT19937(125);
    const expected = [
      0.50672601149957, 0.05753069516808973, 0.6275799857910759, 0.13255252720015986, 0.13108514971070295,
    ];
    for (const value of expected) assert.ok(rng.randomSample() === value);
  });

  it("gives numpy's draws at the ends of the seed range", () => {
    assert.ok(new MT19937(0).randomSample() === 0.5488135039273248);
    assert.ok(new MT19937(4294967295).randomSample() === 0.0976320289940138);
  });

  it("gives numpy's whole np.random.rand(50000) for seed 125", () => {
    const rng = new MT19937(125);
    const draws = Buffer.alloc(50000 * 8);
    for (let i = 0; i < 50000; i++) draws.writeDoubleLE(rng.randomSample(), i * 8);
    // hashlib.sha256(np.random.RandomState(125).rand(50000).astype("<f8").tobytes()).hexdigest()
    const expected = "620595ba81fc0f5538548bcc6d4ec722d0c80da2647de5b7bb911ed0569958ff";
    assert.equal(createHash("sha256").update(draws).digest("hex"), expected);
  });

  it("rejects a seed numpy would reject", () => {
    assert.throws(() => new MT19937(-1), /seed must be an integer in \[0, 2\^32 - 1\], got -1/);
    assert.throws(() => new MT19937(2 ** 32), /seed must be an integer/);
    assert.throws(() => new MT19937(1.5), /seed must be an integer/);
  });
});

describe("labeledSplit", () => {
  const split = labeledSplit();

  it("keeps 10,080 labels and removes 39,920, like the reference solution", () => {
    assert.equal(split.labeled.length, 10080);
    assert.equal(split.unlabeled.length, 39920);
  });

  it("has the reference solution's first and last labeled indices", () => {
    assert.deepEqual(Array.from(split.labeled.subarray(0, 10)), [1, 3, 4, 11, 13, 18, 29, 31, 32, 34]);
    assert.deepEqual(Array.from(split.labeled.subarray(-5)), [49979, 49981, 49986, 49987, 49990]);
  });

  it("partitions 0..49,999 into two ascending lists", () => {
    const seen = new Uint8Array(50000);
    for (const list of [split.labeled, split.unlabeled]) {
      for (let i = 0; i < list.length; i++) {
        if (i > 0) assert.ok(list[i] > list[i - 1], "ascending");
        seen[list[i]]++;
      }
    }
    assert.ok(seen.every((n) => n === 1));
  });

  it("hashes the labeled indices like numpy's little-endian int32 array", () => {
    // hashlib.sha256(np.flatnonzero(rand <= 0.2).astype("<i4").tobytes()).hexdigest()
    assert.equal(splitDigest(split.labeled), "b280fb08523c1f047b9cb387dc98e24c69dd1f00ed59e6805acca556d5d7a801");
    const littleEndian = Buffer.from([1, 0, 0, 0, 254, 255, 255, 255]);
    assert.equal(splitDigest(Int32Array.from([1, -2])), createHash("sha256").update(littleEndian).digest("hex"));
  });

  it("follows count, seed and fraction", () => {
    const small = labeledSplit(5, 125, 0.2);
    assert.deepEqual(Array.from(small.labeled), [1, 3, 4]);
    assert.deepEqual(Array.from(small.unlabeled), [0, 2]);
    assert.equal(labeledSplit(100, 125, 1).labeled.length, 100);
    assert.throws(() => labeledSplit(-1), /count must be a non-negative integer/);
    assert.throws(() => labeledSplit(10, 125, 1.5), /labeledFraction must be in \[0, 1\]/);
  });
});
