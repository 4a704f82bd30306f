// The language of the generated answers, tables and chart titles: Spanish (the course's) by default, English with
// REPORT_LANG=en. Each language is one module with the same typed phrases (en.ts defines the type, es.ts must match
// it); the report modules compute facts and verdicts and ask text() to phrase them.
import { en } from "./en";
import { es } from "./es";

export type Phrases = typeof en;

const LANGUAGES: Record<string, Phrases> = { es, en };
export type Lang = "es" | "en";

/** REPORT_LANG, checked: unset or empty means Spanish; an unknown value is an error, not a silent fallback. */
export function reportLang(): Lang {
  const value = process.env.REPORT_LANG || "es";
  if (!(value in LANGUAGES)) throw new Error(`REPORT_LANG=${value} is not a report language: use es (the default) or en`);
  return value as Lang;
}

/** The phrases of the current report language. */
export function text(): Phrases {
  return LANGUAGES[reportLang()];
}
