import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { initBackend } from "../lib/backend";
import { DEFAULT_CLASSIFIER, HEAD_POOLING_LAYER, OUTPUT_LAYER, buildClassifier, describeLayers, encoderOf, scaleWidths, withOutputLayer } from "../lib/models/classifier";

const SMALL = { ...scaleWidths(DEFAULT_CLASSIFIER, 0.25), seed: 7 };

describe("classifier family", () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("is fully convolutional except its last layer, with at least 4 convolutions", () => {
    const model = buildClassifier(DEFAULT_CLASSIFIER);
    const types = model.layers.map((l) => l.getClassName());
    const dense = types.flatMap((t, i) => (t === "Dense" ? [i] : []));
    assert.deepEqual(dense, [types.length - 1], `the only Dense layer must be the last: ${types.join(",")}`);
    assert.ok(types.filter((t) => t === "Conv2D").length >= 4);
    const allowed = new Set(["InputLayer", "Conv2D", "BatchNormalization", "ReLU", "MaxPooling2D", "Add", "GlobalAveragePooling2D", "Dense"]);
    for (const t of types) assert.ok(allowed.has(t), `unexpected layer type ${t}`);
    assert.deepEqual(model.outputs[0].shape, [null, 100]);
    model.dispose();
  });

  it("derives the encoder as the classifier minus the last layer and the pooling before it, sharing weights", async () => {
    const model = buildClassifier(SMALL);
    const encoder = encoderOf(model);
    const names = model.layers.map((l) => l.name);
    assert.deepEqual(encoder.layers.map((l) => l.name), names.filter((n) => n !== OUTPUT_LAYER && n !== HEAD_POOLING_LAYER));
    encoder.layers.forEach((layer) => assert.equal(layer, model.getLayer(layer.name), `${layer.name} must be the same layer object`));
    assert.deepEqual(encoder.outputs[0].shape, [null, 4, 4, SMALL.widths[3]]);
    // Same weights: a change through the encoder shows in the classifier.
    const kernel = encoder.getLayer("stem_conv").getWeights()[0]; // the variable itself: not disposed here
    const ones = tf.onesLike(kernel);
    encoder.getLayer("stem_conv").setWeights([ones]);
    const seen = tf.sum(model.getLayer("stem_conv").getWeights()[0]);
    assert.equal((await seen.data())[0], kernel.size);
    tf.dispose([ones, seen]);
    model.dispose();
  });

  it("replaces only the output layer for other heads (the one-class network)", () => {
    const model = buildClassifier(SMALL);
    const oneClass = withOutputLayer(model, tfl.layers.dense({ units: 1, name: "score" }), "one_class");
    const a = describeLayers(model).slice(0, -1).map((r) => [r.type, r.outputShape, r.params]);
    const b = describeLayers(oneClass).slice(0, -1).map((r) => [r.type, r.outputShape, r.params]);
    assert.deepEqual(b, a);
    assert.deepEqual(oneClass.outputs[0].shape, [null, 1]);
    model.dispose();
  });

  it("builds the same weights from the same seed and different ones from another", async () => {
    const sum = async (seed: number) => {
      const m = buildClassifier({ ...SMALL, seed });
      const t = tf.tidy(() => tf.sum(tf.abs(m.getLayer("stage1_conv").getWeights()[0])));
      const s = (await t.data())[0];
      t.dispose();
      m.dispose();
      return s;
    };
    assert.equal(await sum(3), await sum(3));
    assert.notEqual(await sum(3), await sum(4));
  });
});
