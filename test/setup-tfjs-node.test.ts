// scripts/setup-tfjs-node.sh without a reachable PyPI: one clear error, node_modules left as it was.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");

describe("tfjs-node set-up (scripts/setup-tfjs-node.sh)", function () {
  this.timeout(120000);

  it("stops with one clear error when PyPI cannot be reached, leaving the cache empty and the package untouched", function () {
    if (!fs.existsSync(path.join(ROOT, "node_modules/@tensorflow/tfjs-node/package.json"))) this.skip();
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "setup-tfjs-node-"));
    const before = fs.readdirSync(path.join(ROOT, "node_modules/@tensorflow/tfjs-node")).sort();
    try {
      const env = {
        ...process.env,
        XDG_CACHE_HOME: cache,
        PIP_CONFIG_FILE: os.devNull, // no configured mirrors or wheel folders: only the (unreachable) index below
        PIP_FIND_LINKS: "",
        PIP_INDEX_URL: "http://127.0.0.1:9/simple",
        PIP_RETRIES: "0",
        PIP_TIMEOUT: "3",
      };
      const run = spawnSync("bash", ["scripts/setup-tfjs-node.sh"], { cwd: ROOT, env, encoding: "utf8" });
      assert.equal(run.status, 1, run.stdout + run.stderr);
      const errors = run.stderr.split("\n").filter((l) => l.startsWith("setup-tfjs-node:"));
      assert.equal(errors.length, 1, run.stderr);
      assert.match(errors[0], /could not download tensorflow-cpu==2\.21\.0 from PyPI \(is the registry reachable from here\? pip's index: http:\/\/127\.0\.0\.1:9\/simple\)/);
      const left = fs.readdirSync(path.join(cache, "cifar100-ssl/tfjs-node")).filter((n) => !n.startsWith("."));
      assert.deepEqual(left, [], "nothing is left in the cache (no half-filled folder either)");
      assert.deepEqual(fs.readdirSync(path.join(ROOT, "node_modules/@tensorflow/tfjs-node")).sort(), before, "the package is untouched");
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});
