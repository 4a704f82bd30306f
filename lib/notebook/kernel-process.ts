/**
 * A tslab kernel process started from the repository's kernel spec, as Jupyter starts it.
 */
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

/** The committed kernel spec that JupyterLab users pick as "TypeScript (tslab)". */
export const KERNEL_SPEC_DIR = path.resolve(__dirname, "..", "..", "jupyter", "kernels", "tslab");

/** A kernel's connection file: https://jupyter-client.readthedocs.io/en/stable/kernels.html#connection-files */
export interface ConnectionInfo {
  transport: "tcp";
  ip: string;
  key: string;
  signature_scheme: "hmac-sha256";
  kernel_name: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
}

export interface KernelExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  error?: Error;
}

const OUTPUT_TAIL_CHARS = 4000;
const STOP_GRACE_MS = 2000;
/**
 * What tslab prints when a port of its connection file is taken. It logs the failed bind as an
 * unhandled rejection and keeps running without answering, so without this the start would hang.
 */
const PORT_TAKEN = /EADDRINUSE[\s\S]*?tcp:\/\/[\d.]+:(\d+)/;

/** Kernels still running, killed when this process exits however it exits. */
const liveKernels = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of liveKernels) child.kill("SIGKILL");
});

/** Ports that were free a moment ago; held together so that they are distinct. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The kernel spec's argv with Jupyter's `{connection_file}` and `{resource_dir}` filled in. */
function kernelCommand(specDir: string, connectionFile: string): string[] {
  const specPath = path.join(specDir, "kernel.json");
  const spec = JSON.parse(fs.readFileSync(specPath, "utf8")) as { argv?: string[] };
  if (!Array.isArray(spec.argv) || spec.argv.length === 0) {
    throw new Error(`${specPath} has no "argv" list: restore it from git.`);
  }
  const argv = spec.argv.map((arg) =>
    arg.replace("{connection_file}", connectionFile).replace("{resource_dir}", specDir));
  // Jupyter finds `node` on PATH; we use the node running us so that both agree.
  if (argv[0] === "node") argv[0] = process.execPath;
  return argv;
}

export class KernelProcess {
  /** Resolves when the process ends (or fails to start). */
  readonly exited: Promise<KernelExit>;
  /**
   * Resolves with the port when the kernel could not listen on one of its ports (another process
   * took it between our check and the kernel's bind); such a kernel never answers.
   */
  readonly portTaken: Promise<number>;
  private outputTail = "";

  private constructor(
    readonly connection: ConnectionInfo,
    private readonly child: ChildProcess,
    private readonly runtimeDir: string,
  ) {
    liveKernels.add(child);
    let reportPortTaken = (_port: number) => {};
    this.portTaken = new Promise((resolve) => { reportPortTaken = resolve; });
    const keepTail = (chunk: Buffer) => {
      this.outputTail = (this.outputTail + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
      const taken = PORT_TAKEN.exec(this.outputTail);
      if (taken) reportPortTaken(Number(taken[1]));
    };
    child.stdout?.on("data", keepTail);
    child.stderr?.on("data", keepTail);
    this.exited = new Promise((resolve) => {
      child.once("error", (error) => resolve({ code: null, signal: null, error }));
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    void this.exited.then(() => liveKernels.delete(child));
  }

  /**
   * Starts a fresh kernel in `cwd` with this process's environment, on `ports` (shell, iopub,
   * stdin, control, heartbeat) or on five that are free now.
   */
  static async start(cwd: string, options: { specDir?: string; ports?: number[] } = {}): Promise<KernelProcess> {
    const specDir = options.specDir ?? KERNEL_SPEC_DIR;
    const [shell, iopub, stdin, control, hb] = options.ports ?? await freePorts(5);
    const connection: ConnectionInfo = {
      transport: "tcp",
      ip: "127.0.0.1",
      key: randomBytes(32).toString("hex"),
      signature_scheme: "hmac-sha256",
      kernel_name: "tslab",
      shell_port: shell,
      iopub_port: iopub,
      stdin_port: stdin,
      control_port: control,
      hb_port: hb,
    };
    const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), "tslab-kernel-"));
    const connectionFile = path.join(runtimeDir, "connection.json");
    fs.writeFileSync(connectionFile, JSON.stringify(connection), { mode: 0o600 });
    const [command, ...args] = kernelCommand(specDir, connectionFile);
    const child = spawn(command, args, { cwd, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
    return new KernelProcess(connection, child, runtimeDir);
  }

  /** What the kernel wrote to its own stdout/stderr (not to the notebook): startup and crash messages. */
  get output(): string {
    return this.outputTail;
  }

  /** Ends the process (SIGTERM, then SIGKILL) and removes its connection file. */
  async stop(): Promise<void> {
    if (liveKernels.has(this.child)) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.runtimeDir, { recursive: true, force: true });
  }
}
