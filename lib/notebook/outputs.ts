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
