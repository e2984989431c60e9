import type { KnownBlock } from "@slack/types";
import { say } from "../../i18n/said.ts";
import { ENGLISH, type Translator } from "../../i18n/translator.ts";
import type { AttentionItem } from "../../restore/types.ts";
import { ATTENTION_DAYS } from "../../restore/window.ts";
import { context, linesToSections } from "./layout.ts";
import { esc, escapeMrkdwn, truncate } from "./mrkdwn.ts";
import { actorText, slackDateText } from "./words.ts";

const SHOWN = 10;

function line(a: AttentionItem, t: Translator): string {
  return t.t("attention.line", {
    account: `*${esc(a.displayName, 150)}* (${esc(a.userName, 200)})`,
    provider: esc(a.provider, 100),
    actor: actorText(t, a.actor),
    time: slackDateText(t, a.at),
    nextStep: a.nextStepSaid ? truncate(say(t, a.nextStepSaid, escapeMrkdwn), 400) : esc(a.nextStep, 400),
  });
}

/** Restores a provider did that our records could not follow: shown until they age out. */
export function attentionBlocks(items: readonly AttentionItem[], t: Translator = ENGLISH): KnownBlock[] {
  if (items.length === 0) return [];
  const { blocks } = linesToSections(
    [t.t("attention.header", { count: items.length }), ...items.slice(0, SHOWN).map((a) => line(a, t))],
    3,
  );
  const more = items.length > SHOWN ? t.t("attention.more", { count: items.length - SHOWN }) : "";
  return [...blocks, context(`${t.t("attention.listedFor", { days: ATTENTION_DAYS })}${more}`)];
}
