/**
 * The notebooks as a user sees them: JupyterLab in headless Chromium runs notebook 01 with the tslab kernel and
 * draws its Vega-Lite charts; the committed executed notebook shows its stored charts; the HTML export for
 * handing in shows the charts' SVG and the answers.
 *
 * Needs Chromium (apt-get install chromium) and JupyterLab (npx tsx scripts/start-jupyterlab.ts --install);
 * without them the tests skip, unless BROWSER_TESTS=required (CI), which makes that a failure.
 * Screenshots: artifacts/browser/. Environment: CIFAR100_DIR (the real data set); BROWSER_STORED_NOTEBOOK_01
 * replaces notebooks/01-supervised.ipynb as the "committed executed notebook" (to develop against an executed
 * copy made with `npm run notebooks -- 01 --out DIR`); BROWSER_RUN_TIMEOUT_S bounds the run of notebook 01.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import type { Page } from "playwright-core";
import { JupyterLabServer, startJupyterLab } from "../../scripts/start-jupyterlab";
import { ARTIFACTS_DIR, Browser, describeProcesses, REPO_ROOT, requireBrowserTools } from "./browser";

const NOTEBOOK_01 = path.join(REPO_ROOT, "notebooks", "01-supervised.ipynb");
const FAILING_FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "notebooks", "second-cell-throws.ipynb");
const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";
const TSLAB_KERNELSPEC = { name: "tslab", display_name: "TypeScript (tslab)", language: "typescript" };
const RUN_TIMEOUT_MS = Number(process.env.BROWSER_RUN_TIMEOUT_S ?? 300) * 1000;
const UI_TIMEOUT_MS = 120_000;

interface NotebookJson {
  cells: { cell_type: string; outputs?: { output_type: string; data?: Record<string, unknown> }[]; execution_count?: number | null }[];
  metadata: Record<string, unknown>;
}

interface VegaChart {
  renderer: string;
  width: number;
  height: number;
  painted: number;
  svgMarks: number;
  drawn: boolean;
}

interface ErrorOutput {
  codeCell: number;
  mime: string;
  text: string;
}

function cifarDir(): string {
  return process.env.CIFAR100_DIR ?? path.resolve(REPO_ROOT, "..", "shared", "data", "cifar-100-binary");
}

/** A copy of a notebook without outputs or execution counts, so every output on the page comes from this run. */
function writeCleared(source: string, target: string, metadata: Record<string, unknown> = {}): void {
  const notebook = JSON.parse(fs.readFileSync(source, "utf8")) as NotebookJson;
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "code") continue;
    cell.outputs = [];
    cell.execution_count = null;
  }
  Object.assign(notebook.metadata, metadata);
  fs.writeFileSync(target, JSON.stringify(notebook, null, 1));
}

function storedChartCount(file: string): number {
  const notebook = JSON.parse(fs.readFileSync(file, "utf8")) as NotebookJson;
  return notebook.cells
    .flatMap((cell) => cell.outputs ?? [])
    .filter((output) => output.data !== undefined && VEGA_LITE_MIME in output.data).length;
}

async function probe<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(`window.__probes.${expression}`) as Promise<T>;
}

async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, name);
  await page.screenshot({ path: file });
  return file;
}

describe("notebooks in JupyterLab (headless Chromium, tslab kernel)", function () {
  this.timeout(RUN_TIMEOUT_MS + 120_000);
  let server: JupyterLabServer | undefined;
  let browser: Browser | undefined;
  let rootDir: string | undefined;
  let page: Page | undefined;

  before(async function () {
    requireBrowserTools(this, { jupyterLab: true });
    // The served folder sits inside the repository (artifacts/ is ignored), where the notebooks' `./lib`
    // (a symlink here), node_modules and the project root (results/) resolve as they do from notebooks/.
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    rootDir = fs.mkdtempSync(path.join(ARTIFACTS_DIR, "jupyterlab-root-"));
    fs.symlinkSync(path.join(REPO_ROOT, "lib"), path.join(rootDir, "lib"));
    writeCleared(NOTEBOOK_01, path.join(rootDir, "01-supervised.ipynb"));
    writeCleared(FAILING_FIXTURE, path.join(rootDir, "second-cell-throws.ipynb"), { kernelspec: TSLAB_KERNELSPEC });
    server = await startJupyterLab({
      rootDir,
      env: { PROFILE: "smoke", CIFAR100_DIR: cifarDir() },
      settings: {
        // Every cell in the DOM (no virtual scrolling), no news or update pop-ups.
        "@jupyterlab/notebook-extension:tracker": { windowingMode: "none" },
        "@jupyterlab/apputils-extension:notification": { fetchNews: "false", checkForUpdates: false },
      },
    });
    browser = await Browser.launch();
  });

  afterEach(async function () {
    if (page && this.currentTest?.state === "failed") {
      const name = `failed-${this.currentTest.title.replace(/\W+/g, "-").slice(0, 60)}.png`;
      await screenshot(page, name).then((file) => console.log(`    screenshot of the failure: ${path.relative(REPO_ROOT, file)}`), () => undefined);
    }
    await page?.close().catch(() => undefined);
    page = undefined;
  });

  after(async function () {
    this.timeout(60_000);
    const forced = [...(await browser?.close() ?? []), ...(await server?.stop() ?? [])];
    if (forced.length > 0) console.log(`    had to kill after shutdown:\n${describeProcesses(forced)}`);
    if (rootDir) fs.rmSync(rootDir, { recursive: true, force: true });
    const left = [...(browser?.leftoverProcesses() ?? []), ...(server?.leftoverProcesses() ?? [])];
    assert.equal(left.length, 0, `processes of the browser or JupyterLab survived the shutdown:\n${describeProcesses(left)}`);
  });

  /** Opens a notebook of the served folder in its own workspace and waits until its kernel is idle. */
  async function openNotebook(name: string, workspace: string): Promise<Page> {
    page = await browser!.context.newPage();
    await page.goto(server!.urlFor(`lab/workspaces/${workspace}/tree/${name}`));
    await page.locator(".jp-NotebookPanel .jp-Cell").first().waitFor({ timeout: UI_TIMEOUT_MS });
    await page.waitForFunction("/TypeScript \\(tslab\\) \\| Idle/.test(window.__probes.kernelStatus())", null, { timeout: UI_TIMEOUT_MS })
      .catch(async (error: Error) => {
        throw new Error(`the tslab kernel did not become idle (status bar: "${await probe(page!, "kernelStatus()")}", ` +
          `dialogs: ${JSON.stringify(await probe(page!, "dialogs()"))}): ${error.message}\nserver log:\n${server!.output.slice(-3000)}`);
      });
    return page;
  }

  /** Run > Run All Cells, then waits until no cell is queued or running. */
  async function runAllCells(notebookPage: Page): Promise<{ prompts: string[]; errors: ErrorOutput[]; dialogs: string[] }> {
    await notebookPage.locator("#jp-MainMenu .lm-MenuBar-item", { hasText: /^Run$/ }).click();
    await notebookPage.locator(".lm-Menu-item[data-command='runmenu:run-all']", { hasText: "Run All Cells" }).click();
    await notebookPage.waitForFunction("window.__probes.runFinished()", null, { timeout: RUN_TIMEOUT_MS, polling: 250 })
      .catch(async (error: Error) => {
        throw new Error(`Run All did not finish within ${RUN_TIMEOUT_MS / 1000} s (prompts ${JSON.stringify(await probe(notebookPage, "codePrompts()"))}, ` +
          `status "${await probe(notebookPage, "kernelStatus()")}"): ${error.message}`);
      });
    return {
      prompts: await probe<string[]>(notebookPage, "codePrompts()"),
      errors: await probe<ErrorOutput[]>(notebookPage, "errorOutputs()"),
      dialogs: await probe<string[]>(notebookPage, "dialogs()"),
    };
  }

  /** Waits until at least `count` Vega outputs are drawn; returns them all. */
  async function drawnCharts(notebookPage: Page, count: number): Promise<VegaChart[]> {
    await notebookPage.waitForFunction(`window.__probes.chartsDrawn(${count})`, null, { timeout: UI_TIMEOUT_MS, polling: 250 })
      .catch(() => undefined); // the assertions below say what is missing
    return probe<VegaChart[]>(notebookPage, "vegaCharts()");
  }

  it("runs notebook 01 in the smoke profile: every cell succeeds and JupyterLab draws the Vega-Lite charts", async () => {
    const notebookPage = await openNotebook("01-supervised.ipynb", "run-01");
    await notebookPage.keyboard.press("Control+b"); // hide the file browser: room for the charts
    const run = await runAllCells(notebookPage);

    assert.deepEqual(run.dialogs, [], "JupyterLab opened a dialog during the run");
    assert.deepEqual(run.errors, [], "cells reported errors");
    const notRun = run.prompts.map((prompt, i) => ({ codeCell: i + 1, prompt })).filter((cell) => !/\[\d+\]/.test(cell.prompt));
    assert.deepEqual(notRun, [], "Run All stopped before these code cells (a cell failed)");

    const charts = await drawnCharts(notebookPage, 1);
    assert.ok(charts.length >= 1, "no output was drawn by JupyterLab's Vega renderer (.jp-RenderedVegaCommon5)");
    for (const [i, chart] of charts.entries()) {
      assert.ok(chart.drawn, `chart ${i + 1} is not drawn: ${JSON.stringify(chart)}`);
    }
    assert.deepEqual(await probe(notebookPage, "fallbackCharts()"), [], "JupyterLab showed a chart's fallback instead of the Vega-Lite spec");

    await notebookPage.locator(".jp-RenderedVegaCommon5").first().scrollIntoViewIfNeeded();
    const file = await screenshot(notebookPage, "notebook-01.png");
    console.log(`    ${run.prompts.length} code cells, ${charts.length} Vega charts drawn; screenshot ${path.relative(REPO_ROOT, file)}`);
  });

  it("reports a failing cell (the error check above can fail)", async () => {
    const notebookPage = await openNotebook("second-cell-throws.ipynb", "run-failing");
    const run = await runAllCells(notebookPage);
    assert.deepEqual(run.prompts, ["[1]:", "[2]:", "[ ]:"]);
    assert.equal(run.errors.length, 1, JSON.stringify(run.errors));
    assert.equal(run.errors[0].codeCell, 2);
    assert.match(run.errors[0].text, /Error: fixture failure in cell two/);
  });

  it("shows the stored charts of the committed executed notebook 01 without running it", async () => {
    const stored = path.resolve(process.env.BROWSER_STORED_NOTEBOOK_01 ?? NOTEBOOK_01);
    const expected = storedChartCount(stored);
    if (expected === 0) {
      assert.fail(`${path.relative(REPO_ROOT, stored)} has no stored chart outputs (${VEGA_LITE_MIME}): commit the notebook ` +
        "executed (npm run notebooks -- 01), or point BROWSER_STORED_NOTEBOOK_01 at an executed copy");
    }
    // A byte-identical copy: JupyterLab may save what it opens, the committed file stays untouched.
    fs.copyFileSync(stored, path.join(rootDir!, "stored-01-supervised.ipynb"));
    const notebookPage = await openNotebook("stored-01-supervised.ipynb", "stored-01");
    await notebookPage.keyboard.press("Control+b");

    const charts = await drawnCharts(notebookPage, expected);
    assert.equal(charts.length, expected, `the notebook stores ${expected} Vega-Lite outputs; JupyterLab's Vega renderer shows ${charts.length}`);
    for (const [i, chart] of charts.entries()) {
      assert.ok(chart.drawn, `stored chart ${i + 1} is not drawn: ${JSON.stringify(chart)}`);
    }
    assert.deepEqual(await probe(notebookPage, "fallbackCharts()"), []);
    assert.deepEqual(await probe<string[]>(notebookPage, "codePrompts()").then((prompts) => prompts.filter((p) => p.includes("*"))), [],
      "opening the stored notebook must not run anything");
    await notebookPage.locator(".jp-RenderedVegaCommon5").first().scrollIntoViewIfNeeded();
    await screenshot(notebookPage, "notebook-01-stored.png");
  });
});

describe("HTML export of notebook 01 (executor --html) in headless Chromium", function () {
  this.timeout(RUN_TIMEOUT_MS + 60_000);
  let browser: Browser | undefined;
  let outDir: string | undefined;

  before(async function () {
    requireBrowserTools(this, { nbconvert: true });
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), "browser-test-html-"));
    browser = await Browser.launch();
  });

  after(async function () {
    this.timeout(30_000);
    const forced = (await browser?.close()) ?? [];
    if (forced.length > 0) console.log(`    had to kill after close:\n${describeProcesses(forced)}`);
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
    const left = browser?.leftoverProcesses() ?? [];
    assert.equal(left.length, 0, `browser processes survived:\n${describeProcesses(left)}`);
  });

  it("shows the chart (its SVG) and the answers' text", async () => {
    const htmlDir = path.join(outDir!, "html");
    const run = await new Promise<{ status: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [
        "--import", "tsx", path.join(REPO_ROOT, "scripts", "execute-notebooks.ts"),
        "01", "--out", outDir!, "--html", "--html-dir", htmlDir, "--timeout", String(RUN_TIMEOUT_MS / 1000),
      ], { cwd: REPO_ROOT, env: { ...process.env, PROFILE: "smoke", CIFAR100_DIR: cifarDir() } });
      let output = "";
      child.stdout.on("data", (chunk) => { output += chunk; });
      child.stderr.on("data", (chunk) => { output += chunk; });
      child.on("close", (status) => resolve({ status, output }));
    });
    assert.equal(run.status, 0, run.output);
    const htmlFile = path.join(htmlDir, "01-supervised.html");

    const page = await browser!.context.newPage();
    // domcontentloaded: the export links CDN scripts that cannot load here (and are not needed for SVG/markdown).
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: "domcontentloaded" });
    const charts = await probe<{ width: number; height: number; visible: boolean; marks: number; title: string }[]>(page, "htmlSvgCharts()");
    assert.ok(charts.length >= 1, "the HTML has no chart SVG (svg.marks)");
    for (const [i, chart] of charts.entries()) {
      assert.ok(chart.visible && chart.width > 0 && chart.height > 0 && chart.marks > 0, `chart ${i + 1} is not visible: ${JSON.stringify(chart)}`);
    }
    const cells = await probe<string[]>(page, "tableCells()");
    // The thousands separator is the report language's (a space in Spanish, the default; a comma in English).
    assert.ok(cells.some((c) => c.replace(/[\s,\u00a0]/g, "") === "10080"), `the split table (10,080 labeled images) is missing; table cells: ${cells.slice(0, 20).join(" | ")}`);
    const headings = await page.locator(".jp-MarkdownCell h1").allInnerTexts();
    assert.ok(headings.some((text) => text.trim() !== ""), "the notebook's markdown (its title) is missing");

    await page.locator("svg.marks").first().scrollIntoViewIfNeeded();
    await screenshot(page, "html-01.png");
    await page.close();
  });
});
