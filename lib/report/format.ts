// The current language's number formatters (lib/report/text/numbers.ts): every number of the generated text goes
// through them, so one language's conventions apply everywhere.
import { text } from "./text/index";

export const acc = (x: number) => text().number.acc(x);
export const pct = (x: number, digits = 1) => text().number.pct(x, digits);
export const pp = (x: number, digits = 1) => text().number.pp(x, digits);
export const int = (n: number) => text().number.int(n);
export const minutes = (seconds: number) => text().number.minutes(seconds);
