// The project forward convolution (lib/kernels/webgpu/conv2d.ts, opt-in: TFJS_PROJECT_CONV2D=1) against tfjs' stock
// WebGPU Conv2D / FusedConv2D, on lavapipe where no GPU exists.
//
// Every case runs the kernel through tf.engine().runKernel with the project convolution on and off; the error is
// max |project - stock| / max |stock| and must stay under 1e-4. Output buffers are poisoned first (the buffer pool
// hands back a NaN-filled buffer of the same size), so an element the kernel forgets to write fails the case, and
// the launch counter checks that the project program (or, for unsupported cases, the stock one) really ran.
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs-core";
import { onWebGPU } from "./helpers/backend";
import { countWebGPULaunches } from "../lib/bench/launches";
import { seededRandom } from "../lib/bench/runner";
import { Conv2DTiles, DEFAULT_CONV2D_TILES, conv2DTiles, fitTiles, formatConv2DTiles, parseConv2DTiles, setConv2DTiles } from "../lib/kernels/webgpu/conv2d";
import { fastWebGPUKernels, projectConv2DEnabled, setFastWebGPUKernels, setProjectConv2D } from "../lib/kernels/webgpu/index";

const TOLERANCE = 1e-4;
const PROGRAM = "Conv2DGemmProgram";

type Pad = "valid" | "same" | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number];
  outChannels: number;
  strides: [number, number];
  pad: Pad;
}

// The study network's eight convolutions (3x3, 'same', stride 1, no bias) at batch 2, then odd shapes.
const STUDY: Case[] = [
  { name: "stem (Cin 3)", x: [2, 32, 32, 3], filter: [3, 3], outChannels: 32, strides: [1, 1], pad: "same" },
  { name: "stage1", x: [2, 32, 32, 32], filter: [3, 3], outChannels: 64, strides: [1, 1], pad: "same" },
  { name: "res1", x: [2, 16, 16, 64], filter: [3, 3], outChannels: 64, strides: [1, 1], pad: "same" },
  { name: "stage2", x: [2, 16, 16, 64], filter: [3, 3], outChannels: 128, strides: [1, 1], pad: "same" },
  { name: "stage3", x: [2, 8, 8, 128], filter: [3, 3], outChannels: 256, strides: [1, 1], pad: "same" },
  { name: "res3", x: [2, 4, 4, 256], filter: [3, 3], outChannels: 256, strides: [1, 1], pad: "same" },
];

const ODD: Case[] = [
  { name: "Cin, Cout % 4 != 0, valid", x: [3, 7, 9, 5], filter: [3, 3], outChannels: 7, strides: [1, 1], pad: "valid" },
  { name: "stride 2, same, odd image", x: [2, 9, 8, 6], filter: [3, 3], outChannels: 7, strides: [2, 2], pad: "same" },
  { name: "1x1 stride 2 (resnet shortcut)", x: [3, 10, 10, 32], filter: [1, 1], outChannels: 64, strides: [2, 2], pad: "same" },
  { name: "1x1 stride 1, valid", x: [2, 11, 13, 8], filter: [1, 1], outChannels: 12, strides: [1, 1], pad: "valid" },
  { name: "5x3, strides 1,2", x: [1, 6, 11, 5], filter: [5, 3], outChannels: 3, strides: [1, 2], pad: "valid" },
  { name: "explicit padding", x: [2, 8, 7, 3], filter: [3, 3], outChannels: 6, strides: [1, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: "M, N over one tile, N % 4 != 0", x: [2, 13, 11, 16], filter: [3, 3], outChannels: 70, strides: [1, 1], pad: "same" },
  { name: "resnet stride-2 3x3, Cin % 4 == 0", x: [3, 9, 9, 12], filter: [3, 3], outChannels: 20, strides: [2, 2], pad: "same" },
  { name: "refcnn conv1 (valid, Cin 3)", x: [2, 32, 32, 3], filter: [3, 3], outChannels: 16, strides: [1, 1], pad: "valid" },
  { name: "batch 1, 4x4 image", x: [1, 4, 4, 64], filter: [3, 3], outChannels: 36, strides: [1, 1], pad: "same" },
];

function randomValues(shape: number[], seed: number): Float32Array {
  const rand = seededRandom(seed);
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  for (let i = 0; i < values.length; i++) values[i] = 2 * rand() - 1;
  return values;
}

/** max |out - ref| / max |ref|. */
function relativeMaxError(out: ArrayLike<number>, ref: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(out[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
    if (Number.isNaN(out[i])) return NaN;
  }
  return diff / scale;
}

async function poisonBuffers(sizes: number[]): Promise<void> {
  const poison = sizes.map((n) => tf.fill([n], NaN));
  await Promise.all(poison.map((t) => t.data()));
  tf.dispose(poison);
}

interface Inputs { x: Float32Array; filter: Float32Array; bias?: Float32Array }

function inputsFor(c: Case, seed: number, bias: boolean): Inputs {
  const filterShape = [...c.filter, c.x[3], c.outChannels];
  return { x: randomValues(c.x, seed), filter: randomValues(filterShape, seed + 1), bias: bias ? randomValues([c.outChannels], seed + 2) : undefined };
}

/** One run of `kernel` on webgpu; project or stock convolution; checks for leaks and which program ran. */
async function run(kernel: string, c: Case, inputs: Inputs, attrs: object, project: boolean, expectProject = project): Promise<{ values: Float32Array; shape: number[] }> {
  setProjectConv2D(project);
  const filterShape = [...c.filter, c.x[3], c.outChannels];
  const outElements = tf.util.sizeFromShape(tf.backend_util.computeConv2DInfo(c.x, filterShape as [number, number, number, number], c.strides, 1, c.pad).outShape);
  await poisonBuffers([outElements]);
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const before = { tensors: tf.memory().numTensors, dataIds: backend.numDataIds() };
  const launches = countWebGPULaunches()!;
  launches.reset();
  const tensors: Record<string, tf.Tensor> = { x: tf.tensor(inputs.x, c.x), filter: tf.tensor(inputs.filter, filterShape) };
  if (inputs.bias) tensors.bias = tf.tensor(inputs.bias, [c.outChannels]);
  const out = tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const values = (await out.data()) as Float32Array;
  const shape = out.shape;
  tf.dispose([out, ...Object.values(tensors)]);
  assert.equal(tf.memory().numTensors, before.tensors, "tensors leaked");
  assert.equal(backend.numDataIds(), before.dataIds, "backend buffers leaked");
  assert.equal(launches.byProgram().has(PROGRAM), expectProject, `${PROGRAM} ${expectProject ? "did not run" : "ran"}: ${[...launches.byProgram().keys()].join(", ")}`);
  return { values, shape };
}

async function compare(kernel: string, c: Case, inputs: Inputs, attrs: object, expectProject = true): Promise<number> {
  const stock = await run(kernel, c, inputs, attrs, false);
  const project = await run(kernel, c, inputs, attrs, true, expectProject);
  assert.deepEqual(project.shape, stock.shape);
  const err = relativeMaxError(project.values, stock.values);
  assert.ok(err < TOLERANCE, `relative error ${err} (NaN: an output element was never written)`);
  return err;
}

const convAttrs = (c: Case) => ({ strides: c.strides, pad: c.pad, dataFormat: "NHWC", dilations: [1, 1] });

describe("project forward convolution (implicit GEMM) vs tfjs' stock WebGPU kernels", function () {
  this.timeout(120000);
  onWebGPU();

  let wasOn = false;
  let tiles: Conv2DTiles = DEFAULT_CONV2D_TILES;
  const errors: string[] = [];
  before(function () {
    wasOn = projectConv2DEnabled();
    tiles = conv2DTiles();
  });
  after(function () {
    setProjectConv2D(wasOn);
    setConv2DTiles(tiles);
    if (errors.length > 0) console.log(`      largest relative errors: ${errors.join("; ")}`);
  });

  it("is off by default and registered only with the project kernels", function () {
    if (process.env.TFJS_PROJECT_CONV2D !== "1") assert.equal(wasOn, false);
    setProjectConv2D(true);
    assert.ok(fastWebGPUKernels().includes(tf.FusedConv2D) && fastWebGPUKernels().includes(tf.Conv2D));
    setFastWebGPUKernels(false);
    assert.ok(!fastWebGPUKernels().includes(tf.Conv2D));
    setFastWebGPUKernels(true, [tf.Conv2D]);
    assert.ok(fastWebGPUKernels().includes(tf.FusedConv2D) && !fastWebGPUKernels().includes(tf.Conv2D));
    setFastWebGPUKernels(true);
    setProjectConv2D(false);
    assert.ok(!fastWebGPUKernels().includes(tf.FusedConv2D));
  });

  it("parses and fits tile shapes", function () {
    assert.deepEqual(parseConv2DTiles("128x64x16"), { tileM: 128, tileN: 64, tk: 16 });
    assert.throws(() => parseConv2DTiles("64x48x16"), /expected TMxTNxTK/);
    assert.throws(() => parseConv2DTiles("64x64"), /expected TMxTNxTK/);
    assert.deepEqual(fitTiles({ tileM: 128, tileN: 64, tk: 8 }, 10000, 32), { tileM: 128, tileN: 32, tk: 8 });
    assert.deepEqual(fitTiles({ tileM: 128, tileN: 64, tk: 8 }, 16, 3), { tileM: 16, tileN: 16, tk: 8 });
    assert.deepEqual(fitTiles({ tileM: 64, tileN: 64, tk: 8 }, 33, 33), { tileM: 64, tileN: 64, tk: 8 });
  });

  describe("Conv2D, default tile", function () {
    for (const [i, c] of [...STUDY, ...ODD].entries()) {
      it(`${c.name}: x ${c.x.join("x")}, filter ${c.filter.join("x")}x${c.outChannels}, strides ${c.strides}, pad ${JSON.stringify(c.pad)}`, async function () {
        const err = await compare(tf.Conv2D, c, inputsFor(c, 10 * i, false), convAttrs(c));
        errors.push(`${c.name} ${err.toExponential(1)}`);
      });
    }
  });

  describe("FusedConv2D (tfjs-layers' path): no bias, bias, bias + relu", function () {
    const cases = [STUDY[0], STUDY[2], ODD[0], ODD[2], ODD[6]];
    for (const [i, c] of cases.entries()) {
      for (const [bias, activation] of [[false, "linear"], [true, "linear"], [true, "relu"], [false, "relu"]] as const) {
        it(`${c.name}, ${bias ? "bias" : "no bias"}, ${activation}`, async function () {
          const attrs = { ...convAttrs(c), activation };
          await compare(tf.FusedConv2D, c, inputsFor(c, 300 + 10 * i, bias), attrs);
        });
      }
    }

    it("leaves unsupported activations (leakyrelu, prelu) and dilations to the stock kernel", async function () {
      const c = ODD[1];
      await compare(tf.FusedConv2D, c, inputsFor(c, 400, true), { ...convAttrs(c), activation: "leakyrelu", leakyreluAlpha: 0.2 }, false);
      const dilated: Case = { name: "dilated", x: [2, 9, 9, 4], filter: [3, 3], outChannels: 8, strides: [1, 1], pad: "valid" };
      const inputs = inputsFor(dilated, 410, false);
      const attrs = { ...convAttrs(dilated), dilations: [2, 2] };
      const stock = await run(tf.Conv2D, dilated, inputs, attrs, false);
      const project = await run(tf.Conv2D, dilated, inputs, attrs, true, false);
      assert.deepEqual(project.values, stock.values);
    });
  });

  describe("other tile shapes", function () {
    const shapes = ["128x64x16", "64x32x8", "32x16x4", "128x128x32", "16x16x32", "128x32x32"];
    const cases = [STUDY[0], STUDY[1], ODD[0], ODD[1], ODD[6], ODD[9]];
    for (const shape of shapes) {
      it(`${shape} on the stem, stage1 and odd shapes`, async function () {
        setConv2DTiles(parseConv2DTiles(shape));
        try {
          for (const [i, c] of cases.entries()) await compare(tf.Conv2D, c, inputsFor(c, 500 + i, false), convAttrs(c));
        } finally {
          setConv2DTiles(tiles);
        }
        assert.equal(formatConv2DTiles(conv2DTiles()), formatConv2DTiles(tiles));
      });
    }
  });

  describe("gradients through the project convolution", function () {
    for (const [i, c] of [STUDY[0], ODD[1], ODD[2]].entries()) {
      it(`tf.grads of tf.conv2d and of tf.fused.conv2d (bias, relu) are unchanged: ${c.name}`, async function () {
        const filterShape: [number, number, number, number] = [...c.filter, c.x[3], c.outChannels];
        const x = tf.tensor(randomValues(c.x, 600 + i), c.x) as tf.Tensor4D;
        const w = tf.tensor(randomValues(filterShape, 610 + i), filterShape) as tf.Tensor4D;
        const b = tf.tensor1d(randomValues([c.outChannels], 620 + i));
        const grads = async (project: boolean) => {
          setProjectConv2D(project);
          const before = tf.memory().numTensors;
          const launches = countWebGPULaunches()!;
          launches.reset();
          const plain = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.strides, c.pad as "same"))))([x, w]);
          const fused = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
            tf.sum(tf.square(tf.fused.conv2d({ x: xx as tf.Tensor4D, filter: ww as tf.Tensor4D, strides: c.strides, pad: c.pad as "same", bias: bb, activation: "relu" }))))([x, w, b]);
          // Outside gradients a relu-fused conv runs as FusedConv2D itself.
          const inference = tf.fused.conv2d({ x, filter: w, strides: c.strides, pad: c.pad as "same", bias: b, activation: "relu" });
          const all = [...plain, ...fused, inference];
          const values = await Promise.all(all.map(async (t) => (await t.data()) as Float32Array));
          tf.dispose(all);
          assert.equal(tf.memory().numTensors, before, "tensors leaked");
          assert.equal(launches.byProgram().has(PROGRAM), project);
          return values;
        };
        try {
          const stock = await grads(false);
          const project = await grads(true);
          const names = ["conv2d dx", "conv2d dw", "fused dx", "fused dw", "fused dbias", "fused inference"];
          project.forEach((v, j) => {
            const err = relativeMaxError(v, stock[j]);
            assert.ok(err < TOLERANCE, `${names[j]}: relative error ${err}`);
          });
        } finally {
          tf.dispose([x, w, b]);
        }
      });
    }
  });
});
