// Training progress for terminals and notebooks: a live bar for the running epoch and one line per finished
// epoch. In a tslab notebook the live bar is one display entry updated in place (so an executed notebook keeps
// a single line, not thousands); in a terminal it is a carriage-return bar; in logs only the epoch lines.
import type { EpochRecord } from "./loop";

export interface Progress {
  epochStart(epoch: number, epochs: number): void;
  step(done: number, total: number, stats: { loss: number; learningRate: number }): void;
  epochEnd(record: EpochRecord, epochs: number): void;
  note(text: string): void;
}

interface LiveLine {
  update(text: string): void;
}

/** The live display of a running tslab kernel, or null outside one. */
function tslabLiveLine(): LiveLine | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
    if (!jupyter.lastWriteDisplayData) return null;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const display = (require("tslab") as { newDisplay(): { text(s: string): void } }).newDisplay();
    return { update: (text) => display.text(text) };
  } catch {
    return null;
  }
}

function terminalLiveLine(stream: NodeJS.WriteStream): LiveLine | null {
  if (!stream.isTTY) return null;
  return { update: (text) => stream.write(`\r${text.slice(0, (stream.columns ?? 100) - 1).padEnd((stream.columns ?? 100) - 1)}`) };
}

function bar(done: number, total: number, width = 24): string {
  const filled = Math.round((width * done) / Math.max(1, total));
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

export function formatRecord(record: EpochRecord, epochs: number): string {
  const skip = new Set(["epoch", "seconds", "learningRate"]);
  const metrics = Object.entries(record)
    .filter(([k, v]) => !skip.has(k) && typeof v === "number")
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : (v as number).toFixed(4)}`);
  return `epoch ${record.epoch}/${epochs}  ${metrics.join("  ")}  lr ${record.learningRate.toExponential(2)}  ${record.seconds.toFixed(1)} s`;
}

/** Progress on stdout (and a live line where one is available). */
export function consoleProgress(options: { liveEveryMs?: number } = {}): Progress {
  const live = tslabLiveLine() ?? terminalLiveLine(process.stdout);
  const inTerminal = live !== null && process.stdout.isTTY && !tslabLiveLine();
  const every = options.liveEveryMs ?? 500;
  let epochLabel = "";
  let started = 0;
  let lastUpdate = 0;
  return {
    epochStart(epoch, epochs) {
      epochLabel = `epoch ${epoch}/${epochs}`;
      started = Date.now();
    },
    step(done, total, stats) {
      const now = Date.now();
      if (!live || (now - lastUpdate < every && done < total)) return;
      lastUpdate = now;
      const elapsed = ((now - started) / 1000).toFixed(1);
      live.update(`${epochLabel} ${bar(done, total)} ${done}/${total} steps  loss ${stats.loss.toFixed(4)}  lr ${stats.learningRate.toExponential(2)}  ${elapsed} s`);
    },
    epochEnd(record, epochs) {
      if (inTerminal) process.stdout.write("\r\x1b[K");
      console.log(formatRecord(record, epochs));
    },
    note(text) {
      console.log(text);
    },
  };
}

/** No output at all (tests). */
export const silentProgress: Progress = { epochStart() {}, step() {}, epochEnd() {}, note() {} };
