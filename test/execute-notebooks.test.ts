import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { findNbconvert } from "../lib/notebook/html";
import { Cell, CodeCell, joinLines, Notebook, Output, serializeNotebook, withCellIds } from "../lib/notebook/nbformat";
import { NotebookOutputs, withoutMachineFolders } from "../lib/notebook/outputs";
import { freePorts, KernelProcess } from "../lib/notebook/kernel-process";
import { startKernel } from "../lib/notebook/run-notebook";
import { JupyterMessage, newMessage } from "../lib/notebook/messages";
import { NO_NBFORMAT, pythonWithNbformat, schemaErrors } from "./helpers/nbformat-schema";

const REPO_ROOT = path.resolve(__dirname, "..");
const FIXTURES = path.join(REPO_ROOT, "test", "fixtures", "notebooks");
const SCRIPT = path.join(REPO_ROOT, "scripts", "execute-notebooks.ts");
const CHART_MIMES = ["application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the executor as users do, in its own node process. One that runs past `deadlineMs` is
 * interrupted (SIGINT, as a user would) so that the test fails with what it printed, not with
 * mocha's bare timeout.
 */
function execute(args: string[], env: NodeJS.ProcessEnv = process.env, deadlineMs = 100_000): Promise<Run> {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, ...args], { cwd: REPO_ROOT, env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => { stdout += chunk; });
  child.stderr.on("data", (chunk) => { stderr += chunk; });
  const deadline = setTimeout(() => {
    stderr += `\n(test: still running after ${deadlineMs / 1000} s, interrupted)\n`;
    child.kill("SIGINT");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  }, deadlineMs);
  return new Promise((resolve) => child.on("close", (status) => {
    clearTimeout(deadline);
    resolve({ status, stdout, stderr });
  }));
}

const temporaryDirs: string[] = [];
after(() => {
  for (const dir of temporaryDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function temporaryDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "execute-notebooks-test-"));
  temporaryDirs.push(dir);
  return dir;
}

/** A copy of a fixture where `./lib` and the packages resolve as in notebooks/. */
function fixtureCopy(name: string): string {
  const dir = temporaryDir();
  fs.symlinkSync(path.join(REPO_ROOT, "lib"), path.join(dir, "lib"));
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  fs.copyFileSync(path.join(FIXTURES, name), path.join(dir, name));
  return path.join(dir, name);
}

function readCodeCells(file: string): CodeCell[] {
  const notebook = JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
  return notebook.cells.filter((cell): cell is CodeCell => cell.cell_type === "code");
}

function streamText(outputs: Output[]): string {
  return outputs.map((output) => (output.output_type === "stream" ? joinLines(output.text) : "")).join("");
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("execute-notebooks", () => {
  it("runs every cell in a real tslab kernel and saves the outputs in place", async () => {
    const file = fixtureCopy("three-cells.ipynb");
    // Without the second cell's id (as a notebook from an older Jupyter): the executor must give it one.
    const original = JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
    delete original.cells[1].id;
    fs.writeFileSync(file, JSON.stringify(original));
    const run = await execute([file]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /ok .*three-cells\.ipynb: 3 code cells in [\d.]+ s/);

    const notebook = JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
    assert.equal(notebook.metadata.fixture, "kept");
    assert.deepEqual(notebook.metadata.kernelspec,
      { name: "tslab", display_name: "TypeScript (tslab)", language: "typescript" });
    assert.equal((notebook.metadata.language_info as { name: string }).name, "typescript");

    const [log, chart, awaited] = readCodeCells(file);
    assert.deepEqual([log.execution_count, chart.execution_count, awaited.execution_count], [1, 2, 3]);
    assert.equal(streamText(log.outputs), "hello from tslab\n");
    assert.equal(chart.outputs.length, 1);
    const display = chart.outputs[0];
    assert.equal(display.output_type, "display_data");
    if (display.output_type !== "display_data") return;
    assert.deepEqual(Object.keys(display.data).sort(), [...CHART_MIMES].sort());
    assert.match(joinLines(display.data["image/svg+xml"] as string[]), /^<svg[\s\S]*mark-line/);
    assert.equal(streamText(awaited.outputs), "awaited 42\n");
    assert.deepEqual(notebook.cells.map((cell) => cell.id), ["three-cells-1", "cell-21eeaed4", "three-cells-3", "three-cells-4"]);
  });

  it("saves the same notebook when executed from two folders (no machine folders in the outputs)", async function () {
    this.timeout(240_000);  // two kernels, each with a chart cell that compiles lib/charts
    const [first, second] = [fixtureCopy("machine-folders.ipynb"), fixtureCopy("machine-folders.ipynb")];
    const run = await execute([first, second], process.env, 200_000);
    assert.equal(run.status, 0, run.stderr);
    const [a, b] = [fs.readFileSync(first, "utf8"), fs.readFileSync(second, "utf8")];
    assert.equal(a, b, "two executions of the same notebook differ");
    const [folders] = readCodeCells(first);
    assert.deepEqual(folders.outputs.map((o) => (o.output_type === "stream" ? [o.name, joinLines(o.text)] : o.output_type)),
      [["stdout", ".\n"], ["stderr", "~/.cache/cifar100-ssl\n"]]);
    for (const folder of [path.dirname(first), os.homedir()]) assert.ok(!a.includes(`${folder}/`) && !a.includes(`${folder}\n`), folder);
  });

  it("keeps every output of a burst far beyond zeromq's high-water mark, in order, and ends", async () => {
    const outDir = temporaryDir();
    const run = await execute([path.join(FIXTURES, "floods-iopub.ipynb"), "--out", outDir], process.env, 90_000);
    assert.equal(run.status, 0, run.stderr);
    const [lines, displays, after] = readCodeCells(path.join(outDir, "floods-iopub.ipynb"));
    assert.equal(streamText(lines.outputs), Array.from({ length: 20000 }, (_, i) => `${i}\n`).join(""));
    assert.deepEqual(displays.outputs.map((o) => (o.output_type === "display_data" ? joinLines(o.data["text/plain"] as string[]) : o.output_type)),
      Array.from({ length: 3000 }, (_, i) => `display ${i}`));
    assert.equal(streamText(after.outputs), "after the flood\n");
  });

  it("stops at a failing cell, names it and saves the notebook up to there", async () => {
    const outDir = temporaryDir();
    const fixture = path.join(FIXTURES, "second-cell-throws.ipynb");
    const before = fs.readFileSync(fixture, "utf8");
    const run = await execute([fixture, "--out", outDir]);

    assert.equal(run.status, 1);
    assert.match(run.stderr, /second-cell-throws\.ipynb failed at cell 2 \(throw new Error/);
    assert.match(run.stderr, /fixture failure in cell two/);
    assert.equal(fs.readFileSync(fixture, "utf8"), before, "--out must leave the notebook itself alone");

    const [first, failing, third] = readCodeCells(path.join(outDir, "second-cell-throws.ipynb"));
    assert.equal(streamText(first.outputs), "first cell ran\n");
    assert.equal(failing.execution_count, 2);
    assert.match(streamText(failing.outputs), /Error: fixture failure in cell two/);
    assert.deepEqual([third.execution_count, third.outputs], [null, []]);
  });

  it("fails a cell that runs past --timeout and leaves no kernel behind", async () => {
    const outDir = temporaryDir();
    const run = await execute([path.join(FIXTURES, "sleeps-too-long.ipynb"), "--out", outDir, "--timeout", "2"]);

    assert.equal(run.status, 1);
    assert.match(run.stderr, /failed at cell 2 .*\n.*timed out after 2 s/);
    const [first] = readCodeCells(path.join(outDir, "sleeps-too-long.ipynb"));
    const pid = Number(/kernel pid (\d+)/.exec(streamText(first.outputs))?.[1]);
    assert.ok(pid > 0, "the first cell printed the kernel's pid");
    assert.equal(isAlive(pid), false, `kernel ${pid} is still running`);
  });

  it("rejects a bad --timeout before starting any kernel", async () => {
    const run = await execute(["--timeout", "soon"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--timeout .* must be a number of seconds/);
  });
});

describe("kernel start", () => {
  const occupied: net.Server[] = [];
  afterEach(() => { for (const server of occupied.splice(0)) server.close(); });

  /** A port that a listening server of this process holds, as another program might. */
  async function takenPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    occupied.push(server);
    return (server.address() as net.AddressInfo).port;
  }

  it("a kernel whose port another process holds says so instead of hanging", async () => {
    const port = await takenPort();
    const kernel = await KernelProcess.start(temporaryDir(), { ports: [port, ...await freePorts(4)] });
    try {
      const tooLong = new Promise((resolve) => setTimeout(() => resolve("no report within 60 s"), 60_000).unref());
      assert.equal(await Promise.race([kernel.portTaken, tooLong]), port);
    } finally {
      await kernel.stop();
    }
  });

  it("starts a new kernel on new ports when a port was taken, and returns one that answers", async () => {
    const port = await takenPort();
    const chosen: number[][] = [];
    const choosePorts = async () => {
      // The shell port: a kernel without it cannot answer (one without its heartbeat port still can, and is kept).
      chosen.push(chosen.length === 0 ? [port, ...await freePorts(4)] : await freePorts(5));
      return chosen[chosen.length - 1];
    };
    const { kernel, client, info } = await startKernel(temporaryDir(), undefined, choosePorts);
    try {
      assert.equal(chosen.length, 2, "one retry");
      assert.deepEqual(Object.values(kernel.connection).filter((value) => value === port), []);
      assert.equal((info.language_info as { name: string }).name, "typescript");
    } finally {
      client.close();
      await kernel.stop();
    }
  });

  it("gives up with one error naming the ports after three kernels found one taken", async () => {
    const port = await takenPort();
    const started = Date.now();
    await assert.rejects(startKernel(temporaryDir(), undefined, async () => [port, ...await freePorts(4)]),
      new RegExp(`3 kernels in a row found a port taken by another process \\(${port}, ${port}, ${port}\\)`));
    assert.ok(Date.now() - started < 60_000, "it did not wait for the kernel_info timeout");
  });
});

describe("cell ids (nbformat 4.5)", () => {
  const cell = (cell_type: Cell["cell_type"], source: string, id?: string): Cell => ({ cell_type, source, metadata: {}, ...(id ? { id } : {}) });

  it("keeps valid ids and gives the others one from their type and source, unique within the notebook", () => {
    const cells = [cell("markdown", "# A", "kept"), cell("code", "x"), cell("code", "x"), cell("code", "x", "bad id!"), cell("markdown", "x")];
    const ids = withCellIds(cells).map((c) => c.id);
    assert.equal(ids[0], "kept");
    assert.match(ids[1]!, /^cell-[0-9a-f]{8}$/);
    assert.deepEqual(ids.slice(2, 4), [`${ids[1]}-2`, `${ids[1]}-3`], "the same source again: numbered");
    assert.notEqual(ids[4], ids[1], "the type is part of the id");
    assert.deepEqual(withCellIds(cells).map((c) => c.id), ids, "the same notebook gets the same ids");
    assert.equal(cells[1].id, undefined, "the cells given are not changed");
  });

  it("writes nbformat 4.5 (ids are invalid before it) and passes nbformat's schema", function () {
    const notebook: Notebook = { nbformat: 4, nbformat_minor: 4, metadata: {}, cells: [cell("markdown", "# A"), { ...cell("code", "1"), outputs: [], execution_count: null }] };
    const dir = temporaryDir();
    const file = path.join(dir, "written.ipynb");
    fs.writeFileSync(file, serializeNotebook(notebook));
    const written = JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
    assert.equal(written.nbformat_minor, 5);
    assert.ok(written.cells.every((c) => typeof c.id === "string"));
    const python = pythonWithNbformat();
    if (!python) {
      console.warn(`      skipped the schema check: ${NO_NBFORMAT}`);
      this.skip();
    }
    assert.deepEqual(schemaErrors(python, [file]), { [file]: [] });
    fs.writeFileSync(file, JSON.stringify({ ...notebook, nbformat_minor: 5 }));
    assert.notDeepEqual(schemaErrors(python, [file])[file], [], "the validator rejects cells without ids");
  });
});

/** Every text of a notebook's outputs (streams, errors, text/* and SVG), with where it comes from. */
interface OutputText {
  where: string;
  stream: boolean;
  text: string;
}

function outputTexts(notebook: Notebook): OutputText[] {
  return notebook.cells.flatMap((cell, index) => (cell.outputs ?? []).flatMap((output): OutputText[] => {
    const where = `cell ${index} (${cell.id})`;
    if (output.output_type === "stream") return [{ where, stream: true, text: joinLines(output.text) }];
    if (output.output_type === "error") return [{ where, stream: true, text: [output.evalue, ...output.traceback].join("\n") }];
    return Object.entries(output.data)
      .filter(([mime]) => mime.startsWith("text/") || mime === "image/svg+xml")
      .map(([mime, value]) => ({ where: `${where} ${mime}`, stream: false, text: joinLines(value as string | string[]) }));
  }));
}

/** What ties a notebook's output to the machine that executed it (absolute folders, load times, the backend dump). */
function machineSpecific(text: string, stream: boolean): string[] {
  const home = os.homedir();
  const patterns: RegExp[] = [
    /(?:^|[\s"'(=:`])(\/(?:work|home|tmp|root)(?:\/[^\s"'`)]*)?)/g,
    /\.cache\/cifar100-ssl/g,
    /CIFAR-100: read \d+ train/g,
  ];
  if (stream) {
    // Load times ("... in 0.9 s"); a notebook that trains prints its epochs' times, which change with its results.
    patterns.push(/\bin \d+(?:\.\d+)? ?(?:ms|s|min)\b/g, /^ +(?:node-gpu|node|webgpu|cpu): (?:skipped|chosen)/gm, /\bdevice: /g);
  }
  const found = patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[0].trim()));
  if (home.split("/").filter((p) => p).length >= 2 && text.includes(home)) found.push(home);
  return found;
}

describe("committed notebooks", () => {
  const notebooks = fs.readdirSync(path.join(REPO_ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb"));

  it("show no machine folders, load times or backend dumps in their outputs", () => {
    assert.equal(notebooks.length, 6);
    const offenders = notebooks.flatMap((name) => {
      const notebook = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "notebooks", name), "utf8")) as Notebook;
      return outputTexts(notebook).flatMap(({ where, stream, text }) => machineSpecific(text, stream).map((hit) => `${name} ${where}: ${hit}`));
    });
    assert.deepEqual(offenders, []);
  });

  it("the scan finds what it looks for", () => {
    assert.deepEqual(machineSpecific("CIFAR-100: read 50000 train and 10000 test images from /work/shared/data/cifar-100-binary in 0.9 s\n", true),
      ["/work/shared/data/cifar-100-binary", "CIFAR-100: read 50000 train", "in 0.9 s"]);
    assert.deepEqual(machineSpecific("epoch 1/2  loss 4.9209  trainAccuracy 0.0117  lr 1.43e-1  1.7 s\n", true), []);
    assert.deepEqual(machineSpecific("backend: webgpu (tf.getBackend() = webgpu), device: llvmpipe\n  node: skipped, x\n", true), ["node: skipped", "device:"]);
    assert.deepEqual(machineSpecific("| 164 s | a `~/.cache/cifar100-ssl` b", false), [".cache/cifar100-ssl"]);
    assert.deepEqual(machineSpecific("profile: full (the assignment's scale)\nrenderer: this notebook is executed with the webgpu backend\n", true), []);
  });

  it("pass nbformat's schema (cell ids included), as JupyterLab and nbconvert expect", function () {
    const python = pythonWithNbformat();
    if (!python) {
      console.warn(`      skipped: ${NO_NBFORMAT}`);
      this.skip();
    }
    const folders = [path.join(REPO_ROOT, "notebooks"), FIXTURES];
    const files = folders.flatMap((dir) => fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).map((f) => path.join(dir, f)));
    assert.ok(files.length >= 9, files.join(", "));
    const invalid = Object.entries(schemaErrors(python, files)).filter(([, errors]) => errors.length > 0);
    assert.deepEqual(invalid, [], "notebooks that fail the schema");
  });
});

describe("withoutMachineFolders", () => {
  const folders = { notebook: "/work/checkout/notebooks", home: "/home/someone" };

  it("writes the notebook's folder as ., its parent as .. and the home folder as ~ in text outputs", () => {
    const outputs: Output[] = [
      { output_type: "stream", name: "stderr", text: ["read from /work/checkout/notebooks/data\n", "and /work/checkout/lib/x.ts, /home/someone/.cache\n"] },
      { output_type: "error", ename: "Error", evalue: "at /work/checkout/notebooks", traceback: ["/home/someone2/x is another home"] },
      { output_type: "display_data", metadata: {}, data: { "text/markdown": "see /work/checkout/README.md", "application/json": { path: "/work/checkout/x" } } },
    ];
    assert.deepEqual(withoutMachineFolders(outputs, folders), [
      { output_type: "stream", name: "stderr", text: "read from ./data\nand ../lib/x.ts, ~/.cache\n" },
      { output_type: "error", ename: "Error", evalue: "at .", traceback: ["/home/someone2/x is another home"] },
      { output_type: "display_data", metadata: {}, data: { "text/markdown": "see ../README.md", "application/json": { path: "/work/checkout/x" } } },
    ]);
  });

  it("never replaces / or a notebook's parent of one level (/tmp); a home of one level (/root) is replaced", () => {
    const outputs: Output[] = [{ output_type: "stream", name: "stdout", text: "/tmp/x, /tmp/nb/y, /root/z and /rooted\n" }];
    assert.deepEqual(withoutMachineFolders(outputs, { notebook: "/tmp/nb", home: "/root" }), [
      { output_type: "stream", name: "stdout", text: "/tmp/x, ./y, ~/z and /rooted\n" },
    ]);
    assert.deepEqual(withoutMachineFolders(outputs, { notebook: "/nb", home: "/" }), outputs.map((o) => ({ ...o })));
  });
});

describe("NotebookOutputs", () => {
  const message = (msgType: string, content: Record<string, unknown>): JupyterMessage =>
    newMessage(msgType, "test-session", content);

  it("merges stream chunks and honours clear_output(wait) and update_display_data", () => {
    const cell: CodeCell = { cell_type: "code", source: "", metadata: {}, outputs: [], execution_count: null };
    const collect = new NotebookOutputs().collectInto(cell);
    collect(message("stream", { name: "stdout", text: "a" }));
    collect(message("stream", { name: "stdout", text: "b\n" }));
    assert.deepEqual(cell.outputs, [{ output_type: "stream", name: "stdout", text: "ab\n" }]);

    collect(message("clear_output", { wait: true }));
    assert.equal(cell.outputs.length, 1, "wait=true clears only when the next output comes");
    collect(message("display_data", { data: { "text/plain": "1/2" }, metadata: {}, transient: { display_id: "p" } }));
    collect(message("update_display_data", { data: { "text/plain": "2/2" }, metadata: {}, transient: { display_id: "p" } }));
    assert.deepEqual(cell.outputs, [{ output_type: "display_data", data: { "text/plain": "2/2" }, metadata: {} }]);
  });
});

describe("execute-notebooks with Jupyter's own tools (jupyter-nbconvert)", function () {
  before(function () {
    try {
      findNbconvert();
    } catch {
      console.log("    skipped: jupyter-nbconvert is not on PATH (apt-get install jupyter-nbconvert)");
      this.skip();
    }
  });

  it("--html writes static HTML with the chart's whole SVG", async () => {
    const outDir = temporaryDir();
    const htmlDir = path.join(outDir, "html");
    const run = await execute([path.join(FIXTURES, "three-cells.ipynb"), "--out", outDir, "--html", "--html-dir", htmlDir]);
    assert.equal(run.status, 0, run.stderr);
    const html = fs.readFileSync(path.join(htmlDir, "three-cells.html"), "utf8");
    assert.match(html, /<svg[^>]*class="marks"[\s\S]*mark-line[\s\S]*<\/svg>/);
  });

  it("the committed kernel spec starts tslab under Jupyter's client", () => {
    const outDir = temporaryDir();
    const result = spawnSync(findNbconvert(), [
      "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=tslab",
      "--output-dir", outDir, path.join(FIXTURES, "three-cells.ipynb"),
    ], { env: { ...process.env, JUPYTER_PATH: path.join(REPO_ROOT, "jupyter") }, encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    const [log, chart] = readCodeCells(path.join(outDir, "three-cells.ipynb"));
    assert.equal(streamText(log.outputs), "hello from tslab\n");
    assert.equal(chart.outputs[0].output_type, "display_data");
  });
});
