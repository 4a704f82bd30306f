import { strict as assert } from "assert";
import { mean, populationSd, sampleSd } from "../lib/stats";

describe("descriptive statistics (lib/stats)", () => {
  it("divides the squared deviations by n - 1 for seeds and by n for a whole set, on arrays and typed arrays", () => {
    const values = [1, 2, 3, 4];
    assert.equal(mean(values), 2.5);
    assert.ok(Math.abs(sampleSd(values)! - Math.sqrt(5 / 3)) < 1e-12);
    assert.ok(Math.abs(populationSd(new Float32Array(values)) - Math.sqrt(5 / 4)) < 1e-12);
    assert.equal(sampleSd([0.5]), null, "one seed has no spread to measure");
    assert.equal(populationSd([]), 0);
  });
});
