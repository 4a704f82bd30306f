// Backend helpers for test files.
//
// The mocha process runs on whatever lib/backend.ts chose (tfjs-node on CPU machines where it is set up). Tests of
// the project's own WebGPU kernels must run on WebGPU all the same: onWebGPU() switches to it for one describe().
// Tests that need tfjs-node call requireTfjsNode(): it skips with the reason where tfjs-node is not set up, unless
// TFJS_NODE=required (CI), where that is a failure.
import * as tf from "@tensorflow/tfjs-core";
import { switchBackend, tfjsNodeSetup } from "../../lib/backend";

export const TFJS_NODE_ENV = "TFJS_NODE";

/**
 * Runs the enclosing describe() on WebGPU (Dawn; Mesa's lavapipe where no GPU exists), with the project kernels
 * registered, and switches back to the previous backend after it. Without a WebGPU adapter the suite is skipped.
 * Call it inside describe(), before the tests.
 */
export function onWebGPU(): void {
  let previous: string | null = null;
  before(async function () {
    previous = tf.engine().backendName;
    const started = await switchBackend("webgpu");
    if (started.device === undefined) {
      console.log(`    skipped: no WebGPU backend (${started.skipped})`);
      this.skip();
    }
  });
  after(async function () {
    if (previous && tf.engine().backendName !== previous) await tf.setBackend(previous);
  });
}

/** Skips the calling test or hook where tfjs-node is not set up (a failure under TFJS_NODE=required). */
export function requireTfjsNode(ctx: Mocha.Context): void {
  if (tfjsNodeSetup("@tensorflow/tfjs-node")) return;
  const why = "@tensorflow/tfjs-node is not set up (run bash scripts/setup-tfjs-node.sh)";
  if (process.env[TFJS_NODE_ENV] === "required") throw new Error(`${TFJS_NODE_ENV}=required but ${why}`);
  console.log(`    skipped: ${why}`);
  ctx.skip();
}
