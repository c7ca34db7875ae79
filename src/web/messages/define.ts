// A page area's strings: Spanish first (its keys are the area's keys), English with exactly the
// same keys (the compiler refuses a missing or extra one).
export interface Messages<K extends string> {
  es: Record<K, string>;
  en: Record<K, string>;
}

export const messages = <const E extends Record<string, string>>(es: E, en: Record<keyof E, string>): Messages<keyof E & string> => ({ es, en });
