// Number formatters for one language's conventions. Both languages use a decimal point: hyper-parameters are quoted
// as the result files and the code write them, and one decimal mark keeps them and the accuracies alike.

export interface NumberConventions {
  /** Between groups of three digits. */
  thousands: string;
  /** Written after a percentage ("%" or " %"). */
  percentSign: string;
  /** The unit of a difference of two percentages. */
  pointsUnit: string;
}

export function numberFormat(c: NumberConventions) {
  const pct = (x: number, digits = 1) => `${(100 * x).toFixed(digits)}${c.percentSign}`;
  return {
    /** An accuracy in [0, 1], four decimals (as the reference solution prints them). */
    acc: (x: number) => x.toFixed(4),
    pct,
    /** A difference of two accuracies, signed, in percentage points. */
    pp: (x: number, digits = 1) => {
      const value = (100 * x).toFixed(digits);
      return `${value.startsWith("-") ? "" : "+"}${value} ${c.pointsUnit}`;
    },
    /** A count with the thousands separator. */
    int: (n: number) => Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, c.thousands),
    minutes: (seconds: number) => (seconds < 120 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(1)} min`),
  };
}

export type NumberFormat = ReturnType<typeof numberFormat>;
