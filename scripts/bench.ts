// npm run bench: training images/s of the two bench models, tfjs' stock WebGPU kernels vs the project's, in one
// process. Also runs as a plain CommonJS bundle (esbuild scripts/bench.ts --bundle --platform=node).
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend";
import { formatAblations, formatProfile, formatTable, gitCommit, lossCheck, parseBenchArgs, parseConv2DVariant, SAME_LOSS_TOLERANCE } from "../lib/bench/report";
import { benchmarkModel, ModelResult } from "../lib/bench/runner";
import { CAPTURED_BENCH_BATCH, CapturedBenchResult, benchmarkCaptured, compareConv2D, formatCaptured, formatCapturedProfile } from "../lib/bench/captured";
import { timestampQueriesSupported } from "../lib/kernels/webgpu/capture";
import { conv2DTiles, setConv2DTiles } from "../lib/kernels/webgpu/conv2d";
import { setFastWebGPUKernels, setProjectConv2D } from "../lib/kernels/webgpu/index";

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const info = await initBackend();
  const results: ModelResult[] = [];
  for (const model of args.capturedOnly ? [] : args.models) {
    const batch = args.batch[model];
    console.log(`\n${model}: batch ${batch}, ${args.warmup} warm-up + ${args.steps} timed steps ...`);
    const options = { steps: args.steps, warmup: args.warmup, seed: args.seed, profile: args.profile, ablate: args.ablate };
    const result = await benchmarkModel(model, batch, options);
    for (const mode of [result.stock, result.project, ...result.ablations]) {
      if (!mode) continue;
      console.log(`  ${mode.mode}: ${mode.imagesPerSec.toFixed(1)} img/s (median step ${mode.medianStepMs.toFixed(1)} ms, ` +
        `host ${mode.medianHostMs?.toFixed(1) ?? "-"} ms), ` +
        `${mode.launchesPerStep ?? "-"} launches/step, ${mode.uploadsPerStep ?? "-"} uploads/step, losses ${mode.losses.map((l) => l.toFixed(4)).join(" ")}`);
      if (mode.profile) console.log(formatProfile(model, mode.mode, mode.profile));
    }
    results.push(result);
  }
  if (results.length > 0) {
    console.log(`\n${formatTable(results, info.tfBackend, info.device)}`);
    const losses = lossCheck(results);
    if (losses.text) console.log(`\nSame-loss check (same weights, data and steps):\n${losses.text}`);
    if (!losses.ok) process.exitCode = 2;
    if (args.ablate) console.log(`\nLeave-one-out (project kernels minus one):\n${formatAblations(results)}`);
  }
  const captured: CapturedBenchResult[] = [];
  if (args.captured && info.tfBackend === "webgpu") {
    let profile = args.profile;
    if (profile && !timestampQueriesSupported()) {
      console.log("\n--profile: this WebGPU device has no timestamp queries ('timestamp-query' feature): replayed steps are not profiled");
      profile = false;
    }
    // All project kernels (the trainOnBatch bench may have left one out), then each forward-convolution variant.
    setFastWebGPUKernels(true);
    const defaultTiles = conv2DTiles();
    for (const model of args.capturedModels) {
      const batch = args.capturedBatch ?? CAPTURED_BENCH_BATCH[model];
      for (const variant of args.conv2d ?? [null]) {
        if (variant) {
          const { project, tiles } = parseConv2DVariant(variant);
          setConv2DTiles(tiles ?? defaultTiles);
          setProjectConv2D(project);
        }
        console.log(`\ncaptured ${model}: batch ${batch}${variant ? `, forward conv ${variant}` : ""} ...`);
        const result = await benchmarkCaptured(model, batch, args.steps, args.warmup, args.seed, { profile });
        if (result.capturedProfile) console.log(formatCapturedProfile(result));
        captured.push(result);
      }
    }
    console.log(`\nTraining-loop step, eager vs captured (${info.device}):\n${formatCaptured(captured)}`);
    if (captured.some((r) => !(r.lossGap <= 1e-4))) {
      console.log("captured losses differ from eager ones by more than 1e-4 (relative)");
      process.exitCode = 2;
    }
    const conv = compareConv2D(captured);
    if (conv.text) {
      console.log(`\nForward convolution variants (captured steps, same weights and data):\n${conv.text}`);
      if (!(conv.maxGap <= SAME_LOSS_TOLERANCE)) {
        console.log(`MISMATCH: the forward-convolution variants' losses differ by more than ${SAME_LOSS_TOLERANCE}`);
        process.exitCode = 2;
      }
    }
  }
  if (args.json) {
    const record = {
      date: new Date().toISOString(),
      commit: gitCommit(),
      backend: info.tfBackend,
      device: info.device,
      tfjsVersion: tf.version_core,
      node: process.version,
      args,
      results,
      captured,
    };
    fs.writeFileSync(args.json, JSON.stringify(record, null, 2));
    console.log(`wrote ${args.json}`);
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  },
);
