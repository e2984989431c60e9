import { sql } from "drizzle-orm";
import { searchTextOf, snapshotOf } from "../accounts/rows.ts";
import { type Db, rowsOf } from "../db/client.ts";
import { executePrepared } from "../db/prepared.ts";
import { BUILTIN_DIRECTORY_ID } from "../mirror/builtin.ts";
import { DAY_MS } from "../restore/window.ts";
import type { ImportedAccount } from "./import-file.ts";

/**
 * Rows a statement: large enough that a statement's round trip and planning are noise, small
 * enough that a page's JSON (a few MB) and the trigger's transition table stay modest.
 */
export const IMPORT_PAGE_ROWS = 5_000;

export interface LoadTarget {
  directoryId: string;
  retentionDays: number | null;
  now: Date;
  /**
   * The directory held accounts when the import began. When it held none, nothing there can clash
   * with the file or already hold one of its external ids (the file's rows were checked against
   * each other as it was read), so the pages skip the clash check: an insert only.
   */
  heldAccounts: boolean;
}

export interface Clash {
  line: number;
  reason: string;
}

/** Without an id in the file, the same person deleted at the same moment is the same account. */
export function externalIdOf(a: ImportedAccount): string {
  return a.externalId ?? `import:${a.userName.toLowerCase()}:${a.deletedAt?.toISOString() ?? "active"}`;
}

/** A page ready to send: how many rows, and the JSON the statement reads them from. */
export interface PreparedPage {
  rows: number;
  json: string;
}

/** A column of the page as the statement reads it, and how it is computed from a row of the file. */
interface PageColumn {
  name: string;
  type: "int" | "text" | "text[]" | "timestamptz" | "jsonb";
  value: (a: ImportedAccount, target: LoadTarget) => unknown;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/**
 * A page's rows go out as arrays, a value per column in this order. Without a key on every value
 * a page is a third smaller (the bench's 5,000 rows: 2.1 MB, not 3.2 MB): less for this process
 * to hold (the 100k bench's peak RSS 244–272 MB, was 277–285) and to send while the server works.
 */
const PAGE_COLUMNS: readonly PageColumn[] = [
  { name: "line", type: "int", value: (a) => a.line },
  { name: "external_id", type: "text", value: (a) => externalIdOf(a) },
  { name: "user_name", type: "text", value: (a) => a.userName },
  { name: "email", type: "text", value: (a) => a.email },
  { name: "aliases", type: "text[]", value: (a) => a.aliases },
  { name: "phone", type: "text", value: (a) => a.phone },
  { name: "display_name", type: "text", value: (a) => a.displayName },
  { name: "given_name", type: "text", value: (a) => a.givenName },
  { name: "family_name", type: "text", value: (a) => a.familyName },
  { name: "department", type: "text", value: (a) => a.department },
  { name: "license", type: "text", value: (a) => a.license },
  { name: "status", type: "text", value: (a) => a.status },
  { name: "deleted_at", type: "timestamptz", value: (a) => iso(a.deletedAt) },
  { name: "deleted_by", type: "text", value: (a) => a.deletedBy },
  {
    name: "deletion_completes_at",
    type: "timestamptz",
    value: (a) => (a.status === "deleting" ? iso(a.deletionCompletesAt) : null),
  },
  {
    name: "purge_after",
    type: "timestamptz",
    value: (a, t) =>
      a.deletedAt && t.retentionDays !== null
        ? new Date(a.deletedAt.getTime() + t.retentionDays * DAY_MS).toISOString()
        : null,
  },
  { name: "snapshot", type: "jsonb", value: (a) => (a.status === "active" ? null : snapshotOf(a)) },
  { name: "search_text", type: "text", value: (a) => searchTextOf(a) },
];

/**
 * One page as the JSON the statement reads, every derived column computed here. Apart from
 * loadPage so the import can build the next page's while the server runs this one.
 */
export function preparePage(page: readonly ImportedAccount[], target: LoadTarget): PreparedPage {
  return {
    rows: page.length,
    json: JSON.stringify(page.map((a) => PAGE_COLUMNS.map((c) => c.value(a, target)))),
  };
}

/**
 * The page's rows as a relation with PAGE_COLUMNS' names: `->>` reads a value of a row's array as
 * text (JSON null: SQL null). jsonb, not json: a json value is scanned again from its start for
 * each `->>`, which made the statement 3 times slower to read its page.
 */
const PAGE_ROW_COLUMNS = sql.raw(
  PAGE_COLUMNS.map((c, i) => {
    switch (c.type) {
      case "text[]":
        return `array(select jsonb_array_elements_text(e->${i})) as ${c.name}`;
      case "jsonb":
        return `nullif(e->${i}, 'null') as ${c.name}`;
      default:
        return `(e->>${i})::${c.type} as ${c.name}`;
    }
  }).join(", "),
);

/**
 * One page in one statement (the page's JSON parsed once): the new rows (not already imported
 * under the same external id) that an active account already in the directory forbids — the same
 * user name, address or (built-in directory only, as the unique index says) phone, one reason a
 * line, the user name first; none looked for when the directory held no account before the
 * import — and, when there is none and `write` is set, the insert of the
 * page's accounts not already there (a re-import changes nothing) and their addresses. The clash
 * check and the insert read the same snapshot: what was there before this page. The
 * statement-level triggers index the words.
 */
export async function loadPage(
  db: Db,
  page: PreparedPage,
  target: LoadTarget,
  write: boolean,
): Promise<{ clashes: Clash[]; inserted: number }> {
  const d = target.directoryId;
  const phones = d === BUILTIN_DIRECTORY_ID;
  const at = target.now.toISOString();
  const check = target.heldAccounts
    ? sql`fresh as (
      select r.* from r
      where r.status = 'active'
        and not exists (select 1 from accounts x where x.directory_id = ${d} and x.external_id = r.external_id)
    ),
    clash as (
      select distinct on (line) line, kind, value from (
        select r.line, 1 as kind, r.user_name as value from fresh r
          join accounts a on a.directory_id = ${d} and a.status = 'active' and lower(a.user_name) = lower(r.user_name)
        union all
        select r.line, 2, r.phone from fresh r
          join accounts a on ${phones} and a.directory_id = ${d} and a.status = 'active' and a.phone = r.phone
        union all
        select r.line, 3, t.address from fresh r
          cross join lateral unnest(array_prepend(r.email, r.aliases)) as t(address)
          join account_addresses aa on aa.directory_id = ${d} and aa.active and aa.address = t.address
      ) c
      order by line, kind, value
    )`
    : sql`clash as (select 0 as line, 0 as kind, '' as value where false)`;
  const statement = sql`
    with r as (select ${PAGE_ROW_COLUMNS} from jsonb_array_elements(${page.json}::jsonb) as e),
    ${check},
    ins as (
      insert into accounts (directory_id, external_id, user_name, email, aliases, phone, display_name,
        given_name, family_name, department, license, status, deleted_at, deleted_by,
        deletion_completes_at, purge_after, snapshot, search_text, created_at, updated_at)
      select ${d}, r.external_id, r.user_name, r.email, coalesce(r.aliases, '{}'), r.phone, r.display_name,
        r.given_name, r.family_name, r.department, r.license, r.status::account_status, r.deleted_at,
        r.deleted_by, r.deletion_completes_at, r.purge_after, r.snapshot, r.search_text,
        ${at}::timestamptz, ${at}::timestamptz
      from r
      where ${write} and not exists (select 1 from clash)
      -- One index probe a row: a NOT EXISTS was planned as an anti join over the whole directory.
      on conflict (directory_id, external_id) do nothing
      returning id, email, aliases, status
    ),
    addr as (
      -- No ON CONFLICT: every row belongs to an account this statement inserted, and the file's
      -- validation made its aliases lower-case, unique and distinct from the email. (Checking for
      -- a conflict that cannot happen was a second probe of the key for each address.)
      insert into account_addresses (account_id, directory_id, address, is_primary, active)
      select ins.id, ${d}, t.address, t.ord = 1 and ins.email is not null, ins.status = 'active'
      from ins cross join lateral unnest(array_prepend(ins.email, ins.aliases)) with ordinality as t(address, ord)
      where t.address is not null
      returning 1
    )
    select (select count(*) from ins)::int as inserted, (select count(*) from addr)::int as addresses,
      (select coalesce(json_agg(json_build_array(line, kind, value) order by line), '[]') from clash) as clashes`;
  // Prepared, so that the import can send the next page's statement while this one runs (see
  // importAccounts). The clash check is planned for each page's values all the same: the import
  // sets plan_cache_mode (a generic plan could not leave out the phone check where phones are
  // not unique, nor follow the statistics the import refreshes).
  const result = await executePrepared(db, "import_page", statement);
  const row = rowsOf<{ inserted: number; clashes: [number, number, string][] | string }>(result)[0];
  const found = typeof row?.clashes === "string" ? JSON.parse(row.clashes) : (row?.clashes ?? []);
  return {
    inserted: Number(row?.inserted ?? 0),
    clashes: (found as [number, number, string][]).map(([line, kind, value]) => ({
      line: Number(line),
      reason:
        kind === 1
          ? `an active account already has the user name ${value}`
          : kind === 2
            ? `an active account already has the phone ${value}`
            : `an active account already has the address ${value}`,
    })),
  };
}

/**
 * What the planner's statistics hold before an import: the accounts in the table (a clash check
 * is planned with that) and its estimate of the directory's (searches in it are planned with that).
 */
export async function plannerCounts(
  db: Db,
  directoryId: string,
): Promise<{ table: number; directory: number }> {
  const [table] = rowsOf<{ rows: number }>(
    await db.execute(
      sql`select greatest(reltuples, 0)::float8 as rows from pg_class where oid = 'accounts'::regclass`,
    ),
  );
  const [explained] = rowsOf<{ "QUERY PLAN": unknown }>(
    await db.execute(sql`explain (format json) select 1 from accounts where directory_id = ${directoryId}`),
  );
  const plan = explained?.["QUERY PLAN"];
  const parsed = (typeof plan === "string" ? JSON.parse(plan) : plan) as [{ Plan: { "Plan Rows": number } }];
  return { table: Number(table?.rows ?? 0), directory: Number(parsed?.[0]?.Plan?.["Plan Rows"] ?? 0) };
}

/**
 * Fresh row counts for the tables an import grows (ANALYZE sees this transaction's own rows).
 * `rough` is for the counts the clash check is planned with while the import runs: a sample of
 * 3,000 rows (statistics target 10) gets the sizes right at a tenth of the default's work; the
 * last refresh, which search plans read after the import, takes the full sample.
 */
export async function refreshStatistics(db: Db, rough = false): Promise<void> {
  if (!rough) {
    await db.execute(sql`analyze accounts, account_addresses`);
    return;
  }
  const [before] = rowsOf<{ target: string }>(
    await db.execute(sql`select current_setting('default_statistics_target') as target`),
  );
  await db.execute(sql`select set_config('default_statistics_target', '10', true)`);
  await db.execute(sql`analyze accounts, account_addresses`);
  await db.execute(sql`select set_config('default_statistics_target', ${before?.target ?? "100"}, true)`);
}
