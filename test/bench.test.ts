// The bench's option parsing, statistics and report (the timing itself runs in `npm run bench`).
import { strict as assert } from "assert";
import { CapturedBenchResult, compareConv2D, formatCaptured, formatCapturedProfile } from "../lib/bench/captured";
import { DEFAULT_ARGS, formatTable, lossCheck, parseBenchArgs, parseConv2DVariant } from "../lib/bench/report";
import { median, ModeResult, ModelResult, seededRandom } from "../lib/bench/runner";

function mode(name: string, imagesPerSec: number): ModeResult {
  return {
    mode: name, imagesPerSec, medianStepMs: 1, medianHostMs: 0.5, stepMs: [1], losses: [4.6, 4.5],
    launchesPerStep: 100, launchesByProgram: {}, uploadsPerStep: 3, profile: null,
  };
}

describe("bench options and report", function () {
  it("defaults to both models at the issue's batch sizes", function () {
    assert.deepEqual(parseBenchArgs([]), DEFAULT_ARGS);
    assert.deepEqual(DEFAULT_ARGS.batch, { refcnn: 512, resnet: 256 });
  });

  it("parses every option", function () {
    const args = parseBenchArgs(["--models", "resnet", "--steps", "4", "--warmup", "0", "--batch-resnet", "32",
      "--seed", "7", "--profile", "--ablate", "--json", "out.json"]);
    assert.deepEqual(args.models, ["resnet"]);
    assert.equal(args.steps, 4);
    assert.equal(args.warmup, 0);
    assert.equal(args.batch.resnet, 32);
    assert.equal(args.batch.refcnn, 512);
    assert.equal(args.seed, 7);
    assert.ok(args.profile && args.ablate);
    assert.equal(args.json, "out.json");
  });

  it("parses the captured bench's options", function () {
    assert.deepEqual(DEFAULT_ARGS.capturedModels, ["study", "refcnn", "resnet"]);
    const args = parseBenchArgs(["--captured-only", "--captured-models", "study,resnet", "--captured-batch", "16", "--profile"]);
    assert.ok(args.captured && args.capturedOnly && args.profile);
    assert.deepEqual(args.capturedModels, ["study", "resnet"]);
    assert.equal(args.capturedBatch, 16);
    assert.throws(() => parseBenchArgs(["--captured-models", "vgg"]), /unknown vgg/);
    assert.throws(() => parseBenchArgs(["--captured-batch", "0"]), /positive integer/);
  });

  it("prints a profiled replay's GPU ms per program, with its share of the dispatches' sum and of the step", function () {
    const captured = { mode: "captured" as const, imagesPerSec: 1000, stepMs: 10, hostMsPerStep: 1, losses: [4.6] };
    const result: CapturedBenchResult = {
      model: "study", batch: 16, dispatchesPerStep: 5, eager: { ...captured, mode: "project (eager)" }, captured, lossGap: 0,
      capturedPrograms: [
        { program: "ConvDerFilterGemmProgram", dispatches: 2, gpuMs: 6 },
        { program: "Conv2DMMProgram", dispatches: 1, gpuMs: 1.5 },
        { program: "BinaryOpProgram", dispatches: 2, gpuMs: 0.5 },
      ],
      capturedProfile: { dispatches: 5, gpuMs: 8, spanMs: 8.5, replayedStepMs: 10, quantized: false },
    };
    const lines = formatCapturedProfile(result, 2).split("\n");
    assert.match(lines[0], /^study b16: GPU ms per program/);
    assert.equal(lines[3], "| ConvDerFilterGemmProgram | 2 | 6.000 | 75.0% | 60.0% |");
    assert.equal(lines[5], "| (1 other programs) | 2 | 0.500 | 6.3% | 5.0% |");
    assert.match(lines[6], /^sum 8\.00 ms over 5 dispatches \(80\.0% of the timed replayed step, 10\.00 ms\); first-to-last timestamp 8\.50 ms$/);
    assert.match(formatCapturedProfile({ ...result, capturedProfile: { ...result.capturedProfile!, quantized: true } }), /QUANTIZED/);
    assert.match(formatCapturedProfile({ ...result, capturedPrograms: null, capturedProfile: null }), /no profile/);
  });

  it("parses the forward-convolution variants of the captured bench", function () {
    assert.equal(DEFAULT_ARGS.conv2d, null);
    const args = parseBenchArgs(["--captured-only", "--conv2d", "stock,project,project:128x64x16,project:64x32x8"]);
    assert.deepEqual(args.conv2d, ["stock", "project", "project:128x64x16", "project:64x32x8"]);
    assert.deepEqual(parseConv2DVariant("stock"), { project: false, tiles: null });
    assert.deepEqual(parseConv2DVariant("project"), { project: true, tiles: null });
    assert.deepEqual(parseConv2DVariant("project:128x64x16"), { project: true, tiles: { tileM: 128, tileN: 64, tk: 16 } });
    assert.throws(() => parseBenchArgs(["--conv2d", "fast"]), /unknown variant "fast"/);
    assert.throws(() => parseBenchArgs(["--conv2d", "project:64x64x12"]), /expected TMxTNxTK/);
    assert.throws(() => parseBenchArgs(["--conv2d", ""]), /needs a list/);
  });

  it("compares forward-convolution variants per model: captured img/s and loss gap against the first", function () {
    const run = (conv2d: string, imagesPerSec: number, losses: number[]): CapturedBenchResult => {
      const captured = { mode: "captured" as const, imagesPerSec, stepMs: 10, hostMsPerStep: 1, losses };
      return {
        model: "study", batch: 16, conv2d, dispatchesPerStep: 169, eager: { ...captured, mode: "project (eager)" }, captured,
        lossGap: 0, capturedPrograms: null, capturedProfile: null,
      };
    };
    const results = [run("stock", 100, [4.6, 4.5]), run("project 64x64x16", 150, [4.6, 4.5 + 4.5e-5])];
    const { text, maxGap } = compareConv2D(results);
    assert.equal(text, "study b16 captured: stock: 100.0 img/s; project 64x64x16: 150.0 img/s (1.50x, loss gap 1.0e-5)");
    assert.ok(Math.abs(maxGap - 1e-5) < 1e-9);
    assert.equal(compareConv2D([results[0]]).text, "");
    assert.match(formatCaptured(results).split("\n")[2], /^\| study \| 16 \| stock \| project \(eager\) \| 100 \|/);
  });

  it("rejects unknown models, options and bad numbers", function () {
    assert.throws(() => parseBenchArgs(["--models", "vgg"]), /unknown vgg/);
    assert.throws(() => parseBenchArgs(["--fast"]), /unknown option --fast/);
    assert.throws(() => parseBenchArgs(["--steps", "0"]), /positive integer/);
    assert.throws(() => parseBenchArgs(["--batch-refcnn", "1.5"]), /positive integer/);
  });

  it("takes the median of odd and even counts", function () {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it("draws the same random numbers for the same seed", function () {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const draws = Array.from({ length: 5 }, () => a());
    assert.deepEqual(draws, Array.from({ length: 5 }, () => b()));
    assert.ok(draws.every((x) => x >= 0 && x < 1));
  });

  it("prints one row per model with the speed-up", function () {
    const result: ModelResult = {
      model: "refcnn", batch: 512, stock: mode("stock", 1000), project: mode("project", 12000), speedup: 12,
      ablations: [], lossGap: 0,
    };
    const table = formatTable([result], "webgpu", "NVIDIA H200").split("\n");
    assert.equal(table.length, 3);
    assert.match(table[2], /^refcnn \| 512 .*1000\.0 .*12000\.0 .*12\.00x .*100 -> 100 .*NVIDIA H200/);
  });

  it("flags final losses that drifted apart", function () {
    const result = (gap: number): ModelResult => ({
      model: "resnet", batch: 256, stock: mode("stock", 300), project: mode("project", 3000), speedup: 10,
      ablations: [], lossGap: gap,
    });
    assert.ok(lossCheck([result(1e-6)]).ok);
    const bad = lossCheck([result(0.05)]);
    assert.ok(!bad.ok);
    assert.match(bad.text, /MISMATCH/);
  });
});
