// Conv2DBackpropInput (the input gradient of a 2-D convolution, NHWC) as an implicit GEMM.
//
//   dx[m, n] = sum_k A[m, k] * B[k, n],  m = (b, ih, iw) < M = batch*H*W,  n = ci < N = Cin,
//                                        k = (kh, kw, co) < K = KH*KW*Cout,
//   A[m, k] = dy[b, oh, ow, co] where ih = oh*strideH - padTop + kh (and likewise for w), else 0,
//   B[k, n] = filter[kh, kw, ci, co].
//
// tfjs' default (WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE) is a direct loop per output with no data reuse through
// workgroup memory. Here a workgroup computes a TM x TN tile of dx from TK-deep tiles of A and B staged in
// workgroup memory, 4x4 outputs per thread; K is read in groups of 4 consecutive co, so with Cout % 4 == 0 each
// group is one contiguous read of dy and of the filter and needs one (kh, kw, co) decomposition.
import * as tf from "@tensorflow/tfjs-core";
import { ceilDiv, i32, SELF_INDEXED_LAYOUT, tileProduct, WebGPUBackendLike, WebGPUProgram } from "./program";

const TK = 16;
const TILE_M = 64;
const MAX_WORKGROUPS_PER_DIMENSION = 65535;

class ConvDerInputGemmProgram implements WebGPUProgram {
  variableNames = ["dy", "W"];
  uniforms = "M : i32, N : i32, K : i32, filterWidth : i32, pads : vec2<i32>,";
  dispatchLayout = SELF_INDEXED_LAYOUT;
  workgroupSize: [number, number, number];
  dispatch: [number, number, number];
  shaderKey: string;
  private tileN: number;
  /** Cout % 4 == 0: the 4 k of a group share (kh, kw) and are contiguous in dy and in the filter. */
  private groupedK: boolean;

  /** Strides are compiled in: dividing by a constant 1 or 2 costs nothing, by a uniform ~20 instructions. */
  constructor(public outputShape: number[], M: number, N: number, outChannels: number, private strides: [number, number]) {
    this.tileN = N <= 16 ? 16 : N <= 32 ? 32 : 64;
    this.groupedK = outChannels % 4 === 0;
    this.workgroupSize = [this.tileN / 4, TILE_M / 4, 1];
    this.dispatch = [ceilDiv(N, this.tileN), ceilDiv(M, TILE_M), 1];
    this.shaderKey = `projectConvDerInputGemm_${this.tileN}_${this.groupedK}_${strides.join("x")}`;
  }

  getUserCode(): string {
    const TM = TILE_M;
    const TN = this.tileN;
    const WG = (TM * TN) / 16;
    const rowsA = 64 / TN; // A groups (one m, 4 consecutive k) per thread and K tile
    const rowsB = 64 / TM; // B groups (one n, 4 consecutive k)
    const [SH, SW] = this.strides;
    const unroll = (count: number, body: (r: number) => string) => Array.from({ length: count }, (_, r) => body(r)).join("\n");
    // dy element (kh, kw, co) = kc for pixel p, or 0 where no output position maps onto p.
    const readDy = (kc: string, kValid: string, assign: (base: string) => string) => `{
          let hNum = p.y - ${kc}.x;
          let wNum = p.z - ${kc}.y;
          let oh = hNum / ${SH};
          let ow = wNum / ${SW};
          if (p.w == 1 && ${kValid} && hNum >= 0 && wNum >= 0 && oh * ${SH} == hNum && ow * ${SW} == wNum &&
              oh < outH && ow < outW) {
            let base = ((p.x * outH + oh) * outW + ow) * cout + ${kc}.z;
            ${assign("base")}
          }
        }`;
    const filterIndex = (kc: string) => `((${kc}.x * uniforms.filterWidth + ${kc}.y) * uniforms.N + n) * cout + ${kc}.z`;
    // With Cout % 4 == 0 the group's 4 k share (kh, kw): one decomposition, one bounds check, 4 contiguous reads.
    const loadA = this.groupedK
      ? readDy("kGroup", "k < uniforms.K", (base) => `v = vec4<f32>(dy[${base}], dy[${base} + 1], dy[${base} + 2], dy[${base} + 3]);`)
      : `for (var c = 0; c < 4; c++) {
          let kc = splitK(k + c);
          ${readDy("kc", "k + c < uniforms.K", (base) => `v[c] = dy[${base}];`)}
        }`;
    const loadB = this.groupedK
      ? `if (n < uniforms.N && k < uniforms.K) {
          let base = ${filterIndex("kGroup")};
          v = vec4<f32>(W[base], W[base + 1], W[base + 2], W[base + 3]);
        }`
      : `for (var c = 0; c < 4; c++) {
          let kc = splitK(k + c);
          if (n < uniforms.N && k + c < uniforms.K) {
            v[c] = W[${filterIndex("kc")}];
          }
        }`;
    return `
  var<workgroup> tileA : array<vec4<f32>, ${(TK * TM) / 4}>;
  var<workgroup> tileB : array<vec4<f32>, ${(TK * TN) / 4}>;

  fn splitK(k : i32) -> vec3<i32> {
    let cout = uniforms.dyShape.w;
    let kh = k / (uniforms.filterWidth * cout);
    let rest = k - kh * uniforms.filterWidth * cout;
    let kw = rest / cout;
    return vec3<i32>(kh, kw, rest - kw * cout);
  }

  fn main() {
    let H = uniforms.outShape.y;
    let Wd = uniforms.outShape.z;
    let outH = uniforms.dyShape.y;
    let outW = uniforms.dyShape.z;
    let cout = uniforms.dyShape.w;
    let lid = i32(localIndex);
    let nBase = i32(workgroupId.x) * ${TN};
    let mBase = i32(workgroupId.y) * ${TM};
    let kq = lid % 4;

    // The output pixels m this thread stages rows of A for: fixed for the whole loop.
    var pixel : array<vec4<i32>, ${rowsA}>; // (b, ih + padTop, iw + padLeft, valid)
    for (var r = 0; r < ${rowsA}; r++) {
      let m = mBase + lid / 4 + r * ${WG / 4};
      let b = m / (H * Wd);
      let rest = m - b * H * Wd;
      let ih = rest / Wd;
      pixel[r] = vec4<i32>(b, ih + uniforms.pads.x, rest - ih * Wd + uniforms.pads.y, select(0, 1, m < uniforms.M));
    }

    var acc : array<vec4<f32>, 4>;
    let kTiles = (uniforms.K + ${TK - 1}) / ${TK};
    for (var t = 0; t < kTiles; t++) {
      let k = t * ${TK} + kq * 4;
      let kGroup = splitK(k);
      ${unroll(rowsA, (r) => `{
        let p = pixel[${r}];
        var v = vec4<f32>(0.0);
        ${loadA}
        let mLocal = lid / 4 + ${r * (WG / 4)};
        for (var c = 0; c < 4; c++) {
          tileA[(kq * 4 + c) * ${TM / 4} + mLocal / 4][mLocal % 4] = v[c];
        }
      }`)}
      ${unroll(rowsB, (r) => `{
        let nLocal = lid / 4 + ${r * (WG / 4)};
        let n = nBase + nLocal;
        var v = vec4<f32>(0.0);
        ${loadB}
        for (var c = 0; c < 4; c++) {
          tileB[(kq * 4 + c) * ${TN / 4} + nLocal / 4][nLocal % 4] = v[c];
        }
      }`)}
      workgroupBarrier();
      ${tileProduct(TK, TM, TN)}
      workgroupBarrier();
    }

    for (var i = 0; i < 4; i++) {
      let m = mBase + i32(localId.y) * 4 + i;
      for (var j = 0; j < 4; j++) {
        let n = nBase + i32(localId.x) * 4 + j;
        if (m < uniforms.M && n < uniforms.N) {
          result[m * uniforms.N + n] = acc[i][j];
        }
      }
    }
  }
`;
  }
}

interface BackpropInputAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape: [number, number, number, number];
}

/** The project's Conv2DBackpropInput; NCHW, non-float32 and oversized grids go to the stock kernel. */
export function makeConv2DBackpropInput(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as BackpropInputAttrs;
    const M = attrs.inputShape[0] * attrs.inputShape[1] * attrs.inputShape[2];
    if (attrs.dataFormat !== "NHWC" || dy.dtype !== "float32" || filter.dtype !== "float32" ||
        ceilDiv(M, TILE_M) > MAX_WORKGROUPS_PER_DIMENSION) {
      return stock(args);
    }
    const conv = tf.backend_util.computeConv2DInfo(
      attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode,
    );
    const N = conv.inChannels;
    const program = new ConvDerInputGemmProgram(attrs.inputShape, M, N, conv.outChannels, [conv.strideHeight, conv.strideWidth]);
    const uniforms = [
      i32(M), i32(N), i32(conv.filterHeight * conv.filterWidth * conv.outChannels), i32(conv.filterWidth),
      i32(conv.padInfo.top, conv.padInfo.left),
    ];
    return (args.backend as unknown as WebGPUBackendLike).runWebGPUProgram(program, [dy, filter], "float32", uniforms);
  };
}
