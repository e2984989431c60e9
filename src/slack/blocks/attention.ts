import type { KnownBlock } from "@slack/types";
import type { AttentionItem } from "../../restore/types.ts";
import { ATTENTION_DAYS } from "../../restore/window.ts";
import { context, linesToSections } from "./layout.ts";
import { esc, mention, slackDate } from "./mrkdwn.ts";

const SHOWN = 10;

function line(a: AttentionItem): string {
  return `• ⚠️ *${esc(a.displayName, 150)}* (${esc(a.userName, 200)}) was restored in ${esc(a.provider, 100)} by ${mention(a.actor)} · ${slackDate(a.at)}, but this app's records could not follow. ${esc(a.nextStep, 400)}`;
}

/** Restores a provider did that our records could not follow: shown until they age out. */
export function attentionBlocks(items: readonly AttentionItem[]): KnownBlock[] {
  if (items.length === 0) return [];
  const { blocks } = linesToSections(
    [`*Needs attention (${items.length})*`, ...items.slice(0, SHOWN).map(line)],
    3,
  );
  const more = items.length > SHOWN ? ` …and ${items.length - SHOWN} more in the audit log.` : "";
  return [...blocks, context(`Listed for ${ATTENTION_DAYS} days after it happened.${more}`)];
}
