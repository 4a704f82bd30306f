// Checks @tensorflow/tfjs-node-gpu where it was unpacked (issue 13; run by `scripts/remote-tfjs-node-gpu.sh check`
// on the GPU host, or here with NODE_PATH pointing at an unpacked copy). Plain CommonJS: the host has node and no
// node_modules. Prints one JSON line: whether TensorFlow registered a GPU, the devices it lists, and whether a
// conv2d, its filter gradient and a matMul on the tensorflow backend agree with the package's own cpu backend, and
// how long they take at the study network's scale.
// Exit status: 0 on a GPU with matching results, 2 when TensorFlow runs but sees no GPU, 1 on anything else.
"use strict";
if (process.env.TF_CPP_MIN_LOG_LEVEL === undefined) process.env.TF_CPP_MIN_LOG_LEVEL = "1";
const started = Date.now();
const out = { package: "@tensorflow/tfjs-node-gpu" };
let tf;
try {
  out.resolved = require.resolve("@tensorflow/tfjs-node-gpu");
  tf = require("@tensorflow/tfjs-node-gpu");
} catch (e) {
  out.error = `could not load: ${String(e && e.message).split("\n")[0]}`;
  console.log(JSON.stringify(out));
  process.exit(1);
}
out.loadSeconds = (Date.now() - started) / 1000;
const backend = tf.backend();
out.backend = tf.getBackend();
out.tensorflow = backend.binding && backend.binding.TF_Version;
out.isUsingGpuDevice = backend.isUsingGpuDevice;

function time(fn, reps) {
  fn().dataSync(); // warm-up (cuDNN/cuBLAS initialisation, autotuning)
  const t0 = process.hrtime.bigint();
  let r;
  for (let i = 0; i < reps; i++) {
    if (r) r.dispose();
    r = fn();
  }
  const values = r.dataSync();
  r.dispose();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6 / reps, values };
}

// The largest difference relative to the largest value (TensorFlow uses TF32 on Hopper unless NVIDIA_TF32_OVERRIDE=0).
function maxRelDiff(a, b) {
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

try {
  // Agreement with the cpu backend on small shapes (the pure-JavaScript reference is slow).
  const x = tf.randomUniform([4, 16, 16, 32], -1, 1, "float32", 1);
  const w = tf.randomUniform([3, 3, 32, 64], -0.1, 0.1, "float32", 2);
  const a = tf.randomUniform([256, 256], -1, 1, "float32", 3);
  const ops = {
    conv: (x, w) => tf.relu(tf.conv2d(x, w, 1, "same")),
    convGrad: (x, w) => tf.grad((k) => tf.conv2d(x, k, 1, "same").square().mean())(w),
    matMul: (a) => tf.matMul(a, a),
  };
  const args = { conv: [x, w], convGrad: [x, w], matMul: [a] };
  const onTf = {};
  for (const k of Object.keys(ops)) onTf[k] = tf.tidy(() => ops[k](...args[k])).dataSync();
  // Timings on the study network's scale (batch 256 of 32x32 images), tensorflow backend only.
  const xb = tf.randomUniform([256, 32, 32, 64], -1, 1, "float32", 4);
  const wb = tf.randomUniform([3, 3, 64, 64], -0.1, 0.1, "float32", 5);
  const ab = tf.randomUniform([2048, 2048], -1, 1, "float32", 6);
  const reps = out.isUsingGpuDevice ? 20 : 1;
  out.timingsMs = {
    conv: Number(time(() => tf.tidy(() => ops.conv(xb, wb)), reps).ms.toFixed(3)),
    convGrad: Number(time(() => tf.tidy(() => ops.convGrad(xb, wb)), reps).ms.toFixed(3)),
    matMul: Number(time(() => tf.tidy(() => ops.matMul(ab)), reps).ms.toFixed(3)),
  };
  tf.setBackend("cpu");
  out.checks = {};
  for (const k of Object.keys(ops)) {
    const cpuArgs = args[k].map((t) => tf.tensor(t.dataSync(), t.shape));
    const diff = maxRelDiff(onTf[k], tf.tidy(() => ops[k](...cpuArgs)).dataSync());
    out.checks[k] = { maxRelDiff: Number(diff.toPrecision(3)), ok: diff < 1e-2 };
  }
} catch (e) {
  out.error = `op failed: ${String(e && e.message).split("\n")[0]}`;
}
out.seconds = (Date.now() - started) / 1000;
console.log(JSON.stringify(out));
if (out.error || !Object.values(out.checks || {}).every((c) => c.ok)) process.exit(1);
process.exit(out.isUsingGpuDevice ? 0 : 2);
