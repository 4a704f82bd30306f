import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { backendOrder, dawnFlags, isSoftwareAdapter } from "../lib/backend";

const ROOT = path.resolve(__dirname, "..");

/** Runs the chain in a fresh process (a backend can start only once per process). */
function chooseIn(env: NodeJS.ProcessEnv): { choice: string; log: string[] } {
  const script = `require("./lib/backend").initBackend({ quiet: true }).then((b) => { console.log(JSON.stringify(b)); process.exit(0); })`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split("\n").pop()!);
}

describe("backend chain", () => {
  it("orders node-gpu > node > webgpu > cpu and honours TFJS_BACKEND", () => {
    assert.deepEqual(backendOrder({}), ["node-gpu", "node", "webgpu", "cpu"]);
    assert.deepEqual(backendOrder({ TFJS_BACKEND: "webgpu,cpu" }), ["webgpu", "cpu"]);
    assert.throws(() => backendOrder({ TFJS_BACKEND: "cuda" }), /"cuda" is not a backend/);
  });

  it("picks WebGPU where a Vulkan driver exists and tfjs-node is not chosen, and says why the others were skipped", function () {
    const chosen = chooseIn({ TFJS_BACKEND: "node-gpu,webgpu,cpu" });
    if (chosen.choice !== "webgpu") this.skip(); // no Vulkan driver on this machine: the next test covers it
    assert.match(chosen.log.join("\n"), /node-gpu: skipped, .+/);
    assert.match(chosen.log.join("\n"), /webgpu: chosen \(.+\)/);
  });

  it("falls back to cpu when Dawn finds no Vulkan driver", () => {
    const chosen = chooseIn({ TFJS_BACKEND: "webgpu,cpu", VK_ICD_FILENAMES: "/nonexistent.json", VK_DRIVER_FILES: "/nonexistent.json" });
    assert.equal(chosen.choice, "cpu");
    assert.match(chosen.log.join("\n"), /webgpu: skipped, no WebGPU adapter/);
  });

  it("starts Dawn with timestamp quantization off, unless WEBGPU_DAWN_FLAGS names its own disabled features", () => {
    assert.deepEqual(dawnFlags({}), ["disable-dawn-features=timestamp_quantization"]);
    assert.deepEqual(dawnFlags({ WEBGPU_DAWN_FLAGS: "adapter=NVIDIA H200; backend=vulkan" }),
      ["adapter=NVIDIA H200", "backend=vulkan", "disable-dawn-features=timestamp_quantization"]);
    assert.deepEqual(dawnFlags({ WEBGPU_DAWN_FLAGS: "disable-dawn-features=lazy_clear_resource_on_first_use" }),
      ["disable-dawn-features=lazy_clear_resource_on_first_use"]);
  });

  it("tells a software Vulkan adapter (tfjs-node goes first) from a real GPU (WebGPU goes first)", () => {
    assert.ok(isSoftwareAdapter({ vendor: "mesa", architecture: "software", description: "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)" }));
    assert.ok(isSoftwareAdapter({ vendor: "google", description: "SwiftShader Device (Subzero)" }));
    assert.ok(isSoftwareAdapter({ vendor: "nvidia" }, true), "a fallback adapter");
    assert.ok(!isSoftwareAdapter({ vendor: "nvidia", architecture: "hopper", description: "NVIDIA: 570.133.20" }));
  });

  it("uses only the backends TFJS_BACKEND names", () => {
    assert.equal(chooseIn({ TFJS_BACKEND: "cpu" }).choice, "cpu");
  });
});
