// Tiny fake CIFAR-100 folders in temporary directories, in the layout of the official binary release, with
// pixel values that differ per record, channel and position so that any layout mistake shows.

import { createHash } from "crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import * as tar from "tar";

export const TINY_COUNTS = { train: 6, test: 3 };

const PIXELS = 32 * 32;
const RECORD_BYTES = 2 + 3 * PIXELS;

export function fineLabel(set: "train" | "test", record: number): number {
  return (record * 37 + (set === "test" ? 11 : 0)) % 100;
}

export function coarseLabel(set: "train" | "test", record: number): number {
  return fineLabel(set, record) % 20;
}

/** The value the fake file stores for (record, channel, pixel); channel 0..2 = R, G, B; pixel = row * 32 + column. */
export function pixelValue(set: "train" | "test", record: number, channel: number, pixel: number): number {
  return (record * 29 + channel * 101 + pixel * 7 + (set === "test" ? 3 : 0)) & 255;
}

export const FINE_NAMES = Array.from({ length: 100 }, (_, i) => `fine_${i}`);
export const COARSE_NAMES = Array.from({ length: 20 }, (_, i) => `coarse_${i}`);

export function records(set: "train" | "test", count: number): Buffer {
  const bytes = Buffer.alloc(count * RECORD_BYTES);
  for (let r = 0; r < count; r++) {
    const start = r * RECORD_BYTES;
    bytes[start] = coarseLabel(set, r);
    bytes[start + 1] = fineLabel(set, r);
    for (let channel = 0; channel < 3; channel++) {
      for (let p = 0; p < PIXELS; p++) bytes[start + 2 + channel * PIXELS + p] = pixelValue(set, r, channel, p);
    }
  }
  return bytes;
}

/** A fresh temporary folder; remove it with `removeDir`. */
export function tempDir(prefix = "tiny-cifar-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes a fake data set into `dir` (which must exist); with `sums`, also a matching SHA256SUMS. */
export function writeTinyCifar(dir: string, options: { counts?: typeof TINY_COUNTS; sums?: boolean } = {}): void {
  const counts = options.counts ?? TINY_COUNTS;
  const files: Record<string, Buffer> = {
    "train.bin": records("train", counts.train),
    "test.bin": records("test", counts.test),
    "fine_label_names.txt": Buffer.from(FINE_NAMES.join("\n") + "\n"),
    "coarse_label_names.txt": Buffer.from(COARSE_NAMES.join("\n") + "\n"),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(dir, name), bytes);
  if (options.sums) {
    const lines = Object.entries(files).map(([name, bytes]) => `${sha256(bytes)}  ${name}\n`);
    writeFileSync(path.join(dir, "SHA256SUMS"), lines.join(""));
  }
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A .tar.gz that unpacks to `cifar-100-binary/...` like the official archive; `edit` may spoil the folder first. */
export async function tinyArchive(edit?: (dataDir: string) => void): Promise<Buffer> {
  const root = tempDir("tiny-archive-");
  try {
    const dataDir = path.join(root, "cifar-100-binary");
    mkdirSync(dataDir);
    writeTinyCifar(dataDir);
    edit?.(dataDir);
    const archive = path.join(root, "archive.tar.gz");
    await tar.c({ gzip: true, cwd: root, file: archive }, ["cifar-100-binary"]);
    return readFileSync(archive);
  } finally {
    removeDir(root);
  }
}
