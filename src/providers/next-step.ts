/**
 * A connector's next step as a catalog message: `nextStep` in English (logs, --json, the refusal's
 * English message) and `nextStepSaid` for the reader's language. The provider's own words stay in
 * the error's message, as it said them.
 */
import type { MessageKey } from "../i18n/catalog.ts";
import { type Said, type SaidValue, said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";

export interface NextStep {
  nextStep: string;
  nextStepSaid: Said;
}

/** `ProviderError.details` for the next step `message`. */
export function step(message: Said): NextStep {
  return { nextStep: say(ENGLISH, message), nextStepSaid: message };
}

/** The next step `key` with `values`; numbers as text, so a wait of 1000 minutes stays "1000". */
export function nextStep(key: MessageKey, values?: Readonly<Record<string, SaidValue>>): NextStep {
  return step(said(key, values));
}

/** `step`, or no next step at all (both null, as before there were messages). */
export function stepOrNone(message: Said | null): NextStep | { nextStep: null; nextStepSaid: null } {
  return message ? step(message) : { nextStep: null, nextStepSaid: null };
}
