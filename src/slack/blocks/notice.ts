import { type Said, say } from "../../i18n/said.ts";
import { ENGLISH, type Translator } from "../../i18n/translator.ts";
import type { Refusal } from "../../restore/outcome.ts";
import { escapeMrkdwn, truncate } from "./mrkdwn.ts";
import { errorText, refusalMrkdwn, staleButtonText } from "./result.ts";

declare const built: unique symbol;

/**
 * A short private message (ephemeral, or a DM) whose text is mrkdwn. Only the builders below make
 * one, and each escapes what came from people or directories, so a listener cannot send a raw
 * domain string (a refusal naming an account called `<!channel>`) by mistake: it does not type-check.
 * Each speaks the reader's language (`t`); English when none is given.
 */
export type Notice = { readonly text: string; readonly [built]: true };

function notice(text: string): Notice {
  return { text } as Notice;
}

/** Why the service said no, in the reader's words; the names in it are escaped. */
export function refusalNotice(refusal: Pick<Refusal, "message" | "said">, t: Translator = ENGLISH): Notice {
  return notice(refusalMrkdwn(refusal, t, 3000));
}

export function approvalCountedNotice(approvals: number, needed: number, t: Translator = ENGLISH): Notice {
  return notice(t.t("notice.approvalCounted", { approvals, needed }));
}

/** An approval whose re-check failed: the reason names the accounts involved (escaped). */
export function approvalFailedNotice(reason: Said, t: Translator = ENGLISH): Notice {
  return notice(`⚠️ ${truncate(say(t, reason, escapeMrkdwn), 2900)}`);
}

export function failureNotice(reference: string, t: Translator = ENGLISH): Notice {
  return notice(errorText(reference, t));
}

/** A button or form whose value could not have come from one of our messages. */
export function staleButtonNotice(t: Translator = ENGLISH): Notice {
  return notice(staleButtonText(t));
}
