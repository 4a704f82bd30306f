import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend";
import { buildFamily as buildAutoencoderMethodFamily } from "../lib/methods/autoencoder";
import { DEFAULT_CLASSIFIER, HEAD_POOLING_LAYER, OUTPUT_LAYER, describeLayers, scaleWidths } from "../lib/models/classifier";
import {
  CLUSTER_LAYER, PROJECTION_LAYER, balanceDeficit, buildContrastiveFamily, buildFamily, clusterImpurity, contrastiveLoss, contrastiveTask, infoNce,
} from "../lib/methods/contrastive";
import { mixedBatches } from "../lib/methods/classification";
import { contrastiveJointTask } from "../lib/methods/contrastive-joint";
import { KNN_TEMPERATURE, clusterStats, knnPredict, l2Normalize, probe } from "../lib/methods/contrastive-probe";
import { TrainOptions, train } from "../lib/training/loop";
import { registryParams } from "./helpers/registry";
import { silentProgress } from "../lib/training/progress";
import { Rng } from "../lib/training/rng";

const value = async (t: tf.Tensor) => {
  const v = (await t.data())[0];
  t.dispose();
  return v;
};

/** Symmetric InfoNCE by hand: rows of z1 against rows of z2, cross-entropy against the identity both ways. */
function handInfoNce(z1: number[][], z2: number[][], tau: number): number {
  const b = z1.length;
  const m = z1.map((a) => z2.map((c) => a.reduce((s, x, k) => s + x * c[k], 0) / tau));
  let rows = 0;
  let cols = 0;
  for (let i = 0; i < b; i++) {
    rows += -m[i][i] + Math.log(m[i].reduce((s, x) => s + Math.exp(x), 0));
    cols += -m[i][i] + Math.log(m.reduce((s, row) => s + Math.exp(row[i]), 0));
  }
  return (rows / b + cols / b) / 2;
}

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

const TINY = { ...scaleWidths(DEFAULT_CLASSIFIER, 0.125), seed: 3 };

/** `count` images of distinct random blocky patterns (uint8 NHWC): each one easy to tell from the others. */
function patternImages(count: number): Uint8Array {
  const rng = new Rng(5);
  const images = new Uint8Array(count * 3072);
  for (let i = 0; i < count; i++) {
    const colours = Array.from({ length: 16 * 3 }, () => rng.int(256));
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const block = Math.floor(y / 8) * 4 + Math.floor(x / 8);
        for (let ch = 0; ch < 3; ch++) images[i * 3072 + (y * 32 + x) * 3 + ch] = colours[block * 3 + ch];
      }
    }
  }
  return images;
}

const ADAM: TrainOptions["optimizer"] = { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

describe("contrastive technique (Exercise 6)", function () {
  this.timeout(300000);
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("computes the symmetric InfoNCE of a hand example, lower for matching views than for shuffled ones", async () => {
    const z1 = [unit([1, 0.2]), unit([0.1, 1]), unit([-1, 0.5])];
    const z2 = [unit([0.9, 0.3]), unit([0.2, 1]), unit([-0.8, 0.4])];
    const t1 = tf.tensor2d(z1);
    const t2 = tf.tensor2d(z2);
    const { loss, accuracy } = infoNce(t1, t2, 0.5);
    assert.ok(Math.abs((await value(loss)) - handInfoNce(z1, z2, 0.5)) < 1e-5);
    assert.equal(await value(accuracy), 1, "every row's most similar column is its own pair");
    const identical = infoNce(t1, t1, 0.5);
    const shuffled = [z1[1], z1[2], z1[0]];
    const t3 = tf.tensor2d(shuffled);
    const wrong = infoNce(t1, t3, 0.5);
    const [same, other] = [await value(identical.loss), await value(wrong.loss)];
    assert.ok(Math.abs(same - handInfoNce(z1, z1, 0.5)) < 1e-5 && Math.abs(other - handInfoNce(z1, shuffled, 0.5)) < 1e-5);
    assert.ok(same < other, `identical views ${same} < shuffled ${other}`);
    assert.equal(await value(wrong.accuracy), 0);
    tf.dispose([t1, t2, t3, identical.accuracy]);
  });

  it("scores cluster assignments: impurity 0 for one-hot rows, balance deficit ln K for a collapse and 0 for balance", async () => {
    const oneHot = tf.tensor2d([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);
    const collapsed = tf.tensor2d([[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]]);
    const uniform = tf.fill([4, 4], 0.25) as tf.Tensor2D;
    const half = tf.tensor2d([[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]]);
    assert.ok(Math.abs(await value(clusterImpurity(oneHot))) < 1e-6);
    assert.ok(Math.abs(await value(clusterImpurity(collapsed))) < 1e-6, "a collapse is perfectly one-hot: the impurity alone cannot prevent it");
    assert.ok(Math.abs((await value(clusterImpurity(uniform))) - 0.75) < 1e-6);
    assert.ok(Math.abs((await value(clusterImpurity(half))) - 0.5) < 1e-6);
    assert.ok(Math.abs(await value(balanceDeficit(oneHot))) < 1e-5);
    assert.ok(Math.abs(await value(balanceDeficit(uniform))) < 1e-5);
    assert.ok(Math.abs((await value(balanceDeficit(collapsed))) - Math.log(4)) < 1e-5);
    assert.ok(Math.abs((await value(balanceDeficit(half))) - (Math.log(4) - Math.log(4))) < 1e-5, "half-and-half rows still use every cluster equally");
    // The weighted terms of the whole loss: lambda (G1 + G2) and beta (ln K - H); they sum to the loss.
    const h = tf.tensor2d([[1, 0], [0, 1], [1, 0.1], [0.1, 1]]);
    const c = tf.tensor2d([[1, 0, 0, 0], [1, 0, 0, 0], [0.5, 0.5, 0, 0], [1, 0, 0, 0]]);
    const { loss, parts } = contrastiveLoss(h, c, { temperature: 0.5, clusterWeight: 0.5, balanceWeight: 2 });
    const p = [3.5 / 4, 0.5 / 4];
    const entropy = -p.reduce((s, x) => s + x * Math.log(x), 0);
    assert.ok(Math.abs((await value(parts.clusterTerm)) - 0.5 * (0 + 0.5 / 2 + 0 + 0)) < 1e-5, "lambda * (G(view 1) + G(view 2)) = 0.5 * (0 + 0.25)");
    assert.ok(Math.abs((await value(parts.balanceTerm)) - 2 * (Math.log(4) - entropy)) < 1e-4);
    const z = [unit([1, 0]), unit([0, 1]), unit([1, 0.1]), unit([0.1, 1])];
    const nce = handInfoNce(z.slice(0, 2), z.slice(2), 0.5);
    assert.ok(Math.abs((await value(parts.infoNce)) - nce) < 1e-5);
    assert.ok(Math.abs((await value(loss)) - (nce + 0.125 + 2 * (Math.log(4) - entropy))) < 1e-4);
    tf.dispose([oneHot, collapsed, uniform, half, h, c, parts.instanceAccuracy]);
  });

  it("classifies by k nearest neighbours (cosine, weighted votes) and describes cluster sizes", async () => {
    // Memory: class 0 along x, class 1 along y, class 2 along z, three noisy points each; one stray class-1
    // point right next to the query q0.
    const memoryRows = [[1, 0.1, 0], [1, 0, 0.1], [1, 0.05, 0.05], [0.1, 1, 0], [0, 1, 0.1], [0.05, 1, 0], [0, 0.1, 1], [0.1, 0, 1], [0, 0, 1], [0.98, 0.02, 0]];
    const memoryLabels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 1];
    const queryRows = [[0.98, 0.02, 0.01], [0.1, 0.9, 0.1], [0, 0.2, 0.9]];
    const memory = l2Normalize(tf.tensor2d(memoryRows));
    const queries = l2Normalize(tf.tensor2d(queryRows));
    const nearest = await knnPredict(memory, memoryLabels, queries, { k: 1, temperature: KNN_TEMPERATURE, numClasses: 3 });
    assert.deepEqual(Array.from(nearest), [1, 1, 2], "k = 1: the stray point wins q0");
    const voted = await knnPredict(memory, memoryLabels, queries, { k: 4, temperature: 10, numClasses: 3 }, 2);
    assert.deepEqual(Array.from(voted), [0, 1, 2], "k = 4 with near-equal weights: the majority wins (also across query chunks)");
    tf.dispose([memory, queries]);

    const balanced = clusterStats([0, 1, 2, 3, 0, 1, 2, 3], 4, [5, 6, 7, 8, 5, 6, 7, 8], 10);
    assert.equal(balanced.largestClusterShare, 0.25);
    assert.equal(balanced.nonEmptyClusters, 4);
    assert.ok(Math.abs(balanced.clusterSizeEntropy - Math.log(4)) < 1e-12);
    assert.ok(Math.abs(balanced.clusterNmi - 1) < 1e-12, "clusters that are the classes renamed: NMI 1");
    const collapsed = clusterStats([2, 2, 2, 2], 4, [0, 1, 0, 1], 2);
    assert.deepEqual([collapsed.largestClusterShare, collapsed.nonEmptyClusters, collapsed.clusterSizeEntropy, collapsed.clusterNmi], [1, 1, 0, 0]);
    const independent = clusterStats([0, 0, 1, 1], 2, [0, 1, 0, 1], 2);
    assert.ok(Math.abs(independent.clusterNmi) < 1e-12, "clusters independent of the labels: NMI 0");
  });

  it("trains exactly the encoder of Exercises 3 and 4, with the cluster and projection heads on its pooled features", () => {
    const config = scaleWidths(DEFAULT_CLASSIFIER, 0.25);
    const family = buildContrastiveFamily(config, 100, 128);
    const structure = (rows: ReturnType<typeof describeLayers>) => rows.map((r) => ({ type: r.type, shape: r.outputShape, params: r.params, config: r.config }));
    // Each encoder as its experiment builds it, from its own registry entry and method.
    const ex6 = buildFamily(...registryParams("ex6-contrastive-finetuned"));
    for (const id of ["ex3-autoencoder-finetuned", "ex4-joint"]) {
      const autoencoder = buildAutoencoderMethodFamily(...registryParams(id));
      assert.deepEqual(structure(describeLayers(ex6.encoder)), structure(describeLayers(autoencoder.encoder)), id);
      autoencoder.joint.dispose();
    }
    ex6.joint.dispose();
    // The contrastive network's weights are the encoder's plus the cluster and projection heads; the pooling layer has none.
    const extra = family.contrastive.layers.filter((l) => !family.encoder.layers.includes(l)).map((l) => l.name);
    assert.deepEqual(extra.sort(), [CLUSTER_LAYER, `${CLUSTER_LAYER}_bn`, HEAD_POOLING_LAYER, PROJECTION_LAYER, `${PROJECTION_LAYER}_hidden`].sort());
    assert.equal(family.contrastive.getLayer(HEAD_POOLING_LAYER).countParams(), 0);
    family.encoder.layers.forEach((l) => assert.equal(l, family.classifier.getLayer(l.name), `${l.name} is shared with the classifier`));
    const head = family.contrastive.getLayer(CLUSTER_LAYER);
    assert.equal(head.getConfig().units, 100);
    assert.equal(head.getConfig().activation, "linear", "logits: the loss applies the softmax at its temperature");
    assert.deepEqual(family.contrastive.outputs.map((o) => o.shape), [[null, config.widths[3]], [null, 100], [null, 128]]);
    const projection = family.contrastive.getLayer(PROJECTION_LAYER);
    assert.equal(projection.getConfig().activation, "linear", "a linear projection: its cosines can be negative");
    const projectionHidden = family.contrastive.getLayer(`${PROJECTION_LAYER}_hidden`);
    assert.equal(family.joint.getLayer(OUTPUT_LAYER), family.classifier.getLayer(OUTPUT_LAYER));
    const headBn = family.contrastive.getLayer(`${CLUSTER_LAYER}_bn`);
    assert.equal(headBn.getClassName(), "BatchNormalization");
    assert.equal(
      family.contrastive.countParams(),
      family.encoder.countParams() + headBn.countParams() + head.countParams() + projectionHidden.countParams() + projection.countParams(),
    );
    family.joint.dispose();
  });

  it("lowers the loss in a few steps on tiny data and leaks no tensors (two-step and one-step tasks)", async () => {
    const count = 32;
    const images = patternImages(count);
    const indices = Int32Array.from({ length: count }, (_, i) => i);
    const family = buildContrastiveFamily(TINY, 10, 16);
    const weights = family.joint.weights.length;
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    // No hue rotation or greyscale: these images differ only in their blocks' colours, which those would erase.
    const options = { temperature: 0.5, cropMinArea: 0.2, hue: 0, greyscale: 0, clusterTemperature: 0.3, clusterWeight: 0.5, balanceWeight: 1 };
    const labels = Int32Array.from(indices, (i) => i % 4);
    const sets = { images, memory: { indices, labels }, queryImages: images, queries: { indices: indices.subarray(0, 8), labels: labels.subarray(0, 8) } };
    const evaluate = () => probe(family.contrastive, sets, 10, { k: 5, temperature: KNN_TEMPERATURE, numClasses: 4 }, 2);
    const task = { ...contrastiveTask(family, images, indices, 16, options, evaluate), endEpoch: () => void counts.push(tf.memory().numTensors) };
    const run = await train(task, {
      epochs: 6, schedule: { peak: 3e-3, warmup: 0, decay: "constant" }, optimizer: ADAM, seed: 1,
      checkpointDir: null, configHash: "t", progress: silentProgress,
    });
    const losses = run.history.map((h) => h.loss);
    assert.ok(losses[5] < losses[0], `losses ${losses.map((l) => l.toFixed(3)).join(" ")}`);
    assert.ok(run.history[5].infoNce < run.history[0].infoNce, `the InfoNCE part falls: ${run.history.map((h) => h.infoNce.toFixed(3))}`);
    for (const h of run.history) {
      assert.ok(Math.abs(h.loss - (h.infoNce + h.clusterTerm + h.balanceTerm)) < 1e-4, "the recorded parts sum to the loss");
      assert.ok(h.knnAccuracy >= 0 && h.knnAccuracy <= 1 && h.nonEmptyClusters >= 1);
      assert.ok(h.knnProjectionAccuracy >= 0 && h.knnProjectionAccuracy <= 1, "the probe also reads the projection");
    }
    assert.ok(counts.every((c) => c === counts[0]), `tensor counts per epoch ${counts}`);

    // One step of the joint task: classification on the labeled rows only (weights), same loss parts.
    assert.deepEqual(Array.from(mixedBatches({ indices: indices.subarray(0, 2), labels: labels.subarray(0, 2) }, indices, 2, 2, 2).rowWeights), [2, 2, 0, 0, 2, 2, 0, 0]);
    const joint = contrastiveJointTask(
      family, images, { indices: indices.subarray(0, 16), labels: labels.subarray(0, 16) }, indices.subarray(16),
      { ...options, labeledBatchSize: 8, unlabeledBatchSize: 8, contrastiveWeight: 1, labelSmoothing: 0.1 }, undefined,
    );
    const jointCounts: number[] = [];
    const jointRun = await train({ ...joint, endEpoch: () => void jointCounts.push(tf.memory().numTensors) }, {
      epochs: 3, schedule: { peak: 3e-3, warmup: 0, decay: "constant" }, optimizer: ADAM, seed: 2,
      checkpointDir: null, configHash: "j", progress: silentProgress,
    });
    for (const h of jointRun.history) {
      assert.ok(Number.isFinite(h.loss) && Math.abs(h.loss - (h.classificationLoss + h.contrastiveLoss)) < 1e-4);
      assert.ok(Math.abs(h.contrastiveLoss - (h.infoNce + h.clusterTerm + h.balanceTerm)) < 1e-4);
    }
    assert.ok(jointCounts.every((c) => c === jointCounts[0]), `tensor counts per epoch ${jointCounts}`);
    family.joint.dispose();
    assert.equal(tf.memory().numTensors, before - weights, "only the model's weights are released at the end");
  });
});
