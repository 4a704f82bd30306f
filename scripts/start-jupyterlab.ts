/**
 * JupyterLab on localhost with this repository's "TypeScript (tslab)" kernel spec, for the browser tests
 * (test/browser/) and for trying the notebooks by hand.
 *
 *   npx tsx scripts/start-jupyterlab.ts --install     # make .venv-jupyter/ with the pinned JupyterLab
 *   npx tsx scripts/start-jupyterlab.ts [--root DIR]   # serve DIR (default notebooks/) until Ctrl-C
 *
 * The server listens on a free 127.0.0.1 port with a fresh token and keeps its Jupyter config, runtime, settings
 * and workspaces in a temporary folder, so nothing of the user's own Jupyter setup leaks in or is changed.
 * `JUPYTER_PATH` points at jupyter/ (the committed kernel spec); the kernels inherit the server's environment
 * (PROFILE, CIFAR100_DIR, TFJS_BACKEND ...). `stop()` shuts the server down and kills its process group and any
 * kernel it started.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..");
/** Exact versions of JupyterLab and everything it pulls in (pip freeze of a working install). */
export const JUPYTERLAB_REQUIREMENTS = path.join(REPO_ROOT, "test", "browser", "jupyterlab-requirements.txt");
/** The ignored virtual environment `--install` creates; JUPYTERLAB_VENV overrides. */
export function jupyterLabVenv(): string {
  return path.resolve(process.env.JUPYTERLAB_VENV ?? path.join(REPO_ROOT, ".venv-jupyter"));
}

const START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;

/**
 * The jupyter-lab executable to use: $JUPYTER_LAB, else the project's venv, else PATH; null if none.
 */
export function findJupyterLab(): string | null {
  if (process.env.JUPYTER_LAB) return fs.existsSync(process.env.JUPYTER_LAB) ? process.env.JUPYTER_LAB : null;
  const candidates = [path.join(jupyterLabVenv(), "bin", "jupyter-lab")];
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir !== "") candidates.push(path.join(dir, "jupyter-lab"));
  }
  return candidates.find((file) => fs.existsSync(file)) ?? null;
}

/**
 * Creates (or updates) the venv with exactly the pinned requirements; a stamp with the requirements' hash makes
 * a second call a no-op. Uses $PYTHON, else Debian's /usr/bin/python3, else python3 on PATH.
 */
export function installJupyterLab(log: (line: string) => void = console.log): string {
  const venv = jupyterLabVenv();
  const requirements = fs.readFileSync(JUPYTERLAB_REQUIREMENTS);
  const digest = createHash("sha256").update(requirements).digest("hex");
  const stamp = path.join(venv, ".requirements-sha256");
  const jupyterLab = path.join(venv, "bin", "jupyter-lab");
  if (fs.existsSync(jupyterLab) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === digest) {
    log(`jupyterlab: ${venv} is up to date`);
    return jupyterLab;
  }
  const python = process.env.PYTHON ?? (fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
  const run = (command: string, args: string[]) => {
    log(`jupyterlab: ${command} ${args.join(" ")}`);
    const result = spawnSync(command, args, { stdio: ["ignore", "inherit", "inherit"] });
    if (result.status !== 0) {
      const hint = args.includes("venv") ? " (on Debian: apt-get install python3-venv)" : "";
      throw new Error(`${command} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`})${hint}`);
    }
  };
  if (!fs.existsSync(path.join(venv, "bin", "pip"))) run(python, ["-m", "venv", venv]);
  run(path.join(venv, "bin", "pip"), [
    "install", "--quiet", "--disable-pip-version-check", "--no-input", "-r", JUPYTERLAB_REQUIREMENTS,
  ]);
  fs.writeFileSync(stamp, digest);
  return jupyterLab;
}

export interface JupyterLabOptions {
  /** The folder JupyterLab serves (its file browser's root). */
  rootDir: string;
  /** Added to this process's environment; kernels inherit it. */
  env?: NodeJS.ProcessEnv;
  /** User settings by plugin id, e.g. {"@jupyterlab/notebook-extension:tracker": {windowingMode: "none"}}. */
  settings?: Record<string, Record<string, unknown>>;
  /** The jupyter-lab executable (default: findJupyterLab()). */
  jupyterLab?: string;
  startTimeoutMs?: number;
}

export interface ProcessInfo {
  pid: number;
  pgid: number;
  state: string;
  command: string;
}

/** Live (non-zombie) processes whose command line contains `fragment`, from /proc. */
export function processesMentioning(fragment: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const command = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      if (!command.includes(fragment)) continue;
      // stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, , pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state !== "Z" && state !== "X") found.push({ pid: Number(entry), pgid: Number(pgid), state, command });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Servers not stopped yet: killed when this process exits however it exits. */
const liveServers = new Set<JupyterLabServer>();
process.on("exit", () => {
  for (const server of liveServers) server.killNow();
});

export class JupyterLabServer {
  /** Base URL, ending in "/". */
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private log = "";
  private stopped = false;

  constructor(
    readonly port: number,
    readonly token: string,
    readonly rootDir: string,
    /** Temporary folder with this server's Jupyter config, data, runtime, settings and workspaces. */
    readonly homeDir: string,
    private readonly child: ChildProcess,
  ) {
    this.url = `http://127.0.0.1:${port}/`;
    const keep = (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.exited = new Promise((resolve) => {
      child.once("error", () => resolve({ code: null, signal: null }));
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    liveServers.add(this);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The server's own log (last 20,000 characters). */
  get output(): string {
    return this.log;
  }

  /** URL of a path in the lab UI or the REST API, with the token. */
  urlFor(pathAndQuery: string): string {
    const url = new URL(pathAndQuery.replace(/^\//, ""), this.url);
    url.searchParams.set("token", this.token);
    return url.toString();
  }

  async api(method: string, apiPath: string, timeoutMs = 5000): Promise<Response> {
    return fetch(new URL(apiPath.replace(/^\//, ""), this.url), {
      method,
      headers: { Authorization: `token ${this.token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  /** Processes this server started that are still alive: itself, its group and its kernels. */
  leftoverProcesses(): ProcessInfo[] {
    const byPid = new Map<number, ProcessInfo>();
    for (const info of processesMentioning(this.homeDir)) byPid.set(info.pid, info);
    if (this.child.pid !== undefined && isAlive(-this.child.pid)) {
      for (const entry of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
        try {
          const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
          const [state, , pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
          if (Number(pgid) === this.child.pid && state !== "Z" && state !== "X") {
            byPid.set(Number(entry), { pid: Number(entry), pgid: Number(pgid), state, command: "(server group)" });
          }
        } catch {
          // Gone.
        }
      }
    }
    return [...byPid.values()];
  }

  /**
   * Shuts down: the REST API's shutdown (which ends the kernels), then SIGTERM and SIGKILL to the server's
   * process group and to the process group of every kernel it started (Jupyter starts kernels in new sessions).
   * Returns the processes that had to be killed after the graceful shutdown.
   */
  async stop(): Promise<ProcessInfo[]> {
    if (this.stopped) return [];
    this.stopped = true;
    const kernels = () => processesMentioning(this.homeDir).filter((info) => info.pid !== this.child.pid);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        await this.api("POST", "api/shutdown");
      } catch {
        // Not answering: killed below.
      }
      await Promise.race([this.exited, sleep(STOP_GRACE_MS)]);
    }
    const leftovers = this.leftoverProcesses();
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      const groups = new Set([...(this.child.pid ? [this.child.pid] : []), ...kernels().map((info) => info.pgid)]);
      for (const pgid of groups) killGroup(pgid, signal);
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline && this.leftoverProcesses().length > 0) await sleep(100);
      if (this.leftoverProcesses().length === 0) break;
    }
    await Promise.race([this.exited, sleep(1000)]);
    liveServers.delete(this);
    fs.rmSync(this.homeDir, { recursive: true, force: true });
    return leftovers;
  }

  /** Synchronous last resort (process exit): SIGKILL to the server's group and its kernels' groups. */
  killNow(): void {
    const groups = new Set([...(this.child.pid ? [this.child.pid] : []), ...processesMentioning(this.homeDir).map((info) => info.pgid)]);
    for (const pgid of groups) killGroup(pgid, "SIGKILL");
  }
}

/** Starts JupyterLab and resolves once its REST API answers and lists the tslab kernel spec. */
export async function startJupyterLab(options: JupyterLabOptions): Promise<JupyterLabServer> {
  const jupyterLab = options.jupyterLab ?? findJupyterLab();
  if (!jupyterLab) {
    throw new Error("jupyter-lab not found: run `npx tsx scripts/start-jupyterlab.ts --install` (or pip install jupyterlab, or set JUPYTER_LAB)");
  }
  const homeDir = fs.mkdtempSync(path.join(os.tmpdir(), "jupyterlab-home-"));
  const dirs = Object.fromEntries(["config", "data", "runtime", "settings", "workspaces"].map((name) => {
    const dir = path.join(homeDir, name);
    fs.mkdirSync(dir);
    return [name, dir];
  }));
  for (const [plugin, values] of Object.entries(options.settings ?? {})) {
    const [pkg, id] = plugin.split(":");
    const file = path.join(dirs.settings, pkg, `${id}.jupyterlab-settings`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(values, null, 2));
  }
  const port = await freeLoopbackPort();
  const token = randomBytes(24).toString("hex");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    // The kernel spec's "node" is the node running us.
    PATH: [path.dirname(process.execPath), process.env.PATH].filter(Boolean).join(path.delimiter),
    JUPYTER_PATH: [path.join(REPO_ROOT, "jupyter"), options.env?.JUPYTER_PATH ?? process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter),
    JUPYTER_CONFIG_DIR: dirs.config,
    JUPYTER_DATA_DIR: dirs.data,
    JUPYTER_RUNTIME_DIR: dirs.runtime,
    JUPYTERLAB_SETTINGS_DIR: dirs.settings,
    JUPYTERLAB_WORKSPACES_DIR: dirs.workspaces,
    JUPYTER_PLATFORM_DIRS: "1",
  };
  const args = [
    "--no-browser",
    "--ServerApp.ip=127.0.0.1",
    `--ServerApp.port=${port}`,
    "--ServerApp.port_retries=0",
    `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${path.resolve(options.rootDir)}`,
    "--ServerApp.terminals_enabled=False",
    "--MappingKernelManager.default_kernel_name=tslab",
    "--LabApp.news_url=",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    // CI and the dev containers run as root; the server still listens on loopback only.
    ...(process.getuid?.() === 0 ? ["--ServerApp.allow_root=True"] : []),
  ];
  const child = spawn(jupyterLab, args, { cwd: options.rootDir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const server = new JupyterLabServer(port, token, path.resolve(options.rootDir), homeDir, child);
  const deadline = Date.now() + (options.startTimeoutMs ?? START_TIMEOUT_MS);
  let lastProblem = "no answer yet";
  let ended = false;
  void server.exited.then(() => { ended = true; });
  try {
    while (Date.now() < deadline) {
      if (ended) throw new Error(`jupyter-lab exited during startup:\n${server.output}`);
      try {
        const specs = await server.api("GET", "api/kernelspecs", 2000);
        if (specs.ok) {
          const body = (await specs.json()) as { kernelspecs: Record<string, unknown> };
          if (!("tslab" in body.kernelspecs)) {
            throw new Error(`JupyterLab does not list the tslab kernel spec (found: ${Object.keys(body.kernelspecs).join(", ")}); JUPYTER_PATH=${env.JUPYTER_PATH}`);
          }
          return server;
        }
        lastProblem = `GET api/kernelspecs: HTTP ${specs.status}`;
      } catch (error) {
        if ((error as Error).message.startsWith("JupyterLab does not list")) throw error;
        lastProblem = (error as Error).message;
      }
      await sleep(200);
    }
    throw new Error(`jupyter-lab did not answer on ${server.url} within ${(options.startTimeoutMs ?? START_TIMEOUT_MS) / 1000} s (${lastProblem}):\n${server.output}`);
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log("Usage: npx tsx scripts/start-jupyterlab.ts [--install] [--root DIR]\n" +
      "  --install   create/update .venv-jupyter (or $JUPYTERLAB_VENV) with test/browser/jupyterlab-requirements.txt, then exit\n" +
      "  --root DIR  the folder to serve (default: notebooks/); stops on Ctrl-C");
    return;
  }
  if (args.includes("--install")) {
    installJupyterLab();
    return;
  }
  const rootIndex = args.indexOf("--root");
  const rootDir = rootIndex >= 0 ? args[rootIndex + 1] : path.join(REPO_ROOT, "notebooks");
  const server = await startJupyterLab({ rootDir });
  console.log(`JupyterLab: ${server.urlFor("lab")}\n(serving ${server.rootDir}; Ctrl-C stops it and its kernels)`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
    void server.exited.then(() => resolve());
  });
  await server.stop();
  process.exit(); // without waiting for idle keep-alive sockets
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
