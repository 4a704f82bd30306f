/**
 * Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the browser tests; and the
 * BROWSER_TESTS switch that decides whether a missing browser or JupyterLab skips the tests or fails them.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BrowserContext, chromium } from "playwright-core";
import { findNbconvert } from "../../lib/notebook/html";
import { findJupyterLab, ProcessInfo, processesMentioning } from "../../scripts/start-jupyterlab";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const ARTIFACTS_DIR = path.join(REPO_ROOT, "artifacts", "browser");
/** Plain JS evaluated in every page: window.__probes (see the file). */
const PROBES_SCRIPT = path.join(__dirname, "page-probes.js");

const FLAGS = [
  "--no-sandbox", // root in CI containers
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  // Only loopback: every other host name fails to resolve (nbconvert's HTML links CDN scripts).
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
];

/** The Chromium executable: $CHROMIUM_PATH, else Debian's /usr/bin/chromium, else `chromium` on PATH. */
export function findChromium(): string | null {
  if (process.env.CHROMIUM_PATH) return fs.existsSync(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : null;
  const candidates = ["/usr/bin/chromium"];
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir !== "") candidates.push(path.join(dir, "chromium"));
  }
  return candidates.find((file) => fs.existsSync(file)) ?? null;
}

/**
 * Skips the calling suite with the reason when something it needs is missing, unless BROWSER_TESTS=required
 * (set by .ci/run), which turns the same reason into a failure. BROWSER_TESTS=0 skips the browser tests.
 */
export function requireBrowserTools(context: Mocha.Context, needs: { jupyterLab?: boolean; nbconvert?: boolean }): void {
  const mode = (process.env.BROWSER_TESTS ?? "").toLowerCase();
  if (mode === "0" || mode === "off" || mode === "skip") {
    console.log("    skipped: BROWSER_TESTS=" + process.env.BROWSER_TESTS);
    context.skip();
  }
  const missing: string[] = [];
  if (!findChromium()) missing.push("Chromium (apt-get install chromium, or set CHROMIUM_PATH)");
  if (needs.jupyterLab && !findJupyterLab()) {
    missing.push("JupyterLab (npx tsx scripts/start-jupyterlab.ts --install, or set JUPYTER_LAB)");
  }
  if (needs.nbconvert) {
    try {
      findNbconvert();
    } catch {
      missing.push("jupyter-nbconvert (apt-get install jupyter-nbconvert)");
    }
  }
  if (missing.length === 0) return;
  const reason = `missing ${missing.join(" and ")}`;
  if (mode === "required") throw new Error(`BROWSER_TESTS=required but ${reason}`);
  console.log(`    skipped: ${reason} (BROWSER_TESTS=required makes this a failure)`);
  context.skip();
}

export class Browser {
  private closed = false;

  private constructor(
    readonly context: BrowserContext,
    readonly userDataDir: string,
    /** Process group of the browser (playwright starts it as a group leader). */
    readonly pgid: number,
  ) {
    liveBrowsers.add(this);
  }

  /** A fresh headless Chromium with its own profile folder; pages get the probes of page-probes.js. */
  static async launch(): Promise<Browser> {
    const executablePath = findChromium();
    if (!executablePath) throw new Error("Chromium not found (apt-get install chromium)");
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "browser-test-profile-"));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: FLAGS,
      viewport: { width: 1400, height: 1000 },
      timeout: 60_000,
    });
    await context.addInitScript({ path: PROBES_SCRIPT });
    const main = processesMentioning(`--user-data-dir=${userDataDir}`).find((info) => info.pid === info.pgid);
    return new Browser(context, userDataDir, main?.pgid ?? -1);
  }

  /** Browser processes still alive: its process group and anything naming its profile folder. */
  leftoverProcesses(): ProcessInfo[] {
    const found = new Map(processesMentioning(this.userDataDir).map((info) => [info.pid, info]));
    if (this.pgid > 0) {
      for (const info of processesInGroup(this.pgid)) found.set(info.pid, info);
    }
    return [...found.values()];
  }

  /**
   * Closes the browser, then SIGKILLs its process group if anything of it is still alive 5 s later. Returns the
   * processes that had to be killed; leftoverProcesses() tells whether any survived even that.
   */
  async close(): Promise<ProcessInfo[]> {
    if (this.closed) return [];
    this.closed = true;
    await Promise.race([this.context.close().catch(() => undefined), sleep(15_000)]);
    const leftovers = await waitUntilGone(() => this.leftoverProcesses(), 5000);
    if (leftovers.length > 0) {
      this.killNow();
      await waitUntilGone(() => this.leftoverProcesses(), 5000);
    }
    liveBrowsers.delete(this);
    fs.rmSync(this.userDataDir, { recursive: true, force: true });
    return leftovers;
  }

  killNow(): void {
    for (const pgid of new Set([this.pgid, ...processesMentioning(this.userDataDir).map((info) => info.pgid)])) {
      if (pgid > 0) {
        try {
          process.kill(-pgid, "SIGKILL");
        } catch {
          // Gone.
        }
      }
    }
  }
}

const liveBrowsers = new Set<Browser>();
process.on("exit", () => {
  for (const browser of liveBrowsers) browser.killNow();
});

/** Live processes of a process group, from /proc. */
export function processesInGroup(pgid: number): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(group) === pgid && state !== "Z" && state !== "X") {
        const command = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
        found.push({ pid: Number(entry), pgid, state, command });
      }
    } catch {
      // Ended while we looked.
    }
  }
  return found;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `list` until it is empty or `ms` pass; returns the last non-empty list (or []). */
async function waitUntilGone(list: () => ProcessInfo[], ms: number): Promise<ProcessInfo[]> {
  const deadline = Date.now() + ms;
  let left = list();
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = list();
  }
  return left;
}

/** "pid command" lines for an assertion message. */
export function describeProcesses(processes: ProcessInfo[]): string {
  return processes.map((info) => `  ${info.pid} (group ${info.pgid}, ${info.state}): ${info.command.slice(0, 200)}`).join("\n");
}
