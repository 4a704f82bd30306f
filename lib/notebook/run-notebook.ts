/**
 * Runs every code cell of one notebook in a fresh tslab kernel and saves it with its outputs.
 */
import * as os from "os";
import * as path from "path";
import { KernelClient } from "./jupyter-client";
import { freePorts, KernelExit, KernelProcess } from "./kernel-process";
import { NotebookOutputs, withoutMachineFolders } from "./outputs";
import { CodeCell, isCodeCell, joinLines, Notebook, readNotebook, writeNotebook } from "./nbformat";

export interface RunOptions {
  /** Where to save the executed notebook; the notebook itself by default. */
  outFile?: string;
  /** A cell running longer than this fails the notebook and its kernel is killed. */
  cellTimeoutSeconds: number;
  /** Aborting (e.g. on SIGINT) stops the run like a failing cell. */
  signal?: AbortSignal;
}

export interface RunResult {
  outFile: string;
  codeCells: number;
  seconds: number;
}

/** A notebook that did not run to the end; `message` says at which cell and why. */
export class NotebookFailure extends Error {
  constructor(message: string, readonly outFile: string) {
    super(message);
    this.name = "NotebookFailure";
  }
}

/** A tslab kernel answers in about 2 s on a 2-core machine; 60 s leaves room for a loaded one. */
const KERNEL_START_TIMEOUT_SECONDS = 60;
/** Starts tried when another process takes one of the kernel's ports before it listens. */
const KERNEL_START_ATTEMPTS = 3;
const REPORT_LINES = 40;

const KERNELSPEC = { name: "tslab", display_name: "TypeScript (tslab)", language: "typescript" };

export async function runNotebook(file: string, options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const outFile = options.outFile ?? file;
  const notebook = readNotebook(file);
  const cells = notebook.cells.filter(isCodeCell);
  // Outputs of an earlier run would hide where this one stopped.
  for (const cell of cells) {
    cell.outputs = [];
    cell.execution_count = null;
  }
  const folder = path.dirname(path.resolve(file));
  // Outputs are saved without this machine's folders: executing again elsewhere changes only what really changed.
  const save = () => writeNotebook(outFile, withMachineFoldersRelative(notebook, { notebook: folder, home: os.homedir() }));
  let kernel: KernelProcess | undefined;
  let client: KernelClient | undefined;
  let current: { cell: CodeCell; number: number } | undefined;
  try {
    let info: Record<string, unknown>;
    ({ kernel, client, info } = await startKernel(folder, options.signal));
    notebook.metadata = { ...notebook.metadata, kernelspec: KERNELSPEC, language_info: info.language_info };
    const outputs = new NotebookOutputs();
    for (const [index, cell] of cells.entries()) {
      current = { cell, number: index + 1 };
      if (joinLines(cell.source).trim() !== "") await runCell(cell, client, kernel, outputs, options);
    }
  } catch (error) {
    save();
    throw new NotebookFailure(failureReport(current, error as Error, kernel?.output ?? ""), outFile);
  } finally {
    client?.close();
    await kernel?.stop();
  }
  save();
  return { outFile, codeCells: cells.length, seconds: (Date.now() - started) / 1000 };
}

/** A kernel was started but one of its ports had been taken meanwhile. */
class PortTaken extends Error {
  constructor(readonly port: number) {
    super(`port ${port} was taken by another process before the kernel listened on it`);
  }
}

/**
 * A kernel in `folder` that answered kernel_info, with its client. The ports are free when chosen
 * but another process can take one before the kernel listens; then a new kernel gets new ports.
 */
export async function startKernel(folder: string, signal: AbortSignal | undefined, choosePorts = () => freePorts(5)) {
  const takenPorts: number[] = [];
  for (;;) {
    const kernel = await KernelProcess.start(folder, { ports: await choosePorts() });
    const client = new KernelClient(kernel.connection);
    try {
      // A taken shell or iopub port keeps kernel_info unanswered. A taken control, stdin or heartbeat port does not,
      // and this client uses none of them (interrupts go by signal): reported after the answer, it is ignored.
      const portTaken = kernel.portTaken.then((port): never => { throw new PortTaken(port); });
      portTaken.catch(() => {});  // After a start the report concerns a port this client does not use.
      const info = await guard(Promise.race([client.kernelInfo(), portTaken]), kernel, signal, KERNEL_START_TIMEOUT_SECONDS,
        `the kernel did not answer kernel_info_request within ${KERNEL_START_TIMEOUT_SECONDS} s`);
      return { kernel, client, info };
    } catch (error) {
      client.close();
      const output = kernel.output;
      await kernel.stop();
      if (!(error instanceof PortTaken)) throw withKernelOutput(error as Error, output);
      takenPorts.push(error.port);
      if (takenPorts.length === KERNEL_START_ATTEMPTS) {
        throw new Error(`${KERNEL_START_ATTEMPTS} kernels in a row found a port taken by another process `
          + `(${takenPorts.join(", ")}): free ports on 127.0.0.1 or stop what keeps taking them, then run again`);
      }
    }
  }
}

/** The kernel's own output travels in the error: the kernel that wrote it is gone by the report. */
function withKernelOutput(error: Error, output: string): Error {
  if (output.trim() === "") return error;
  return new Error(`${error.message}\nkernel stdout/stderr (last lines):\n${indent(lastLines(output, REPORT_LINES))}`);
}

function withMachineFoldersRelative(notebook: Notebook, folders: { notebook: string; home: string }): Notebook {
  const cells = notebook.cells.map((cell) => (cell.outputs ? { ...cell, outputs: withoutMachineFolders(cell.outputs, folders) } : cell));
  return { ...notebook, cells };
}

/** Runs one cell, filling in its outputs and execution count; throws what made it fail. */
async function runCell(
  cell: CodeCell,
  client: KernelClient,
  kernel: KernelProcess,
  outputs: NotebookOutputs,
  options: RunOptions,
): Promise<void> {
  const seconds = options.cellTimeoutSeconds;
  const reply = await guard(client.execute(joinLines(cell.source), outputs.collectInto(cell)), kernel,
    options.signal, seconds,
    `timed out after ${seconds} s, so the kernel was stopped (allow more with --timeout or NOTEBOOK_CELL_TIMEOUT)`);
  cell.execution_count = (reply.content.execution_count ?? null) as number | null;
  if (reply.content.status !== "ok") {
    throw new Error(cellError(cell) || `the kernel answered status "${String(reply.content.status)}"`);
  }
}

/**
 * `work`, unless the kernel dies, the run is aborted or `timeoutSeconds` pass first.
 */
async function guard<T>(
  work: Promise<T>,
  kernel: KernelProcess,
  signal: AbortSignal | undefined,
  timeoutSeconds: number,
  timeoutMessage: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  const stops = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(timeoutMessage)), timeoutSeconds * 1000);
    void kernel.exited.then((exit) => reject(new Error(describeExit(exit))));
    onAbort = () => reject(new Error(`interrupted (${String(signal?.reason ?? "aborted")})`));
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort);
  });
  try {
    return await Promise.race([work, stops]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

function describeExit(exit: KernelExit): string {
  if (exit.error) return `the kernel could not be started: ${exit.error.message}`;
  return `the kernel exited (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})`;
}

/** What the kernel reported for a failed cell: error outputs, else (tslab) what went to stderr. */
function cellError(cell: CodeCell): string {
  const errors = cell.outputs.flatMap((output) => {
    if (output.output_type === "error") return [`${output.ename}: ${output.evalue}`, ...output.traceback];
    if (output.output_type === "stream" && output.name === "stderr") return [joinLines(output.text)];
    return [];
  });
  return lastLines(errors.join("\n"), REPORT_LINES);
}

function failureReport(
  current: { cell: CodeCell; number: number } | undefined,
  error: Error,
  kernelOutput: string,
): string {
  const where = current
    ? `cell ${current.number} (${firstLine(current.cell)})`
    : "kernel start";
  const lines = [`failed at ${where}:`, indent(error.message)];
  if (kernelOutput.trim() !== "") {
    lines.push("kernel stdout/stderr (last lines):", indent(lastLines(kernelOutput, REPORT_LINES)));
  }
  return lines.join("\n");
}

function firstLine(cell: CodeCell): string {
  const line = joinLines(cell.source).split("\n").find((text) => text.trim() !== "") ?? "";
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}
