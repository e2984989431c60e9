/**
 * A connector's next step as a catalog message: `nextStep` in English (logs, --json, the refusal's
 * English message) and `nextStepSaid` for the reader's language. The provider's own words stay in
 * the error's message, as it said them.
 */
import { type Said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";

export interface NextStep {
  nextStep: string;
  nextStepSaid: Said;
}

/** `ProviderError.details` for the next step `message`. */
export function step(message: Said): NextStep {
  return { nextStep: say(ENGLISH, message), nextStepSaid: message };
}

/** `step`, or no next step at all (both null, as before there were messages). */
export function stepOrNone(message: Said | null): NextStep | { nextStep: null; nextStepSaid: null } {
  return message ? step(message) : { nextStep: null, nextStepSaid: null };
}
