// Learning-rate schedules, as pure functions of the step so a resumed run picks up exactly where it stopped.

export interface Schedule {
  /** Peak learning rate. */
  peak: number;
  /** Fraction of the steps spent warming up linearly from 0 to the peak. */
  warmup: number;
  /** After warm-up: linear decay to 0 (the one-cycle shape airbench and DAWNBench use), or constant. */
  decay: "linear" | "constant";
}

export function learningRateAt(schedule: Schedule, step: number, totalSteps: number): number {
  const warm = Math.floor(totalSteps * schedule.warmup);
  if (step < warm) return (schedule.peak * (step + 1)) / warm;
  if (schedule.decay === "constant") return schedule.peak;
  return (schedule.peak * Math.max(0, totalSteps - step)) / Math.max(1, totalSteps - warm);
}
