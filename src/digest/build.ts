import { and, asc, count, eq, gt, gte, inArray, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts, auditEvents, directories, restoreRequests } from "../db/schema.ts";
import { type AttentionItem, needingAttention } from "../restore/audit.ts";
import { ATTENTION_DAYS, DAY_MS } from "../restore/window.ts";
import {
  type DaySpan,
  type DigestCalendar,
  digestCalendar,
  type LocalDate,
  longDayLabel,
  ZonedFormatter,
} from "./calendar.ts";

/** One account in the digest: only what a line needs, so 20,000 of them stay small. */
export interface DigestAccount {
  id: string;
  directoryId: string;
  userName: string;
  displayName: string;
  /** When the restore window ends (ISO). */
  expiresAt: string;
  /** The same, local to the digest: "Fri 27 Nov, 14:30 CET". */
  deadline: string;
  /** The directory is still deleting it: restorable only from then (ISO). null: restorable now. */
  restorableFrom: string | null;
}

export interface DigestGroup extends Omit<DaySpan, "startsAt" | "endsAt"> {
  /** The group holds expiries in [startsAt, endsAt) (ISO). */
  startsAt: string;
  endsAt: string;
  /** Soonest first. */
  accounts: DigestAccount[];
}

export interface DigestPendingApproval {
  id: string;
  requestedBy: string;
  /** The deleted account the request would restore, and the active one it would replace. */
  restore: { displayName: string; userName: string };
  replace: { displayName: string; userName: string } | null;
  /** ISO; null: never expires. */
  expiresAt: string | null;
  /** "Fri 27 Nov, 14:30 CET" */
  expires: string | null;
}

/**
 * The daily digest as plain data: JSON-serialisable, times as ISO strings, counts as numbers.
 * The English labels (`title`, a group's `label` and `dates`, `deadline`, `expires`, `sinceLabel`)
 * are kept for `restore-user digest --json`, whose output stays English and stable; renderers
 * never read them: they format the ISO times and local dates in their reader's language
 * (src/i18n/digest-dates.ts).
 */
export interface Digest {
  /** The local date it is for (YYYY-MM-DD) and its label, "Fri 27 Nov 2026". */
  date: LocalDate;
  title: string;
  timeZone: string;
  windowDays: number;
  /** A Friday: the "tomorrow" group covers the weekend. */
  friday: boolean;
  /** The moment it describes (ISO). */
  generatedAt: string;
  /** Accounts whose window ends in [from, until) are listed: from now to the end of the last day. */
  from: string;
  until: string;
  /** Directory id → name, for the directories of the listed accounts. */
  directories: Record<string, string>;
  accountCount: number;
  /** Only groups with accounts, soonest first. */
  groups: DigestGroup[];
  /** Replace requests waiting for approval, soonest to expire first (at most PENDING_LISTED). */
  pending: { total: number; items: DigestPendingApproval[] };
  /** Accounts purged in [since, generatedAt); since null: no digest before this one, all purges. */
  purged: { count: number; since: string | null; sinceLabel: string | null };
  /** Restores a provider did that this app's records could not follow, in the last ATTENTION_DAYS. */
  attention: AttentionItem[];
  /** Nothing expiring, nothing waiting, nothing purged, nothing needing attention. */
  empty: boolean;
}

export interface DigestInput {
  /** The local date, YYYY-MM-DD in timeZone. */
  date: LocalDate;
  timeZone: string;
  windowDays: number;
  /** The moment the digest describes: windows ending before it are over, and not listed. */
  now: Date;
  /** When the last digest was made; purges since then are counted. null: the first digest. */
  since: Date | null;
}

/** Accounts read per query: keyset pages, so memory follows the page, not the table. */
export const DIGEST_PAGE = 1000;
export const PENDING_LISTED = 50;

/**
 * Builds the digest for a date: the accounts whose window ends from `now` (or the start of the
 * day, when that is later) to the end of the window's last local day, paged through by
 * (purge_after, id); the pending approvals; the purges since the last digest.
 */
export async function buildDigest(db: Db, input: DigestInput): Promise<Digest> {
  const calendar = digestCalendar(input.date, input.timeZone, input.windowDays);
  const from = new Date(Math.max(input.now.getTime(), calendar.dayStart.getTime()));
  const zone = new ZonedFormatter(input.timeZone);

  const groups = await expiringGroups(db, calendar, from, zone);
  const accountCount = groups.reduce((n, g) => n + g.accounts.length, 0);
  const pending = await pendingApprovals(db, input.now, zone);
  const purgedCount = await purgedSince(db, input.since, input.now);
  const attention = await needingAttention(db, new Date(input.now.getTime() - ATTENTION_DAYS * DAY_MS));
  const directoryIds = new Set<string>();
  for (const g of groups) for (const a of g.accounts) directoryIds.add(a.directoryId);
  const names =
    directoryIds.size === 0
      ? []
      : await db
          .select({ id: directories.id, name: directories.name })
          .from(directories)
          .where(inArray(directories.id, [...directoryIds]));

  return {
    date: calendar.date,
    title: longDayLabel(calendar.date),
    timeZone: calendar.timeZone,
    windowDays: calendar.windowDays,
    friday: calendar.friday,
    generatedAt: input.now.toISOString(),
    from: from.toISOString(),
    until: calendar.until.toISOString(),
    directories: Object.fromEntries(names.map((d) => [d.id, d.name])),
    accountCount,
    groups,
    pending,
    purged: {
      count: purgedCount,
      since: input.since?.toISOString() ?? null,
      sinceLabel: input.since ? zone.deadline(input.since) : null,
    },
    attention,
    empty: accountCount === 0 && pending.total === 0 && purgedCount === 0 && attention.length === 0,
  };
}

async function expiringGroups(
  db: Db,
  calendar: DigestCalendar,
  from: Date,
  zone: ZonedFormatter,
): Promise<DigestGroup[]> {
  const groups: DigestGroup[] = calendar.spans.map((s) => ({
    ...s,
    startsAt: s.startsAt.toISOString(),
    endsAt: s.endsAt.toISOString(),
    accounts: [],
  }));
  const ends = calendar.spans.map((s) => s.endsAt.getTime());
  let span = 0;
  let cursor: Cursor | null = null;
  for (;;) {
    const page = await expiringPage(db, from, calendar.until, cursor);
    for (const row of page) {
      const t = (row.purgeAfter as Date).getTime();
      while (span < ends.length - 1 && t >= (ends[span] as number)) span++;
      const completes = row.deletionCompletesAt;
      (groups[span] as DigestGroup).accounts.push({
        id: row.id,
        directoryId: row.directoryId,
        userName: row.userName,
        displayName: row.displayName,
        expiresAt: (row.purgeAfter as Date).toISOString(),
        deadline: zone.deadline(t),
        restorableFrom:
          row.status === "deleting" && completes && completes.getTime() > from.getTime()
            ? completes.toISOString()
            : null,
      });
    }
    const last = page[page.length - 1];
    if (!last || page.length < DIGEST_PAGE) break;
    cursor = { at: last.at, id: last.id };
  }
  return groups.filter((g) => g.accounts.length > 0);
}

type Cursor = { at: string; id: string };

/** One page of accounts whose window ends in (from, until), after the cursor, soonest first. */
function expiringPage(db: Db, from: Date, until: Date, cursor: Cursor | null) {
  return db
    .select({
      id: accounts.id,
      directoryId: accounts.directoryId,
      userName: accounts.userName,
      displayName: accounts.displayName,
      purgeAfter: accounts.purgeAfter,
      deletionCompletesAt: accounts.deletionCompletesAt,
      status: accounts.status,
      // The cursor is the database's own text of purge_after: microseconds, which a JS Date would lose.
      at: sql<string>`${accounts.purgeAfter}::text`,
    })
    .from(accounts)
    .where(
      and(
        // The partial index over inactive accounts (purge_after) serves this range.
        ne(accounts.status, "active"),
        inArray(accounts.status, ["deleting", "deleted"]),
        isNull(accounts.recreatedAs),
        gt(accounts.purgeAfter, from),
        lt(accounts.purgeAfter, until),
        cursor
          ? sql`(${accounts.purgeAfter}, ${accounts.id}) > (${cursor.at}::timestamptz, ${cursor.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(asc(accounts.purgeAfter), asc(accounts.id))
    .limit(DIGEST_PAGE);
}

async function pendingApprovals(
  db: Db,
  now: Date,
  zone: ZonedFormatter,
): Promise<{ total: number; items: DigestPendingApproval[] }> {
  const waiting = and(
    eq(restoreRequests.status, "pending"),
    or(isNull(restoreRequests.expiresAt), gt(restoreRequests.expiresAt, now)),
  );
  const [{ total } = { total: 0 }] = await db.select({ total: count() }).from(restoreRequests).where(waiting);
  if (total === 0) return { total: 0, items: [] };
  // The names are read out of the request's details; never the whole JSON.
  const detail = (side: "restore" | "replace", field: "displayName" | "userName") =>
    sql<string | null>`${restoreRequests.details} -> ${side} ->> ${field}`;
  const rows = await db
    .select({
      id: restoreRequests.id,
      requestedBy: restoreRequests.requestedBy,
      expiresAt: restoreRequests.expiresAt,
      restoreName: detail("restore", "displayName"),
      restoreUser: detail("restore", "userName"),
      replaceName: detail("replace", "displayName"),
      replaceUser: detail("replace", "userName"),
      accountUser: accounts.userName,
    })
    .from(restoreRequests)
    .innerJoin(accounts, eq(accounts.id, restoreRequests.accountId))
    .where(waiting)
    .orderBy(sql`${restoreRequests.expiresAt} asc nulls last`, asc(restoreRequests.createdAt))
    .limit(PENDING_LISTED);
  const items = rows.map((r): DigestPendingApproval => {
    const restoreUser = r.restoreUser ?? r.accountUser;
    return {
      id: r.id,
      requestedBy: r.requestedBy,
      restore: { displayName: r.restoreName || restoreUser, userName: restoreUser },
      replace: r.replaceUser
        ? { displayName: r.replaceName || r.replaceUser, userName: r.replaceUser }
        : null,
      expiresAt: r.expiresAt?.toISOString() ?? null,
      expires: r.expiresAt ? zone.deadline(r.expiresAt) : null,
    };
  });
  return { total, items };
}

/** Accounts purged in [since, now): purge events name their accounts. */
async function purgedSince(db: Db, since: Date | null, now: Date): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`coalesce(sum(cardinality(${auditEvents.accountIds})), 0)::int` })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.action, "purge"),
        since ? gte(auditEvents.at, since) : undefined,
        lt(auditEvents.at, now),
      ),
    );
  return row?.n ?? 0;
}
