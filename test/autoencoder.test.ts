import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend";
import { DEFAULT_CLASSIFIER, OUTPUT_LAYER, HEAD_POOLING_LAYER, buildClassifier, describeLayers, scaleWidths } from "../lib/models/classifier";
import { buildAutoencoderFamily, decoderLayers } from "../lib/models/autoencoder";
import { buildFamily } from "../lib/methods/autoencoder";
import { newClassifier } from "../lib/methods/supervised";
import { registryParams } from "./helpers/registry";

const structure = (rows: ReturnType<typeof describeLayers>) => rows.map((r) => ({ type: r.type, shape: r.outputShape, params: r.params, config: r.config }));

describe("autoencoder family (Exercises 3 and 4)", () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("has the classifier minus its last layer and the pooling before it as encoder", () => {
    const family = buildAutoencoderFamily(DEFAULT_CLASSIFIER);
    const reference = describeLayers(buildClassifier(DEFAULT_CLASSIFIER)).filter((r) => r.name !== OUTPUT_LAYER && r.name !== HEAD_POOLING_LAYER);
    assert.deepEqual(structure(describeLayers(family.encoder)), structure(reference));
    family.encoder.layers.forEach((l) => assert.equal(l, family.classifier.getLayer(l.name), `${l.name} is shared with the classifier`));
    family.encoder.layers.forEach((l) => assert.equal(l, family.autoencoder.getLayer(l.name), `${l.name} is shared with the autoencoder`));
  });

  it("has a fully convolutional decoder back to a 32x32x3 image in [0, 1]", async () => {
    const family = buildAutoencoderFamily(scaleWidths(DEFAULT_CLASSIFIER, 0.25));
    const types = new Set(decoderLayers(family).map((l) => l.getClassName()));
    assert.ok(!types.has("Dense"), `decoder layers: ${[...types].join(", ")}`);
    for (const t of types) assert.ok(["Conv2DTranspose", "Conv2D", "BatchNormalization", "ReLU", "UpSampling2D"].includes(t), t);
    assert.deepEqual(family.autoencoder.outputs[0].shape, [null, 32, 32, 3]);
    const y = family.autoencoder.predict(tf.randomUniform([2, 32, 32, 3])) as tf.Tensor;
    const [lo, hi] = await Promise.all([tf.min(y).data(), tf.max(y).data()]);
    assert.ok(lo[0] >= 0 && hi[0] <= 1);
    y.dispose();
  });

  it("joins encoder and classifier head into exactly the Exercise 1 architecture (Exercise 4)", () => {
    // Each network as its experiment builds it, from its own registry entry and method: Exercise 4's classifier
    // must be Exercise 1's, and the joint model nothing but that classifier plus the decoder.
    const ex1 = newClassifier(...registryParams("ex1-supervised"));
    const family = buildFamily(...registryParams("ex4-joint"));
    assert.deepEqual(structure(describeLayers(family.classifier)), structure(describeLayers(ex1)));
    assert.deepEqual(family.joint.outputs.map((o) => o.shape), [[null, 32, 32, 3], [null, 100]]);
    assert.equal(family.joint.outputs[1], family.classifier.outputs[0], "the joint model's logits are the classifier's");
    const parts = new Set([...family.classifier.layers, ...decoderLayers(family)]);
    assert.deepEqual(family.joint.layers.filter((l) => !parts.has(l)).map((l) => l.name), [], "layers beyond the classifier and decoder");
    assert.equal(family.joint.layers.length, parts.size);
    family.joint.dispose();
    ex1.dispose();
  });
});
