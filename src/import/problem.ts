/**
 * An import problem as the checks name it: a catalog message (`said`, in the reader's language on
 * the CLI's human output) beside its English `reason` (--json, logs, and the tests that pin it).
 */
import type { MessageKey } from "../i18n/catalog.ts";
import { type Said, type SaidValue, said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";
import type { ImportProblem } from "./types.ts";

/** The problem `key` on `line`; numbers in `values` are passed as text so line 1234 stays "1234". */
export function problemAt(
  line: number,
  key: MessageKey,
  values?: Readonly<Record<string, SaidValue>>,
): ImportProblem {
  const message: Said = said(key, values);
  return { line, reason: say(ENGLISH, message), said: message };
}
