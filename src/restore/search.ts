import { and, asc, eq, gt, inArray, isNull, lt, ne, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type Account, accounts } from "../db/schema.ts";
import { typoScore } from "./rank.ts";
import { DAY_MS, describeRestorability, type Restorability, restorability } from "./window.ts";

export interface SearchFilters {
  /** Fuzzy: display name, user name, email, aliases; typos still find them (4+ characters). */
  query?: string;
  /** Only accounts whose window ends within this many days (restorable ones). */
  expiringWithinDays?: number;
  department?: string;
  deletedBy?: string;
  directoryId?: string;
  /** At most 100 a page. */
  limit?: number;
}

export interface DeletedAccountView {
  id: string;
  directoryId: string;
  externalId: string;
  userName: string;
  displayName: string;
  email: string | null;
  aliases: string[];
  department: string | null;
  license: string | null;
  status: Account["status"];
  deletedAt: Date | null;
  deletedBy: string | null;
  restorability: Restorability;
  /** "12 days left", "deletion still in progress, restorable from …", "cannot be restored: purged". */
  window: string;
}

export interface SearchResult {
  items: DeletedAccountView[];
  /** More matched than were returned: refine the search. */
  hasMore: boolean;
}

export const MAX_SEARCH_LIMIT = 100;
/** Below this a query is matched as a substring only: three letters have too few trigrams for typos. */
const FUZZY_MIN_LENGTH = 4;
/** Candidates fetched by trigram score, then put in the order a person expects (see rank.ts). */
const RERANK_POOL = 200;
/** Low enough that "jonh smiht" finds John Smith, high enough to keep the candidate set small. */
const WORD_SIMILARITY_THRESHOLD = 0.3;

export function toView(a: Account, now: Date): DeletedAccountView {
  const r = restorability(a, now);
  return {
    id: a.id,
    directoryId: a.directoryId,
    externalId: a.externalId,
    userName: a.userName,
    displayName: a.displayName,
    email: a.email,
    aliases: a.aliases,
    department: a.department,
    license: a.license,
    status: a.status,
    deletedAt: a.deletedAt,
    deletedBy: a.deletedBy,
    restorability: r,
    window: describeRestorability(r),
  };
}

/**
 * Accounts that are not active (deleting, deleted, and purged tombstones), best match first;
 * without a query, only those still restorable (or being deleted), soonest to expire first.
 */
export async function searchDeleted(db: Db, filters: SearchFilters, now: Date): Promise<SearchResult> {
  const limit = Math.min(Math.max(filters.limit ?? 25, 1), MAX_SEARCH_LIMIT);
  const query = filters.query?.trim().toLowerCase().replace(/\s+/g, " ") ?? "";
  const where: (SQL | undefined)[] = [ne(accounts.status, "active"), isNull(accounts.recreatedAs)];
  if (filters.directoryId) where.push(eq(accounts.directoryId, filters.directoryId));
  if (filters.department)
    where.push(sql`lower(${accounts.department}) = ${filters.department.toLowerCase()}`);
  if (filters.deletedBy) where.push(eq(accounts.deletedBy, filters.deletedBy));
  if (filters.expiringWithinDays !== undefined) {
    const until = new Date(now.getTime() + (filters.expiringWithinDays + 1) * DAY_MS);
    where.push(
      and(
        inArray(accounts.status, ["deleting", "deleted"]),
        gt(accounts.purgeAfter, now),
        lt(accounts.purgeAfter, until),
      ),
    );
  }

  const run = async (tx: Db) => {
    if (!query) {
      // A bare listing is a to-do list: what can still be restored, soonest to be lost first.
      // Expired and purged accounts appear when searched for by name.
      return tx
        .select()
        .from(accounts)
        .where(
          and(
            ...where,
            inArray(accounts.status, ["deleting", "deleted"]),
            or(gt(accounts.purgeAfter, now), isNull(accounts.purgeAfter)),
          ),
        )
        .orderBy(sql`${accounts.purgeAfter} asc nulls last`, asc(accounts.userName))
        .limit(limit + 1);
    }
    const contains = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const fuzzy = query.length >= FUZZY_MIN_LENGTH;
    where.push(
      fuzzy
        ? sql`(${accounts.searchText} like ${contains} or ${query} <% ${accounts.searchText})`
        : sql`${accounts.searchText} like ${contains}`,
    );
    const score = sql<number>`word_similarity(${query}, ${accounts.searchText})`;
    const candidates = await tx
      .select({ account: accounts, score })
      .from(accounts)
      .where(and(...where))
      .orderBy(sql`${accounts.status} = 'purged'`, sql`${score} desc`, asc(accounts.purgeAfter))
      .limit(Math.min(Math.max(limit * 4, 100), RERANK_POOL));
    return rerank(candidates, query, now);
  };

  // The threshold is set for this transaction only, so no other query on the connection feels it.
  const rows =
    query.length >= FUZZY_MIN_LENGTH
      ? await db.transaction(async (tx) => {
          await tx.execute(
            sql`select set_config('pg_trgm.word_similarity_threshold', ${String(WORD_SIMILARITY_THRESHOLD)}, true)`,
          );
          return run(tx);
        })
      : await run(db);

  return { items: rows.slice(0, limit).map((a) => toView(a, now)), hasMore: rows.length > limit };
}

/** Restorable before expired before purged, then typo-aware score, then the trigram score, then soonest expiry. */
function rerank(candidates: { account: Account; score: number }[], query: string, now: Date): Account[] {
  const scored = candidates.map((c) => ({
    account: c.account,
    // Restorable (or soon) first, then those whose window ended, then tombstones.
    purged: c.account.status === "purged" ? 2 : c.account.purgeAfter && c.account.purgeAfter <= now ? 1 : 0,
    score: typoScore(query, c.account.searchText) * 2 + Number(c.score),
  }));
  scored.sort(
    (a, b) =>
      a.purged - b.purged ||
      b.score - a.score ||
      (a.account.purgeAfter?.getTime() ?? Number.MAX_SAFE_INTEGER) -
        (b.account.purgeAfter?.getTime() ?? Number.MAX_SAFE_INTEGER),
  );
  return scored.map((s) => s.account);
}
