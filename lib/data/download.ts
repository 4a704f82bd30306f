// Downloads a .tar.gz data archive once and unpacks it atomically: the bytes go to a `.part` file, the archive is
// checked against its checksum, unpacked into a temporary folder beside the target, checked again by the caller,
// and only then renamed into place. A failed or interrupted run leaves nothing at the target.

import { createHash, randomBytes, type Hash } from "crypto";
import { createWriteStream, existsSync, promises as fs } from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";
import { Transform } from "stream";
import { pipeline } from "stream/promises";
import * as tar from "tar";
import { createProgressBar, formatBytes } from "./progress";

export const CIFAR100_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz";
/** The MD5 the CIFAR authors publish for cifar-100-binary.tar.gz. */
export const CIFAR100_MD5 = "03b5dce01913d631647c71ecec9e9cb8";
/** The folder the official archive unpacks to. */
export const CIFAR100_ARCHIVE_ROOT = "cifar-100-binary";

export interface Checksum {
  algorithm: "md5" | "sha256";
  hex: string;
}

export interface DownloadOptions<T> {
  url: string;
  /** The folder to create; it must not exist yet. */
  target: string;
  /** The folder inside the archive that becomes `target`. */
  archiveRoot: string;
  /** Expected checksum of the archive (default: the published MD5 for the official CIFAR-100 url, else none). */
  checksum?: Checksum;
  /** Verifies the unpacked folder before it is moved into place; its result is returned. */
  check: (unpackedDir: string) => Promise<T>;
  log?: (line: string) => void;
  /** Where the progress bar is drawn (default: standard error; null: no bar). */
  progress?: NodeJS.WritableStream | null;
}

const MAX_REDIRECTS = 5;
const IDLE_TIMEOUT_MS = 60_000;

export async function downloadArchive<T>(options: DownloadOptions<T>): Promise<T> {
  const { url, target, archiveRoot, check } = options;
  const log = options.log ?? (() => undefined);
  const official: Checksum | null = url === CIFAR100_URL ? { algorithm: "md5", hex: CIFAR100_MD5 } : null;
  const checksum = options.checksum ?? official;
  await fs.mkdir(path.dirname(target), { recursive: true });
  // Unique names, so that two processes downloading at once never write to the same file.
  const unique = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const partFile = `${target}.${unique}.tar.gz.part`;
  const unpackDir = `${target}.${unique}.unpacking`;
  try {
    const digest = await fetchToFile(url, partFile, checksum?.algorithm ?? "sha256", options.progress);
    if (checksum && digest !== checksum.hex.toLowerCase()) {
      throw new Error(
        `Download of ${url}: the archive's ${checksum.algorithm.toUpperCase()} is ${digest}, expected ` +
          `${checksum.hex.toLowerCase()}. The download is corrupt or the file on the server changed; nothing was ` +
          `kept, so run again to retry.`,
      );
    }
    log(checksum ? `the archive's ${checksum.algorithm.toUpperCase()} is correct` : `no checksum for ${url} to verify`);
    await fs.mkdir(unpackDir);
    await tar.x({ file: partFile, cwd: unpackDir, strict: true });
    const unpacked = path.join(unpackDir, archiveRoot);
    if (!existsSync(unpacked)) {
      throw new Error(`Download of ${url}: the archive has no ${archiveRoot}/ folder; check the url.`);
    }
    const result = await check(unpacked);
    await moveIntoPlace(unpacked, target, log);
    return result;
  } finally {
    await fs.rm(partFile, { force: true });
    await fs.rm(unpackDir, { recursive: true, force: true });
  }
}

/** Renames the checked folder to the target; if another process got there first, its copy is kept. */
async function moveIntoPlace(unpacked: string, target: string, log: (line: string) => void): Promise<void> {
  try {
    await fs.rename(unpacked, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code !== "EEXIST" && code !== "ENOTEMPTY") || !existsSync(target)) throw error;
    log(`${target} appeared while downloading (another process?); keeping that copy`);
  }
}

/** Streams `url` (following redirects) into `file`; resolves to the hex digest of the bytes received. */
async function fetchToFile(
  url: string,
  file: string,
  algorithm: Checksum["algorithm"],
  progressStream: NodeJS.WritableStream | null | undefined,
): Promise<string> {
  const response = await get(url, MAX_REDIRECTS);
  const header = Number(response.headers["content-length"]);
  const total = Number.isFinite(header) && header > 0 ? header : null;
  const label = `Downloading ${path.basename(new URL(url).pathname)}`;
  const bar =
    progressStream === null ? null : createProgressBar({ total, label, stream: progressStream, format: formatBytes });
  const hash = createHash(algorithm);
  let received = 0;
  try {
    await pipeline(response, tap(hash, (n) => bar?.update((received += n))), createWriteStream(file));
  } catch (error) {
    const cause = (error as Error).message;
    throw new Error(`Download of ${url} was interrupted after ${received} bytes (${cause}); run again to retry.`);
  }
  bar?.finish();
  if (total !== null && received !== total) {
    throw new Error(`Download of ${url}: the connection ended after ${received} of ${total} bytes; run again.`);
  }
  return hash.digest("hex");
}

/** A pass-through stream that hashes and counts what flows through it. */
function tap(hash: Hash, onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
}

/** GET with redirects; resolves to a 200 response, rejects with a clear error for anything else. */
function get(url: string, redirectsLeft: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith("https:") ? https : url.startsWith("http:") ? http : null;
    if (!client) {
      reject(new Error(`Download of ${url}: only http and https urls are supported.`));
      return;
    }
    const request = client.get(url, (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location) {
        response.resume();
        if (redirectsLeft === 0) {
          reject(new Error(`Download of ${url}: too many redirects (more than ${MAX_REDIRECTS}).`));
          return;
        }
        get(new URL(location, url).toString(), redirectsLeft - 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        response.resume();
        reject(
          new Error(
            `Download of ${url}: the server answered ${status} ${response.statusMessage ?? ""}`.trimEnd() +
              ". Check the url.",
          ),
        );
        return;
      }
      resolve(response);
    });
    request.setTimeout(IDLE_TIMEOUT_MS, () =>
      request.destroy(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)),
    );
    request.on("error", (error) =>
      reject(new Error(`Download of ${url} failed: ${error.message}. Check the network connection and run again.`)),
    );
  });
}
