// Starts this repository's own tslab, whatever folder Jupyter starts the kernel in:
// a global or another project's tslab would compile the notebooks with other versions.
const fs = require("fs");
const path = require("path");

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const tslabMain = path.join(repoRoot, "node_modules", "tslab", "dist", "main.js");
if (!fs.existsSync(tslabMain)) {
  console.error(`tslab kernel: ${tslabMain} is missing. Run \`npm ci\` in ${repoRoot}, then restart the kernel.`);
  process.exit(1);
}
require(tslabMain).main();
