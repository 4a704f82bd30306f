// tfjs-node (TensorFlow 2.21's C library from PyPI, set up by scripts/setup-tfjs-node.sh) as the project's backend:
// the chain picks it on this machine class, the project's training tasks reach the same losses on it as on the
// pure-JavaScript cpu backend, and TensorFlow 2.21's one known difference from tfjs (Round on int32) is not met.
//
// Tolerance: every step's loss of a tiny training run (lib/bench/parity.ts: same initial weights, same batches and
// augmentation) differs by less than LOSS_TOLERANCE = 1e-3 relative to the cpu backend's, |node - cpu| / |cpu|.
// Measured here: 5e-6 (SGD, 8 steps), 2e-6 (Adam, 8 steps), 8e-7 (the autoencoder, 2 steps); with other initial
// weights and longer runs up to 2e-4. These are float32 sums in another order, growing step by step; WebGPU on lavapipe differs
// from cpu by the same order (scripts/compare-backends.ts prints all three).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { initBackend } from "../lib/backend";
import { PARITY_SETUPS, colourData, initialWeights, relativeGaps, stepLosses } from "../lib/bench/parity";
import { reconstructionSamples } from "../lib/methods/autoencoder";
import { buildAutoencoderFamily } from "../lib/models/autoencoder";
import { DEFAULT_CLASSIFIER, scaleWidths } from "../lib/models/classifier";
import { requireTfjsNode } from "./helpers/backend";

const ROOT = path.resolve(__dirname, "..");
const LOSS_TOLERANCE = 1e-3;

/** Records the dtype of every Round the tensorflow backend runs (TF 2.21 returns zeros for int32). */
function spyOnRound(): { dtypes: string[]; restore: () => void } {
  const original = tf.getKernel(tf.Round, "tensorflow");
  assert.ok(original, "tfjs-node registers a Round kernel");
  const dtypes: string[] = [];
  tf.unregisterKernel(tf.Round, "tensorflow");
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      dtypes.push((args.inputs as { x: tf.TensorInfo }).x.dtype);
      return original.kernelFunc(args);
    },
  });
  return {
    dtypes,
    restore: () => {
      tf.unregisterKernel(tf.Round, "tensorflow");
      tf.registerKernel(original);
    },
  };
}

/** Every .ts file under lib/. */
function libSources(dir = path.join(ROOT, "lib")): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? libSources(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}

describe("tfjs-node (libtensorflow from PyPI)", function () {
  this.timeout(300000);
  let previous: string | null = null;

  before(async function () {
    requireTfjsNode(this);
    await initBackend({ quiet: true });
    previous = tf.engine().backendName;
  });
  after(async () => {
    if (previous && tf.engine().backendName !== previous) await tf.setBackend(previous);
  });

  it("is the backend the chain picks on a machine without a GPU, and the one this mocha process runs on", function () {
    const script = `require("./lib/backend").initBackend({ quiet: true }).then((b) => { console.log(JSON.stringify(b)); process.exit(0); })`;
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.TFJS_BACKEND;
    const run = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, env, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const chosen = JSON.parse(run.stdout.trim().split("\n").pop()!);
    const log = chosen.log.join("\n");
    const gpu = fs.existsSync("/dev/dri") || fs.readdirSync("/dev").some((n) => /^nvidia\d+$/.test(n));
    if (!gpu) {
      assert.equal(chosen.choice, "node", log);
      assert.equal(chosen.tfBackend, "tensorflow");
      assert.match(chosen.device, /^CPU \(libtensorflow 2\.21\.0, from PyPI's tensorflow-cpu 2\.21\.0 wheel\)$/);
      assert.match(log, /node: no GPU on this machine/);
    }
    assert.match(log, /node-gpu: skipped, .+/);
    if (!process.env.TFJS_BACKEND && !gpu) assert.equal(tf.getBackend(), "tensorflow", "mocha itself runs on tfjs-node");
  });

  for (const setup of PARITY_SETUPS) {
    it(`trains the ${setup.name} to the cpu backend's losses, step by step (relative ${LOSS_TOLERANCE})`, async () => {
      await tf.setBackend("cpu");
      const initial = initialWeights(setup);
      const before = tf.memory().numTensors;
      const round = spyOnRound();
      let node: number[];
      try {
        node = await stepLosses("node", setup, initial);
      } finally {
        round.restore();
      }
      const cpu = await stepLosses("cpu", setup, initial);
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
      const gaps = relativeGaps(node, cpu);
      const worst = Math.max(...gaps);
      console.log(`      ${node.length} steps, loss ${cpu[0].toFixed(4)} -> ${cpu[cpu.length - 1].toFixed(4)}, largest relative gap ${worst.toExponential(2)}`);
      assert.ok(cpu[cpu.length - 1] < cpu[0], `the loss falls: ${cpu}`);
      assert.ok(worst < LOSS_TOLERANCE, `node ${node}\ncpu  ${cpu}`);
      assert.ok(!round.dtypes.includes("int32"), `Round on int32 ran on tfjs-node: ${round.dtypes}`);
    });
  }

  it("meets TF 2.21's Round-on-int32 difference nowhere: lib/ rounds float32 tensors only", async () => {
    // The difference itself (tfjs-core's own suite: 1 failure under TF 2.21): libtensorflow returns zeros.
    await tf.setBackend("tensorflow");
    const x = tf.tensor1d([1, 2, -3], "int32");
    const r = tf.round(x);
    const onNode = Array.from(await r.data());
    tf.dispose([x, r]);
    assert.notDeepEqual(onNode, [1, 2, -3], "TF rounds int32 correctly now: this check can go");
    // Every tensor round in lib/: tf.round(x) or x.round() (Math.round is plain JavaScript, and a phrase function
    // such as text().charts.round(id, n) takes arguments); a new one must be checked and added here.
    const calls = libSources().flatMap((file) =>
      fs.readFileSync(file, "utf8").split("\n").flatMap((line, i) =>
        !/^\s*(\/\/|\*)/.test(line) && /\btf\.round\(|[^h]\.round\(\)/.test(line) ? [`${path.relative(ROOT, file)}:${i + 1}`] : [],
      ),
    );
    assert.deepEqual(calls.map((c) => c.replace(/:\d+$/, "")), ["lib/methods/autoencoder.ts"], `tensor rounds in lib/: ${calls}`);
    // That one, reconstructionSamples, rounds pixel values in float32 before the cast, with the same result as cpu.
    const family = buildAutoencoderFamily({ ...scaleWidths(DEFAULT_CLASSIFIER, 0.125), seed: 3 });
    const model = family.autoencoder;
    const round = spyOnRound();
    let samples: Awaited<ReturnType<typeof reconstructionSamples>>;
    try {
      samples = await reconstructionSamples(model, colourData().images, 4);
    } finally {
      round.restore();
    }
    assert.deepEqual(round.dtypes, ["float32"]);
    await tf.setBackend("cpu");
    const onCpu = await reconstructionSamples(model, colourData().images, 4);
    family.joint.dispose();
    const a = Buffer.from(samples.reconstructed, "base64");
    const b = Buffer.from(onCpu.reconstructed, "base64");
    const differing = a.filter((v, i) => Math.abs(v - b[i]) > 1).length;
    assert.equal(differing, 0, "pixels differing by more than 1 of 255 (float sums in another order may flip a .5)");
  });
});
