// The data section of the notebooks: the split in numbers, the class balance of the labeled images, samples.
import type { TopLevelSpec } from "vega-lite";
import { splitDigest } from "../data/split";
import type { StudyData } from "../data/study";
import { GridTile, imageDataUri, imageGridHtml } from "../images";
import { int, pct } from "./format";
import { text } from "./text/index";
import { mean, populationSd } from "../stats";

/** Markdown table: how many images each part holds, in the full split and in this profile. */
export function splitMarkdown(data: StudyData): string {
  const { split, labeled, unlabeled, test, cifar, profile } = data;
  const total = cifar.train.count;
  const t = text().data;
  const share = (n: number) => pct(n / total, 2);
  return [
    `| ${t.splitColumns(int(total), profile.name).join(" | ")} |`,
    "|---|---:|---:|---:|",
    `| ${t.labeledRow} | ${int(split.labeled.length)} | ${share(split.labeled.length)} | ${int(labeled.length)} |`,
    `| ${t.unlabeledRow} | ${int(split.unlabeled.length)} | ${share(split.unlabeled.length)} | ${int(unlabeled.length)} |`,
    `| ${t.testRow} | ${int(cifar.test.count)} | | ${int(test.count)} |`,
    "",
    t.digest(Array.from(split.labeled.slice(0, 10)).join(", "), splitDigest(split.labeled)),
  ].join("\n");
}

/** Count of labeled images per fine class (over this profile's labeled set). */
export function labeledClassCounts(data: StudyData): { name: string; coarse: string; count: number }[] {
  const counts = new Array<number>(data.cifar.fineNames.length).fill(0);
  const coarseOf = new Array<number>(data.cifar.fineNames.length).fill(0);
  for (const i of data.labeled) {
    counts[data.cifar.train.fine[i]]++;
    coarseOf[data.cifar.train.fine[i]] = data.cifar.train.coarse[i];
  }
  return counts.map((count, c) => ({ name: data.cifar.fineNames[c], coarse: data.cifar.coarseNames[coarseOf[c]], count }));
}

/** Bar chart of the labeled images per class, with the uniform expectation as a rule. */
export function classBalanceChart(data: StudyData): TopLevelSpec {
  const rows = labeledClassCounts(data);
  const expected = data.labeled.length / rows.length;
  const t = text().data;
  return {
    title: t.balanceTitle(int(data.labeled.length), data.profile.name),
    width: 900,
    height: 220,
    layer: [
      {
        data: { values: rows },
        mark: { type: "bar", tooltip: true },
        encoding: {
          x: { field: "name", type: "nominal", sort: { field: "count", order: "descending" }, axis: { labelFontSize: 7, title: t.fineClass } },
          y: { field: "count", type: "quantitative", title: t.labeledImages },
          color: { field: "coarse", type: "nominal", legend: null },
        },
      },
      {
        data: { values: [{ expected }] },
        mark: { type: "rule", color: "black", strokeDash: [4, 3] },
        encoding: { y: { field: "expected", type: "quantitative" } },
      },
    ],
  } as TopLevelSpec;
}

/** Markdown: the least and most represented classes and the spread. */
export function classBalanceMarkdown(data: StudyData): string {
  const rows = labeledClassCounts(data).sort((a, b) => a.count - b.count);
  const counts = rows.map((r) => r.count);
  const fmt = (r: { name: string; count: number }) => `${r.name} (${r.count})`;
  return text().data.balance(mean(counts), populationSd(counts), rows.slice(0, 3).map(fmt).join(", "), rows.slice(-3).reverse().map(fmt).join(", "));
}

/** HTML grid of the first labeled image of `count` classes, captioned with the class name. */
export function sampleGridHtml(data: StudyData, count = 30, columns = 10): string {
  const tiles: GridTile[] = [];
  const seen = new Set<number>();
  for (const i of data.labeled) {
    const label = data.cifar.train.fine[i];
    if (seen.has(label)) continue;
    seen.add(label);
    tiles.push({ src: imageDataUri(data.cifar.train.images, i, 2), caption: `${data.cifar.fineNames[label]} (#${i})` });
    if (tiles.length === count) break;
  }
  return imageGridHtml(tiles, columns, text().data.samplesCaption(tiles.length));
}
