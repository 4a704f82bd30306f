// The project's WebGPU kernels against tfjs' cpu backend, on lavapipe where no GPU exists.
//
// Every case runs the kernel through tf.engine().runKernel on "webgpu" with the project kernels on, and the same
// kernel on "cpu"; ||out - ref|| / ||ref|| must stay under 1e-4. Output buffers are poisoned first (the buffer
// pool hands back a NaN-filled buffer of the same size), so an element the kernel forgets to write fails the case.
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { onWebGPU } from "./helpers/backend";
import { countWebGPULaunches } from "../lib/bench/launches";
import { randomBatch, seededRandom } from "../lib/bench/runner";
import { planRowSplit } from "../lib/kernels/webgpu/batch-norm";
import { planGemm } from "../lib/kernels/webgpu/conv2d-backprop-filter";
import { setFastWebGPUKernels } from "../lib/kernels/webgpu/index";
import { SgdNesterov } from "../lib/training/optimizer";

const TOLERANCE = 1e-4;

type Inputs = Record<string, { shape: number[]; values: Float32Array }>;

function randomInput(shape: number[], seed: number): { shape: number[]; values: Float32Array } {
  const rand = seededRandom(seed);
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  for (let i = 0; i < values.length; i++) values[i] = 2 * rand() - 1;
  return { shape, values };
}

function relativeError(out: ArrayLike<number>, ref: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < ref.length; i++) {
    diff += (out[i] - ref[i]) ** 2;
    norm += ref[i] ** 2;
  }
  return Math.sqrt(diff) / Math.sqrt(norm);
}

/** Leaves NaN-filled buffers of these sizes in the WebGPU buffer pool, for the next outputs to pick up. */
async function poisonBuffers(sizes: number[]): Promise<void> {
  const poison = sizes.map((n) => tf.fill([n], NaN));
  await Promise.all(poison.map((t) => t.data()));
  tf.dispose(poison);
}

async function runOn(backend: "cpu" | "webgpu", kernel: string, inputs: Inputs, attrs: object): Promise<{ values: Float32Array; shape: number[] }> {
  await tf.setBackend(backend);
  const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
  const out = tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const values = (await out.data()) as Float32Array;
  const shape = out.shape;
  tf.dispose([out, ...Object.values(tensors)]);
  return { values, shape };
}

/** Runs `kernel` with the project kernels on webgpu and on cpu, and checks the error and for leaks. */
async function checkAgainstCpu(kernel: string, inputs: Inputs, attrs: object, poisonSizes: number[]): Promise<number> {
  const ref = await runOn("cpu", kernel, inputs, attrs);
  await tf.setBackend("webgpu");
  await poisonBuffers([ref.values.length, ...poisonSizes]);
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const before = { tensors: tf.memory().numTensors, dataIds: backend.numDataIds() };
  const out = await runOn("webgpu", kernel, inputs, attrs);
  assert.deepEqual(out.shape, ref.shape);
  assert.equal(tf.memory().numTensors, before.tensors, "tensors leaked");
  assert.equal(backend.numDataIds(), before.dataIds, "backend buffers leaked");
  const err = relativeError(out.values, ref.values);
  assert.ok(err < TOLERANCE, `relative error ${err} (NaN would mean an output element was never written)`);
  return err;
}

interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number];
  outChannels: number;
  strides: [number, number];
  pad: "valid" | "same" | [[number, number], [number, number], [number, number], [number, number]];
}

const CONV_CASES: ConvCase[] = [
  { x: [1, 7, 7, 3], filter: [3, 3], outChannels: 5, strides: [1, 1], pad: "valid" },
  { x: [2, 9, 8, 6], filter: [3, 3], outChannels: 7, strides: [2, 2], pad: "same" },
  { x: [3, 10, 10, 4], filter: [1, 1], outChannels: 8, strides: [2, 2], pad: "same" },
  { x: [2, 6, 11, 5], filter: [5, 3], outChannels: 3, strides: [1, 2], pad: "valid" },
  { x: [2, 8, 7, 3], filter: [3, 3], outChannels: 6, strides: [1, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [4, 16, 16, 3], filter: [3, 3], outChannels: 16, strides: [1, 1], pad: "valid" }, // refcnn conv1, split K
  { x: [2, 6, 6, 16], filter: [3, 3], outChannels: 70, strides: [1, 1], pad: "same" }, // M, N > one tile
  { x: [2, 9, 9, 5], filter: [2, 2], outChannels: 9, strides: [2, 2], pad: "same" }, // even filter, odd image
  { x: [3, 7, 9, 12], filter: [3, 3], outChannels: 12, strides: [2, 2], pad: "same" }, // Cout % 4 == 0, strided
];

function describeConv(c: ConvCase): string {
  return `x ${c.x.join("x")}, filter ${c.filter.join("x")}x${c.outChannels}, strides ${c.strides.join(",")}, pad ${JSON.stringify(c.pad)}`;
}

function convInfo(c: ConvCase) {
  return tf.backend_util.computeConv2DInfo(c.x, [...c.filter, c.x[3], c.outChannels], c.strides, 1, c.pad);
}

describe("project WebGPU kernels vs the cpu backend", function () {
  this.timeout(60000);

  onWebGPU(); // whatever the chain chose for this process (tfjs-node on CPU machines), these tests run on WebGPU

  describe("Conv2DBackpropFilter (implicit GEMM, split K)", function () {
    for (const [i, c] of CONV_CASES.entries()) {
      it(describeConv(c), async function () {
        const info = convInfo(c);
        const filterShape = [...c.filter, c.x[3], c.outChannels];
        const dyShape = [c.x[0], info.outHeight, info.outWidth, c.outChannels];
        const plan = planGemm(info.filterHeight * info.filterWidth * c.x[3], c.outChannels, c.x[0] * info.outHeight * info.outWidth);
        const inputs = { x: randomInput(c.x, 10 + i), dy: randomInput(dyShape, 100 + i) };
        const attrs = { strides: c.strides, pad: c.pad, dataFormat: "NHWC", filterShape };
        await checkAgainstCpu(tf.Conv2DBackpropFilter, inputs, attrs, [plan.splits * plan.M * plan.N]);
      });
    }

    it("splits K for the first layers and not for tiny ones", function () {
      assert.ok(planGemm(27, 16, 512 * 30 * 30).splits >= 256, "refcnn conv1 at batch 512 gets hundreds of splits");
      assert.equal(planGemm(27, 5, 25).splits, 1);
    });
  });

  describe("Conv2DBackpropInput (implicit GEMM)", function () {
    for (const [i, c] of CONV_CASES.entries()) {
      it(describeConv(c), async function () {
        const info = convInfo(c);
        const filterShape = [...c.filter, c.x[3], c.outChannels];
        const dyShape = [c.x[0], info.outHeight, info.outWidth, c.outChannels];
        const inputs = { dy: randomInput(dyShape, 500 + i), filter: randomInput(filterShape, 600 + i) };
        const attrs = { strides: c.strides, pad: c.pad, dataFormat: "NHWC", inputShape: c.x };
        await checkAgainstCpu(tf.Conv2DBackpropInput, inputs, attrs, []);
      });
    }
  });

  describe("Adam (one fused dispatch per variable)", function () {
    const SHAPES = [[3, 3, 3, 5], [7], [1], [17, 3]];
    let run = 0;

    /** Three Adam steps on fresh variables; returns the final values and moments, and checks for leaks. */
    async function adamSteps(backend: "cpu" | "webgpu"): Promise<Float32Array[]> {
      await tf.setBackend(backend);
      if (backend === "webgpu") await poisonBuffers(SHAPES.map((s) => tf.util.sizeFromShape(s)));
      const before = tf.memory().numTensors;
      const vars = SHAPES.map((s, i) => tf.tidy(() => tf.variable(tf.tensor(randomInput(s, 200 + i).values, s), true, `adam-test-${run++}`)));
      const opt = tf.train.adam(0.05, 0.8, 0.95, 1e-6);
      for (let step = 0; step < 3; step++) {
        const grads = vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(randomInput(v.shape, 300 + 10 * step + i).values, v.shape) }));
        opt.applyGradients(grads);
        tf.dispose(grads.map((g) => g.tensor));
      }
      const weights = await opt.getWeights(); // iterations, then every m, then every v
      const values = await Promise.all([...vars, ...weights.slice(1).map((w) => w.tensor)].map(async (t) => (await t.data()) as Float32Array));
      tf.dispose(weights[0].tensor);
      opt.dispose();
      tf.dispose(vars);
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
      return values;
    }

    it("matches tfjs' stock Adam on the cpu backend (values, first and second moments)", async function () {
      const ref = await adamSteps("cpu");
      const out = await adamSteps("webgpu");
      assert.equal(out.length, 3 * SHAPES.length);
      out.forEach((values, i) => {
        const err = relativeError(values, ref[i]);
        assert.ok(err < TOLERANCE, `tensor ${i}: relative error ${err}`);
      });
    });
  });

  describe("SGD-Nesterov (one fused dispatch per variable)", function () {
    const SHAPES = [[3, 3, 3, 5], [7], [1], [17, 3]];
    let run = 0;

    /** Three steps of the project optimizer on fresh variables; returns values and velocities, checks for leaks. */
    async function sgdSteps(backend: "cpu" | "webgpu"): Promise<Float32Array[]> {
      await tf.setBackend(backend);
      if (backend === "webgpu") await poisonBuffers(SHAPES.map((s) => tf.util.sizeFromShape(s)));
      const before = tf.memory().numTensors;
      const vars = SHAPES.map((s, i) => tf.tidy(() => tf.variable(tf.tensor(randomInput(s, 400 + i).values, s), true, `sgd-test-${run++}`)));
      const opt = new SgdNesterov({ momentum: 0.9, weightDecay: 0.01 });
      for (let step = 0; step < 3; step++) {
        const grads = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(randomInput(v.shape, 500 + 10 * step + i).values, v.shape)]));
        const scalars = tf.tensor1d(opt.stepScalars(0.1 * (step + 1)));
        opt.apply(vars, grads, scalars);
        tf.dispose([...Object.values(grads), scalars]);
      }
      const values = await Promise.all([...vars, ...opt.velocities(vars)].map(async (t) => (await t.data()) as Float32Array));
      opt.dispose();
      tf.dispose(vars);
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
      return values;
    }

    it("matches the tf-op update on the cpu backend (values and velocities, decay on kernels only)", async function () {
      const ref = await sgdSteps("cpu");
      const launches = countWebGPULaunches();
      launches?.reset();
      const out = await sgdSteps("webgpu");
      if (launches) assert.ok(launches.byProgram().has("FusedSgdNesterovProgram"), "the fused update did not run");
      assert.equal(out.length, 2 * SHAPES.length);
      out.forEach((values, i) => {
        const err = relativeError(values, ref[i]);
        assert.ok(err < TOLERANCE, `tensor ${i}: relative error ${err}`);
      });
    });
  });

  describe("BatchNormalization in training (fused forward and backward)", function () {
    const SHAPES = [[2, 5, 3, 7], [3, 4, 4, 33], [1, 6, 6, 16], [8, 16, 16, 20], [5, 9]];
    let run = 0;

    /** One training-mode forward and backward: y, dx, dgamma, dbeta, and the new moving mean and variance. */
    async function bnStep(backend: "cpu" | "webgpu", shape: number[], seed: number): Promise<Float32Array[]> {
      await tf.setBackend(backend);
      const channels = shape[shape.length - 1];
      const plan = planRowSplit(tf.util.sizeFromShape(shape) / channels, channels);
      if (backend === "webgpu") await poisonBuffers([tf.util.sizeFromShape(shape), channels, plan.splits * 2 * channels]);
      const before = tf.memory().numTensors;
      const layer = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3, name: `bn-test-${backend}-${run++}` });
      layer.build(shape);
      const weight = (i: number) => tf.tensor(randomInput([channels], seed + i).values);
      const init = tf.tidy(() => [tf.add(weight(1), 2), weight(2), weight(3), tf.add(tf.abs(weight(4)), 0.5)]); // gamma, beta, moving mean, var
      layer.setWeights(init);
      tf.dispose(init);
      const x = tf.tidy(() => tf.variable(tf.add(tf.mul(tf.tensor(randomInput(shape, seed).values, shape), 3), 1.5), true, `bn-x-${run++}`));
      const upstream = tf.tensor(randomInput(shape, seed + 9).values, shape);
      const [gamma, beta, movingMean, movingVariance] = layer.weights.map((w) => w.read() as tf.Variable);
      let y: tf.Tensor | null = null;
      const launches = countWebGPULaunches();
      launches?.reset();
      const { value, grads } = tf.variableGrads(() => {
        y = tf.keep(layer.apply(x, { training: true }) as tf.Tensor);
        return tf.sum(tf.mul(y, upstream));
      }, [x, gamma, beta]);
      const results = [y!, grads[x.name], grads[gamma.name], grads[beta.name], movingMean, movingVariance];
      const values = await Promise.all(results.map(async (t) => (await t.data()) as Float32Array));
      if (launches) assert.ok(launches.byProgram().has("BatchNormGradInputProgram"), "the fused BatchNorm did not run");
      tf.dispose([value, y!, ...Object.values(grads), x, upstream]);
      tf.dispose(layer.weights.map((w) => w.read())); // an unconnected layer cannot be dispose()d
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
      return values;
    }

    for (const [i, shape] of SHAPES.entries()) {
      it(`matches the cpu backend for x ${shape.join("x")} (y, dx, dgamma, dbeta, moving mean and variance)`, async function () {
        const ref = await bnStep("cpu", shape, 400 + 10 * i);
        const out = await bnStep("webgpu", shape, 400 + 10 * i);
        const names = ["y", "dx", "dgamma", "dbeta", "moving mean", "moving variance"];
        out.forEach((values, j) => {
          const err = relativeError(values, ref[j]);
          assert.ok(err < TOLERANCE, `${names[j]}: relative error ${err}`);
        });
      });
    }
  });

  describe("training with project kernels", function () {
    function tinyModel(): tfl.LayersModel {
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [32, 32, 3], filters: 8, kernelSize: 3, strides: 2, padding: "same", useBias: false }),
          tfl.layers.batchNormalization(),
          tfl.layers.reLU(),
          tfl.layers.maxPooling2d({ poolSize: 2 }),
          tfl.layers.conv2d({ filters: 6, kernelSize: 3, activation: "relu" }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 100, activation: "softmax" }),
        ],
      });
      return model;
    }

    async function losses(model: tfl.LayersModel, weights: tf.Tensor[], project: boolean): Promise<number[]> {
      setFastWebGPUKernels(project);
      model.setWeights(weights);
      model.compile({ optimizer: tf.train.adam(0.01), loss: "sparseCategoricalCrossentropy" });
      const { x, y } = randomBatch(6, 7);
      const out: number[] = [];
      for (let step = 0; step < 4; step++) out.push((await model.trainOnBatch(x, y)) as number);
      tf.dispose([x, y]);
      model.optimizer.dispose();
      return out;
    }

    it("reaches the same losses as the stock kernels from the same weights and data", async function () {
      await tf.setBackend("webgpu");
      const model = tinyModel();
      const snapshot = await Promise.all(model.getWeights().map(async (w) => tf.tensor(await w.data(), w.shape)));
      try {
        const stock = await losses(model, snapshot, false);
        const project = await losses(model, snapshot, true);
        stock.forEach((l, i) => assert.ok(Math.abs(project[i] - l) / l < 1e-4, `step ${i}: stock ${l}, project ${project[i]}`));
        assert.ok(stock[3] < stock[0], `the loss should fall: ${stock.join(", ")}`);
      } finally {
        setFastWebGPUKernels(true);
        tf.dispose(snapshot);
        model.dispose();
      }
    });
  });
});
