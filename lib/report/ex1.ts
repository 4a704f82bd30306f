// Exercise 1's answers, generated from its results: the facts are computed here, phrased by lib/report/text.
import type * as tfl from "@tensorflow/tfjs-layers";
import type { SeededResult } from "../experiments/aggregate";
import { describeLayers } from "../models/classifier";
import { PUBLISHED, REFERENCE_SOLUTION } from "./reference";
import { devicesOf, minutes, provenanceLine } from "./common";
import { text } from "./text/index";
import { type Versus, testSpread, versusFigure } from "./verdicts";

export function ex1NetworkAnswer(r: SeededResult, model: tfl.LayersModel): string {
  const rows = describeLayers(model);
  const count = (type: string) => rows.filter((row) => row.type === type).length;
  const convs = rows.filter((row) => row.type === "Conv2D");
  return text().ex1.network({
    widths: [...new Set(convs.map((row) => row.config.filters as number))].join("-"),
    widthScale: r.params.widthScale as number,
    profile: r.profile,
    convolutions: convs.length,
    pools: count("MaxPooling2D"),
    sizes: [...new Set(rows.filter((row) => row.shape.length === 4).map((row) => row.shape[1] as number))],
    residualBlocks: count("Add"),
    classes: model.outputs[0].shape[1] as number,
    parameters: model.countParams(),
    params: r.params,
    labeled: r.data.labeled,
    provenance: provenanceLine(r),
  });
}

export function ex1AccuracyAnswer(r: SeededResult): string {
  return text().ex1.accuracy({ train: r.trainAccuracy, test: testSpread(r), labeled: r.data.labeled, testImages: r.data.test });
}

export interface Ex1Facts {
  train: number;
  test: number;
  labelsPerClass: number;
  /** Train accuracy above 95%: the network fits its labeled images. */
  fitsTraining: boolean;
  /** Test accuracy over the last evaluations (of the first seed's curve). */
  tailLength: number;
  lateGain: number;
  bestTest: number;
  bestEpoch: number;
  epochs: number;
  /** The last epoch's test accuracy is within 0.5 points of the best one. */
  lastIsBest: boolean;
  seed: number;
  reference: Versus;
  referenceTrain: number;
  profile: string;
  published: typeof PUBLISHED;
  time: string;
  device: string;
  backend: string;
}

export function ex1Facts(r: SeededResult): Ex1Facts {
  const tests = r.history.map((h) => h.testAccuracy).filter((x): x is number => typeof x === "number");
  const bestTest = Math.max(...tests);
  const tail = tests.slice(-Math.max(2, Math.floor(tests.length / 6)));
  return {
    train: r.trainAccuracy,
    test: r.testAccuracy,
    labelsPerClass: Math.round(r.data.labeled / 100),
    fitsTraining: r.trainAccuracy > 0.95,
    tailLength: tail.length,
    lateGain: tail[tail.length - 1] - tail[0],
    bestTest,
    bestEpoch: tests.indexOf(bestTest) + 1,
    epochs: tests.length,
    lastIsBest: bestTest - tests[tests.length - 1] <= 0.005,
    seed: r.seed,
    reference: versusFigure(r, REFERENCE_SOLUTION.ex1.test, "reference"),
    referenceTrain: REFERENCE_SOLUTION.ex1.train,
    profile: r.profile,
    published: PUBLISHED,
    time: minutes(r.seconds),
    device: devicesOf(r),
    backend: r.backend,
  };
}

export function ex1Conclusions(r: SeededResult): string {
  return text().ex1.conclusions(ex1Facts(r));
}
