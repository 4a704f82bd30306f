import { strict as assert } from "assert";
import type { TopLevelSpec } from "vega-lite";
import { chartBundle, showChart, VEGA_LITE_MIME, VEGA_LITE_SCHEMA } from "../lib/charts";

const spec: TopLevelSpec = {
  title: "Accuracy by label fraction",
  data: { values: [{ fraction: "10%", accuracy: 0.31 }, { fraction: "50%", accuracy: 0.52 }] },
  mark: "bar",
  encoding: {
    x: { field: "fraction", type: "nominal" },
    y: { field: "accuracy", type: "quantitative" },
  },
};

describe("charts", () => {
  it("chartBundle carries the v5 spec, its SVG and a text stand-in", async () => {
    const bundle = await chartBundle(spec);
    assert.deepEqual(Object.keys(bundle).sort(), [VEGA_LITE_MIME, "image/svg+xml", "text/plain"].sort());
    assert.equal((bundle[VEGA_LITE_MIME] as { $schema: string }).$schema, VEGA_LITE_SCHEMA);
    const svg = bundle["image/svg+xml"] as string;
    assert.match(svg, /^<svg /);
    assert.match(svg, /class="mark-rect role-mark marks"/);
    assert.match(svg, /<\/svg>$/);
    assert.equal(bundle["text/plain"], "<chart: Accuracy by label fraction>");
  });

  it("overrides an older $schema and adds a PNG when asked", async () => {
    const bundle = await chartBundle(
      { ...spec, $schema: "https://vega.github.io/schema/vega-lite/v4.json" },
      { png: true, description: "accuracy bars" },
    );
    assert.equal((bundle[VEGA_LITE_MIME] as { $schema: string }).$schema, VEGA_LITE_SCHEMA);
    assert.equal(Buffer.from(bundle["image/png"] as string, "base64").subarray(1, 4).toString(), "PNG");
    assert.equal(bundle["text/plain"], "accuracy bars");
  });

  it("showChart prints the description outside a tslab kernel", async () => {
    const printed: unknown[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => { printed.push(...args); };
    try {
      await showChart(spec);
    } finally {
      console.log = log;
    }
    assert.deepEqual(printed, ["<chart: Accuracy by label fraction>"]);
  });
});
