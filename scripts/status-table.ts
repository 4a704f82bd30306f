// npm run status-table: rewrites the README's status table from results/ (the full profile's results, all seeds).
import * as fs from "node:fs";
import * as path from "node:path";
import { summarizeRuns } from "../lib/experiments/aggregate";
import { EXPERIMENTS } from "../lib/experiments/registry";
import { readAllResults } from "../lib/experiments/results";
import { projectRoot } from "../lib/paths";
import { statusTableMarkdown, withStatusTable } from "../lib/report/status";

const readme = path.join(projectRoot(), "README.md");
const table = statusTableMarkdown(summarizeRuns(readAllResults("full")), EXPERIMENTS);
fs.writeFileSync(readme, withStatusTable(fs.readFileSync(readme, "utf8"), table));
console.log(table);
