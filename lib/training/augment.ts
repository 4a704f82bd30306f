// Batches from the uint8 images, with augmentation on the fly.
//
// Weak augmentation (random crop with 4-pixel reflect padding, horizontal flip) runs on the host while the GPU
// is busy with the previous step: it is a gather of bytes, cheap in JS. Strong augmentation (colour jitter and
// cutout, for the FixMatch-style methods) runs on the GPU as a handful of broadcast ops on the uploaded batch.
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "./rng";

const SIZE = 32;
const CHANNELS = 3;
const PIXELS = SIZE * SIZE * CHANNELS;
const TO_UNIT = new Float32Array(256).map((_, i) => i / 255);

export interface WeakAugmentation {
  /** Maximum shift of the random crop, in pixels (reflect padding); 0 disables it. */
  padding: number;
  flip: boolean;
}

export const WEAK: WeakAugmentation = { padding: 4, flip: true };
export const NONE: WeakAugmentation = { padding: 0, flip: false };

function reflect(i: number): number {
  return i < 0 ? -i : i >= SIZE ? 2 * SIZE - 2 - i : i;
}

/**
 * Gathers `images[indices]` (NHWC uint8) into a float32 batch in [0, 1], each image randomly shifted (crop of
 * the reflect-padded image) and flipped when `aug` asks for it.
 */
export function gatherBatch(images: Uint8Array, indices: ArrayLike<number>, aug: WeakAugmentation, rng: Rng): Float32Array {
  const out = new Float32Array(indices.length * PIXELS);
  const rowMap = new Int32Array(SIZE);
  const colMap = new Int32Array(SIZE);
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b] * PIXELS;
    const dy = aug.padding > 0 ? rng.int(2 * aug.padding + 1) - aug.padding : 0;
    const dx = aug.padding > 0 ? rng.int(2 * aug.padding + 1) - aug.padding : 0;
    const flip = aug.flip && rng.next() < 0.5;
    for (let i = 0; i < SIZE; i++) {
      rowMap[i] = reflect(i + dy);
      colMap[i] = reflect((flip ? SIZE - 1 - i : i) + dx);
    }
    let o = b * PIXELS;
    for (let y = 0; y < SIZE; y++) {
      const rowStart = src + rowMap[y] * SIZE * CHANNELS;
      for (let x = 0; x < SIZE; x++) {
        const p = rowStart + colMap[x] * CHANNELS;
        out[o++] = TO_UNIT[images[p]];
        out[o++] = TO_UNIT[images[p + 1]];
        out[o++] = TO_UNIT[images[p + 2]];
      }
    }
  }
  return out;
}

/** Uploads a gathered batch as an NHWC tensor. */
export function batchTensor(images: Uint8Array, indices: ArrayLike<number>, aug: WeakAugmentation, rng: Rng): tf.Tensor4D {
  return tf.tensor4d(gatherBatch(images, indices, aug, rng), [indices.length, SIZE, SIZE, CHANNELS]);
}

/** Per-image random factors in [lo, hi], shaped [n, 1, 1, 1] to broadcast over an image batch. */
function factors(rng: Rng, n: number, lo: number, hi: number): tf.Tensor4D {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.uniform(lo, hi);
  return tf.tensor4d(values, [n, 1, 1, 1]);
}

/** A [n, 32, 32, 1] mask that is 0 inside one random square of side `side` per image and 1 elsewhere. */
function cutoutMask(rng: Rng, n: number, side: number): tf.Tensor4D {
  const mask = new Float32Array(n * SIZE * SIZE).fill(1);
  const half = side / 2;
  for (let b = 0; b < n; b++) {
    const cy = rng.int(SIZE);
    const cx = rng.int(SIZE);
    for (let y = Math.max(0, cy - half); y < Math.min(SIZE, cy + half); y++) {
      mask.fill(0, b * SIZE * SIZE + y * SIZE + Math.max(0, cx - half), b * SIZE * SIZE + y * SIZE + Math.min(SIZE, cx + half));
    }
  }
  return tf.tensor4d(mask, [n, SIZE, SIZE, 1]);
}

export interface StrongAugmentOptions {
  /** A grey 16x16 square at a random place (FixMatch's cutout); default true. */
  cutout?: boolean;
  /** Hue rotation by up to this share of a full turn either way (SimCLR's 0.1 = +-36 degrees); default 0. */
  hue?: number;
  /** Probability that an image loses its colour (SimCLR's random greyscale, 0.2); default 0. */
  greyscale?: number;
}

/**
 * Strong augmentation on an already weakly augmented batch in [0, 1], per image: brightness, contrast and
 * saturation jitter (factors in [0.6, 1.4], [0.6, 1.4], [0.2, 1.8]), optionally a hue rotation and greyscale, and
 * a 16x16 cutout filled with grey (none with `cutout: false`).
 * Brightness, contrast and saturation keep each pixel's hue, so two views jittered only that way still share their
 * hue histogram; the contrastive views rotate the hue and drop the colour of some images, so that the histogram
 * cannot tell them apart from other images (Chen et al., 2020, found colour distortion essential for contrastive
 * learning). The options off draw exactly the random numbers they always did (FixMatch's views are unchanged).
 */
export function strongAugment(x: tf.Tensor4D, rng: Rng, options: StrongAugmentOptions = {}): tf.Tensor4D {
  const n = x.shape[0];
  const brightness = factors(rng, n, 0.6, 1.4);
  const contrast = factors(rng, n, 0.6, 1.4);
  const saturation = factors(rng, n, 0.2, 1.8);
  const keep = options.cutout === false ? tf.ones([n, SIZE, SIZE, 1]) : cutoutMask(rng, n, 16);
  const hue = options.hue ? hueRotations(rng, n, options.hue) : undefined;
  const colour = options.greyscale ? bernoulliFactors(rng, n, 1 - options.greyscale) : undefined;
  const out = tf.tidy(() => {
    let y = tf.mul(x, brightness);
    const mean = tf.mean(y, [1, 2, 3], true);
    y = tf.add(tf.mul(tf.sub(y, mean), contrast), mean);
    const grey = tf.mean(y, 3, true);
    y = tf.add(tf.mul(tf.sub(y, grey), colour ? tf.mul(saturation, colour) : saturation), grey);
    if (hue) y = tf.reshape(tf.matMul(tf.reshape(y, [n, SIZE * SIZE, CHANNELS]), hue), [n, SIZE, SIZE, CHANNELS]);
    y = tf.clipByValue(y, 0, 1);
    return tf.add(tf.mul(y, keep), tf.mul(tf.sub(1, keep), 0.5)) as tf.Tensor4D;
  });
  tf.dispose([brightness, contrast, saturation, keep, hue, colour]); // skips the options' undefined tensors
  return out;
}

/** Per-image factors, 1 with probability `p` and 0 otherwise, shaped [n, 1, 1, 1]. */
function bernoulliFactors(rng: Rng, n: number, p: number): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: n }, () => (rng.next() < p ? 1 : 0)), [n, 1, 1, 1]);
}

/**
 * Per-image 3x3 matrices (applied to pixels as row vectors) rotating RGB about the grey axis (1, 1, 1) by an angle
 * uniform in +-maxTurn of a full turn: a hue shift that keeps each pixel's mean and leaves greys grey (Rodrigues).
 */
export function hueRotations(rng: Rng, n: number, maxTurn: number): tf.Tensor3D {
  const m = new Float32Array(9 * n);
  for (let i = 0; i < n; i++) m.set(hueRotationMatrix(2 * Math.PI * rng.uniform(-maxTurn, maxTurn)), 9 * i);
  return tf.tensor3d(m, [n, 3, 3]);
}

/** R^T, row-major, for R = cos(a) I + sin(a) [k]x + (1 - cos(a)) k k^T, k = (1, 1, 1) / sqrt(3). */
export function hueRotationMatrix(angle: number): number[] {
  const c = Math.cos(angle);
  const sk = Math.sin(angle) / Math.sqrt(3);
  const a = (1 - c) / 3;
  const r = [
    [c + a, a - sk, a + sk],
    [a + sk, c + a, a - sk],
    [a - sk, a + sk, c + a],
  ];
  return [0, 1, 2].flatMap((row) => [0, 1, 2].map((col) => r[col][row]));
}

/**
 * Random resized crops (Inception / SimCLR style): per image, a box covering a random share of the area in
 * [minArea, 1] with an aspect ratio between 3/4 and 4/3 (log-uniform), at a random place, resized back to 32x32
 * bilinearly. Ten tries per image to fit the box inside the image, else the whole image.
 */
export function randomResizedCrop(x: tf.Tensor4D, rng: Rng, minArea: number): tf.Tensor4D {
  const n = x.shape[0];
  const boxes = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    let box = [0, 0, 1, 1];
    for (let attempt = 0; attempt < 10; attempt++) {
      const area = minArea + (1 - minArea) * rng.next();
      const ratio = Math.exp(Math.log(3 / 4) + (Math.log(4 / 3) - Math.log(3 / 4)) * rng.next());
      const w = Math.sqrt(area * ratio);
      const h = Math.sqrt(area / ratio);
      if (w > 1 || h > 1) continue;
      const top = (1 - h) * rng.next();
      const left = (1 - w) * rng.next();
      box = [top, left, top + h, left + w];
      break;
    }
    boxes.set(box, 4 * i);
  }
  return tf.tidy(() =>
    tf.image.cropAndResize(x, tf.tensor2d(boxes, [n, 4]), tf.range(0, n, 1, "int32") as tf.Tensor1D, [SIZE, SIZE], "bilinear"),
  );
}
