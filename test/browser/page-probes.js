// Read-only DOM probes that the browser tests evaluate in JupyterLab and in exported HTML pages, as
// `window.__probes.<name>()`. Plain JavaScript injected as it is (page.addInitScript): it is not compiled,
// so it cannot pick up helpers of the TypeScript toolchain that do not exist in the page.
window.__probes = {
  /** The prompt text of every code cell of the open notebook: "[ ]:", "[*]:", "[3]:". */
  codePrompts() {
    return Array.from(document.querySelectorAll(".jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt"))
      .map((prompt) => (prompt.textContent || "").trim());
  },

  /** Texts of JupyterLab dialogs (kernel chooser, "Kernel Restarting", errors). */
  dialogs() {
    return Array.from(document.querySelectorAll(".jp-Dialog")).map((dialog) => dialog.innerText.trim());
  },

  /** The status bar's kernel item, e.g. "TypeScript (tslab) | Idle". */
  kernelStatus() {
    const bar = document.querySelector("#jp-main-statusbar");
    return bar ? bar.innerText.replace(/\s+/g, " ") : "";
  },

  /** True once "Run All" has run through: some cell executed, none queued or running (or a dialog opened). */
  runFinished() {
    if (this.dialogs().length > 0) return true;
    const prompts = this.codePrompts();
    if (prompts.some((prompt) => prompt.includes("*"))) return false;
    return prompts.some((prompt) => /\[\d+\]/.test(prompt));
  },

  /**
   * Outputs that report a failure: error outputs and stderr streams with an error or a stack trace (tslab writes
   * a cell's exception to stderr; other stderr lines, such as the data loader's timing, are fine).
   */
  errorOutputs() {
    const failure = /(^|\n)\s*(\w*Error|Exception|Traceback)\b|\n\s+at .+:\d+(:\d+)?\)?\s*(\n|$)/;
    const cells = Array.from(document.querySelectorAll(".jp-NotebookPanel .jp-CodeCell"));
    const found = [];
    cells.forEach((cell, index) => {
      for (const output of cell.querySelectorAll(".jp-OutputArea-output")) {
        const mime = output.getAttribute("data-mime-type") || "";
        const text = output.innerText || "";
        if (mime === "application/vnd.jupyter.error" || (mime === "application/vnd.jupyter.stderr" && failure.test(text))) {
          found.push({ codeCell: index + 1, mime, text: text.slice(0, 2000) });
        }
      }
    });
    return found;
  },

  /** Chart outputs JupyterLab showed through a fallback instead of its Vega renderer. */
  fallbackCharts() {
    const found = [];
    for (const output of document.querySelectorAll(".jp-NotebookPanel .jp-OutputArea-output")) {
      const mime = output.getAttribute("data-mime-type") || "";
      const text = (output.innerText || "").trim();
      if (mime === "text/plain" && text.startsWith("<chart:")) found.push(`text/plain: ${text.slice(0, 200)}`);
      if (mime === "image/svg+xml" && /marks/.test(output.innerHTML)) found.push("image/svg+xml: vega's SVG");
    }
    return found;
  },

  /** Every output drawn by JupyterLab's Vega renderer, with what it drew. */
  vegaCharts() {
    return Array.from(document.querySelectorAll(".jp-NotebookPanel .jp-OutputArea-output.jp-RenderedVegaCommon5"))
      .map((output) => {
        const canvas = output.querySelector("canvas.marks");
        const svg = output.querySelector("svg.marks");
        const element = canvas || svg;
        const box = element ? element.getBoundingClientRect() : { width: 0, height: 0 };
        let painted = 0;
        if (canvas && canvas.width > 0 && canvas.height > 0) {
          // Pixels that are neither transparent nor (near) white: bars, axes, text.
          const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          for (let i = 0; i < pixels.length; i += 4) {
            if (pixels[i + 3] > 0 && (pixels[i] < 230 || pixels[i + 1] < 230 || pixels[i + 2] < 230)) painted++;
          }
        }
        const svgMarks = svg ? svg.querySelectorAll('g[class*="mark-"] > *').length : 0;
        return {
          classes: output.className,
          renderer: canvas ? "canvas" : svg ? "svg" : "none",
          width: box.width,
          height: box.height,
          painted,
          svgMarks,
          title: (output.querySelector(".vega-embed") || output).getAttribute("aria-label") || "",
          drawn: box.width > 0 && box.height > 0 && (painted > 200 || svgMarks > 0),
        };
      });
  },

  /** True when at least `count` Vega outputs exist and all of them are drawn. */
  chartsDrawn(count) {
    const charts = this.vegaCharts();
    return charts.length >= count && charts.every((chart) => chart.drawn);
  },

  /** Charts in an nbconvert HTML export: the SVG vega rendered in the kernel (class "marks"). */
  htmlSvgCharts() {
    return Array.from(document.querySelectorAll("svg.marks")).map((svg) => {
      const box = svg.getBoundingClientRect();
      const style = getComputedStyle(svg);
      return {
        width: box.width,
        height: box.height,
        visible: style.display !== "none" && style.visibility !== "hidden" && Number(style.opacity) > 0,
        marks: svg.querySelectorAll('g[class*="mark-"] > *').length,
        title: (svg.querySelector(".role-title-text") || { textContent: "" }).textContent,
      };
    });
  },

  /** Text of every table cell of the page. */
  tableCells() {
    return Array.from(document.querySelectorAll("table td, table th")).map((cell) => cell.textContent.trim());
  },
};
