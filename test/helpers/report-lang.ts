// The report language of a test's phrases: REPORT_LANG set for one call and restored after.

/** Runs `fn` with REPORT_LANG set to `lang` (undefined: unset), restoring it after. */
export function inLang<T>(lang: string | undefined, fn: () => T): T {
  const saved = process.env.REPORT_LANG;
  if (lang === undefined) delete process.env.REPORT_LANG;
  else process.env.REPORT_LANG = lang;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.REPORT_LANG;
    else process.env.REPORT_LANG = saved;
  }
}

/** `fn()` with the reports in English (the tests that read phrases). */
export const inEnglish = <T>(fn: () => T): T => inLang("en", fn);
