// Programs with several outputs (tfjs' runWebGPUProgram binds exactly one), dispatched through the backend's own
// recordAndSubmit so they share its command encoder, submit batching, buffer recycling and tf.profile timers.
//
// recordAndSubmit binds [output, ...inputs, uniforms] and fills the uniform buffer with NaN, Infinity, then the
// shape and strides of every input and of the output, then the program's own values. We hand it our first output
// as "output" and the remaining outputs after the real inputs; the shader we compile ourselves declares those as
// read_write. Every tensor is bound as a flat rank-1 view, so each shape and stride is a single i32.
import * as tf from "@tensorflow/tfjs-core";
import { ProgramUniform } from "./program";

interface TensorData {
  resource: unknown;
}

/** The private part of tfjs-backend-webgpu 4.22's WebGPUBackend that this module relies on. */
export interface WebGPUBackendInternals {
  device: {
    createShaderModule(descriptor: { code: string; label?: string }): unknown;
    createComputePipeline(descriptor: { layout: "auto"; compute: { module: unknown; entryPoint: string }; label?: string }): unknown;
  };
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  uploadToGPU(dataId: tf.DataId): void;
  recordAndSubmit(program: object, output: tf.TensorInfo, inputs: tf.TensorInfo[], uniforms: ProgramUniform[]): void;
  tensorMap: { get(dataId: tf.DataId): TensorData };
}

export interface MultiOutputShader {
  /** Pipeline cache key: one compiled pipeline per key and device. */
  key: string;
  /** Read-only storage arrays of f32, in binding order. */
  inputs: string[];
  /** read_write storage arrays of f32, at least one. */
  outputs: string[];
  /** Scalar uniforms, read in the shader as uniforms.<name>. */
  uniforms: { name: string; type: "f32" | "i32" }[];
  workgroupSize: number;
  /** WGSL defining `fn run(index : i32)`, called once per thread with its flat index. */
  body: string;
}

/** The dispatched object recordAndSubmit sees: its class name is what profiles and launch counts show. */
export class MultiOutputProgram {
  constructor(public pipeline: unknown, public dispatch: [number, number, number]) {}
}

function shaderSource(s: MultiOutputShader): string {
  const bound = [...s.inputs, ...s.outputs.slice(1), s.outputs[0]]; // recordAndSubmit's uniform order
  const fields = [
    "NAN : f32", "INFINITY : f32",
    ...bound.flatMap((name) => [`${name}Size : i32`, `${name}Stride : i32`]),
    ...s.uniforms.map((u) => `${u.name} : ${u.type}`),
  ];
  const decl = (binding: number, name: string, access: string) =>
    `@group(0) @binding(${binding}) var<storage, ${access}> ${name} : array<f32>;`;
  return [
    `struct Uniforms { ${fields.join(", ")} };`,
    decl(0, s.outputs[0], "read_write"),
    ...s.inputs.map((name, i) => decl(1 + i, name, "read")),
    ...s.outputs.slice(1).map((name, i) => decl(1 + s.inputs.length + i, name, "read_write")),
    `@group(0) @binding(${s.inputs.length + s.outputs.length}) var<uniform> uniforms : Uniforms;`,
    s.body,
    `@compute @workgroup_size(${s.workgroupSize})
fn main(@builtin(workgroup_id) wg : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>,
        @builtin(local_invocation_index) local : u32) {
  run(i32((wg.y * groups.x + wg.x) * ${s.workgroupSize}u + local));
}`,
  ].join("\n");
}

const pipelines = new WeakMap<object, Map<string, unknown>>();

function pipelineFor(backend: WebGPUBackendInternals, shader: MultiOutputShader, label: string): unknown {
  let cache = pipelines.get(backend);
  if (!cache) pipelines.set(backend, (cache = new Map()));
  let pipeline = cache.get(shader.key);
  if (!pipeline) {
    const module = backend.device.createShaderModule({ code: shaderSource(shader), label });
    pipeline = backend.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" }, label });
    cache.set(shader.key, pipeline);
  }
  return pipeline;
}

/** 1-D grid of `threads` threads, folded into 2-D when it exceeds the 65,535 workgroups a dimension allows. */
function gridFor(threads: number, workgroupSize: number): [number, number, number] {
  const groups = Math.ceil(threads / workgroupSize);
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x), 1];
}

const flat = (t: tf.TensorInfo): tf.TensorInfo => ({ dataId: t.dataId, shape: [tf.util.sizeFromShape(t.shape)], dtype: t.dtype });

/**
 * Runs `shader` over `threads` flat indices and returns new float32 outputs of the given shapes (backend tensor
 * infos: wrap them with tf.engine().makeTensorFromTensorInfo). `program` names the dispatch in profiles.
 */
export function runMultiOutput(
  backend: WebGPUBackendInternals,
  programClass: new (pipeline: unknown, dispatch: [number, number, number]) => MultiOutputProgram,
  shader: MultiOutputShader,
  inputs: tf.TensorInfo[],
  outputShapes: number[][],
  threads: number,
  uniforms: number[],
): tf.TensorInfo[] {
  const outputs = outputShapes.map((shape) => backend.makeTensorInfo(shape, "float32"));
  for (const t of [...inputs, ...outputs]) backend.uploadToGPU(t.dataId);
  const pipeline = pipelineFor(backend, shader, programClass.name);
  const program = new programClass(pipeline, gridFor(threads, shader.workgroupSize));
  const values: ProgramUniform[] = shader.uniforms.map((u, i) => ({ type: u.type === "f32" ? "float32" : "int32", data: [uniforms[i]] }));
  backend.recordAndSubmit(program, flat(outputs[0]), [...inputs, ...outputs.slice(1)].map(flat), values);
  return outputs;
}
