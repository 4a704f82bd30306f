// What notebooks print about the machine that executes them: nothing that changes from machine to machine (the
// folder the data came from, its load time, the renderer's device); scripts keep printing it.
import assert from "node:assert/strict";
import type { BackendInfo } from "../lib/backend";
import { PROFILES } from "../lib/config";
import { loadCifar100 } from "../lib/data/cifar100";
import { inNotebook } from "../lib/in-notebook";
import { sessionText } from "../lib/session";
import { TINY_COUNTS, removeDir, tempDir, writeTinyCifar } from "./helpers/tiny-cifar";

const JUPYTER = require.resolve("tslab/dist/jupyter");

/** Runs `body` as if inside a tslab kernel (which has loaded tslab/dist/jupyter before any cell). */
async function asInNotebook<T>(body: () => Promise<T> | T): Promise<T> {
  const had = require.cache[JUPYTER];
  if (!had) require.cache[JUPYTER] = { exports: {} } as NodeJS.Module;
  try {
    return await body();
  } finally {
    if (!had) delete require.cache[JUPYTER];
  }
}

const backend: BackendInfo = {
  choice: "webgpu",
  tfBackend: "webgpu",
  device: "llvmpipe: Mesa 25.0.7, vendor mesa, software",
  fastKernels: [],
  log: ["node: skipped, not set up", "webgpu: chosen (llvmpipe: Mesa 25.0.7, vendor mesa, software)"],
};

describe("notebook output", () => {
  it("inNotebook is true only inside a tslab kernel", async () => {
    assert.equal(inNotebook(), false);
    assert.equal(await asInNotebook(() => inNotebook()), true);
  });

  it("a notebook's session line names the profile and the renderer's backend, not its device or the skipped backends", () => {
    const text = sessionText(PROFILES.full, backend, true);
    assert.match(text, /^perfil: full \(la escala del enunciado/);
    assert.match(text, /\nrenderizado: este cuaderno se ejecuta con el backend webgpu; dónde se entrenó cada resultado está en la tabla de procedencia del final$/);
    assert.doesNotMatch(text, /llvmpipe|skipped|device/);
  });

  it("a script's session line keeps the device and why other backends were skipped", () => {
    const text = sessionText(PROFILES.full, backend, false);
    assert.match(text, /device: llvmpipe/);
    assert.match(text, /node: skipped, not set up/);
  });

  it("loading the data prints its folder and time in a script, nothing in a notebook", async () => {
    const dir = tempDir();
    writeTinyCifar(dir);
    const printed: string[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => { printed.push(args.join(" ")); };
    try {
      await loadCifar100({ dir, expectedCounts: TINY_COUNTS });
      assert.equal(printed.length, 1);
      assert.match(printed[0], new RegExp(`read 6 train and 3 test images from ${dir} in [\\d.]+ s`));
      printed.length = 0;
      await asInNotebook(() => loadCifar100({ dir, expectedCounts: TINY_COUNTS }));
      assert.deepEqual(printed, []);
    } finally {
      console.error = error;
      removeDir(dir);
    }
  });
});
