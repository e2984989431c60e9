import type { KnownBlock, SectionBlock } from "@slack/types";
import { type DigestDates, digestDates } from "../../i18n/digest-dates.ts";
import { ENGLISH, type Translator } from "../../i18n/translator.ts";
import type { Digest, DigestAccount, DigestGroup, DigestPendingApproval } from "../../restore/types.ts";
import { attentionBlocks } from "./attention.ts";
import { ACTION } from "./ids.ts";
import { context, linesToSections, MESSAGE_MAX_BLOCKS, section } from "./layout.ts";
import { esc, plain, truncate } from "./mrkdwn.ts";
import { actorText } from "./words.ts";

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

/** What every line of one rendering needs: the reader's language and the digest's dates in it. */
interface Speech {
  t: Translator;
  dates: DigestDates;
}

/** A group's name: "Expires today", "Verloopt over 3 dagen". */
function groupLabel(g: DigestGroup, t: Translator): string {
  switch (g.kind) {
    case "today":
      return t.t("digest.group.today");
    case "tomorrow":
      return t.t("digest.group.tomorrow");
    case "weekend":
      return t.t("digest.group.weekend");
    default:
      return t.t("digest.group.days", { days: g.firstDay });
  }
}

/** One account: name, user name (directory when there are several), deadline; Restore… when it can be. */
function accountBlock(a: DigestAccount, directory: string | null, s: Speech): SectionBlock {
  const parts = [`*${esc(a.displayName || a.userName, 200)}*`, esc(a.userName, 250)];
  if (directory) parts.push(esc(directory, 100));
  const deadline = esc(s.dates.deadline(a.expiresAt), 60);
  const when = a.restorableFrom
    ? s.t.t("digest.account.deleting", { deadline, time: esc(s.t.time(new Date(a.restorableFrom)), 40) })
    : s.t.t("digest.account.ends", { deadline });
  const block = section(`${parts.join(" · ")}\n${when}`);
  if (!a.restorableFrom && a.id.length <= 2000) {
    block.accessory = {
      type: "button",
      action_id: ACTION.planAccount,
      text: plain(s.t.t("digest.account.restore"), 75),
      value: a.id,
    };
  }
  return block;
}

function groupHeader(g: DigestGroup, continued: boolean, s: Speech): KnownBlock {
  const values = { label: groupLabel(g, s.t), dates: s.dates.range(g.from, g.through) };
  const text = continued
    ? s.t.t("digest.group.continued", values)
    : s.t.t("digest.group.header", { ...values, count: g.accounts.length });
  return { type: "header", text: plain(text, 150) };
}

function groupLine(g: DigestGroup, s: Speech): string {
  return s.t.t("digest.group.line", {
    label: esc(groupLabel(g, s.t), 100),
    dates: esc(s.dates.range(g.from, g.through), 100),
    count: g.accounts.length,
  });
}

function pendingLine(p: DigestPendingApproval, s: Speech): string {
  const restore = `*${esc(p.restore.displayName, 150)}* (${esc(p.restore.userName, 200)})`;
  const expires = p.expiresAt
    ? s.t.t("digest.pending.expires", { time: esc(s.dates.deadline(p.expiresAt), 60) })
    : "";
  const actor = actorText(s.t, p.requestedBy);
  return p.replace
    ? s.t.t("digest.pending.lineReplace", {
        restore,
        replace: `*${esc(p.replace.displayName, 150)}* (${esc(p.replace.userName, 200)})`,
        actor,
        expires,
      })
    : s.t.t("digest.pending.line", { restore, actor, expires });
}

function purgedLine(d: Digest, s: Speech): string {
  const when = d.purged.since
    ? s.t.t("digest.purged.since", { time: esc(s.dates.deadline(d.purged.since), 60) })
    : s.t.t("digest.purged.soFar");
  return s.t.t("digest.purged", { count: d.purged.count, when });
}

function titleOf(d: Digest, s: Speech): string {
  return s.dates.longDay(d.date);
}

function fallbackText(d: Digest, s: Speech): string {
  const today = d.groups.find((g) => g.kind === "today")?.accounts.length ?? 0;
  const parts = [
    s.t.t("digest.fallback.expire", { count: d.accountCount, days: d.windowDays, today }),
    s.t.t("digest.fallback.pending", { count: d.pending.total }),
    s.t.t("digest.fallback.purged", { count: d.purged.count }),
    ...(d.attention.length > 0 ? [s.t.t("digest.fallback.attention", { count: d.attention.length })] : []),
  ];
  return s.t.t("digest.fallback", { title: titleOf(d, s), parts: parts.join(", ") });
}

/** The summary's blocks: counts per group, approvals waiting, purges. */
function summaryBlocks(d: Digest, s: Speech): KnownBlock[] {
  const blocks: KnownBlock[] = [
    { type: "header", text: plain(s.t.t("digest.title", { title: titleOf(d, s) }), 150) },
  ];
  if (d.accountCount === 0) {
    blocks.push(section(s.t.t("digest.noneExpiring", { days: d.windowDays })));
  } else {
    const intro =
      s.t.t("digest.intro", { count: d.accountCount, days: d.windowDays, zone: esc(d.timeZone, 60) }) +
      (d.friday ? s.t.t("digest.intro.friday") : "");
    const { blocks: lines, omitted } = linesToSections([intro, ...d.groups.map((g) => groupLine(g, s))], 4);
    blocks.push(...lines);
    if (omitted > 0) blocks.push(context(s.t.t("digest.moreDays", { count: omitted })));
  }
  if (d.pending.total > 0) {
    const shown = d.pending.items.slice(0, PENDING_SHOWN);
    const more = d.pending.total - shown.length;
    const { blocks: lines } = linesToSections(
      [s.t.t("digest.pending.header", { count: d.pending.total }), ...shown.map((p) => pendingLine(p, s))],
      3,
    );
    blocks.push(...lines);
    if (more > 0) blocks.push(context(s.t.t("digest.pending.more", { count: more })));
  } else {
    blocks.push(context(s.t.t("digest.pending.none")));
  }
  blocks.push(context(purgedLine(d, s)));
  if (d.attention.length > 0) blocks.push(...attentionBlocks(d.attention, s.t));
  return blocks;
}

/** Every listed account's blocks, a header before each group. */
function accountBlocks(
  d: Digest,
  maxListed: number,
  s: Speech,
): { group: DigestGroup; blocks: KnownBlock[] }[] {
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
        accountBlock(a, many ? (d.directories[a.directoryId] ?? a.directoryId) : null, s),
      ),
    });
  }
  return out;
}

function notListedNote(notListed: number, s: Speech): KnownBlock {
  return context(s.t.t("digest.notListed", { count: notListed }));
}

/**
 * The digest as Slack messages: a summary for the channel and, when the accounts do not fit in
 * it, replies in its thread, each within Block Kit's limits (50 blocks, 3000 characters a
 * section). Every account has a Restore… button that opens the restore modal for it.
 */
export function digestMessages(
  digest: Digest,
  options: DigestMessageOptions,
  t: Translator = ENGLISH,
): DigestMessages {
  const s: Speech = { t, dates: digestDates(t, digest.timeZone) };
  if (digest.empty) {
    if (options.emptyDay === "skip") return { summary: null, replies: [] };
    const line = t.t("digest.empty", { title: esc(titleOf(digest, s), 100), days: digest.windowDays });
    return { summary: { text: line, blocks: [section(line)] }, replies: [] };
  }
  const maxListed = Math.max(0, options.maxListed ?? DIGEST_MAX_LISTED);
  const summary = summaryBlocks(digest, s);
  const text = truncate(fallbackText(digest, s), 3000);
  const listed = accountBlocks(digest, maxListed, s);
  const listedCount = listed.reduce((x, l) => x + l.blocks.length, 0);
  const notListed = digest.accountCount - listedCount;

  // Short: everything in one message.
  if (digest.accountCount <= DIGEST_INLINE_MAX) {
    const inline: KnownBlock[] = [...summary];
    for (const l of listed) inline.push({ type: "divider" }, groupHeader(l.group, false, s), ...l.blocks);
    if (notListed > 0) inline.push(notListedNote(notListed, s));
    if (inline.length <= MESSAGE_MAX_BLOCKS) return { summary: { text, blocks: inline }, replies: [] };
  }

  summary.push(
    context(
      listedCount === 0
        ? t.t("digest.thread.none")
        : notListed > 0
          ? t.t("digest.thread.listedFirst", { count: listedCount })
          : t.t("digest.thread.listed"),
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
        ? t.t("digest.reply.notListed")
        : first === count
          ? t.t("digest.reply.one", { n: count, total: listedCount })
          : t.t("digest.reply.range", { first, last: count, total: listedCount });
    replies.push({ text: t.t("digest.reply", { title: titleOf(digest, s), range }), blocks });
    blocks = [];
    first = null;
  };
  for (const { group, blocks: items } of listed) {
    // A header never ends a message: it needs at least one account after it.
    if (blocks.length >= MESSAGE_MAX_BLOCKS - 1) flush();
    blocks.push(groupHeader(group, false, s));
    for (const item of items) {
      if (blocks.length >= MESSAGE_MAX_BLOCKS) {
        flush();
        blocks.push(groupHeader(group, true, s));
      }
      count++;
      first ??= count;
      blocks.push(item);
    }
  }
  if (notListed > 0) {
    if (blocks.length >= MESSAGE_MAX_BLOCKS) flush();
    blocks.push(notListedNote(notListed, s));
  }
  flush();
  return { summary: { text, blocks: summary }, replies };
}
