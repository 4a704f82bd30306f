/**
 * Just enough of nbformat 4 to read a notebook, fill in outputs and write it back.
 *
 * https://nbformat.readthedocs.io/en/latest/format_description.html
 */
import * as fs from "fs";
import * as path from "path";

export type MultilineString = string | string[];
export type MimeBundle = Record<string, unknown>;

export interface StreamOutput {
  output_type: "stream";
  name: string;
  text: MultilineString;
}

export interface DisplayDataOutput {
  output_type: "display_data";
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface ExecuteResultOutput {
  output_type: "execute_result";
  execution_count: number | null;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface ErrorOutput {
  output_type: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}

export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: MultilineString;
  metadata: Record<string, unknown>;
  outputs?: Output[];
  execution_count?: number | null;
}

export interface CodeCell extends Cell {
  cell_type: "code";
  outputs: Output[];
  execution_count: number | null;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

export function readNotebook(file: string): Notebook {
  const notebook = JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
  if (notebook.nbformat !== 4 || !Array.isArray(notebook.cells)) {
    throw new Error(`${file} is not an nbformat 4 notebook: open and save it with JupyterLab first.`);
  }
  return notebook;
}

export function isCodeCell(cell: Cell): cell is CodeCell {
  return cell.cell_type === "code";
}

export function joinLines(text: MultilineString): string {
  return Array.isArray(text) ? text.join("") : text;
}

/** Splits like Python's `str.splitlines(True)`, as Jupyter stores text for line-based diffs. */
function splitLines(text: MultilineString): string[] {
  return Array.isArray(text) ? text : text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** The mime types Jupyter stores as line lists; JSON and base64 payloads stay as they are. */
function isLineMime(mime: string): boolean {
  return mime.startsWith("text/") || mime === "image/svg+xml" || mime === "application/javascript";
}

function withSplitLines(output: Output): Output {
  if (output.output_type === "stream") return { ...output, text: splitLines(output.text) };
  if (output.output_type === "error") return output;
  const data = Object.fromEntries(Object.entries(output.data).map(([mime, value]) =>
    [mime, typeof value === "string" && isLineMime(mime) ? splitLines(value) : value]));
  return { ...output, data };
}

/** The notebook as Jupyter writes it: text as line lists, one-space indent, final newline. */
export function serializeNotebook(notebook: Notebook): string {
  const cells = notebook.cells.map((cell) => ({
    ...cell,
    source: splitLines(cell.source),
    ...(cell.outputs ? { outputs: cell.outputs.map(withSplitLines) } : {}),
  }));
  return JSON.stringify({ ...notebook, cells }, null, 1) + "\n";
}

/** Writes via a temporary file and a rename, so a crash never leaves half a notebook. */
export function writeNotebook(file: string, notebook: Notebook): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, serializeNotebook(notebook));
  fs.renameSync(temporary, file);
}
