import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend";
import { hueRotationMatrix, randomResizedCrop, strongAugment } from "../lib/training/augment";
import { Rng } from "../lib/training/rng";

/** n images whose every pixel holds its column x / 31 in all channels. */
function columnRamps(n: number): tf.Tensor4D {
  return tf.tidy(() => tf.tile(tf.reshape(tf.div(tf.range(0, 32), 31), [1, 1, 32, 1]), [n, 32, 1, 3]) as tf.Tensor4D);
}

describe("augmentation on the device", function () {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("random resized crops zoom into a part of each image and keep the whole image at area 1", async () => {
    const x = columnRamps(64);
    const before = tf.memory().numTensors;
    const whole = randomResizedCrop(x, new Rng(1), 1);
    const zoomed = randomResizedCrop(x, new Rng(2), 0.2);
    assert.equal(tf.memory().numTensors, before + 2, "no tensor leaks");
    assert.deepEqual(zoomed.shape, [64, 32, 32, 3]);
    // Area 1 with aspect ratios in [3/4, 4/3] only fits as the whole square (or falls back to it).
    assert.ok((await tf.max(tf.abs(tf.sub(whole, x))).data())[0] < 1e-5);
    // A crop's columns span less of the ramp than the image does, and the crops differ from one another.
    const z = (await zoomed.array()) as number[][][][];
    const spans = z.map((img) => img[0][31][0] - img[0][0][0]);
    assert.ok(spans.every((s) => s <= 1 + 1e-5 && s >= Math.sqrt(0.2 * 0.75) - 1e-3), `spans ${spans.map((s) => s.toFixed(2))}`);
    assert.ok(spans.filter((s) => s < 0.95).length > 32, "most crops are smaller than the image");
    assert.ok(new Set(z.map((img) => img[0][0][0].toFixed(3))).size > 16, "crops start at different places");
    tf.dispose([x, whole, zoomed]);
  });

  it("strong augmentation cuts out a grey square unless told not to", async () => {
    const x = tf.fill([8, 32, 32, 3], 0.9) as tf.Tensor4D;
    const greyPixels = async (y: tf.Tensor) => (await tf.sum(tf.cast(tf.equal(y, 0.5), "float32")).data())[0];
    const withCutout = strongAugment(x, new Rng(3));
    const without = strongAugment(x, new Rng(3), { cutout: false });
    assert.ok((await greyPixels(withCutout)) >= 8 * 3 * 8 * 8, "every image has part of a 16x16 grey square");
    assert.equal(await greyPixels(without), 0);
    tf.dispose([x, withCutout, without]);
  });

  it("a third of a turn of hue sends red to green and green to blue, and keeps greys grey", () => {
    const m = hueRotationMatrix((2 * Math.PI) / 3);
    const apply = (rgb: number[]) => [0, 1, 2].map((col) => rgb.reduce((sum, v, row) => sum + v * m[3 * row + col], 0));
    const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 1e-6);
    assert.ok(close(apply([1, 0, 0]), [0, 1, 0]), `red -> ${apply([1, 0, 0])}`);
    assert.ok(close(apply([0, 1, 0]), [0, 0, 1]), `green -> ${apply([0, 1, 0])}`);
    assert.ok(close(apply([0.3, 0.3, 0.3]), [0.3, 0.3, 0.3]));
    const small = apply([0.8, 0.4, 0.1]);
    assert.ok(Math.abs(small.reduce((a, b) => a + b) - 1.3) < 1e-6, "the pixel's mean is kept");
  });

  it("greyscale drops the colour of about the asked share of images, hue jitter changes colours but keeps the grey level", async () => {
    const n = 400;
    // Saturated colour: red in the left half, blue in the right half.
    const x = tf.tidy(() => tf.tile(tf.concat([tf.tensor4d([0.9, 0.1, 0.1], [1, 1, 1, 3]), tf.tensor4d([0.1, 0.2, 0.9], [1, 1, 1, 3])], 2), [n, 32, 16, 1]) as tf.Tensor4D);
    const before = tf.memory().numTensors;
    const grey = strongAugment(x, new Rng(5), { cutout: false, greyscale: 0.25 });
    const hued = strongAugment(x, new Rng(5), { cutout: false, hue: 0.1 });
    const plain = strongAugment(x, new Rng(5), { cutout: false });
    assert.equal(tf.memory().numTensors, before + 3, "no tensor leaks");
    const channelSpread = async (y: tf.Tensor4D) => (await tf.max(tf.sub(tf.max(y, 3), tf.min(y, 3)), [1, 2]).data()) as Float32Array;
    const greyImages = (await channelSpread(grey)).filter((s) => s < 1e-5).length;
    assert.ok(greyImages > 0.15 * n && greyImages < 0.35 * n, `${greyImages} of ${n} images grey`);
    assert.equal((await channelSpread(plain)).filter((s) => s < 1e-5).length, 0);
    // The same draws before the hue: hue rotation changes the pixels, not (up to clipping) their channel mean.
    const diff = (await tf.mean(tf.abs(tf.sub(hued, plain))).data())[0];
    assert.ok(diff > 0.01, `hue rotation changed pixels by ${diff}`);
    tf.dispose([x, grey, hued, plain]);
  });
});
