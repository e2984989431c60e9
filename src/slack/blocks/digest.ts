import type { KnownBlock, SectionBlock } from "@slack/types";
import type { Digest, DigestAccount, DigestGroup, DigestPendingApproval } from "../../restore/types.ts";
import { attentionBlocks } from "./attention.ts";
import { ACTION } from "./ids.ts";
import { context, linesToSections, MESSAGE_MAX_BLOCKS, section } from "./layout.ts";
import { esc, mention, plain, truncate } from "./mrkdwn.ts";

export interface DigestMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface DigestMessages {
  /** The channel message; null on an empty day when such days are skipped. */
  summary: DigestMessage | null;
  /** Posted in the summary's thread, in order. Empty when everything fits in the summary. */
  replies: DigestMessage[];
}

export interface DigestMessageOptions {
  /** A day with nothing to say: no message ("skip") or one short line ("line"). */
  emptyDay: "skip" | "line";
  /**
   * Accounts listed with a button, at most (one block each: 1,000 is about 21 replies, which
   * Slack's one message a second per channel posts in ~20 s). The rest are counted, not listed.
   */
  maxListed?: number;
}

export const DIGEST_MAX_LISTED = 1000;
/** Up to this many accounts are listed in the summary itself; more go to its thread, keeping the channel short. */
export const DIGEST_INLINE_MAX = 10;
/** Pending approvals shown in the summary; the Home tab has them all. */
const PENDING_SHOWN = 10;

const n = (x: number) => x.toLocaleString("en-US");
const accountsWord = (x: number) => `${n(x)} account${x === 1 ? "" : "s"}`;

/** One account: name, user name (directory when there are several), deadline; Restore… when it can be. */
function accountBlock(a: DigestAccount, directory: string | null): SectionBlock {
  const parts = [`*${esc(a.displayName || a.userName, 200)}*`, esc(a.userName, 250)];
  if (directory) parts.push(esc(directory, 100));
  const when = a.restorableFrom
    ? `⏳ window ends ${esc(a.deadline, 60)} · still being deleted by the directory, restorable from ${esc(a.restorableFrom.slice(0, 16).replace("T", " "), 30)} UTC`
    : `⏰ window ends ${esc(a.deadline, 60)}`;
  const block = section(`${parts.join(" · ")}\n${when}`);
  if (!a.restorableFrom && a.id.length <= 2000) {
    block.accessory = {
      type: "button",
      action_id: ACTION.planAccount,
      text: plain("Restore…", 75),
      value: a.id,
    };
  }
  return block;
}

function groupHeader(g: DigestGroup, continued: boolean): KnownBlock {
  const what = continued ? "continued" : accountsWord(g.accounts.length);
  return { type: "header", text: plain(`${g.label} · ${g.dates} (${what})`, 150) };
}

function groupLine(g: DigestGroup): string {
  return `• *${esc(g.label, 100)}* (${esc(g.dates, 100)}): ${accountsWord(g.accounts.length)}`;
}

function pendingLine(p: DigestPendingApproval): string {
  const restore = `*${esc(p.restore.displayName, 150)}* (${esc(p.restore.userName, 200)})`;
  const replace = p.replace
    ? ` in place of *${esc(p.replace.displayName, 150)}* (${esc(p.replace.userName, 200)})`
    : "";
  const expires = p.expires ? ` · expires ${esc(p.expires, 60)}` : "";
  return `• Restore ${restore}${replace} · asked by ${mention(p.requestedBy)}${expires}`;
}

function purgedLine(d: Digest): string {
  const since = d.purged.sinceLabel ? ` since the last digest (${esc(d.purged.sinceLabel, 60)})` : " so far";
  return d.purged.count === 0
    ? `🗑️ No account was purged${since}.`
    : `🗑️ ${accountsWord(d.purged.count)} purged${since}: their windows ended and they can no longer be restored.`;
}

function emptyLine(d: Digest): string {
  return `Restore digest for ${d.title}: no deleted account's window ends within ${d.windowDays} day${d.windowDays === 1 ? "" : "s"}, no approval is waiting and nothing was purged.`;
}

function fallbackText(d: Digest): string {
  const today = d.groups.find((g) => g.kind === "today")?.accounts.length ?? 0;
  const parts = [
    `${accountsWord(d.accountCount)} expire within ${d.windowDays} day${d.windowDays === 1 ? "" : "s"}${today > 0 ? ` (${n(today)} today)` : ""}`,
    `${n(d.pending.total)} approval${d.pending.total === 1 ? "" : "s"} waiting`,
    `${n(d.purged.count)} purged`,
    ...(d.attention.length > 0
      ? [
          `${n(d.attention.length)} provider restore${d.attention.length === 1 ? " needs" : "s need"} attention`,
        ]
      : []),
  ];
  return `Restore digest for ${d.title}: ${parts.join(", ")}.`;
}

/** The summary's blocks: counts per group, approvals waiting, purges. */
function summaryBlocks(d: Digest): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: "header", text: plain(`Restore digest · ${d.title}`, 150) }];
  const days = `${d.windowDays} day${d.windowDays === 1 ? "" : "s"}`;
  if (d.accountCount === 0) {
    blocks.push(section(`No deleted account's restore window ends within ${days}.`));
  } else {
    const intro = `*${accountsWord(d.accountCount)}* will be lost for good unless restored: their windows end within ${days} (deadlines in ${esc(d.timeZone, 60)}).${
      d.friday
        ? " It is Friday: what expires on Saturday or Sunday is grouped as _this weekend_, before anyone is back on Monday."
        : ""
    }`;
    const { blocks: lines, omitted } = linesToSections([intro, ...d.groups.map(groupLine)], 4);
    blocks.push(...lines);
    if (omitted > 0) blocks.push(context(`…and ${n(omitted)} more days`));
  }
  if (d.pending.total > 0) {
    const shown = d.pending.items.slice(0, PENDING_SHOWN);
    const more = d.pending.total - shown.length;
    const { blocks: lines } = linesToSections(
      [`*Waiting for approval (${n(d.pending.total)})*`, ...shown.map(pendingLine)],
      3,
    );
    blocks.push(...lines);
    if (more > 0) blocks.push(context(`…and ${n(more)} more waiting: the app's Home tab lists them all.`));
  } else {
    blocks.push(context("No approval is waiting."));
  }
  blocks.push(context(purgedLine(d)));
  if (d.attention.length > 0) blocks.push(...attentionBlocks(d.attention));
  return blocks;
}

/** Every listed account's blocks, a header before each group. */
function accountBlocks(d: Digest, maxListed: number): { group: DigestGroup; blocks: KnownBlock[] }[] {
  const many = Object.keys(d.directories).length > 1;
  const out: { group: DigestGroup; blocks: KnownBlock[] }[] = [];
  let left = maxListed;
  for (const g of d.groups) {
    if (left <= 0) break;
    const listed = g.accounts.slice(0, left);
    left -= listed.length;
    out.push({
      group: g,
      blocks: listed.map((a) =>
        accountBlock(a, many ? (d.directories[a.directoryId] ?? a.directoryId) : null),
      ),
    });
  }
  return out;
}

function notListedNote(notListed: number): KnownBlock {
  return context(
    `…and ${accountsWord(notListed)} more not listed here. Search with /restore-user, or run \`restore-user digest\` for the full list.`,
  );
}

/**
 * The digest as Slack messages: a summary for the channel and, when the accounts do not fit in
 * it, replies in its thread, each within Block Kit's limits (50 blocks, 3000 characters a
 * section). Every account has a Restore… button that opens the restore modal for it.
 */
export function digestMessages(digest: Digest, options: DigestMessageOptions): DigestMessages {
  if (digest.empty) {
    if (options.emptyDay === "skip") return { summary: null, replies: [] };
    const line = emptyLine(digest);
    return { summary: { text: line, blocks: [section(esc(line))] }, replies: [] };
  }
  const maxListed = Math.max(0, options.maxListed ?? DIGEST_MAX_LISTED);
  const summary = summaryBlocks(digest);
  const text = truncate(fallbackText(digest), 3000);
  const listed = accountBlocks(digest, maxListed);
  const listedCount = listed.reduce((x, l) => x + l.blocks.length, 0);
  const notListed = digest.accountCount - listedCount;

  // Short: everything in one message.
  if (digest.accountCount <= DIGEST_INLINE_MAX) {
    const inline: KnownBlock[] = [...summary];
    for (const l of listed) inline.push({ type: "divider" }, groupHeader(l.group, false), ...l.blocks);
    if (notListed > 0) inline.push(notListedNote(notListed));
    if (inline.length <= MESSAGE_MAX_BLOCKS) return { summary: { text, blocks: inline }, replies: [] };
  }

  summary.push(
    context(
      listedCount > 0
        ? `The accounts are listed in this thread, soonest first, each with a Restore… button${notListed > 0 ? ` (the first ${n(listedCount)})` : ""}.`
        : "No account is listed here: search with /restore-user.",
    ),
  );

  const replies: DigestMessage[] = [];
  let blocks: KnownBlock[] = [];
  let first: number | null = null;
  let count = 0;
  const flush = () => {
    if (blocks.length === 0) return;
    const range =
      first === null
        ? "accounts not listed"
        : first === count
          ? `account ${n(count)} of ${n(listedCount)}`
          : `accounts ${n(first)}–${n(count)} of ${n(listedCount)}`;
    replies.push({ text: `Restore digest for ${digest.title}: ${range}`, blocks });
    blocks = [];
    first = null;
  };
  for (const { group, blocks: items } of listed) {
    // A header never ends a message: it needs at least one account after it.
    if (blocks.length >= MESSAGE_MAX_BLOCKS - 1) flush();
    blocks.push(groupHeader(group, false));
    for (const item of items) {
      if (blocks.length >= MESSAGE_MAX_BLOCKS) {
        flush();
        blocks.push(groupHeader(group, true));
      }
      count++;
      first ??= count;
      blocks.push(item);
    }
  }
  if (notListed > 0) {
    if (blocks.length >= MESSAGE_MAX_BLOCKS) flush();
    blocks.push(notListedNote(notListed));
  }
  flush();
  return { summary: { text, blocks: summary }, replies };
}
