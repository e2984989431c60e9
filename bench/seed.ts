import type { Sql } from "postgres";
import postgres from "postgres";
import { BUILTIN_DIRECTORY_ID } from "../src/mirror/builtin.ts";
import { FAMILY_NAMES, GIVEN_NAMES } from "./names.ts";

/** Bump when the shape of the seed changes: a database seeded by an older bench is seeded again. */
export const SEED_VERSION = 1;
export const TOTAL_ACCOUNTS = 1_000_000;
/** Every fifth account is deleted: 200,000. */
export const DELETED_EVERY = 5;
export const DELETED_ACCOUNTS = TOTAL_ACCOUNTS / DELETED_EVERY;
/** One account in ten (active and deleted alike) has an alias, an address of its own. */
export const ALIAS_EVERY = 10;
export const TOTAL_ADDRESSES = TOTAL_ACCOUNTS + TOTAL_ACCOUNTS / ALIAS_EVERY;
export const RETENTION_DAYS = 30;
export const DOMAINS = ["example.com", "example.org"];
const DEPARTMENTS = [
  "Engineering",
  "Sales",
  "Marketing",
  "Finance",
  "Support",
  "Operations",
  "Legal",
  "People",
  "Product",
  "Design",
];

export interface SeedInfo {
  /** The seed's "now": deletions are spread over the 30 days before it. */
  anchor: Date;
  seededAt: Date;
  seedSeconds: number;
  /** Seeded by this run (false: an earlier seed was reused). */
  fresh: boolean;
}

/** Creates the database if it is missing, through the `postgres` maintenance database. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ""));
  if (!name) throw new Error(`BENCH_DATABASE_URL names no database: ${url}`);
  const maintenance = new URL(url);
  maintenance.pathname = "/postgres";
  const admin = postgres(maintenance.toString(), { max: 1, onnotice: () => {} });
  try {
    const found = await admin`select 1 from pg_database where datname = ${name}`;
    if (found.length === 0) await admin.unsafe(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** The seed already in the database, when it is exactly the one this bench makes. */
export async function existingSeed(sql: Sql): Promise<SeedInfo | null> {
  await sql.unsafe(`create table if not exists bench_seed (
    version integer not null, anchor timestamptz not null, seeded_at timestamptz not null,
    seed_seconds double precision not null)`);
  const [marker] = await sql<{ version: number; anchor: Date; seeded_at: Date; seed_seconds: number }[]>`
    select version, anchor, seeded_at, seed_seconds from bench_seed`;
  if (!marker || marker.version !== SEED_VERSION) return null;
  const [counts] = await sql<{ total: number; deleted: number; addresses: number; other: number }[]>`
    select (select count(*)::int from accounts) as total,
           (select count(*)::int from accounts where status = 'deleted') as deleted,
           (select count(*)::int from account_addresses) as addresses,
           (select count(*)::int from accounts where directory_id <> ${BUILTIN_DIRECTORY_ID}
              or recreated_as is not null) as other`;
  if (
    counts?.total !== TOTAL_ACCOUNTS ||
    counts.deleted !== DELETED_ACCOUNTS ||
    counts.addresses !== TOTAL_ADDRESSES ||
    counts.other !== 0
  ) {
    return null;
  }
  return {
    anchor: marker.anchor,
    seededAt: marker.seeded_at,
    seedSeconds: marker.seed_seconds,
    fresh: false,
  };
}

const literalArray = (names: readonly string[]) => {
  for (const n of names) if (!/^[A-Za-z]+$/.test(n)) throw new Error(`not a plain name: ${n}`);
  return `array[${names.map((n) => `'${n}'`).join(",")}]::text[]`;
};

/** A number in [0, 1) from n and a salt, the same on every run (no random(): reproducible names). */
const unit = (salt: number) => `((hashint4(n # ${salt}) & 2147483647)::float8 / 2147483648)`;

/**
 * Empties the app's tables and seeds them in one transaction, server-side from generate_series.
 * Secondary indexes are dropped first and built again at the end (faster than maintaining them
 * row by row); being in the transaction, a failure leaves the database as it was.
 */
export async function seed(sql: Sql, anchor: Date, log: (line: string) => void): Promise<SeedInfo> {
  const started = performance.now();
  const step = async (label: string, work: () => Promise<unknown>) => {
    const t = performance.now();
    await work();
    log(`  ${label.padEnd(44)} ${((performance.now() - t) / 1000).toFixed(1).padStart(6)} s`);
  };
  await sql.begin(async (tx) => {
    await tx.unsafe("set local maintenance_work_mem = '512MB'");
    await tx.unsafe("set local synchronous_commit = off");
    await step("empty tables", () =>
      tx.unsafe(
        "truncate account_words, account_addresses, approvals, audit_events, restore_requests, accounts, departments, seats",
      ),
    );
    // Indexes a constraint owns (primary keys) stay; the others are rebuilt from their own definitions.
    const indexes = await tx<{ name: string; def: string }[]>`
      select c.relname as name, pg_get_indexdef(i.indexrelid) as def
      from pg_index i join pg_class c on c.oid = i.indexrelid
      where i.indrelid in ('accounts'::regclass, 'account_addresses'::regclass, 'account_words'::regclass)
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`;
    await step(`drop ${indexes.length} secondary indexes`, async () => {
      for (const index of indexes) await tx.unsafe(`drop index "${index.name}"`);
    });
    await tx`insert into departments (directory_id, name)
      select ${BUILTIN_DIRECTORY_ID}, unnest(${DEPARTMENTS}::text[])`;

    // Name frequencies are skewed (power 1.6): James and Smith are common, the last ones rare.
    const pick = (names: readonly string[], salt: number) =>
      `(${literalArray(names)})[1 + floor(${names.length} * power(${unit(salt)}, 1.6))::int]`;
    const anchorLiteral = `'${anchor.toISOString()}'::timestamptz`;
    await step(`insert ${TOTAL_ACCOUNTS.toLocaleString("en-US")} accounts`, () =>
      tx.unsafe(`
        insert into accounts (directory_id, external_id, user_name, email, aliases, phone, display_name,
          given_name, family_name, department, license, status, deleted_at, deleted_by, purge_after,
          snapshot, search_text, created_at, updated_at)
        select '${BUILTIN_DIRECTORY_ID}', 'bench-' || n, user_name, user_name, aliases, phone, display_name,
          given, family, department, license, status::account_status, deleted_at, deleted_by,
          deleted_at + make_interval(days => ${RETENTION_DAYS}),
          case when status = 'deleted' then jsonb_build_object(
            'userName', user_name, 'email', user_name, 'aliases', to_jsonb(aliases), 'phone', phone,
            'displayName', display_name, 'givenName', given, 'familyName', family,
            'department', department, 'license', license) end,
          -- searchTextOf (src/accounts/rows.ts): display name, user name, email, aliases, then the
          -- given and family names the display name lacks; lower-cased, joined by spaces.
          lower(concat_ws(' ', display_name, user_name, user_name, nullif(array_to_string(aliases, ' '), ''),
            case when strpos(lower(display_name), lower(given)) = 0 then given end,
            case when strpos(lower(display_name), lower(family)) = 0 then family end)),
          created_at, coalesce(deleted_at, created_at)
        from (
          select n, given, family, given || ' ' || family as display_name,
            lower(given) || '.' || lower(family) || n || '@example.com' as user_name,
            case when (n / ${DELETED_EVERY}) % ${ALIAS_EVERY} = 3
              then array[lower(left(given, 1)) || '.' || lower(family) || n || '@example.org']
              else '{}'::text[] end as aliases,
            '+1555' || lpad(n::text, 7, '0') as phone,
            (${literalArray(DEPARTMENTS)})[1 + n % ${DEPARTMENTS.length}] as department,
            case when n % 4 = 0 then 'E5' else 'E3' end as license,
            case when n % ${DELETED_EVERY} = 0 then 'deleted' else 'active' end as status,
            case when n % ${DELETED_EVERY} = 0
              then ${anchorLiteral} - interval '1 minute' - ${unit(3)} * interval '29 days 22 hours' end
              as deleted_at,
            case when n % ${DELETED_EVERY} = 0 then 'U0ADMIN' || (1 + n % 3) end as deleted_by,
            ${anchorLiteral} - make_interval(days => 30 + n % 2000) as created_at
          from (
            select n, ${pick(GIVEN_NAMES, 1)} as given, ${pick(FAMILY_NAMES, 2)} as family
            from generate_series(1, ${TOTAL_ACCOUNTS}) as n
          ) named
        ) shaped`),
    );
    await step("insert account addresses", () =>
      tx.unsafe(`
        insert into account_addresses (account_id, directory_id, address, is_primary, active)
        select id, directory_id, lower(email), true, status = 'active' from accounts where email is not null
        union all
        select a.id, a.directory_id, lower(x), false, a.status = 'active'
        from accounts a cross join lateral unnest(a.aliases) as x`),
    );
    for (const index of indexes) {
      await step(`create index ${index.name}`, () => tx.unsafe(index.def));
    }
    const seconds = (performance.now() - started) / 1000;
    await tx`delete from bench_seed`;
    await tx`insert into bench_seed (version, anchor, seeded_at, seed_seconds)
      values (${SEED_VERSION}, ${anchor}, now(), ${seconds})`;
  });
  await step("vacuum analyze", () =>
    sql.unsafe("vacuum (analyze) accounts, account_addresses, account_words, departments"),
  );
  const seedSeconds = (performance.now() - started) / 1000;
  await sql`update bench_seed set seed_seconds = ${seedSeconds}`;
  return { anchor, seededAt: new Date(), seedSeconds, fresh: true };
}

const UNDO_TABLE = "bench_undo";

/** Keeps a copy of the accounts the bench is about to restore, so they can be put back after. */
export async function rememberForUndo(sql: Sql, ids: string[]): Promise<void> {
  await sql.unsafe(`drop table if exists ${UNDO_TABLE}`);
  await sql.unsafe(
    `create unlogged table ${UNDO_TABLE} as select * from accounts where id = any($1::uuid[])`,
    [ids],
  );
}

/**
 * Puts restored accounts back as they were (deleted, same window, same version), with their
 * addresses, and removes their restore requests, so the next run finds the same seed. The audit
 * trail is append-only and keeps its rows. Also run at start, after a run that was interrupted.
 */
export async function undoRestores(sql: Sql): Promise<number> {
  const [exists] = await sql<{ found: boolean }[]>`select to_regclass(${UNDO_TABLE}) is not null as found`;
  if (!exists?.found) return 0;
  const columns = await sql<{ name: string }[]>`
    select column_name as name from information_schema.columns
    where table_schema = current_schema() and table_name = 'accounts' and column_name <> 'id'
      and is_generated = 'NEVER'
    order by ordinal_position`;
  const list = columns.map((c) => `"${c.name}"`).join(", ");
  const from = columns.map((c) => `u."${c.name}"`).join(", ");
  const putBack = await sql.begin(async (tx) => {
    await tx.unsafe(`delete from restore_requests where account_id in (select id from ${UNDO_TABLE})`);
    const updated = await tx.unsafe(
      `update accounts a set (${list}) = (${from}) from ${UNDO_TABLE} u where a.id = u.id`,
    );
    await tx.unsafe(`delete from account_addresses where account_id in (select id from ${UNDO_TABLE})`);
    await tx.unsafe(`
      insert into account_addresses (account_id, directory_id, address, is_primary, active)
      select id, directory_id, lower(email), true, status = 'active' from ${UNDO_TABLE} where email is not null
      union all
      select u.id, u.directory_id, lower(x), false, u.status = 'active'
      from ${UNDO_TABLE} u cross join lateral unnest(u.aliases) as x`);
    await tx.unsafe(`drop table ${UNDO_TABLE}`);
    return updated.count;
  });
  // Each account restored and put back leaves dead rows in these tables and their indexes, and
  // autovacuum waits for a fifth of a table: five runs later, plan + restore measured 17-19 ms
  // at p50 instead of 11.5. Every run starts from a vacuumed seed.
  await sql`vacuum (analyze) accounts, account_addresses, account_words, restore_requests, audit_events`;
  return putBack;
}
