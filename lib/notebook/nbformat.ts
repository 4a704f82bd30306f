/**
 * Just enough of nbformat 4 to read a notebook, fill in outputs and write it back.
 *
 * https://nbformat.readthedocs.io/en/latest/format_description.html
 */
import { createHash } from "crypto";
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
  /** Required from nbformat 4.5 on; JupyterLab and nbformat's schema reject a notebook whose cells lack one. */
  id?: string;
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

/** nbformat 4.5's rule for cell ids. */
const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;
/** The first minor version of nbformat 4 with cell ids (an id is invalid before it, required from it on). */
const CELL_IDS_MINOR = 5;

/**
 * Every cell with an id, as nbformat 4.5 requires: existing valid ids are kept; a missing (or invalid) one becomes
 * `cell-` and the start of the SHA-256 of the cell's type and source, so the same notebook always gets the same ids
 * (diffs stay small); a repeat gets `-2`, `-3`, ... until it is unique.
 */
export function withCellIds(cells: Cell[]): Cell[] {
  const taken = new Set(cells.map((cell) => cell.id).filter((id): id is string => isCellId(id)));
  return cells.map((cell) => {
    if (isCellId(cell.id)) return cell;
    const base = `cell-${createHash("sha256").update(`${cell.cell_type}\n${joinLines(cell.source)}`).digest("hex").slice(0, 8)}`;
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    taken.add(id);
    return { ...cell, id };
  });
}

function isCellId(id: unknown): id is string {
  return typeof id === "string" && CELL_ID.test(id);
}

/** The notebook as Jupyter writes it: nbformat 4.5 with cell ids, text as line lists, one-space indent, final newline. */
export function serializeNotebook(notebook: Notebook): string {
  const cells = withCellIds(notebook.cells).map((cell) => ({
    ...cell,
    source: splitLines(cell.source),
    ...(cell.outputs ? { outputs: cell.outputs.map(withSplitLines) } : {}),
  }));
  const nbformatMinor = Math.max(notebook.nbformat_minor, CELL_IDS_MINOR);
  return JSON.stringify({ ...notebook, nbformat_minor: nbformatMinor, cells }, null, 1) + "\n";
}

/** Writes via a temporary file and a rename, so a crash never leaves half a notebook. */
export function writeNotebook(file: string, notebook: Notebook): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, serializeNotebook(notebook));
  fs.renameSync(temporary, file);
}
