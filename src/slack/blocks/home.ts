import type { HomeView, KnownBlock } from "@slack/types";
import { ENGLISH, type Translator } from "../../i18n/translator.ts";
import type { AttentionItem, AuditEvent, DeletedAccountView, RestoreRequest } from "../../restore/types.ts";
import { decisionButtons, isPending, parseDetails } from "./approval.ts";
import { attentionBlocks } from "./attention.ts";
import { ACTION } from "./ids.ts";
import { context, fitBlocks, linesToSections, MODAL_MAX_BLOCKS, section } from "./layout.ts";
import { esc, plain, toDate } from "./mrkdwn.ts";
import { accountLine, isRestorableNow } from "./search.ts";
import { actorText, slackDateText } from "./words.ts";

const MAX_PENDING = 10;
const MAX_EXPIRING = 20;
const MAX_RECENT = 15;
const RESTORE_ACTIONS = new Set(["restore", "recreate", "replace"]);

export const NOT_ON_THE_LIST = ENGLISH.t("home.notOnTheList");

function header(text: string): KnownBlock {
  return { type: "header", text: plain(text, 150) };
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** "*Name* (user name)", both escaped. */
function nameAndUserName(name: string, userName: string): string {
  return `*${esc(name, 150)}* (${esc(userName, 200)})`;
}

function accountOf(value: unknown, t: Translator): string {
  const o = obj(value);
  const userName = typeof o.userName === "string" ? o.userName : t.t("common.anAccount");
  const name = typeof o.displayName === "string" && o.displayName ? o.displayName : userName;
  return nameAndUserName(name, userName);
}

function pendingBlocks(input: HomeInput, now: Date, t: Translator): KnownBlock[] {
  const pending = input.pending.filter((r) => isPending(r, now));
  const blocks: KnownBlock[] = [header(t.t("home.pending.header", { count: pending.length }))];
  if (pending.length === 0) return [...blocks, context(t.t("home.pending.none"))];
  for (const request of pending.slice(0, MAX_PENDING)) {
    const d = parseDetails(request);
    const expires = toDate(request.expiresAt);
    const reason = (request.reason ?? "").trim();
    const asked = t.t("home.pending.request", {
      restore: nameAndUserName(d.restore.displayName, d.restore.userName),
      replace: nameAndUserName(d.replace.displayName, d.replace.userName),
      actor: actorText(t, request.requestedBy),
    });
    const until = expires ? t.t("home.pending.expires", { time: slackDateText(t, expires) }) : "";
    const why = reason ? `\n> ${esc(reason, 300).split("\n").join(" ")}` : "";
    blocks.push(section(`${asked}${until}${why}`));
    const own = input.viewerId !== undefined && request.requestedBy === input.viewerId;
    if (own) blocks.push(context(t.t("home.pending.own")));
    else if (input.isApprover) blocks.push(decisionButtons(request, d, `home_decision:${request.id}`, t));
    else blocks.push(context(t.t("home.pending.waiting")));
  }
  if (pending.length > MAX_PENDING)
    blocks.push(context(t.t("common.andMore", { count: pending.length - MAX_PENDING })));
  return blocks;
}

function expiringBlocks(expiring: DeletedAccountView[], t: Translator): KnownBlock[] {
  const blocks: KnownBlock[] = [header(t.t("home.expiring.header"))];
  if (expiring.length === 0) return [...blocks, context(t.t("home.expiring.none"))];
  for (const view of expiring.slice(0, MAX_EXPIRING)) {
    const block = section(accountLine(view, {}, false, t));
    if (isRestorableNow(view) && view.id.length <= 2000) {
      block.accessory = {
        type: "button",
        action_id: ACTION.planAccount,
        text: plain(t.t("search.restoreButton"), 75),
        value: view.id,
      };
    }
    blocks.push(block);
  }
  if (expiring.length > MAX_EXPIRING) {
    blocks.push(context(t.t("home.expiring.more", { count: expiring.length - MAX_EXPIRING })));
  }
  return blocks;
}

function recentLine(e: AuditEvent, t: Translator): string {
  const actor = actorText(t, e.actor);
  const time = slackDateText(t, e.at);
  switch (e.action) {
    case "recreate":
      return t.t("home.recent.recreate", { actor, account: accountOf(e.after, t), time });
    case "replace":
      return t.t("home.recent.replace", { actor, account: accountOf(e.before, t), time });
    default:
      return t.t("home.recent.restore", { actor, account: accountOf(e.after, t), time });
  }
}

function recentBlocks(recent: AuditEvent[], t: Translator): KnownBlock[] {
  const events = recent
    .filter((e) => RESTORE_ACTIONS.has(e.action))
    .sort((a, b) => (toDate(b.at)?.getTime() ?? 0) - (toDate(a.at)?.getTime() ?? 0));
  const blocks: KnownBlock[] = [header(t.t("home.recent.header"))];
  if (events.length === 0) return [...blocks, context(t.t("home.recent.none"))];
  const { blocks: list } = linesToSections(
    events.slice(0, MAX_RECENT).map((e) => recentLine(e, t)),
    3,
  );
  blocks.push(...list);
  if (events.length > MAX_RECENT)
    blocks.push(context(t.t("home.recent.more", { count: events.length - MAX_RECENT })));
  return blocks;
}

export interface HomeInput {
  now: Date;
  isAdmin: boolean;
  isApprover: boolean;
  pending: RestoreRequest[];
  expiring: DeletedAccountView[];
  recent: AuditEvent[];
  /** Restores a provider did that this app's records could not follow (restore/audit.ts). */
  attention?: AttentionItem[];
  /** Who is looking: their own requests show "waiting for another approver" instead of buttons. */
  viewerId?: string;
  /** The viewer's language; English when not given. */
  t?: Translator;
}

export function homeView(input: HomeInput): HomeView {
  const t = input.t ?? ENGLISH;
  const blocks: KnownBlock[] = [header(t.t("home.title"))];
  if (!input.isAdmin && !input.isApprover) {
    blocks.push(section(t.t("home.notOnTheList")));
    return { type: "home", blocks };
  }
  blocks.push(section(t.t("home.intro")));
  if (input.isAdmin) {
    blocks.push({
      type: "actions",
      elements: [
        {
          type: "button",
          action_id: ACTION.restoreFromHome,
          text: plain(t.t("home.findButton"), 75),
          style: "primary",
          value: "search",
        },
      ],
    });
  }
  const attention = attentionBlocks(input.attention ?? [], t);
  if (attention.length > 0) blocks.push({ type: "divider" }, ...attention);
  blocks.push({ type: "divider" }, ...pendingBlocks(input, input.now, t));
  if (input.isAdmin) blocks.push({ type: "divider" }, ...expiringBlocks(input.expiring, t));
  blocks.push({ type: "divider" }, ...recentBlocks(input.recent, t));
  return { type: "home", blocks: fitBlocks(blocks, MODAL_MAX_BLOCKS, t.t("plan.notAllShown")) };
}
