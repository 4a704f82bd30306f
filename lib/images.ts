// Images for notebooks: PNG encoding of uint8 RGB pixels (node's zlib, no native image library) and a captioned
// HTML grid, which JupyterLab, the classic notebook and nbconvert's HTML export all show.
import * as zlib from "node:zlib";

const CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes `width` x `height` RGB pixels (row-major, 3 bytes each) as a PNG file. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Buffer {
  if (rgb.length !== width * height * 3) {
    throw new Error(`encodePng: ${rgb.length} bytes do not make a ${width}x${height} RGB image (${width * height * 3} expected)`);
  }
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", new Uint8Array(0))]);
}

/** Nearest-neighbour upscaling, so 32x32 thumbnails stay sharp in any viewer. */
export function upscale(rgb: Uint8Array, width: number, height: number, factor: number): Uint8Array {
  const out = new Uint8Array(width * height * 3 * factor * factor);
  const outWidth = width * factor;
  for (let y = 0; y < height * factor; y++) {
    for (let x = 0; x < outWidth; x++) {
      const src = (Math.floor(y / factor) * width + Math.floor(x / factor)) * 3;
      out.set(rgb.subarray(src, src + 3), (y * outWidth + x) * 3);
    }
  }
  return out;
}

/** One 32x32 image of an NHWC uint8 set as a PNG data URI, upscaled by `scale`. */
export function imageDataUri(images: Uint8Array, index: number, scale = 2, size = 32): string {
  const pixels = images.subarray(index * size * size * 3, (index + 1) * size * size * 3);
  return `data:image/png;base64,${encodePng(upscale(pixels, size, size, scale), size * scale, size * scale).toString("base64")}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
}

export interface GridTile {
  /** A PNG data URI (see imageDataUri). */
  src: string;
  caption: string;
}

/** A captioned grid of image tiles as self-contained HTML. */
export function imageGridHtml(tiles: GridTile[], columns: number, title?: string): string {
  const cells = tiles
    .map(
      (t) =>
        `<figure style="margin:2px;text-align:center;font:11px sans-serif"><img src="${t.src}" style="image-rendering:pixelated"/>` +
        `<figcaption>${escapeHtml(t.caption)}</figcaption></figure>`,
    )
    .join("");
  const heading = title ? `<div style="font:bold 13px sans-serif;margin:4px 0">${escapeHtml(title)}</div>` : "";
  return `${heading}<div style="display:grid;grid-template-columns:repeat(${columns}, max-content);gap:2px">${cells}</div>`;
}
