// Result records for report tests: only what the reports read, the rest at neutral values.
import { seededResult, type SeededResult } from "../../lib/experiments/aggregate";
import type { ResultRecord } from "../../lib/experiments/results";

export const H200 = "NVIDIA H200, NVIDIA: 580.159.04 580.159.4.0, vendor nvidia";

export function record(overrides: Partial<ResultRecord> = {}): ResultRecord {
  return {
    experiment: "ex1-supervised",
    exercise: 1,
    method: "supervised",
    title: "a run",
    profile: "full",
    params: {},
    seed: 1,
    configHash: "0000000000000000",
    trainAccuracy: 0.99,
    testAccuracy: 0.52,
    seconds: 160,
    backend: "webgpu",
    device: H200,
    commit: "389c334cd631a9e1ac0e7c4bacca44787f73ebc8",
    date: "2026-11-26T22:18:54.576Z",
    data: { labeled: 10080, unlabeled: 39920, test: 10000 },
    history: [],
    details: {},
    ...overrides,
  };
}

/** An experiment's seeds as the notebooks get them (means over the seeds, every run kept). */
export function seeded(experiment: string, accuracies: number[], overrides: Partial<ResultRecord> = {}): SeededResult {
  return seededResult(accuracies.map((testAccuracy, i) =>
    record({ experiment, seed: 1 + 100 * i, testAccuracy, trainAccuracy: Math.min(1, testAccuracy + 0.4), ...overrides })));
}
