// Validates notebooks against Jupyter's own nbformat JSON schema, through Python's nbformat package (Debian's
// python3-nbformat, which jupyter-nbconvert pulls in). The raw JSON is checked, not nbformat.read's result,
// because reading repairs some problems (a missing cell id) with only a warning.
import { spawnSync } from "child_process";

const VALIDATE = `
import json, sys
from nbformat.validator import get_validator
report = {}
for file in sys.argv[1:]:
    with open(file, encoding="utf-8") as f:
        nb = json.load(f)
    validator = get_validator(version=nb.get("nbformat"), version_minor=nb.get("nbformat_minor"))
    report[file] = [str(getattr(e, "message", e)) for e in validator.iter_errors(nb)]
print(json.dumps(report))
`;

/** The first Python that has nbformat (the one on PATH may be another installation than Debian's), or null. */
export function pythonWithNbformat(): string | null {
  for (const python of ["python3", "/usr/bin/python3"]) {
    const probe = spawnSync(python, ["-c", "import nbformat"], { encoding: "utf8" });
    if (probe.status === 0) return python;
  }
  return null;
}

export const NO_NBFORMAT =
  "no python3 with nbformat (Debian: apt-get install python3-nbformat, or pip install nbformat): notebook schema not checked";

/** Schema errors per file (an empty list: valid). */
export function schemaErrors(python: string, files: string[]): Record<string, string[]> {
  const run = spawnSync(python, ["-c", VALIDATE, ...files], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`nbformat validation could not run: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, string[]>;
}
