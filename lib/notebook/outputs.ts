/**
 * Turns a kernel's iopub messages into nbformat outputs, as JupyterLab would show them.
 */
import type { JupyterMessage } from "./messages";
import type { CodeCell, DisplayDataOutput, ExecuteResultOutput, MimeBundle, Output } from "./nbformat";

type RichOutput = DisplayDataOutput | ExecuteResultOutput;

/** Collects the outputs of one notebook's cells; display ids may span cells. */
export class NotebookOutputs {
  private readonly displays = new Map<string, RichOutput[]>();

  /** A handler that writes the outputs of the iopub messages it gets into `cell`. */
  collectInto(cell: CodeCell): (message: JupyterMessage) => void {
    let clearBeforeNextOutput = false;
    const append = (output: Output) => {
      if (clearBeforeNextOutput) cell.outputs.length = 0;
      clearBeforeNextOutput = false;
      const last = cell.outputs[cell.outputs.length - 1];
      // Kernels send a stream in chunks; Jupyter shows (and stores) one output per run of chunks.
      if (output.output_type === "stream" && last?.output_type === "stream" && last.name === output.name) {
        last.text = `${last.text}${output.text}`;
      } else {
        cell.outputs.push(output);
      }
    };
    return (message) => {
      const content = message.content;
      switch (message.header.msg_type) {
        case "stream":
          return append({ output_type: "stream", name: String(content.name), text: String(content.text) });
        case "display_data":
          return append(this.register(content, {
            output_type: "display_data",
            data: content.data as MimeBundle,
            metadata: (content.metadata ?? {}) as Record<string, unknown>,
          }));
        case "execute_result":
          return append(this.register(content, {
            output_type: "execute_result",
            execution_count: (content.execution_count ?? null) as number | null,
            data: content.data as MimeBundle,
            metadata: (content.metadata ?? {}) as Record<string, unknown>,
          }));
        case "error":
          return append({
            output_type: "error",
            ename: String(content.ename),
            evalue: String(content.evalue),
            traceback: (content.traceback ?? []) as string[],
          });
        case "update_display_data":
          for (const output of this.displays.get(displayId(content) ?? "") ?? []) {
            output.data = content.data as MimeBundle;
            output.metadata = (content.metadata ?? {}) as Record<string, unknown>;
          }
          return;
        case "clear_output":
          if (content.wait) clearBeforeNextOutput = true;
          else cell.outputs.length = 0;
          return;
      }
    };
  }

  private register<T extends RichOutput>(content: Record<string, unknown>, output: T): T {
    const id = displayId(content);
    if (id) this.displays.set(id, [...(this.displays.get(id) ?? []), output]);
    return output;
  }
}

function displayId(content: Record<string, unknown>): string | undefined {
  const transient = content.transient as { display_id?: string } | undefined;
  return transient?.display_id;
}

/** Folders of the machine that executes a notebook, written in its outputs as `.`, `..` and `~`. */
export interface MachineFolders {
  /** The notebook's folder (the kernel's working directory): `.`. */
  notebook: string;
  /** The home folder: `~`. */
  home: string;
}

/**
 * `outputs` with the executing machine's folders written relatively in their text (streams, errors, text/* and
 * SVG), so that executing a notebook from another checkout or as another user gives the same outputs: the
 * notebook's folder becomes `.`, its parent `..` and the home folder `~`. JSON payloads and images stay as they are.
 * The notebook's folder and its parent are replaced only from two levels down (never `/` or `/tmp`: they would
 * match too much); the home folder from one (`/root`).
 */
export function withoutMachineFolders(outputs: Output[], folders: MachineFolders): Output[] {
  const depth = (folder: string) => folder.split("/").filter((part) => part !== "").length;
  const replacements = [
    [folders.notebook, ".", 2],
    [pathParent(folders.notebook), "..", 2],
    [folders.home, "~", 1],
  ].filter(([from, , minDepth]) => depth(from as string) >= (minDepth as number))
    .map(([from, to]) => [from as string, to as string])
    .sort((a, b) => b[0].length - a[0].length);
  const rewrite = (text: string) =>
    replacements.reduce((out, [from, to]) => out.replace(new RegExp(`${escapeRegExp(from)}(?![\\w.-])`, "g"), to), text);
  const rewriteText = (text: string | string[]) => (Array.isArray(text) ? text.join("") : text);
  return outputs.map((output): Output => {
    switch (output.output_type) {
      case "stream":
        return { ...output, text: rewrite(rewriteText(output.text)) };
      case "error":
        return { ...output, evalue: rewrite(output.evalue), traceback: output.traceback.map(rewrite) };
      default: {
        const data = Object.fromEntries(Object.entries(output.data).map(([mime, value]) => {
          const isText = mime.startsWith("text/") || mime === "image/svg+xml";
          return [mime, isText && (typeof value === "string" || Array.isArray(value)) ? rewrite(rewriteText(value as string | string[])) : value];
        }));
        return { ...output, data };
      }
    }
  });
}

function pathParent(folder: string): string {
  const trimmed = folder.replace(/\/+$/, "");
  return trimmed.slice(0, Math.max(0, trimmed.lastIndexOf("/")));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
