// Loss parity of the project's training tasks across backends: tiny versions (lib/bench/parity.ts) trained step by
// step from the same weights on tfjs-node, WebGPU and the cpu backend; prints each step's largest relative gap
// to cpu. Backends that do not start here are left out with the reason.
//   npx tsx scripts/compare-backends.ts [--backends node,webgpu,cpu]
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { BackendChoice, initBackend, switchBackend } from "../lib/backend";
import { PARITY_SETUPS, initialWeights, relativeGaps, stepLosses } from "../lib/bench/parity";

async function main(): Promise<void> {
  const arg = process.argv.indexOf("--backends");
  const wanted = (arg > 0 ? process.argv[arg + 1] : "node,webgpu,cpu").split(",") as BackendChoice[];
  await initBackend({ quiet: true });
  const backends: BackendChoice[] = [];
  for (const b of wanted) {
    const ok = b === "node" ? !!tf.findBackend("tensorflow") : (await switchBackend(b)).device !== undefined;
    if (ok) backends.push(b);
    else console.log(`${b}: not available here, left out`);
  }
  if (!backends.includes("cpu")) throw new Error("the cpu backend is the reference: keep it in --backends");
  for (const setup of PARITY_SETUPS) {
    await tf.setBackend("cpu");
    const initial = initialWeights(setup);
    const losses = new Map<BackendChoice, number[]>();
    for (const b of backends) {
      const started = Date.now();
      losses.set(b, await stepLosses(b, setup, initial));
      console.error(`  ${setup.name}: ${b} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const cpu = losses.get("cpu")!;
    console.log(`\n${setup.name}: ${cpu.length} steps, cpu loss ${cpu[0].toFixed(5)} -> ${cpu[cpu.length - 1].toFixed(5)}`);
    for (const b of backends.filter((b) => b !== "cpu")) {
      const gaps = relativeGaps(losses.get(b)!, cpu);
      console.log(`  ${b.padEnd(7)} vs cpu: largest relative gap ${Math.max(...gaps).toExponential(2)}, per step ${gaps.map((g) => g.toExponential(1)).join(" ")}`);
    }
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
