import assert from "node:assert/strict";
import { createHash } from "crypto";
import { MT19937 } from "../lib/data/mt19937";
import { spawnSync } from "child_process";
import { existsSync, readFileSync, rmSync, truncateSync } from "fs";
import * as path from "path";
import { resolveCifar100Dir } from "../lib/data/cifar100";
import { labeledSplit, splitDigest } from "../lib/data/split";
import { removeDir, tempDir, writeTinyCifar } from "./helpers/tiny-cifar";

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

describe("npm run split", () => {
  const split = (cifarDir: string) => {
    const script = path.resolve(__dirname, "..", "scripts", "split.ts");
    const env = { ...process.env, CIFAR100_DIR: cifarDir };
    const out = spawnSync(process.execPath, ["--import", "tsx", script], { env, encoding: "utf8", timeout: 60_000 });
    return { status: out.status, stdout: out.stdout, stderr: out.stderr };
  };
  let dir: string;
  beforeEach(() => {
    dir = tempDir("split-");
    writeTinyCifar(dir);
  });
  afterEach(() => removeDir(dir));

  it("verifies the data set first: a truncated or missing one is one error naming the file and the fix, exit 1", () => {
    truncateSync(path.join(dir, "train.bin"), 3074 * 5 + 100);
    const truncated = split(dir);
    assert.deepEqual([truncated.status, truncated.stdout], [1, ""], truncated.stderr);
    assert.match(truncated.stderr, /^split: CIFAR-100: .*train\.bin: its size, 15470 bytes, is not a whole number of 3074-byte records/);
    assert.match(truncated.stderr, /To fix it: fix the folder CIFAR100_DIR points to/);
    assert.doesNotMatch(truncated.stderr, /\n    at /, "no stack trace");
    writeTinyCifar(dir);
    const small = split(dir);
    assert.equal(small.status, 1);
    assert.match(small.stderr, /train\.bin: it holds 6 records, expected 50000/, "a data set that is not the full one");
    rmSync(dir, { recursive: true });
    const missing = split(dir);
    assert.deepEqual([missing.status, missing.stdout], [1, ""]);
    assert.match(missing.stderr, /^split: CIFAR-100: CIFAR100_DIR=.* does not exist\. Point CIFAR100_DIR at the folder/);
  });

  it("prints the README's JSON for the real data set (when found without downloading)", function () {
    const real = resolveCifar100Dir().dir;
    if (!existsSync(real)) this.skip();
    const { status, stdout, stderr } = split(real);
    assert.equal(status, 0, stderr);
    const json = '{"labeled": 10080, "unlabeled": 39920, "sha256": "b280fb08523c1f047b9cb387dc98e24c69dd1f00ed59e6805acca556d5d7a801"}';
    assert.equal(stdout, `${json}\n`);
    assert.ok(readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8").includes(`$ npm run split\n${json}\n`), "README shows it");
  });
});
