// A small progress bar for long steps (a download). On a terminal it redraws one line in place; anywhere else
// (a notebook, a CI log) carriage returns would pile up, so it prints a plain line every 10% instead.

export interface ProgressBarOptions {
  /** The amount that means done, or null when it is not known in advance (then no bar or percentage). */
  total: number | null;
  label: string;
  /** Where to draw (default: standard error, so standard output stays clean for results). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** How to print an amount (default: the number itself). */
  format?: (amount: number) => string;
}

export interface ProgressBar {
  /** Reports the amount done so far. */
  update(done: number): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

const BAR_WIDTH = 30;
const REDRAW_MS = 100;
const PLAIN_STEP_PERCENT = 10;

export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const format = options.format ?? String;
  const { total, label } = options;
  const interactive = stream.isTTY === true;
  let done = 0;
  let lastDraw = 0;
  let lastPlainStep = 0;
  let finished = false;

  const percent = (): number | null => (total && total > 0 ? Math.min(100, (100 * done) / total) : null);

  const describe = (): string => {
    const p = percent();
    const amount = total ? `${format(done)} / ${format(total)}` : format(done);
    return p === null ? amount : `${p.toFixed(0).padStart(3)}% ${amount}`;
  };

  const drawLine = (): void => {
    const p = percent();
    const filled = p === null ? 0 : Math.round((p / 100) * BAR_WIDTH);
    const bar = p === null ? "" : `[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] `;
    stream.write(`\r${label} ${bar}${describe()}`);
  };

  return {
    update(value: number): void {
      if (finished) return;
      done = value;
      if (interactive) {
        const now = Date.now();
        if (now - lastDraw >= REDRAW_MS) {
          lastDraw = now;
          drawLine();
        }
        return;
      }
      // Without a terminal: one plain line per 10% step (nothing in between when the total is unknown).
      const step = Math.floor((percent() ?? 0) / PLAIN_STEP_PERCENT);
      if (step > lastPlainStep && step < 100 / PLAIN_STEP_PERCENT) {
        lastPlainStep = step;
        stream.write(`${label}: ${describe()}\n`);
      }
    },
    finish(): void {
      if (finished) return;
      finished = true;
      if (interactive) {
        drawLine();
        stream.write("\n");
      } else {
        stream.write(`${label}: ${describe()}, done\n`);
      }
    },
  };
}

/** Byte counts for humans: 1,234 B, 12.3 kB, 161.2 MB (powers of 1,000, like file managers). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
