// CIFAR-100 from the official binary release: find the folder (no variable needed), download it once if needed,
// verify it and read it into NHWC uint8 arrays. Pixels stay bytes here (about 184 MB for both sets); scaling to
// [0, 1] is the model's job.

import { createHash } from "crypto";
import { createReadStream, existsSync, promises as fs, statSync } from "fs";
import * as os from "os";
import * as path from "path";
import { inNotebook } from "../in-notebook";
import { projectRoot } from "../paths";
import { CIFAR100_ARCHIVE_ROOT, CIFAR100_URL, downloadArchive, type Checksum } from "./download";

export const IMAGE_SIZE = 32,
  CHANNELS = 3,
  NUM_FINE_CLASSES = 100,
  NUM_COARSE_CLASSES = 20;

const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
const IMAGE_BYTES = PIXELS * CHANNELS;
/** One record of train.bin/test.bin: coarse label byte, fine label byte, then the R, G and B planes. */
export const RECORD_BYTES = 2 + IMAGE_BYTES;

export interface ImageSet {
  /** count*32*32*3 bytes, NHWC: pixel-interleaved RGB, rows top to bottom, values 0..255. */
  images: Uint8Array;
  /** Fine labels 0..99, one per image. */
  fine: Uint8Array;
  /** Coarse labels 0..19, one per image. */
  coarse: Uint8Array;
  count: number;
}

export interface Cifar100 {
  train: ImageSet;
  test: ImageSet;
  fineNames: string[];
  coarseNames: string[];
  /** The folder the data was read from. */
  dir: string;
}

export interface ExpectedCounts {
  train: number;
  test: number;
}

export const OFFICIAL_COUNTS: ExpectedCounts = { train: 50000, test: 10000 };

export const CIFAR100_DIR_ENV = "CIFAR100_DIR";

/** Where a folder to read comes from: the variable, the cache, a documented folder of the project, or `options.dir`. */
export type DirSource = "CIFAR100_DIR" | "cache" | "project" | "option";

/**
 * Where the data lives, so that a fresh checkout needs no variable: $CIFAR100_DIR when set; else the per-user cache
 * if it exists; else the first existing `cifar-100-binary` folder in `<project>/data/` or `<project>/../shared/data/`;
 * else the cache, which does not exist yet (the caller downloads into it).
 */
export function resolveCifar100Dir(
  env: NodeJS.ProcessEnv = process.env,
  project: string | null = projectRootOrNull(),
): { dir: string; source: DirSource } {
  const configured = (env[CIFAR100_DIR_ENV] ?? "").trim();
  if (configured !== "") return { dir: path.resolve(configured), source: "CIFAR100_DIR" };
  const cache = cacheDir(env);
  if (existsSync(cache)) return { dir: cache, source: "cache" };
  const local = projectDataDirs(project).find((dir) => isDirectory(dir));
  return local ? { dir: local, source: "project" } : { dir: cache, source: "cache" };
}

/** The cache folder: $XDG_CACHE_HOME/cifar100-ssl/cifar-100-binary, or ~/.cache/... */
function cacheDir(env: NodeJS.ProcessEnv): string {
  const xdg = (env.XDG_CACHE_HOME ?? "").trim();
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const cacheRoot = path.isAbsolute(xdg) ? xdg : path.join(env.HOME || os.homedir(), ".cache");
  return path.join(cacheRoot, "cifar100-ssl", CIFAR100_ARCHIVE_ROOT);
}

/** The documented places for a local copy, in the order they are searched. */
export function projectDataDirs(project: string | null): string[] {
  if (project === null) return [];
  return [path.join(project, "data"), path.join(project, "..", "shared", "data")].map((parent) =>
    path.resolve(parent, CIFAR100_ARCHIVE_ROOT),
  );
}

/** The project folder, or null when running outside it (then only $CIFAR100_DIR and the cache are searched). */
function projectRootOrNull(): string | null {
  try {
    return projectRoot();
  } catch {
    return null;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

export interface LoadOptions {
  /** Read this folder instead of resolving $CIFAR100_DIR, the cache or the project's folders. */
  dir?: string;
  /** The project whose data/ and ../shared/data/ are searched (default: the one around the working directory). */
  project?: string;
  /** Download the archive when the folder does not exist (default: only for the cache folder). */
  download?: boolean;
  /** Archive to download (default: the official one, checked against its published MD5). */
  url?: string;
  /** Expected checksum of the archive at `url` (default: the official MD5 for the official url, else none). */
  checksum?: Checksum;
  /** Record counts to expect (default: 50,000 train and 10,000 test); tests use tiny data sets. */
  expectedCounts?: ExpectedCounts;
  /** Progress messages (default: standard error). */
  log?: (line: string) => void;
  /** Where the download progress bar is drawn (default: standard error; null: no bar). */
  progress?: NodeJS.WritableStream | null;
}

export async function loadCifar100(options: LoadOptions = {}): Promise<Cifar100> {
  const log = options.log ?? ((line: string) => console.error(line));
  const project = options.project ?? projectRootOrNull();
  const { dir, source } =
    options.dir !== undefined
      ? { dir: path.resolve(options.dir), source: "option" as const }
      : resolveCifar100Dir(process.env, project);
  const download = options.download ?? source === "cache";

  if (!existsSync(dir)) {
    if (!download) throw new Error(missingFolderMessage(dir, source));
    return downloadInto(dir, options, log, [dir, ...projectDataDirs(project)]);
  }
  const started = Date.now();
  const data = await readCifar100(dir, { expectedCounts: options.expectedCounts, remedy: remedyFor(dir, source) });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  // Not in a notebook by default: the folder and the time would make its output differ from machine to machine.
  if (options.log !== undefined || !inNotebook()) {
    log(`CIFAR-100: read ${data.train.count} train and ${data.test.count} test images from ${dir} in ${seconds} s`);
  }
  return data;
}

/** Downloads the archive into `dir`; a failure also names the folders searched (`searched`) and how to avoid it. */
async function downloadInto(dir: string, options: LoadOptions, log: (line: string) => void, searched: string[]): Promise<Cifar100> {
  const url = options.url ?? CIFAR100_URL;
  log(`CIFAR-100: ${dir} does not exist; downloading ${url} (${LOCAL_COPY_HINT})`);
  try {
    const data = await downloadArchive({
      url,
      target: dir,
      archiveRoot: CIFAR100_ARCHIVE_ROOT,
      checksum: options.checksum,
      log: (line) => log(`CIFAR-100: ${line}`),
      progress: options.progress,
      check: (unpacked) =>
        readCifar100(unpacked, {
          expectedCounts: options.expectedCounts,
          remedy: `the archive at ${url} is not the CIFAR-100 binary release`,
        }),
    });
    log(`CIFAR-100: saved to ${dir}`);
    return { ...data, dir };
  } catch (error) {
    const where = `No local copy in ${searched.join(", ")}; ${LOCAL_COPY_HINT}.`;
    throw new Error(`${(error as Error).message} ${where}`);
  }
}

/** How to avoid the download, for messages. */
const LOCAL_COPY_HINT =
  `to use a local copy instead, put the cifar-100-binary folder in the project's data/ or ../shared/data/, or set ${CIFAR100_DIR_ENV}`;

function missingFolderMessage(dir: string, source: DirSource): string {
  if (source === "CIFAR100_DIR") {
    return (
      `CIFAR-100: ${CIFAR100_DIR_ENV}=${dir} does not exist. Point ${CIFAR100_DIR_ENV} at the folder that holds ` +
      `train.bin and test.bin, or unset it to use the cache, the project's data/ or ../shared/data/, or a download.`
    );
  }
  return (
    `CIFAR-100: the folder ${dir} does not exist. Pass its correct path, or { download: true } to download the ` +
    `data set there.`
  );
}

function remedyFor(dir: string, source: DirSource): string {
  if (source === "CIFAR100_DIR") {
    const unset = `unset ${CIFAR100_DIR_ENV} to use the cache, the project's data/ or ../shared/data/, or a download`;
    return `fix the folder ${CIFAR100_DIR_ENV} points to, or ${unset}`;
  }
  if (source === "cache") return `delete ${dir} and run again to download it afresh`;
  if (source === "project") return `replace ${dir} with the official CIFAR-100 binary release, or remove it`;
  return `replace the folder with the official CIFAR-100 binary release`;
}

export interface ReadOptions {
  expectedCounts?: ExpectedCounts;
  /** What the user should do when a check fails; appended to every error. */
  remedy?: string;
}

/** Reads and verifies one folder of the binary release (SHA256SUMS when present, sizes, labels, names). */
export async function readCifar100(dir: string, options: ReadOptions = {}): Promise<Cifar100> {
  const counts = options.expectedCounts ?? OFFICIAL_COUNTS;
  const remedy = options.remedy ?? "re-download the official CIFAR-100 binary release";
  const fail = (file: string, problem: string): never => {
    throw new Error(`CIFAR-100: ${path.join(dir, file)}: ${problem}. To fix it: ${remedy}.`);
  };

  const stat = await fs.stat(dir).catch(() => null);
  if (!stat?.isDirectory()) fail("", "no such folder");
  const files = ["train.bin", "test.bin", "fine_label_names.txt", "coarse_label_names.txt"];
  for (const file of files) {
    if (!existsSync(path.join(dir, file))) fail(file, "the file is missing");
  }
  await checkRecordSize(dir, "train.bin", counts.train, fail);
  await checkRecordSize(dir, "test.bin", counts.test, fail);
  await verifySha256Sums(dir, fail);
  // The small files first, so that their errors come before reading 184 MB.
  const fineNames = await readNames(dir, "fine_label_names.txt", NUM_FINE_CLASSES, fail);
  const coarseNames = await readNames(dir, "coarse_label_names.txt", NUM_COARSE_CLASSES, fail);
  return {
    train: await readRecords(dir, "train.bin", fail),
    test: await readRecords(dir, "test.bin", fail),
    fineNames,
    coarseNames,
    dir,
  };
}

type Fail = (file: string, problem: string) => never;

async function checkRecordSize(dir: string, file: string, expected: number, fail: Fail): Promise<void> {
  const { size } = await fs.stat(path.join(dir, file));
  if (size % RECORD_BYTES !== 0) {
    const problem = `its size, ${size} bytes, is not a whole number of ${RECORD_BYTES}-byte records`;
    fail(file, `${problem} (truncated, or not CIFAR-100)`);
  }
  if (size / RECORD_BYTES !== expected) {
    fail(file, `it holds ${size / RECORD_BYTES} records, expected ${expected}`);
  }
}

/** Checks every file listed in SHA256SUMS (`sha256sum -c` format), if the folder has one. */
async function verifySha256Sums(dir: string, fail: Fail): Promise<void> {
  const sumsFile = path.join(dir, "SHA256SUMS");
  if (!existsSync(sumsFile)) return;
  const lines = (await fs.readFile(sumsFile, "utf8")).split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    // "<64 hex digits><space><space or * for binary mode><file name>"
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!match) fail("SHA256SUMS", `line ${i + 1} is not "<sha256>  <file name>"`);
    const [, expected, file] = match;
    if (!existsSync(path.join(dir, file))) fail(file, "the file is listed in SHA256SUMS but missing");
    const actual = await sha256File(path.join(dir, file));
    if (actual !== expected.toLowerCase()) {
      const mismatch = `its SHA-256 is ${actual} but SHA256SUMS says ${expected.toLowerCase()}`;
      fail(file, `${mismatch} (the file is corrupt or was changed)`);
    }
  }
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file, { highWaterMark: 1 << 22 })
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

/** Reads the records of one file and turns the planar R, G, B planes into pixel-interleaved NHWC. */
async function readRecords(dir: string, file: string, fail: Fail): Promise<ImageSet> {
  const bytes = await fs.readFile(path.join(dir, file));
  const count = bytes.length / RECORD_BYTES;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const fine = new Uint8Array(count);
  const coarse = new Uint8Array(count);
  for (let record = 0; record < count; record++) {
    const start = record * RECORD_BYTES;
    coarse[record] = bytes[start];
    fine[record] = bytes[start + 1];
    if (coarse[record] >= NUM_COARSE_CLASSES) {
      fail(file, `record ${record} has coarse label ${coarse[record]}, outside 0..${NUM_COARSE_CLASSES - 1}`);
    }
    if (fine[record] >= NUM_FINE_CLASSES) {
      fail(file, `record ${record} has fine label ${fine[record]}, outside 0..${NUM_FINE_CLASSES - 1}`);
    }
    const red = start + 2;
    let out = record * IMAGE_BYTES;
    for (let p = 0; p < PIXELS; p++) {
      images[out++] = bytes[red + p];
      images[out++] = bytes[red + PIXELS + p];
      images[out++] = bytes[red + 2 * PIXELS + p];
    }
  }
  return { images, fine, coarse, count };
}

/** One class name per line, in label order (trailing blank lines and Windows line ends are tolerated). */
async function readNames(dir: string, file: string, expected: number, fail: Fail): Promise<string[]> {
  const text = await fs.readFile(path.join(dir, file), "utf8");
  const names = text.trimEnd().split(/\r?\n/).map((name) => name.trim());
  if (names.length !== expected) fail(file, `it has ${names.length} lines, expected one name per class (${expected})`);
  const blank = names.indexOf("");
  if (blank >= 0) fail(file, `line ${blank + 1} is empty`);
  return names;
}

/** A copy of the chosen records, in the order given (an index may repeat). */
export function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const count = indices.length;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const fine = new Uint8Array(count);
  const coarse = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const index = indices[i];
    if (!Number.isInteger(index) || index < 0 || index >= set.count) {
      throw new RangeError(`subset: indices[${i}] = ${index} is not a record index in 0..${set.count - 1}.`);
    }
    images.set(set.images.subarray(index * IMAGE_BYTES, (index + 1) * IMAGE_BYTES), i * IMAGE_BYTES);
    fine[i] = set.fine[index];
    coarse[i] = set.coarse[index];
  }
  return { images, fine, coarse, count };
}
