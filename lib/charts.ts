/**
 * Charts for the notebooks: Vega-Lite specs shown as one output that every frontend can render.
 *
 * JupyterLab draws `application/vnd.vegalite.v5+json` itself; nbconvert's HTML, the classic
 * Notebook and GitHub drop that mime type, so the same output also carries the chart rendered
 * to SVG by vega (no canvas needed) and a text line for plain-text viewers.
 */
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, TopLevelSpec } from "vega-lite";

export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

export interface ChartOptions {
  /** The text/plain stand-in; by default the chart's title. */
  description?: string;
  /** Also add a PNG, for viewers that show neither Vega-Lite nor SVG. */
  png?: boolean;
}

/** tslab's (undocumented) sender of display_data messages; its public API sends one mime type each. */
type WriteDisplayData = (
  content: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> },
  update: boolean,
) => void;

/** The mime bundle of one chart output: Vega-Lite spec, SVG and text (and PNG if asked). */
export async function chartBundle(spec: TopLevelSpec, options: ChartOptions = {}): Promise<Record<string, unknown>> {
  const v5Spec = { ...spec, $schema: VEGA_LITE_SCHEMA } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(v5Spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const bundle: Record<string, unknown> = {
    [VEGA_LITE_MIME]: v5Spec,
    "image/svg+xml": svg,
    "text/plain": options.description ?? describe(spec),
  };
  if (options.png) bundle["image/png"] = new Resvg(svg).render().asPng().toString("base64");
  return bundle;
}

/** Shows the chart as one notebook output; outside a tslab kernel, prints its description. */
export async function showChart(spec: TopLevelSpec, options: ChartOptions = {}): Promise<void> {
  const bundle = await chartBundle(spec, options);
  const write = tslabDisplayWriter();
  if (write) {
    write({ data: bundle, metadata: {}, transient: {} }, false);
  } else {
    console.log(bundle["text/plain"]);
  }
}

function describe(spec: TopLevelSpec): string {
  const title = typeof spec.title === "object" && !Array.isArray(spec.title) ? spec.title.text : spec.title;
  const text = Array.isArray(title) ? title.join(" ") : title;
  return `<chart: ${text ?? spec.description ?? "untitled"}>`;
}

/**
 * The display writer of the running tslab kernel, or null outside one. The kernel loads
 * tslab/dist/jupyter before any cell runs; looking it up in the module cache (instead of
 * requiring it) keeps plain node from loading tslab's TypeScript compiler for nothing.
 */
function tslabDisplayWriter(): WriteDisplayData | null {
  const jupyter = require.cache[require.resolve("tslab/dist/jupyter")]?.exports as
    | { lastWriteDisplayData?: WriteDisplayData | null }
    | undefined;
  return jupyter?.lastWriteDisplayData ?? null;
}
