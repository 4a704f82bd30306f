// Conv2D and FusedConv2D (the forward 2-D convolution, NHWC, fp32, dilation 1) as an implicit GEMM.
//
//   out[m, n] = act(sum_k A[m, k] * B[k, n] + bias[n]),  m = (b, oh, ow) < M = batch*outH*outW,  n = co < N = Cout,
//                                                        k = (kh, kw, ci) < K = KH*KW*Cin,
//   A[m, k] = x[b, oh*strideH - padTop + kh, ow*strideW - padLeft + kw, ci]  (0 outside the image),
//   B[k, n] = filter[kh, kw, ci, co]  (the filter as it is stored: row-major K x N).
//
// The tile scheme of conv2d-backprop-input.ts: a workgroup computes a TM x TN tile of out from TK-deep tiles of A and
// B staged in workgroup memory, 4x4 outputs per thread (workgroup TN/4 x TM/4 threads). A is read in groups of 4
// consecutive k: with Cin % 4 == 0 such a group shares (kh, kw) and is one vec4 of x (one decomposition, one bounds
// check); otherwise (the 3-channel stem) each k is decomposed and read on its own. B is read as vec4 along n when
// Cout % 4 == 0, and the output is then written as vec4. Everything but the batch is compiled into the shader
// (divisions by constants are cheap; the study network has a handful of layer shapes), so M is the only uniform.
//
// Off by default (TFJS_PROJECT_CONV2D=1 or setProjectConv2D(true) in index.ts) until the H200 has measured it.
// The tile is selectable (TFJS_PROJECT_CONV2D_TILE=TMxTNxTK, setConv2DTiles) for tuning on the device.
import * as tf from "@tensorflow/tfjs-core";
import { ceilDiv, i32, SELF_INDEXED_LAYOUT, tileProduct, WebGPUBackendLike, WebGPUProgram } from "./program";

export const CONV2D_TILE_ENV = "TFJS_PROJECT_CONV2D_TILE";
const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/** Output tile of a workgroup (TM rows m x TN columns n) and the depth TK of the staged K slices. */
export interface Conv2DTiles {
  tileM: number;
  tileN: number;
  tk: number;
}

export const DEFAULT_CONV2D_TILES: Conv2DTiles = { tileM: 64, tileN: 64, tk: 16 };

const TILE_M_CHOICES = [16, 32, 64, 128];
const TILE_N_CHOICES = [16, 32, 64, 128];
const TK_CHOICES = [4, 8, 16, 32];

/** "TMxTNxTK" (e.g. "128x64x16") as tiles; throws on anything else. */
export function parseConv2DTiles(text: string): Conv2DTiles {
  const match = /^(\d+)x(\d+)x(\d+)$/.exec(text.trim());
  const bad = () => new Error(`conv2d tile "${text}": expected TMxTNxTK with TM in ${TILE_M_CHOICES.join("/")}, TN in ${TILE_N_CHOICES.join("/")}, TK in ${TK_CHOICES.join("/")}`);
  if (!match) throw bad();
  const [tileM, tileN, tk] = match.slice(1).map(Number);
  if (!TILE_M_CHOICES.includes(tileM) || !TILE_N_CHOICES.includes(tileN) || !TK_CHOICES.includes(tk)) throw bad();
  return { tileM, tileN, tk };
}

export const formatConv2DTiles = (t: Conv2DTiles) => `${t.tileM}x${t.tileN}x${t.tk}`;

let tiles: Conv2DTiles = process.env[CONV2D_TILE_ENV] ? parseConv2DTiles(process.env[CONV2D_TILE_ENV]!) : DEFAULT_CONV2D_TILES;

/** The tile the project Conv2D uses for programs built from now on (each tile shape is its own shader). */
export function setConv2DTiles(next: Conv2DTiles): void {
  parseConv2DTiles(formatConv2DTiles(next)); // validates
  tiles = { ...next };
}

export function conv2DTiles(): Conv2DTiles {
  return { ...tiles };
}

/** The tile actually used for an M x N output: halved (not below 16) while half still covers M or N. */
export function fitTiles(requested: Conv2DTiles, M: number, N: number): Conv2DTiles {
  let { tileM, tileN } = requested;
  while (tileM > 16 && tileM / 2 >= M) tileM /= 2;
  while (tileN > 16 && tileN / 2 >= N) tileN /= 2;
  return { tileM, tileN, tk: requested.tk };
}

export type FusedActivation = "linear" | "relu";

interface ConvShape {
  inH: number;
  inW: number;
  cin: number;
  outH: number;
  outW: number;
  cout: number;
  kh: number;
  kw: number;
  strides: [number, number];
  pads: [number, number];
}

export class Conv2DGemmProgram implements WebGPUProgram {
  variableNames: string[];
  variableComponents: number[];
  outputComponent: number;
  uniforms = "M : i32,";
  dispatchLayout = SELF_INDEXED_LAYOUT;
  workgroupSize: [number, number, number];
  dispatch: [number, number, number];
  shaderKey: string;
  /** Cin % 4 == 0: a group of 4 k shares (kh, kw) and is one vec4 of x. */
  private vecA: boolean;
  /** Cout % 4 == 0: filter rows, bias and output are read and written as vec4 along n. */
  private vecN: boolean;

  constructor(
    public outputShape: number[], M: number, private s: ConvShape, private tiles: Conv2DTiles,
    private hasBias: boolean, private activation: FusedActivation,
  ) {
    this.vecA = s.cin % 4 === 0;
    this.vecN = s.cout % 4 === 0;
    this.variableNames = hasBias ? ["x", "W", "bias"] : ["x", "W"];
    this.variableComponents = [this.vecA ? 4 : 1, this.vecN ? 4 : 1, ...(hasBias ? [this.vecN ? 4 : 1] : [])];
    this.outputComponent = this.vecN ? 4 : 1;
    this.workgroupSize = [tiles.tileN / 4, tiles.tileM / 4, 1];
    this.dispatch = [ceilDiv(s.cout, tiles.tileN), ceilDiv(M, tiles.tileM), 1];
    this.shaderKey = `projectConv2DGemm_${formatConv2DTiles(tiles)}_${s.inH}x${s.inW}x${s.cin}_${s.outH}x${s.outW}x${s.cout}_` +
      `${s.kh}x${s.kw}_${s.strides.join("x")}_${s.pads.join("x")}_${hasBias}_${activation}`;
  }

  getUserCode(): string {
    const { tileM: TM, tileN: TN, tk: TK } = this.tiles;
    const { inH, inW, cin, outH, outW, cout, kh: KH, kw: KW, strides: [SH, SW], pads: [PT, PL] } = this.s;
    const K = KH * KW * cin;
    const WG = (TM * TN) / 16;
    const groupsA = (TK / 4) * TM; // groups of (one m, 4 consecutive k) in an A tile
    const groupsB = (TK * TN) / 4; // groups of (one k, 4 consecutive n) in a B tile
    const rowsA = ceilDiv(groupsA, WG);
    const rowsB = ceilDiv(groupsB, WG);
    const unroll = (count: number, body: (r: number) => string) => Array.from({ length: count }, (_, r) => body(r)).join("\n");
    const guard = (groups: number, r: number, body: string) =>
      (r + 1) * WG <= groups ? body : `if (lid + ${r * WG} < ${groups}) ${body}`;
    // x element k = (kh, kw, ci) for pixel p = (b*H*W, ih0, iw0, valid), or 0 outside the image.
    const readX = (kc: string, kValid: string, assign: (index: string) => string) => `{
          let ih = p.y + ${kc}.x;
          let iw = p.z + ${kc}.y;
          if (p.w == 1 && ${kValid} && ih >= 0 && ih < ${inH} && iw >= 0 && iw < ${inW}) {
            ${assign(`(p.x + ih * ${inW} + iw) * ${cin} + ${kc}.z`)}
          }
        }`;
    const loadA = this.vecA
      ? `let kc = splitK(k);
        ${readX("kc", `k < ${K}`, (index) => `v = x[(${index}) / 4];`)}`
      : `for (var c = 0; c < 4; c++) {
          let kc = splitK(k + c);
          ${readX("kc", `k + c < ${K}`, (index) => `v[c] = x[${index}];`)}
        }`;
    const loadB = this.vecN
      ? `if (k < ${K} && n < ${cout}) {
          v = W[(k * ${cout} + n) / 4];
        }`
      : `for (var c = 0; c < 4; c++) {
          if (k < ${K} && n + c < ${cout}) {
            v[c] = W[k * ${cout} + n + c];
          }
        }`;
    const epilogue = (value: string) => {
      let v = value;
      if (this.hasBias) v = this.vecN ? `${v} + bias[n / 4]` : `${v} + vec4<f32>(${[0, 1, 2, 3].map((j) => `bias[min(n + ${j}, ${cout - 1})]`).join(", ")})`;
      if (this.activation === "relu") v = `max(${v}, vec4<f32>(0.0))`;
      return v;
    };
    const store = this.vecN
      ? `if (m < uniforms.M && n < ${cout}) {
          result[(m * ${cout} + n) / 4] = ${epilogue("acc[i]")};
        }`
      : `if (m < uniforms.M) {
          let v = ${epilogue("acc[i]")};
          for (var j = 0; j < 4; j++) {
            if (n + j < ${cout}) {
              result[m * ${cout} + n + j] = v[j];
            }
          }
        }`;
    return `
  var<workgroup> tileA : array<vec4<f32>, ${(TK * TM) / 4}>;
  var<workgroup> tileB : array<vec4<f32>, ${(TK * TN) / 4}>;

  fn splitK(k : i32) -> vec3<i32> {
    let kh = k / ${KW * cin};
    let rest = k - kh * ${KW * cin};
    let kw = rest / ${cin};
    return vec3<i32>(kh, kw, rest - kw * ${cin});
  }

  fn main() {
    let lid = i32(localIndex);
    let nBase = i32(workgroupId.x) * ${TN};
    let mBase = i32(workgroupId.y) * ${TM};

    // The output pixels m this thread stages rows of A for, and the 4-k group within the tile: fixed for the loop.
    var pixel : array<vec4<i32>, ${rowsA}>; // (b*H*W, oh*strideH - padTop, ow*strideW - padLeft, valid)
    for (var r = 0; r < ${rowsA}; r++) {
      let g = lid + r * ${WG};
      let m = mBase + g / ${TK / 4};
      let b = m / ${outH * outW};
      let rest = m - b * ${outH * outW};
      let oh = rest / ${outW};
      let ow = rest - oh * ${outW};
      pixel[r] = vec4<i32>(b * ${inH * inW}, oh * ${SH} - ${PT}, ow * ${SW} - ${PL}, select(0, 1, m < uniforms.M && g < ${groupsA}));
    }

    var acc : array<vec4<f32>, 4>;
    for (var t = 0; t < ${ceilDiv(K, TK)}; t++) {
      ${unroll(rowsA, (r) => guard(groupsA, r, `{
        let g = lid + ${r * WG};
        let kq = g % ${TK / 4};
        let mLocal = g / ${TK / 4};
        let k = t * ${TK} + kq * 4;
        let p = pixel[${r}];
        var v = vec4<f32>(0.0);
        ${loadA}
        for (var c = 0; c < 4; c++) {
          tileA[(kq * 4 + c) * ${TM / 4} + mLocal / 4][mLocal % 4] = v[c];
        }
      }`))}
      ${unroll(rowsB, (r) => guard(groupsB, r, `{
        let g = lid + ${r * WG};
        let kLocal = g / ${TN / 4};
        let nq = g % ${TN / 4};
        let k = t * ${TK} + kLocal;
        let n = nBase + nq * 4;
        var v = vec4<f32>(0.0);
        ${loadB}
        tileB[g] = v;
      }`))}
      workgroupBarrier();
      ${tileProduct(TK, TM, TN)}
      workgroupBarrier();
    }

    let n = nBase + i32(localId.x) * 4;
    for (var i = 0; i < 4; i++) {
      let m = mBase + i32(localId.y) * 4 + i;
      ${store}
    }
  }
`;
  }
}

interface DeviceLimits {
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupSizeY: number;
}

const warned = new Set<string>();

/** Why the project kernel cannot run this convolution (the stock one then does), or null. */
function unsupported(x: tf.TensorInfo, filter: tf.TensorInfo, conv: tf.backend_util.Conv2DInfo, t: Conv2DTiles, backend: WebGPUBackendLike): string | null {
  if (x.dtype !== "float32" || filter.dtype !== "float32") return "not float32";
  if (x.shape.length !== 4) return "not rank 4";
  if (conv.dataFormat !== "channelsLast") return "not NHWC";
  if (conv.dilationHeight !== 1 || conv.dilationWidth !== 1) return "dilated";
  const M = conv.batchSize * conv.outHeight * conv.outWidth;
  if (M === 0 || conv.outChannels === 0) return "empty";
  if (ceilDiv(M, t.tileM) > MAX_WORKGROUPS_PER_DIMENSION) return "too many workgroups";
  const limits = (backend as unknown as { device?: { limits?: DeviceLimits } }).device?.limits;
  if (limits) {
    const threads = (t.tileM * t.tileN) / 16;
    const bytes = 4 * t.tk * (t.tileM + t.tileN);
    if (threads > limits.maxComputeInvocationsPerWorkgroup || t.tileN / 4 > limits.maxComputeWorkgroupSizeX ||
        t.tileM / 4 > limits.maxComputeWorkgroupSizeY || bytes > limits.maxComputeWorkgroupStorageSize) {
      const key = formatConv2DTiles(t);
      if (!warned.has(key)) {
        warned.add(key);
        console.warn(`project Conv2D: tile ${key} needs ${threads} threads and ${bytes} B of workgroup memory, over this device's ` +
          `limits (${limits.maxComputeInvocationsPerWorkgroup}, ${limits.maxComputeWorkgroupStorageSize} B): tfjs' stock kernel runs instead`);
      }
      return "tile over the device limits";
    }
  }
  return null;
}

function runConv(
  backend: WebGPUBackendLike, x: tf.TensorInfo, filter: tf.TensorInfo, bias: tf.TensorInfo | null, conv: tf.backend_util.Conv2DInfo,
  t: Conv2DTiles, activation: FusedActivation,
): tf.TensorInfo {
  const M = conv.batchSize * conv.outHeight * conv.outWidth;
  const shape: ConvShape = {
    inH: conv.inHeight, inW: conv.inWidth, cin: conv.inChannels, outH: conv.outHeight, outW: conv.outWidth, cout: conv.outChannels,
    kh: conv.filterHeight, kw: conv.filterWidth, strides: [conv.strideHeight, conv.strideWidth], pads: [conv.padInfo.top, conv.padInfo.left],
  };
  const program = new Conv2DGemmProgram(conv.outShape, M, shape, t, bias !== null, activation);
  return backend.runWebGPUProgram(program, bias ? [x, filter, bias] : [x, filter], "float32", [i32(M)]);
}

interface Conv2DAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dilations: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function convInfoOf(x: tf.TensorInfo, filter: tf.TensorInfo, attrs: Conv2DAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs.strides,
    attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? "NHWC"),
  );
}

/** The project's Conv2D; anything unsupported (NCHW, dilations, other dtypes, oversized grids) goes to the stock kernel. */
export function makeConv2D(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const backend = args.backend as unknown as WebGPUBackendLike;
    if (x.shape.length !== 4 || filter.shape.length !== 4) return stock(args);
    const conv = convInfoOf(x, filter, args.attrs as unknown as Conv2DAttrs);
    const t = fitTiles(tiles, conv.batchSize * conv.outHeight * conv.outWidth, conv.outChannels);
    if (unsupported(x, filter, conv, t, backend)) return stock(args);
    return runConv(backend, x, filter, null, conv, t, "linear");
  };
}

/**
 * The project's FusedConv2D (tfjs-layers' Conv2D layer calls tf.fused.conv2d: always with a linear activation,
 * which fuses in training too, or with its relu outside gradients). Bias of shape [Cout] and linear or relu only;
 * PReLU, other activations and other bias shapes go to the stock kernel.
 */
export function makeFusedConv2D(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as Conv2DAttrs & { activation?: string };
    const activation = attrs.activation ?? "linear";
    const backend = args.backend as unknown as WebGPUBackendLike;
    if (!x || !filter || x.shape.length !== 4 || filter.shape.length !== 4 || preluActivationWeights ||
        (activation !== "linear" && activation !== "relu")) {
      return stock(args);
    }
    const conv = convInfoOf(x, filter, attrs);
    if (bias && !(bias.shape.length === 1 && bias.shape[0] === conv.outChannels && bias.dtype === "float32")) return stock(args);
    const t = fitTiles(tiles, conv.batchSize * conv.outHeight * conv.outWidth, conv.outChannels);
    if (unsupported(x, filter, conv, t, backend)) return stock(args);
    return runConv(backend, x, filter, bias ?? null, conv, t, activation);
  };
}
