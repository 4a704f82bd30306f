/**
 * Runs the project's notebooks top to bottom, each in a fresh tslab kernel started from the
 * committed kernel spec, and saves them with their outputs. The first failing cell stops
 * everything: its notebook is saved with the outputs so far and the exit status is non-zero.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs, ParseArgsConfig } from "util";
import { exportHtml, findNbconvert } from "../lib/notebook/html";
import { NotebookFailure, runNotebook } from "../lib/notebook/run-notebook";

const REPO_ROOT = path.resolve(__dirname, "..");
const NOTEBOOKS_DIR = path.join(REPO_ROOT, "notebooks");
const DEFAULT_TIMEOUT_SECONDS = 1800;

const USAGE = `Usage: npm run notebooks -- [NAME | FILE.ipynb ...] [options]

  NAME              a notebook of notebooks/ by file name or prefix ("01", "03-fixmatch");
                    none: all of notebooks/*.ipynb in name order
  --timeout S       fail a cell that runs longer than S seconds
                    (default: $NOTEBOOK_CELL_TIMEOUT or ${DEFAULT_TIMEOUT_SECONDS})
  --out DIR         save executed notebooks into DIR instead of over the notebooks
  --html            also export each executed notebook to HTML (needs jupyter-nbconvert)
  --html-dir DIR    where --html writes (default: artifacts/html)

Kernels run in the notebook's folder with this environment (PROFILE, CIFAR100_DIR, TFJS_BACKEND...).`;

class UsageError extends Error {}

function parseCommandLine() {
  const { values, positionals } = parseOrThrowUsage({
    allowPositionals: true,
    options: {
      timeout: { type: "string" },
      out: { type: "string" },
      html: { type: "boolean", default: false },
      "html-dir": { type: "string", default: path.join(REPO_ROOT, "artifacts", "html") },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const timeout = Number(values.timeout ?? process.env.NOTEBOOK_CELL_TIMEOUT ?? DEFAULT_TIMEOUT_SECONDS);
  if (!(timeout > 0)) {
    throw new UsageError(`--timeout (or NOTEBOOK_CELL_TIMEOUT) must be a number of seconds > 0, not "${values.timeout ?? process.env.NOTEBOOK_CELL_TIMEOUT}".`);
  }
  return {
    notebooks: positionals.map(findNotebook),
    timeout,
    outDir: values.out,
    htmlDir: values.html ? values["html-dir"] : undefined,
    help: values.help,
  };
}

function parseOrThrowUsage<T extends ParseArgsConfig>(config: T) {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function projectNotebooks(): string[] {
  return fs.readdirSync(NOTEBOOKS_DIR).filter((name) => name.endsWith(".ipynb")).sort();
}

/** A path to an .ipynb file, or the one notebook in notebooks/ whose name starts with `name`. */
function findNotebook(name: string): string {
  if (name.endsWith(".ipynb") && fs.existsSync(name)) return name;
  const available = projectNotebooks();
  const matches = available.filter((file) => file.startsWith(name));
  if (matches.length !== 1) {
    const problem = matches.length === 0 ? "matches no notebook" : `matches ${matches.join(", ")}`;
    throw new UsageError(`"${name}" ${problem} in ${shown(NOTEBOOKS_DIR)}; pick one of: ${available.join(", ") || "(none there)"}`);
  }
  return path.join(NOTEBOOKS_DIR, matches[0]);
}

/** `file` relative to the working directory when it lies below it, else absolute. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith("..") ? path.resolve(file) : relative;
}

async function main(): Promise<number> {
  const args = parseCommandLine();
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let nbconvert: string | undefined;
  try {
    // Checked first: better now than after hours of training.
    if (args.htmlDir) nbconvert = findNbconvert();
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  const notebooks = args.notebooks.length > 0
    ? args.notebooks
    : projectNotebooks().map((name) => path.join(NOTEBOOKS_DIR, name));
  if (notebooks.length === 0) throw new UsageError(`${shown(NOTEBOOKS_DIR)} has no .ipynb notebooks to run.`);
  if (args.outDir) fs.mkdirSync(args.outDir, { recursive: true });
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort("SIGINT"));
  for (const file of notebooks) {
    const name = shown(file);
    try {
      const result = await runNotebook(file, {
        outFile: args.outDir ? path.join(args.outDir, path.basename(file)) : undefined,
        cellTimeoutSeconds: args.timeout,
        signal: stop.signal,
      });
      console.log(`ok   ${name}: ${result.codeCells} code cells in ${result.seconds.toFixed(1)} s`);
      if (nbconvert && args.htmlDir) {
        console.log(`     html: ${shown(exportHtml(nbconvert, result.outFile, args.htmlDir))}`);
      }
    } catch (error) {
      if (!(error instanceof NotebookFailure)) throw error;
      console.error(`FAIL ${name} ${error.message}`);
      console.error(`     saved with the outputs so far: ${shown(error.outFile)}`);
      return stop.signal.aborted ? 130 : 1;
    }
  }
  return 0;
}

main().then(
  (status) => { process.exitCode = status; },
  (error: Error) => {
    console.error(error instanceof UsageError ? `${error.message} (see --help)` : error);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
