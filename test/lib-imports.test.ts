import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

// tslab compiles lib/ for the notebooks and resolves each relative import to one compiled file: an import of a
// folder (its index.ts) fails there at run time ("Cannot find module"), although tsc and tsx accept it.
describe("lib imports (tslab constraints)", () => {
  const root = path.resolve(__dirname, "..", "lib");
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts")) files.push(full);
    }
  };
  walk(root);

  it("never imports a folder", () => {
    const offenders: string[] = [];
    for (const file of files) {
      const source = fs.readFileSync(file, "utf8");
      for (const match of source.matchAll(/(?:from|import|require\()\s*["'](\.{1,2}\/[^"']*)["']/g)) {
        const target = path.resolve(path.dirname(file), match[1]);
        if (!fs.existsSync(`${target}.ts`) && fs.existsSync(target) && fs.statSync(target).isDirectory()) {
          offenders.push(`${path.relative(root, file)}: ${match[1]}`);
        }
      }
    }
    assert.deepEqual(offenders, [], "import <folder>/index instead");
  });
});
