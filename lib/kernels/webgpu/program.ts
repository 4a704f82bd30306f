// The slice of tfjs-backend-webgpu 4.22's program interface that the project's kernels use, typed locally so lib/
// needs neither the WebGPU DOM types nor the package itself at compile time (it is loaded only once Dawn is up).
//
// A program is run by backend.runWebGPUProgram, which prepends tfjs' header to getUserCode(): bindings `result`
// (output, binding 0) and one read-only array per variableNames entry, `uniforms` with <name>Shape /
// <name>ShapeStrides for every input, outShape / outShapeStrides, then the program's own `uniforms` fields, and
// the private globals localId, localIndex, globalId, workgroupId, numWorkgroups. The code must define
// `fn main()` (the entry point calls main(); a flat dispatch layout would call main(index) instead).
import * as tf from "@tensorflow/tfjs-core";

export interface WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms?: string;
  workgroupSize: [number, number, number];
  /** Elements per binding entry of each input (4: the binding is array<vec4<f32>>); default outputComponent. */
  variableComponents?: number[];
  /** Elements per entry of `result` (4: array<vec4<f32>>); default 1. */
  outputComponent?: number;
  getUserCode(): string;
}

export interface ProgramUniform {
  type: "int32" | "uint32" | "float32";
  data: number[];
}

export interface WebGPUBackendLike {
  runWebGPUProgram(
    program: WebGPUProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: ProgramUniform[],
    output?: tf.TensorInfo,
  ): tf.TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/**
 * A dispatch layout that is not flat, so tfjs calls `fn main()` and lets the program derive every index from
 * workgroupId / localId itself (rank 2 never matches our outputs' rank, so tfjs adds no getOutputCoords).
 */
export const SELF_INDEXED_LAYOUT = { x: [0], y: [1] };

export const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

export const i32 = (...data: number[]): ProgramUniform => ({ type: "int32", data });

/**
 * WGSL of the GEMM kernels' inner product over one TK-deep pair of staged tiles: each thread adds a 4 x 4 block of
 * A-column (vec4 of 4 rows) times B-row (vec4 of 4 columns) products into its `acc` (array<vec4<f32>, 4>).
 */
export function tileProduct(TK: number, TM: number, TN: number): string {
  return `for (var kk = 0; kk < ${TK}; kk++) {
        let a = tileA[kk * ${TM / 4} + i32(localId.y)];
        let b = tileB[kk * ${TN / 4} + i32(localId.x)];
        acc[0] += a.x * b;
        acc[1] += a.y * b;
        acc[2] += a.z * b;
        acc[3] += a.w * b;
      }`;
}
