/**
 * Static HTML export of executed notebooks with Jupyter's nbconvert.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const NBCONVERT = "jupyter-nbconvert";
/** nbconvert's lab template, without the cleaner that blanks SVG charts in nbconvert 6.5. */
const TEMPLATE = path.join(__dirname, "html-with-svg.html.j2");

/** The nbconvert executable on PATH, or an error that says how to install it. */
export function findNbconvert(): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, NBCONVERT);
    if (dir !== "" && fs.existsSync(candidate)) return candidate;
  }
  throw new Error(
    `--html needs ${NBCONVERT}, which is not on PATH. Install it with ` +
    "`sudo apt-get install jupyter-nbconvert` (Debian/Ubuntu) or `pip install nbconvert`.");
}

/** Writes `<outDir>/<name>.html` for `notebookFile` and returns its path. */
export function exportHtml(nbconvert: string, notebookFile: string, outDir: string): string {
  fs.mkdirSync(outDir, { recursive: true });
  const result = spawnSync(nbconvert, ["--to", "html", "--template-file", TEMPLATE, "--output-dir", outDir, notebookFile], { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${NBCONVERT} could not export ${notebookFile} (exit ${result.status}):\n${result.error?.message ?? result.stderr}`);
  }
  return path.join(outDir, `${path.basename(notebookFile, ".ipynb")}.html`);
}
