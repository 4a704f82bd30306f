import assert from "node:assert/strict";
import { createHash } from "crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { Writable } from "stream";
import { loadCifar100, type LoadOptions } from "../lib/data/cifar100";
import { createProgressBar, formatBytes } from "../lib/data/progress";
import { TINY_COUNTS, fineLabel, removeDir, sha256, tempDir, tinyArchive } from "./helpers/tiny-cifar";

/** A writable stream that keeps what is written (to check progress output and keep test logs clean). */
function sink(isTTY = false): Writable & { text: string; isTTY: boolean } {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      stream.text += String(chunk);
      done();
    },
  }) as Writable & { text: string; isTTY: boolean };
  stream.text = "";
  stream.isTTY = isTTY;
  return stream;
}

describe("CIFAR-100 download", function () {
  let server: http.Server;
  let base: string;
  let good: Buffer;
  let badRecords: Buffer;
  const requests: string[] = [];
  let work: string;
  let target: string;

  before(async () => {
    good = await tinyArchive();
    // A well-formed archive whose train.bin has a fine label out of range in record 2.
    badRecords = await tinyArchive((dataDir) => {
      const train = path.join(dataDir, "train.bin");
      const bytes = readFileSync(train);
      bytes[2 * 3074 + 1] = 200;
      writeFileSync(train, bytes);
    });
    server = http.createServer((request, response) => {
      requests.push(request.url ?? "");
      const send = (body: Buffer) => response.writeHead(200, { "Content-Length": body.length }).end(body);
      switch (request.url) {
        case "/cifar.tar.gz":
          return send(good);
        case "/corrupt.tar.gz": {
          const corrupt = Buffer.from(good);
          corrupt[corrupt.length >> 1] ^= 0xff;
          return send(corrupt);
        }
        case "/bad-records.tar.gz":
          return send(badRecords);
        case "/moved":
          return response.writeHead(302, { Location: "/cifar.tar.gz" }).end();
        case "/truncated.tar.gz":
          response.writeHead(200, { "Content-Length": good.length });
          response.write(good.subarray(0, good.length >> 1));
          return setTimeout(() => response.destroy(), 20);
        default:
          return response.writeHead(404).end("not found");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    work = tempDir("cifar-download-");
    target = path.join(work, "cache", "cifar-100-binary");
    requests.length = 0;
  });
  afterEach(() => removeDir(work));

  const options = (url: string, extra: LoadOptions = {}): LoadOptions => ({
    dir: target,
    download: true,
    url: `${base}${url}`,
    checksum: { algorithm: "sha256", hex: sha256(good) },
    expectedCounts: TINY_COUNTS,
    log: () => undefined,
    progress: sink(),
    ...extra,
  });

  /** Nothing may be left beside the target after a failure: no .part file, no half-unpacked folder. */
  const assertNothingLeft = () => {
    assert.ok(!existsSync(target), "nothing at the target");
    const parent = path.dirname(target);
    assert.deepEqual(existsSync(parent) ? readdirSync(parent) : [], []);
  };

  it("downloads, verifies and unpacks the archive into place", async () => {
    const data = await loadCifar100(options("/cifar.tar.gz"));
    assert.equal(data.dir, target);
    assert.equal(data.train.count, TINY_COUNTS.train);
    assert.equal(data.test.fine[2], fineLabel("test", 2));
    const files = ["coarse_label_names.txt", "fine_label_names.txt", "test.bin", "train.bin"];
    assert.deepEqual(readdirSync(target).sort(), files);
    assert.deepEqual(readdirSync(path.dirname(target)), ["cifar-100-binary"], "no .part or temporary folder left");
    assert.deepEqual(requests, ["/cifar.tar.gz"]);
  });

  it("downloads into the cache by default, and only once", async () => {
    const saved = { dir: process.env.CIFAR100_DIR, xdg: process.env.XDG_CACHE_HOME };
    delete process.env.CIFAR100_DIR;
    process.env.XDG_CACHE_HOME = work;
    try {
      // No dir and no download flag: the cache folder, downloaded by default (the project has no local copy).
      const project = path.join(work, "project");
      const cacheOptions = options("/cifar.tar.gz", { dir: undefined, download: undefined, project });
      const first = await loadCifar100(cacheOptions);
      assert.equal(first.dir, path.join(work, "cifar100-ssl", "cifar-100-binary"));
      const second = await loadCifar100(cacheOptions);
      assert.deepEqual(second.train.images, first.train.images);
      assert.deepEqual(requests, ["/cifar.tar.gz"], "the second load reads the cache");
    } finally {
      if (saved.dir === undefined) delete process.env.CIFAR100_DIR;
      else process.env.CIFAR100_DIR = saved.dir;
      if (saved.xdg === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved.xdg;
    }
  });

  it("follows redirects and checks an MD5", async () => {
    const md5 = createHash("md5").update(good).digest("hex");
    const data = await loadCifar100(options("/moved", { checksum: { algorithm: "md5", hex: md5.toUpperCase() } }));
    assert.equal(data.test.count, TINY_COUNTS.test);
    assert.deepEqual(requests, ["/moved", "/cifar.tar.gz"]);
  });

  it("rejects a corrupt archive by its checksum and keeps nothing", async () => {
    await assert.rejects(
      loadCifar100(options("/corrupt.tar.gz")),
      /corrupt\.tar\.gz: the archive's SHA256 is [0-9a-f]{64}, expected [0-9a-f]{64}\. The download is corrupt/,
    );
    assertNothingLeft();
  });

  it("rejects an archive whose records are wrong and keeps nothing", async () => {
    await assert.rejects(
      loadCifar100(options("/bad-records.tar.gz", { checksum: undefined })),
      /train\.bin: record 2 has fine label 200, outside 0\.\.99\. To fix it: the archive at .* is not the CIFAR-100/,
    );
    assertNothingLeft();
  });

  it("reports a 404 clearly, with the local folders to use instead, and keeps nothing", async () => {
    await assert.rejects(loadCifar100(options("/missing.tar.gz", { project: "/p/project" })), (error: Error) => {
      assert.match(error.message, /missing\.tar\.gz: the server answered 404 Not Found\. Check the url/);
      const searched = `${target}, /p/project/data/cifar-100-binary, /p/shared/data/cifar-100-binary`;
      assert.ok(error.message.includes(`No local copy in ${searched}; to use a local copy instead, put`), error.message);
      return true;
    });
    assertNothingLeft();
  });

  it("reports an interrupted download and keeps nothing", async () => {
    await assert.rejects(
      loadCifar100(options("/truncated.tar.gz")),
      /truncated\.tar\.gz (was interrupted|: the connection ended)/,
    );
    assertNothingLeft();
  });

  it("does not download into a folder given explicitly unless asked to", async () => {
    await assert.rejects(loadCifar100(options("/cifar.tar.gz", { download: undefined })), /does not exist/);
    assert.deepEqual(requests, []);
  });
});

describe("progress bar", () => {
  it("prints a plain line every 10% when the stream is not a terminal", () => {
    const stream = sink(false);
    const bar = createProgressBar({ total: 2000, label: "Fetching", stream, format: formatBytes });
    for (let done = 0; done <= 2000; done += 50) bar.update(done);
    bar.finish();
    const lines = stream.text.trimEnd().split("\n");
    assert.equal(lines.length, 10);
    assert.equal(lines[0], "Fetching:  10% 200 B / 2.0 kB");
    assert.equal(lines[9], "Fetching: 100% 2.0 kB / 2.0 kB, done");
    assert.ok(!stream.text.includes("\r"));
  });

  it("redraws one line in place on a terminal", () => {
    const stream = sink(true);
    const bar = createProgressBar({ total: 10, label: "Steps", stream });
    bar.update(5);
    bar.update(10); // within 100 ms of the last redraw: drawn only by finish()
    bar.finish();
    const half = `\rSteps [${"#".repeat(15)}${".".repeat(15)}]  50% 5 / 10`;
    const full = `\rSteps [${"#".repeat(30)}] 100% 10 / 10\n`;
    assert.equal(stream.text, half + full);
  });

  it("shows only the amount when the total is unknown", () => {
    const stream = sink(false);
    const bar = createProgressBar({ total: null, label: "Bytes", stream, format: formatBytes });
    bar.update(1_500_000);
    bar.finish();
    assert.equal(stream.text, "Bytes: 1.5 MB, done\n");
  });
});
