// The TensorFlow.js backend chain: tfjs-node-gpu > tfjs-node > WebGPU (Dawn) > cpu, except that tfjs-node (CPU
// only) steps aside when WebGPU has a real GPU, so on a GPU machine without tfjs-node-gpu WebGPU still wins.
//
// The first backend that actually starts wins; every skipped one is logged with its reason, so a notebook or a
// result file can say exactly what it ran on. TFJS_BACKEND overrides the order (one name, or a comma list tried
// in that order). The same code runs in tslab notebooks, tsx scripts and mocha: it only uses require() and
// process.env, which all three provide. tfjs-node(-gpu) is usable only after `bash scripts/setup-tfjs-node.sh`
// (libtensorflow from PyPI's TensorFlow wheel, the addon compiled here; npm never runs its install script).
import * as tf from "@tensorflow/tfjs-core";
import * as fs from "node:fs";
import * as path from "node:path";
import { registerFastWebGPUKernels } from "./kernels/webgpu/index";

export type BackendChoice = "node-gpu" | "node" | "webgpu" | "cpu";
export const BACKEND_ORDER: readonly BackendChoice[] = ["node-gpu", "node", "webgpu", "cpu"];
export const BACKEND_ENV = "TFJS_BACKEND";
/** Set to 0 to keep tfjs' stock WebGPU kernels instead of the project's faster ones. */
export const FAST_KERNELS_ENV = "TFJS_FAST_KERNELS";
/** Extra Dawn options for `webgpu.create()`, separated by ';' (for example `adapter=NVIDIA H100 80GB HBM3`). */
export const DAWN_FLAGS_ENV = "WEBGPU_DAWN_FLAGS";

/**
 * The options for `webgpu.create()`: $WEBGPU_DAWN_FLAGS, plus `disable-dawn-features=timestamp_quantization` unless
 * they name their own disable-dawn-features. Dawn otherwise rounds GPU timestamps down to 65.5 us (a browser's
 * defence against timing attacks), which makes per-dispatch GPU times (tf.profile, CapturedStep.profileReplay) of
 * any kernel shorter than that read 0.
 */
export function dawnFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const flags = (env[DAWN_FLAGS_ENV] ?? "").split(";").map((s) => s.trim()).filter((s) => s !== "");
  if (!flags.some((f) => f.startsWith("disable-dawn-features="))) flags.push("disable-dawn-features=timestamp_quantization");
  return flags;
}

export interface BackendInfo {
  /** What was chosen, in the chain's vocabulary. */
  choice: BackendChoice;
  /** tf.getBackend(): "tensorflow", "webgpu" or "cpu". */
  tfBackend: string;
  /** Adapter or device name (for example "NVIDIA H200" or "llvmpipe (LLVM 19.1.7, 256 bits)"). */
  device: string;
  /** Project kernels registered over tfjs' stock ones (empty when none). */
  fastKernels: string[];
  /** One line per backend tried, with the reason it was skipped or chosen. */
  log: string[];
}

/** The chain to try, from $TFJS_BACKEND or the default order. Unknown names are an error. */
export function backendOrder(env: NodeJS.ProcessEnv = process.env): BackendChoice[] {
  const raw = (env[BACKEND_ENV] ?? "").trim();
  if (raw === "") return [...BACKEND_ORDER];
  const names = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const name of names) {
    if (!(BACKEND_ORDER as readonly string[]).includes(name)) {
      throw new Error(
        `${BACKEND_ENV}=${JSON.stringify(raw)}: "${name}" is not a backend; use one or more of ` +
          `${BACKEND_ORDER.join(", ")} separated by commas, or leave it unset for that order.`,
      );
    }
  }
  return names as BackendChoice[];
}

/** A started backend names its device; a skipped one says why (one shape: tslab compiles without strict, where unions do not narrow). */
interface Attempt {
  device?: string;
  skipped?: string;
}

function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0].slice(0, 200);
}

/** What scripts/setup-tfjs-node.sh built the package from (it writes deps/SOURCE.json). */
export interface NodeSource {
  libtensorflow?: string;
  wheel?: string;
}

/** The set-up's record, or null when the package has no compiled addon (npm installs it with scripts off). */
export function tfjsNodeSetup(pkg: string): NodeSource | null {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return null;
  }
  const lib = path.join(dir, "lib");
  const addon = fs.existsSync(lib) && fs.readdirSync(lib).some((d) => fs.existsSync(path.join(lib, d, "tfjs_binding.node")));
  if (!addon) return null;
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "deps", "SOURCE.json"), "utf8")) as NodeSource;
  } catch {
    return {};
  }
}

/** Where a package resolves from, when that is not the project's own node_modules (NODE_PATH on the GPU host). */
function resolvedElsewhere(pkg: string): string | null {
  try {
    const dir = path.dirname(require.resolve(`${pkg}/package.json`));
    return dir.startsWith(path.resolve(__dirname, "..", "node_modules") + path.sep) ? null : dir;
  } catch {
    return null;
  }
}

/** True where an NVIDIA driver is visible (device nodes or its /proc folder): only there can tfjs-node-gpu find a GPU. */
function nvidiaDriverPresent(): boolean {
  try {
    if (fs.readdirSync("/dev").some((n) => /^nvidia(\d+|ctl)$/.test(n))) return true;
  } catch {
    // no /dev listing
  }
  return fs.existsSync("/proc/driver/nvidia");
}

/** tfjs-node and tfjs-node-gpu register the "tensorflow" backend on require (they need libtensorflow). */
async function tryNode(pkg: string, wantGpu: boolean): Promise<Attempt> {
  try {
    require.resolve(pkg);
  } catch {
    return { skipped: `${pkg} is not installed (optional dependency: run npm ci${wantGpu ? "; on the GPU host, NODE_PATH=/tmp/gpu/tfgpu/node_modules from scripts/remote-tfjs-node-gpu.sh" : ""})` };
  }
  const source = tfjsNodeSetup(pkg);
  if (!source) {
    return { skipped: `${pkg} is not set up (no compiled addon): bash scripts/setup-tfjs-node.sh${wantGpu ? " --gpu" : ""}` };
  }
  if (wantGpu && !nvidiaDriverPresent()) {
    // Loading it would map libtensorflow's CUDA build (1 GB) only to find no device, and take the "tensorflow"
    // backend name that tfjs-node needs next in the chain.
    return { skipped: `no NVIDIA GPU on this machine (no /dev/nvidia*, no /proc/driver/nvidia): ${pkg} not loaded` };
  }
  const elsewhere = resolvedElsewhere(pkg);
  try {
    // TensorFlow's C++ logging would print its CPU-feature notice on every start (into notebook outputs too). On a
    // GPU its warnings stay visible: they name a CUDA library it could not open, which is why a GPU would be missing.
    if (process.env.TF_CPP_MIN_LOG_LEVEL === undefined) process.env.TF_CPP_MIN_LOG_LEVEL = wantGpu ? "1" : "2";
    require(pkg);
    if (!(await tf.setBackend("tensorflow"))) return { skipped: `${pkg} loaded but its backend did not start` };
    const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean; binding?: { TF_Version?: string } };
    if (wantGpu && backend.isUsingGpuDevice === false) {
      return {
        skipped:
          `${pkg} loaded but TensorFlow registered no CUDA GPU (its warnings above name the cause: a CUDA library it ` +
          `could not dlopen, searched in LD_LIBRARY_PATH=${process.env.LD_LIBRARY_PATH ?? ""}, or cuInit failing)`,
      };
    }
    const version = backend.binding?.TF_Version ?? "unknown version";
    const from = source.libtensorflow ? `, from PyPI's ${source.libtensorflow} wheel` : "";
    const where = elsewhere ? `, package in ${elsewhere}` : "";
    const device = wantGpu ? `CUDA GPU${nvidiaModel() ? ` ${nvidiaModel()}` : ""}` : "CPU";
    return { device: `${device} (libtensorflow ${version}${from}${where})` };
  } catch (e) {
    return { skipped: `${pkg} failed to load: ${errorText(e)}` };
  }
}

export interface DawnAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

/** The GPU's model name from the NVIDIA driver (Dawn's adapter info only names the driver version). */
function nvidiaModel(): string | null {
  try {
    const dir = "/proc/driver/nvidia/gpus";
    const first = fs.readdirSync(dir).sort()[0];
    const match = /^Model:\s*(.+)$/m.exec(fs.readFileSync(path.join(dir, first, "information"), "utf8"));
    return match ? match[1].trim() : null;
  } catch {
    return null;
  }
}

function adapterName(info: DawnAdapterInfo | undefined): string {
  if (!info) return "unknown WebGPU adapter";
  const model = info.vendor === "nvidia" ? nvidiaModel() : null;
  const parts = [model, info.description, info.vendor && `vendor ${info.vendor}`, info.architecture]
    .filter((s): s is string => !!s && s.trim() !== "");
  return parts.length > 0 ? parts.join(", ") : "unnamed WebGPU adapter";
}

/** True for an adapter that runs on the CPU (Mesa's lavapipe/llvmpipe, SwiftShader, a fallback adapter). */
export function isSoftwareAdapter(info: DawnAdapterInfo | undefined, fallback = false): boolean {
  if (fallback) return true;
  if (!info) return false;
  return info.architecture === "software" || /llvmpipe|lavapipe|swiftshader/i.test(`${info.description ?? ""} ${info.device ?? ""}`);
}

interface Adapter {
  info?: DawnAdapterInfo;
  isFallbackAdapter?: boolean;
}

let adapterProbe: Promise<{ adapter: Adapter | null; error?: string }> | null = null;

/** Dawn's adapter (once per process), creating navigator.gpu from the npm `webgpu` package where needed. */
function probeAdapter(env: NodeJS.ProcessEnv): Promise<{ adapter: Adapter | null; error?: string }> {
  if (!adapterProbe) {
    adapterProbe = (async () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const g = globalThis as any;
      try {
        if (!g.navigator?.gpu) {
          const dawn = require("webgpu") as { create: (flags: string[]) => unknown; globals: object };
          Object.assign(globalThis, dawn.globals);
          Object.defineProperty(globalThis, "navigator", {
            value: { gpu: dawn.create(dawnFlags(env)) },
            configurable: true,
            writable: true,
          });
        }
        return { adapter: (await g.navigator.gpu.requestAdapter({ powerPreference: "high-performance" })) as Adapter | null };
      } catch (e) {
        return { adapter: null, error: `Dawn (npm webgpu) failed to start: ${errorText(e)}` };
      }
    })();
  }
  return adapterProbe;
}

/** GPU device nodes (NVIDIA's, or any DRM render node); without one no WebGPU adapter can be a real GPU. */
function gpuDeviceNodes(): string[] {
  const found: string[] = [];
  for (const [dir, pattern] of [["/dev", /^nvidia\d+$/], ["/dev/dri", /^renderD\d+$/]] as const) {
    try {
      for (const name of fs.readdirSync(dir)) if (pattern.test(name)) found.push(`${dir}/${name}`);
    } catch {
      // no such folder
    }
  }
  return found;
}

/**
 * Why tfjs-node (TensorFlow on the CPU) should give way to WebGPU, or null when it should not: only when WebGPU
 * has a real GPU. Without a GPU device node nothing is probed (tfjs-node starts without loading Dawn).
 */
async function gpuUsableThroughWebGPU(env: NodeJS.ProcessEnv): Promise<string | null> {
  if (gpuDeviceNodes().length === 0) return null;
  const { adapter } = await probeAdapter(env);
  if (!adapter || isSoftwareAdapter(adapter.info, adapter.isFallbackAdapter)) return null;
  return adapterName(adapter.info);
}

/** Dawn through the npm `webgpu` package; it needs a Vulkan driver (lavapipe on CPU-only machines). */
async function tryWebGPU(env: NodeJS.ProcessEnv): Promise<Attempt> {
  const { adapter, error } = await probeAdapter(env);
  if (error) return { skipped: error };
  if (!adapter) {
    return {
      skipped:
        "no WebGPU adapter: Dawn found no Vulkan driver (install one; on CPU-only machines Mesa 25 lavapipe: " +
        "apt-get install -t bookworm-backports mesa-vulkan-drivers)",
    };
  }
  try {
    require("@tensorflow/tfjs-backend-webgpu");
    if (!(await tf.setBackend("webgpu"))) return { skipped: "tfjs-backend-webgpu did not start" };
    return { device: adapterName(adapter.info) };
  } catch (e) {
    return { skipped: `tfjs-backend-webgpu failed: ${errorText(e)}` };
  }
}

async function tryCpu(): Promise<Attempt> {
  require("@tensorflow/tfjs-backend-cpu");
  if (!(await tf.setBackend("cpu"))) return { skipped: "the cpu backend did not start" };
  return { device: "CPU (pure JavaScript; far too slow for anything but tiny runs)" };
}

async function attempt(choice: BackendChoice, env: NodeJS.ProcessEnv): Promise<Attempt> {
  switch (choice) {
    case "node-gpu":
      return tryNode("@tensorflow/tfjs-node-gpu", true);
    case "node":
      return tryNode("@tensorflow/tfjs-node", false);
    case "webgpu":
      return tryWebGPU(env);
    case "cpu":
      return tryCpu();
  }
}

let chosen: Promise<BackendInfo> | null = null;

/**
 * Starts the first working backend of the chain (once per process; later calls return the same answer) and
 * prints what it chose and why, unless `quiet`.
 */
export function initBackend(options: { quiet?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<BackendInfo> {
  if (!chosen) {
    chosen = selectBackend(options.env ?? process.env);
    chosen.catch(() => (chosen = null));
  }
  return chosen.then((info) => {
    if (!options.quiet) console.log(describeBackend(info));
    return info;
  });
}

async function selectBackend(env: NodeJS.ProcessEnv): Promise<BackendInfo> {
  const order = backendOrder(env);
  const log: string[] = [];
  const explicit = (env[BACKEND_ENV] ?? "").trim() !== "";
  for (const choice of order) {
    if (choice === "node" && !explicit && order.includes("webgpu")) {
      const gpu = await gpuUsableThroughWebGPU(env);
      if (gpu) {
        log.push(`node: skipped, a GPU is usable through WebGPU (${gpu}) and tfjs-node runs on the CPU only (${BACKEND_ENV}=node forces it)`);
        continue;
      }
    }
    const result = await attempt(choice, env);
    if (result.device === undefined) {
      log.push(`${choice}: skipped, ${result.skipped}`);
      continue;
    }
    const device = result.device;
    log.push(`${choice}: chosen (${device})`);
    if (choice === "node") {
      const nodes = gpuDeviceNodes();
      log.push(
        nodes.length === 0
          ? "node: no GPU on this machine (no /dev/nvidia*, /dev/dri/renderD*): TensorFlow's CPU kernels beat WebGPU on a software Vulkan driver"
          : `node: WebGPU offers no real GPU here (only a software adapter, or none) despite ${nodes.join(", ")}`,
      );
    }
    const fastKernels = choice === "webgpu" && env[FAST_KERNELS_ENV] !== "0" ? registerFastWebGPUKernels() : [];
    if (choice === "webgpu") {
      log.push(
        fastKernels.length > 0
          ? `webgpu: project kernels over the stock ones: ${fastKernels.join(", ")} (${FAST_KERNELS_ENV}=0 turns them off)`
          : `webgpu: stock tfjs kernels only`,
      );
    }
    return { choice, tfBackend: tf.getBackend(), device, fastKernels, log };
  }
  throw new Error(
    `No TensorFlow.js backend could start (tried ${order.join(", ")}):\n  ${log.join("\n  ")}\n` +
      `Unset ${BACKEND_ENV} to try the whole chain, or install one of the backends above.`,
  );
}

export function describeBackend(info: BackendInfo): string {
  return [`backend: ${info.choice} (tf.getBackend() = ${info.tfBackend}), device: ${info.device}`, ...info.log.map((l) => `  ${l}`)].join("\n");
}

/**
 * Starts one backend now and makes it current, whatever the chain chose (for tests of the project's WebGPU kernels,
 * which must run on WebGPU even where the chain picks tfjs-node). On webgpu the project kernels are registered
 * unless TFJS_FAST_KERNELS=0. Resolves to the device, or to the reason it could not start.
 */
export async function switchBackend(choice: BackendChoice, env: NodeJS.ProcessEnv = process.env): Promise<{ device?: string; skipped?: string }> {
  if (choice === "webgpu" && tf.findBackend("webgpu") && (await tf.setBackend("webgpu"))) {
    const { adapter } = await probeAdapter(env);
    if (env[FAST_KERNELS_ENV] !== "0") registerFastWebGPUKernels();
    return { device: adapterName(adapter?.info) };
  }
  const result = await attempt(choice, env);
  if (result.device !== undefined && choice === "webgpu" && env[FAST_KERNELS_ENV] !== "0") registerFastWebGPUKernels();
  return result;
}
