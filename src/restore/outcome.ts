import { type Said, said, saidList, say, sayOr } from "../i18n/said.ts";
import { ENGLISH, type Translator } from "../i18n/translator.ts";
import type { RestorePlan } from "./plan-types.ts";

/**
 * Why the service said no. Interfaces map these to exit codes and screens; the message is for
 * people, said in their language by `refusalText`.
 */
export type RefusalCode =
  | "not_allowed" // the actor may not do this
  | "not_found" // no such account or request
  | "ambiguous" // the reference matches several accounts: pick one by id
  | "invalid_input" // malformed input (a reason missing, an unknown option)
  | "invalid_choice" // a choice the plan cannot take (a taken or malformed user name, an unknown department)
  | "blocked" // the plan has unresolved conflicts or the account is not restorable now
  | "needs_approval" // replace asked for outside an approval request
  | "not_pending" // the request was already decided or expired
  | "expired"
  | "own_request" // a requester may never approve their own request
  | "already_approved" // this approver already approved; waiting for others
  | "already_issued" // a temporary password is given out once
  | "changed" // the world changed since the request: nothing was done
  | "race" // another change took the same name or address a moment ago
  | "batch_not_supported"
  | "provider" // the identity provider refused or could not be reached: nothing was restored
  | "not_recorded"; // the provider DID act, but this app could not record it: see the message

export interface Refusal {
  type: "refused";
  code: RefusalCode;
  /** In English: what `--json`, the logs and scripts read. `refusalText` says it in the reader's language. */
  message: string;
  /**
   * The same message as key and values. Always set by the service (a Refused); optional so a
   * hand-made refusal still type-checks, and then `refusalText` falls back to `message`.
   */
  said?: Said;
  /** The choice the message is about, for a form to show it on its field. */
  field?: string;
  /** The plan that refused, when there was one: screens show its conflicts. */
  plan?: RestorePlan;
}

/** Thrown inside transactions so they roll back; the service turns it into a Refusal at its edge. */
export class Refused extends Error {
  constructor(
    readonly code: RefusalCode,
    readonly said: Said,
    readonly extra: { field?: string; plan?: RestorePlan } = {},
  ) {
    super(say(ENGLISH, said));
    this.name = "Refused";
  }

  toRefusal(): Refusal {
    return { type: "refused", code: this.code, message: this.message, said: this.said, ...this.extra };
  }
}

/** A plan's blockers as one refusal: each reason said in the reader's language, one after the other. */
export function blockedBy(plan: Pick<RestorePlan, "blockers" | "blockersSaid">): Said {
  return said("refusal.blocked", {
    reasons: plan.blockersSaid ? saidList(plan.blockersSaid) : plan.blockers.join(" "),
  });
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === "object" && value !== null && (value as { type?: unknown }).type === "refused";
}

/** Runs `work` and turns a Refused thrown from it (and from its rolled-back transaction) into a value. */
export async function refusalsAsValues<T>(work: () => Promise<T>): Promise<T | Refusal> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Refused) return error.toRefusal();
    throw error;
  }
}

/**
 * The refusal in `t`'s language: what Slack and the CLI show. `escapeText` is applied to what a
 * user typed or a directory returned (Slack passes its mrkdwn escaper; the terminal, none). A
 * refusal made without a Said is its English message, escaped whole.
 */
export function refusalText(
  refusal: Pick<Refusal, "message" | "said">,
  t: Translator,
  escapeText: (s: string) => string = (s) => s,
): string {
  return sayOr(t, refusal.said, refusal.message, escapeText);
}
