import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "fs";
import * as path from "path";
import {
  IMAGE_SIZE,
  NUM_FINE_CLASSES,
  loadCifar100,
  readCifar100,
  resolveCifar100Dir,
  subset,
  type Cifar100,
  type ImageSet,
} from "../lib/data/cifar100";
import {
  COARSE_NAMES,
  FINE_NAMES,
  TINY_COUNTS,
  coarseLabel,
  fineLabel,
  pixelValue,
  removeDir,
  tempDir,
  writeTinyCifar,
} from "./helpers/tiny-cifar";

const quiet = () => undefined;

/** Runs `body` with some environment variables changed (undefined: unset), then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(vars);
  try {
    return await body();
  } finally {
    apply(saved);
  }
}

describe("CIFAR-100 reader", () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
    writeTinyCifar(dir);
  });
  afterEach(() => removeDir(dir));

  const load = () => loadCifar100({ dir, expectedCounts: TINY_COUNTS, log: quiet });

  it("turns the planar R, G, B records into NHWC, pixel by pixel", async () => {
    const data = await load();
    for (const set of ["train", "test"] as const) {
      const { images, count } = data[set];
      assert.equal(count, TINY_COUNTS[set]);
      assert.equal(images.length, count * IMAGE_SIZE * IMAGE_SIZE * 3);
      for (let r = 0; r < count; r++) {
        for (let row = 0; row < IMAGE_SIZE; row++) {
          for (let column = 0; column < IMAGE_SIZE; column++) {
            for (let channel = 0; channel < 3; channel++) {
              const nhwc = ((r * IMAGE_SIZE + row) * IMAGE_SIZE + column) * 3 + channel;
              assert.equal(images[nhwc], pixelValue(set, r, channel, row * IMAGE_SIZE + column));
            }
          }
        }
      }
    }
  });

  it("reads the labels and the class names", async () => {
    const data = await load();
    for (const set of ["train", "test"] as const) {
      const expectedFine = Array.from({ length: TINY_COUNTS[set] }, (_, r) => fineLabel(set, r));
      const expectedCoarse = Array.from({ length: TINY_COUNTS[set] }, (_, r) => coarseLabel(set, r));
      assert.deepEqual(Array.from(data[set].fine), expectedFine);
      assert.deepEqual(Array.from(data[set].coarse), expectedCoarse);
    }
    assert.deepEqual(data.fineNames, FINE_NAMES);
    assert.deepEqual(data.coarseNames, COARSE_NAMES);
    assert.equal(data.dir, dir);
  });

  it("accepts Windows line ends and trailing blank lines in the name files", async () => {
    writeFileSync(path.join(dir, "coarse_label_names.txt"), COARSE_NAMES.join("\r\n") + "\r\n\r\n");
    assert.deepEqual((await load()).coarseNames, COARSE_NAMES);
  });

  it("verifies the files listed in SHA256SUMS", async () => {
    writeTinyCifar(dir, { sums: true });
    assert.equal((await load()).train.count, TINY_COUNTS.train);
    const train = path.join(dir, "train.bin");
    const bytes = readFileSync(train);
    bytes[100] ^= 1;
    writeFileSync(train, bytes);
    await assert.rejects(load(), (error: Error) => {
      assert.match(error.message, /train\.bin: its SHA-256 is [0-9a-f]{64} but SHA256SUMS says [0-9a-f]{64}/);
      assert.match(error.message, /To fix it: /);
      return true;
    });
  });

  it("reports a malformed SHA256SUMS line and a listed file that is missing", async () => {
    writeFileSync(path.join(dir, "SHA256SUMS"), "not a checksum line\n");
    await assert.rejects(load(), /SHA256SUMS: line 1 is not "<sha256>  <file name>"/);
    writeFileSync(path.join(dir, "SHA256SUMS"), `${"0".repeat(64)}  extra.bin\n`);
    await assert.rejects(load(), /extra\.bin: the file is listed in SHA256SUMS but missing/);
  });

  it("reports a missing folder, naming it", async () => {
    const missing = path.join(dir, "nowhere");
    await assert.rejects(
      loadCifar100({ dir: missing, log: quiet }),
      new RegExp(`the folder ${escape(missing)} does not exist.*download: true`),
    );
    await assert.rejects(readCifar100(missing), /nowhere: no such folder/);
  });

  it("reports a missing file", async () => {
    rmSync(path.join(dir, "fine_label_names.txt"));
    await assert.rejects(load(), /fine_label_names\.txt: the file is missing\. To fix it: /);
  });

  it("reports a size that is not a whole number of records", async () => {
    appendFileSync(path.join(dir, "test.bin"), Buffer.from([1, 2, 3]));
    await assert.rejects(load(), /test\.bin: its size, 9225 bytes, is not a whole number of 3074-byte records/);
  });

  it("reports a record count other than the expected one", async () => {
    truncateSync(path.join(dir, "train.bin"), 3074 * 5);
    await assert.rejects(load(), /train\.bin: it holds 5 records, expected 6/);
    // Without expectedCounts the official 50,000 / 10,000 are required.
    writeTinyCifar(dir);
    await assert.rejects(loadCifar100({ dir, log: quiet }), /train\.bin: it holds 6 records, expected 50000/);
  });

  it("reports labels out of range with the record index", async () => {
    const train = path.join(dir, "train.bin");
    const bytes = readFileSync(train);
    bytes[3 * 3074] = 20; // coarse label of record 3
    writeFileSync(train, bytes);
    await assert.rejects(load(), /train\.bin: record 3 has coarse label 20, outside 0\.\.19/);
    bytes[3 * 3074] = 0;
    bytes[4 * 3074 + 1] = 100; // fine label of record 4
    writeFileSync(train, bytes);
    await assert.rejects(load(), /train\.bin: record 4 has fine label 100, outside 0\.\.99/);
  });

  it("reports name files with the wrong number of lines or a blank name", async () => {
    writeFileSync(path.join(dir, "fine_label_names.txt"), FINE_NAMES.slice(0, 99).join("\n"));
    await assert.rejects(load(), /fine_label_names\.txt: it has 99 lines, expected one name per class \(100\)/);
    writeFileSync(path.join(dir, "fine_label_names.txt"), ["apple", "", ...FINE_NAMES.slice(2)].join("\n"));
    await assert.rejects(load(), /fine_label_names\.txt: line 2 is empty/);
  });

  it("never downloads for CIFAR100_DIR, and says how to fix the variable", async () => {
    const missing = path.join(dir, "not-here");
    await withEnv({ CIFAR100_DIR: missing }, async () => {
      await assert.rejects(loadCifar100({ log: quiet }), (error: Error) => {
        assert.match(error.message, new RegExp(`CIFAR100_DIR=${escape(missing)} does not exist`));
        assert.match(error.message, /or unset it/);
        return true;
      });
    });
    rmSync(path.join(dir, "test.bin"));
    await withEnv({ CIFAR100_DIR: dir }, async () => {
      await assert.rejects(
        loadCifar100({ log: quiet }),
        /test\.bin: the file is missing\. To fix it: fix the folder CIFAR100_DIR points to, or unset CIFAR100_DIR/,
      );
    });
  });

  it("tells the user to delete a broken cache folder", async () => {
    const cacheData = path.join(dir, "cifar100-ssl", "cifar-100-binary");
    mkdirSync(cacheData, { recursive: true });
    await withEnv({ CIFAR100_DIR: undefined, XDG_CACHE_HOME: dir }, async () => {
      await assert.rejects(
        loadCifar100({ log: quiet }),
        new RegExp(`train\\.bin: the file is missing\\. To fix it: delete ${escape(cacheData)} and run again`),
      );
    });
  });
});

describe("resolveCifar100Dir", () => {
  let root: string;
  let project: string;
  beforeEach(() => {
    root = tempDir("resolve-cifar-");
    project = path.join(root, "project");
    mkdirSync(project);
  });
  afterEach(() => removeDir(root));

  const cache = () => path.join(root, "xdg", "cifar100-ssl", "cifar-100-binary");
  const projectData = () => path.join(project, "data", "cifar-100-binary");
  const sharedData = () => path.join(root, "shared", "data", "cifar-100-binary");
  const resolve = (env: NodeJS.ProcessEnv = {}) => resolveCifar100Dir({ XDG_CACHE_HOME: path.join(root, "xdg"), ...env }, project);

  it("searches CIFAR100_DIR, the cache, the project's data/, ../shared/data/, then falls back to the cache", () => {
    assert.deepEqual(resolve(), { dir: cache(), source: "cache" }, "nothing anywhere: the cache, to download into");
    mkdirSync(sharedData(), { recursive: true });
    assert.deepEqual(resolve(), { dir: sharedData(), source: "project" });
    mkdirSync(projectData(), { recursive: true });
    assert.deepEqual(resolve(), { dir: projectData(), source: "project" });
    mkdirSync(cache(), { recursive: true });
    assert.deepEqual(resolve(), { dir: cache(), source: "cache" }, "an existing cache comes first");
    assert.deepEqual(resolve({ CIFAR100_DIR: "/data/c100" }), { dir: "/data/c100", source: "CIFAR100_DIR" });
  });

  it("ignores a file named cifar-100-binary, a blank CIFAR100_DIR and a relative XDG_CACHE_HOME", () => {
    mkdirSync(path.join(project, "data"));
    writeFileSync(projectData(), "");
    const env = { CIFAR100_DIR: " ", XDG_CACHE_HOME: "relative", HOME: "/home/u" };
    assert.deepEqual(resolveCifar100Dir(env, project), { dir: "/home/u/.cache/cifar100-ssl/cifar-100-binary", source: "cache" });
    assert.deepEqual(resolveCifar100Dir(env, null), { dir: "/home/u/.cache/cifar100-ssl/cifar-100-binary", source: "cache" });
  });

  it("loads from ../shared/data/ without any variable, and says how to fix a broken local copy", async () => {
    mkdirSync(sharedData(), { recursive: true });
    writeTinyCifar(sharedData());
    const env = { CIFAR100_DIR: undefined, XDG_CACHE_HOME: path.join(root, "xdg") };
    await withEnv(env, async () => {
      const data = await loadCifar100({ project, expectedCounts: TINY_COUNTS, log: quiet });
      assert.equal(data.dir, sharedData());
      assert.equal(data.train.count, TINY_COUNTS.train);
      rmSync(path.join(sharedData(), "train.bin"));
      await assert.rejects(
        loadCifar100({ project, expectedCounts: TINY_COUNTS, log: quiet }),
        new RegExp(`train\\.bin: the file is missing\\. To fix it: replace ${escape(sharedData())} with the official`),
      );
    });
  });
});

describe("subset", () => {
  it("copies the chosen records in the given order", async () => {
    const dir = tempDir();
    try {
      writeTinyCifar(dir);
      const { train } = await loadCifar100({ dir, expectedCounts: TINY_COUNTS, log: quiet });
      const picked = subset(train, Int32Array.from([4, 1, 4]));
      const bytes = IMAGE_SIZE * IMAGE_SIZE * 3;
      assert.equal(picked.count, 3);
      assert.deepEqual(Array.from(picked.fine), [4, 1, 4].map((r) => fineLabel("train", r)));
      assert.deepEqual(Array.from(picked.coarse), [4, 1, 4].map((r) => coarseLabel("train", r)));
      const image = (set: ImageSet, i: number) => set.images.subarray(i * bytes, (i + 1) * bytes);
      [4, 1, 4].forEach((r, i) => assert.deepEqual(image(picked, i), image(train, r)));
      picked.images[0] ^= 255;
      assert.notEqual(picked.images[0], train.images[4 * bytes], "a copy, not a view");
      assert.throws(() => subset(train, [0, 6]), /subset: indices\[1\] = 6 is not a record index in 0\.\.5/);
    } finally {
      removeDir(dir);
    }
  });
});

describe("the real CIFAR-100 (when found without downloading)", () => {
  it("has the official records, labels and class balance", async function () {
    if (!existsSync(resolveCifar100Dir().dir)) this.skip();
    const data: Cifar100 = await loadCifar100({ log: quiet });
    assert.equal(data.train.count, 50000);
    assert.equal(data.test.count, 10000);
    assert.equal(data.train.fine[0], 19);
    assert.equal(data.fineNames[19], "cattle");
    assert.equal(data.train.coarse[0], 11);
    assert.equal(data.test.fine[0], 49);
    assert.equal(data.fineNames[49], "mountain");
    assert.equal(data.test.coarse[0], 10);
    for (const [set, perClass] of [["train", 500], ["test", 100]] as const) {
      const histogram = new Array<number>(NUM_FINE_CLASSES).fill(0);
      data[set].fine.forEach((label) => histogram[label]++);
      assert.deepEqual(histogram, new Array(NUM_FINE_CLASSES).fill(perClass), `${set}: images per fine class`);
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
