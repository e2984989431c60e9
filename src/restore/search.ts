import { and, asc, eq, gt, inArray, isNull, lt, ne, or, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { preparedFor } from "../db/prepared.ts";
import { type Account, accounts } from "../db/schema.ts";
import { QUERY_MAX } from "./names.ts";
import { termScore, typoScore } from "./rank.ts";
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
/**
 * Matches read per search at most (four times what is shown, 100 to 300), then put in the order
 * a person expects (see rank.ts): a type-ahead keystroke must not read and rank thousands.
 */
function poolFor(limit: number): number {
  return Math.min(Math.max(limit * 4, 100), 300);
}

/** What a search shows; never the snapshot or the password hash, which also keeps rows small. */
const viewColumns = {
  id: accounts.id,
  directoryId: accounts.directoryId,
  externalId: accounts.externalId,
  userName: accounts.userName,
  displayName: accounts.displayName,
  email: accounts.email,
  aliases: accounts.aliases,
  department: accounts.department,
  license: accounts.license,
  status: accounts.status,
  deletedAt: accounts.deletedAt,
  deletedBy: accounts.deletedBy,
  purgeAfter: accounts.purgeAfter,
  deletionCompletesAt: accounts.deletionCompletesAt,
  recreatedAs: accounts.recreatedAs,
  searchText: accounts.searchText,
};
type ViewRow = Pick<Account, keyof typeof viewColumns>;

export function toView(a: Omit<ViewRow, "searchText">, now: Date): DeletedAccountView {
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
  // Cut before any work: a name or an address is never longer, and a 40 KB query would cost
  // seconds of scoring for nothing (the search field's own limit is the same).
  const query = filters.query?.slice(0, QUERY_MAX).trim().toLowerCase().replace(/\s+/g, " ") ?? "";
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

  if (!query) {
    // A bare listing is a to-do list: what can still be restored, soonest to be lost first.
    // Expired and purged accounts appear when searched for by name.
    const rows = await db
      .select(viewColumns)
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
    return page(rows, limit, now);
  }

  // Type-ahead and most searches: a word prefix, answered from account_words by index order.
  const onlyQuery =
    !filters.directoryId &&
    !filters.department &&
    !filters.deletedBy &&
    filters.expiringWithinDays === undefined;
  if (onlyQuery) {
    const byPrefix = await searchByPrefix(db, query, limit, now);
    if (byPrefix) return byPrefix;
  }

  const pool = poolFor(limit);
  // Precise first: every word of the query appears in the account's names or addresses.
  const words = query.split(" ");
  const precise = await db
    .select(viewColumns)
    .from(accounts)
    .where(and(...where, ...words.map((w) => sql`${accounts.searchText} like ${`%${escapeLike(w)}%`}`)))
    .limit(pool + 1);
  // A common prefix ("mar") matches thousands: rank a bounded pool and say there are more,
  // rather than read every match on each keystroke.
  if (precise.length > pool) return page(rerank(precise.slice(0, pool), query, now), limit, now, true);
  // An address that matched is what was meant: typo-tolerant names would only add noise.
  if (precise.length >= limit || (query.includes("@") && precise.length > 0)) {
    return page(rerank(precise, query, now), limit, now);
  }

  // Too few: allow a typo in each word of the name ("Jonh Smiht"); an address counts by its
  // local part.
  const nameTerm = nameTermOf(query);
  const nameWords = nameTerm.split(" ").filter(Boolean);
  if (!nameWords.some((w) => w.length >= FUZZY_MIN_LENGTH))
    return page(rerank(precise, query, now), limit, now);
  const typoWords = nameTerm.split(TERM_SPLIT).filter(Boolean);
  const typos =
    onlyQuery && typoWords.length <= 2
      ? await typosByTerms(db, typoWords, pool)
      : await typosByTrigrams(db, where, nameWords, pool);
  const seen = new Set(precise.map((a) => a.id));
  return page(rerank([...precise, ...typos.filter((a) => !seen.has(a.id))], query, now), limit, now);
}

/**
 * Each word must match (the trigram indexes intersect), which keeps the set small; but a common
 * start ("mar") still matches thousands, each rechecked. For filtered searches and names of three
 * words or more, which typosByTerms does not answer.
 */
function typosByTrigrams(db: Db, where: (SQL | undefined)[], nameWords: string[], pool: number) {
  return db
    .select(viewColumns)
    .from(accounts)
    .where(
      and(
        ...where,
        ...nameWords.map((w) =>
          w.length >= FUZZY_MIN_LENGTH
            ? sql`${w} <% ${accounts.nameText}`
            : sql`${accounts.nameText} like ${`%${escapeLike(w)}%`}`,
        ),
      ),
    )
    .orderBy(sql`word_similarity(${nameWords.join(" ")}, ${accounts.nameText}) desc`)
    .limit(pool);
}

/** What splits a name typed as a user name ("jonh.smith") into its words, for typo correction. */
const TERM_SPLIT = /[\s._+-]+/;
/** Corrections kept per word, and the most word pairs looked up: the likeliest first. */
const CORRECTIONS_PER_WORD = 6;
const MAX_LEADS = 36;
/** account_words rows read per correction: a common name's first ones are enough to rank. */
const READS_PER_LEAD = 40;

/**
 * A typo in each of one or two words, the way a spelling corrector works: each word of four
 * letters or more is corrected against the vocabulary of name words (name_terms: each distinct
 * name once, far fewer rows than accounts), keeping words within the edits rank.ts allows; a
 * shorter word is taken as typed, as the start of a word. The corrected words, or pairs of them ("john smith",
 * which account_words holds for every pair of name words), are then read like type-ahead
 * prefixes. Bounded whatever the name: at most MAX_LEADS index ranges of READS_PER_LEAD rows.
 */
async function typosByTerms(db: Db, words: string[], pool: number): Promise<ViewRow[]> {
  const long = words.filter((w) => w.length >= FUZZY_MIN_LENGTH);
  const similar = await termsQuery(db).execute({ words: long.join(" ") });
  const corrections = words.map((word) => {
    if (word.length < FUZZY_MIN_LENGTH) return [{ term: word, score: 1 }];
    const position = long.indexOf(word) + 1;
    return similar
      .filter((row) => row.n === position)
      .map((row) => ({ term: row.term, score: termScore(word, row.term) }))
      .filter((c) => c.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, CORRECTIONS_PER_WORD);
  });
  // A short word can only end a pair: "smith al" is the start of "smith alice", "al smith" of nothing.
  const [first = [], second] =
    words.length === 2 && (words[0] as string).length < FUZZY_MIN_LENGTH
      ? [corrections[1], corrections[0]]
      : corrections;
  const leads = second
    ? first.flatMap((a) => second.map((b) => ({ term: `${a.term} ${b.term}`, score: a.score + b.score })))
    : first;
  if (leads.length === 0) return [];
  leads.sort((a, b) => b.score - a.score);
  return leadsQuery(db).execute({
    leads: leads
      .slice(0, MAX_LEADS)
      .map((l) => l.term)
      .join("\n"),
    top: TOP,
    reads: READS_PER_LEAD,
    pool,
  });
}

/** Name words like each given word (by the connection's word_similarity threshold), best first. */
const termsQuery = preparedFor((db) =>
  db
    .select({ n: sql<number>`q.n`.mapWith(Number), term: sql<string>`t.term` })
    .from(sql`unnest(string_to_array(${sql.placeholder("words")}, ' ')) with ordinality q(w, n)`)
    .innerJoinLateral(
      sql`(select term from name_terms where q.w <% term
        order by word_similarity(q.w, term) desc, term limit 50) t`,
      sql`true`,
    )
    .prepare("typo_terms"),
);

/** Accounts with a word that starts with one of the leads (newline-separated), in the leads' order. */
const leadsQuery = preparedFor((db) => {
  const upTo = sql`l.lead || ${sql.placeholder("top")}`;
  const range = (gone: SQL) => wordRange(gone, sql`l.lead`, upTo, sql.placeholder("reads"));
  const hits = sql`select account_id, min(n) as n from (
      select l.n, h.account_id
      from unnest(string_to_array(${sql.placeholder("leads")}, chr(10))) with ordinality l(lead, n)
      cross join lateral (${range(sql`not w.gone`)} union all ${range(sql`w.gone`)}) h
    ) found group by account_id order by n limit ${sql.placeholder("pool")}`;
  return db
    .select(viewColumns)
    .from(accounts)
    .innerJoin(sql`(${hits}) h`, sql`h.account_id = ${accounts.id}`)
    .where(and(ne(accounts.status, "active"), isNull(accounts.recreatedAs)))
    .orderBy(sql`h.n`)
    .prepare("typo_leads");
});

/** account_words holds words up to this length (drizzle/0003_type_ahead.sql). */
const WORD_MAX = 200;
/** Sorts after any character a word holds: a prefix's words are `>= prefix` and `< prefix + TOP`. */
const TOP = "\u{10FFFF}";

/**
 * Accounts with a word that starts with the query, or for two words a pair of name words ("maria
 * lo" for Maria Lopez), read from account_words in index order (restorable first, the exact word
 * before longer ones, soonest to expire first), so the scan stops at the page however common the
 * prefix. null when it cannot answer: more than two words, or nothing found (a typo, a piece from
 * inside a word), which trigram search then handles.
 */
async function searchByPrefix(db: Db, query: string, limit: number, now: Date): Promise<SearchResult | null> {
  if (query.split(" ").length > 2 || query.length > WORD_MAX) return null;
  // An account can hold several words with the prefix ("lopez", "lopez7", "lopez7@…"): read more
  // rows than the page, keep one each; only when few accounts hold many such words, read again.
  for (const reads of [(limit + 1) * 3, (limit + 1) * 30]) {
    const rows = await prefixRows(db, query, limit, reads);
    const readAll = (rows[0]?.reads ?? 0) < reads;
    if (rows.length > limit || readAll || reads > limit * 30) {
      if (rows.length === 0) return null;
      // Whose window ended (not purged yet) after what is still restorable; sort is stable.
      rows.sort((a, b) => goneRank(a, now) - goneRank(b, now));
      return {
        items: rows.slice(0, limit).map((a) => toView(a, now)),
        hasMore: !readAll || rows.length > limit,
      };
    }
  }
  return null;
}

/** Up to limit + 1 accounts in index order, from the first `reads` words with the prefix. */
function prefixRows(db: Db, query: string, limit: number, reads: number) {
  return prefixQuery(db).execute({ from: query, to: query + TOP, reads, page: limit + 1 });
}

/** Type-ahead runs this on every keystroke: built and planned once (see preparedFor). */
const prefixQuery = preparedFor((db) => {
  const reads = sql.placeholder("reads");
  const range = (gone: SQL) => wordRange(gone, sql.placeholder("from"), sql.placeholder("to"), reads);
  // The second branch (tombstones) only runs when the first does not fill the page.
  const hits = sql`select account_id, min(n) as n, max(reads) as reads from (
      select account_id, row_number() over () as n, count(*) over () as reads
      from (${range(sql`not w.gone`)} union all ${range(sql`w.gone`)} limit ${reads}) ordered
    ) numbered group by account_id order by n limit ${sql.placeholder("page")}`;
  return db
    .select({ ...viewColumns, reads: sql<number>`h.reads`.mapWith(Number) })
    .from(accounts)
    .innerJoin(sql`(${hits}) h`, sql`h.account_id = ${accounts.id}`)
    .where(and(ne(accounts.status, "active"), isNull(accounts.recreatedAs)))
    .orderBy(sql`h.n`)
    .prepare("type_ahead");
});

/** The first `reads` accounts of account_words from `from` up to `to`, in the type-ahead's order. */
function wordRange(gone: SQL, from: SQLWrapper, to: SQLWrapper, reads: SQLWrapper): SQL {
  return sql`(select w.account_id from account_words w
    where ${gone} and w.word >= ${from} and w.word < ${to}
    order by w.word, w.purge_after, w.account_id limit ${reads})`;
}

function goneRank(account: ViewRow, now: Date): number {
  return account.status === "purged" ? 2 : account.purgeAfter && account.purgeAfter <= now ? 1 : 0;
}

function nameTermOf(query: string): string {
  const at = query.indexOf("@");
  return at < 0
    ? query
    : query
        .slice(0, at)
        .replace(/[._+-]+/g, " ")
        .trim();
}

function page(rows: ViewRow[], limit: number, now: Date, sampled = false): SearchResult {
  return { items: rows.slice(0, limit).map((a) => toView(a, now)), hasMore: sampled || rows.length > limit };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Restorable before expired before purged, then the typo-aware score, then soonest expiry. */
function rerank(rows: ViewRow[], query: string, now: Date): ViewRow[] {
  const scored = rows.map((account, position) => ({
    account,
    position,
    // Restorable (or soon) first, then those whose window ended, then tombstones.
    gone: goneRank(account, now),
    score: typoScore(query, account.searchText),
  }));
  scored.sort(
    (a, b) =>
      a.gone - b.gone ||
      b.score - a.score ||
      (a.account.purgeAfter?.getTime() ?? Number.MAX_SAFE_INTEGER) -
        (b.account.purgeAfter?.getTime() ?? Number.MAX_SAFE_INTEGER) ||
      a.position - b.position,
  );
  return scored.map((s) => s.account);
}
