import type { HomeView, KnownBlock } from "@slack/types";
import type { AttentionItem, AuditEvent, DeletedAccountView, RestoreRequest } from "../../restore/types.ts";
import { decisionButtons, isPending, parseDetails } from "./approval.ts";
import { attentionBlocks } from "./attention.ts";
import { ACTION } from "./ids.ts";
import { context, fitBlocks, linesToSections, MODAL_MAX_BLOCKS, section } from "./layout.ts";
import { esc, mention, plain, slackDate, toDate } from "./mrkdwn.ts";
import { accountLine, isRestorableNow } from "./search.ts";

const MAX_PENDING = 10;
const MAX_EXPIRING = 20;
const MAX_RECENT = 15;
const RESTORE_ACTIONS = new Set(["restore", "recreate", "replace"]);

export const NOT_ON_THE_LIST =
  "restore-user lets IT admins find deleted accounts and restore them, with a second admin approving anything destructive. You are not one of its admins or approvers, so there is nothing to show you here. If you need it, ask an IT admin to add you to RESTORE_ADMINS or RESTORE_APPROVERS.";

function header(text: string): KnownBlock {
  return { type: "header", text: plain(text, 150) };
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function accountOf(value: unknown): string {
  const o = obj(value);
  const userName = typeof o.userName === "string" ? o.userName : "an account";
  const name = typeof o.displayName === "string" && o.displayName ? o.displayName : userName;
  return `*${esc(name, 150)}* (${esc(userName, 200)})`;
}

function pendingBlocks(input: HomeInput, now: Date): KnownBlock[] {
  const pending = input.pending.filter((r) => isPending(r, now));
  const blocks: KnownBlock[] = [header(`Pending approvals (${pending.length})`)];
  if (pending.length === 0) return [...blocks, context("Nothing is waiting for approval.")];
  for (const request of pending.slice(0, MAX_PENDING)) {
    const d = parseDetails(request);
    const expires = toDate(request.expiresAt);
    const reason = (request.reason ?? "").trim();
    blocks.push(
      section(
        `Restore *${esc(d.restore.displayName, 150)}* (${esc(d.restore.userName, 200)}) in place of the active *${esc(d.replace.displayName, 150)}* (${esc(d.replace.userName, 200)})\nasked by ${mention(request.requestedBy)}${expires ? ` · expires ${slackDate(expires)}` : ""}${reason ? `\n> ${esc(reason, 300).split("\n").join(" ")}` : ""}`,
      ),
    );
    const own = input.viewerId !== undefined && request.requestedBy === input.viewerId;
    if (own) blocks.push(context("Your request: waiting for another approver."));
    else if (input.isApprover) blocks.push(decisionButtons(request, d, `home_decision:${request.id}`));
    else blocks.push(context("Waiting for an approver."));
  }
  if (pending.length > MAX_PENDING) blocks.push(context(`…and ${pending.length - MAX_PENDING} more`));
  return blocks;
}

function expiringBlocks(expiring: DeletedAccountView[]): KnownBlock[] {
  const blocks: KnownBlock[] = [header("Expiring soonest")];
  if (expiring.length === 0) return [...blocks, context("No deleted account is about to be lost.")];
  for (const view of expiring.slice(0, MAX_EXPIRING)) {
    const block = section(accountLine(view, {}, false));
    if (isRestorableNow(view) && view.id.length <= 2000) {
      block.accessory = {
        type: "button",
        action_id: ACTION.planAccount,
        text: plain("Restore…", 75),
        value: view.id,
      };
    }
    blocks.push(block);
  }
  if (expiring.length > MAX_EXPIRING) {
    blocks.push(
      context(`…and ${expiring.length - MAX_EXPIRING} more — search with /restore-user to see them all`),
    );
  }
  return blocks;
}

function recentLine(e: AuditEvent): string {
  const who = mention(e.actor);
  const when = slackDate(e.at);
  switch (e.action) {
    case "recreate":
      return `♻️ ${who} re-created ${accountOf(e.after)} as a new account · ${when}`;
    case "replace":
      return `🔁 ${who} replaced ${accountOf(e.before)} (now deleted, restorable) · ${when}`;
    default:
      return `✅ ${who} restored ${accountOf(e.after)} · ${when}`;
  }
}

function recentBlocks(recent: AuditEvent[]): KnownBlock[] {
  const events = recent
    .filter((e) => RESTORE_ACTIONS.has(e.action))
    .sort((a, b) => (toDate(b.at)?.getTime() ?? 0) - (toDate(a.at)?.getTime() ?? 0));
  const blocks: KnownBlock[] = [header("Recent restores")];
  if (events.length === 0) return [...blocks, context("No restores yet.")];
  const { blocks: list } = linesToSections(events.slice(0, MAX_RECENT).map(recentLine), 3);
  blocks.push(...list);
  if (events.length > MAX_RECENT) blocks.push(context(`…and ${events.length - MAX_RECENT} earlier`));
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
}

export function homeView(input: HomeInput): HomeView {
  const blocks: KnownBlock[] = [header("Restore user")];
  if (!input.isAdmin && !input.isApprover) {
    blocks.push(section(NOT_ON_THE_LIST));
    return { type: "home", blocks };
  }
  blocks.push(
    section(
      "Find deleted accounts and bring them back. Type `/restore-user NAME` anywhere, or `/restore-user help` for more.",
    ),
  );
  if (input.isAdmin) {
    blocks.push({
      type: "actions",
      elements: [
        {
          type: "button",
          action_id: ACTION.restoreFromHome,
          text: plain("Find a deleted account…", 75),
          style: "primary",
          value: "search",
        },
      ],
    });
  }
  const attention = attentionBlocks(input.attention ?? []);
  if (attention.length > 0) blocks.push({ type: "divider" }, ...attention);
  blocks.push({ type: "divider" }, ...pendingBlocks(input, input.now));
  if (input.isAdmin) blocks.push({ type: "divider" }, ...expiringBlocks(input.expiring));
  blocks.push({ type: "divider" }, ...recentBlocks(input.recent));
  return { type: "home", blocks: fitBlocks(blocks, MODAL_MAX_BLOCKS) };
}
