/**
 * The import bench: a generated CSV of 100,000 accounts through parse + validate + the set-based
 * load, into an empty built-in directory on the Postgres server (≤ 10 s, peak RSS ≤ 300 MB),
 * optionally into one already holding many accounts, and into PGlite (≤ 60 s). The floor is a
 * plain COPY of the same rows into a bare table with the same columns on the same server: the
 * import's rows/s should be at least 1/30 of it. A bare table has none of the indexes and derived
 * rows search needs, so a second floor loads the import's own result (accounts, addresses, words)
 * by COPY into empty tables with the same indexes: no loader of these rows can beat it by much,
 * and the import should take at most twice as long. The run into a full directory is held to the
 * same rows by COPY into its own tables, still holding the accounts seeded before it.
 *
 *   npm run bench -- --only import
 *   --import-rows N      rows in the file (default 100000)
 *   --import-existing N  accounts already in the directory for a second run (default 0: skipped;
 *                        1000000 is seeded set-based in a minute or two)
 *   --import-pglite-rows N  rows for the PGlite run (default 100000; 0 skips it)
 *
 * The file is written to a temporary folder and imported as the CLI does, streamed from disk; the
 * "read s" column is a separate pass that only reads and checks it (no database).
 *
 * Its own database, BENCH_DATABASE_URL's name + `_import` (restore_user_bench_import by default),
 * emptied at the start: engineers sharing a server give BENCH_DATABASE_URL their own name.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import { openDatabase, redactUrl } from "../src/db/client.ts";
import { importAccounts } from "../src/import/import.ts";
import { CsvImportReader } from "../src/import/import-csv.ts";
import { IMPORT_PAGE_ROWS } from "../src/import/import-load.ts";
import { ensureBuiltinDirectory } from "../src/mirror/builtin.ts";
import { table } from "./measure.ts";
import { ensureDatabase } from "./seed.ts";

const SERVER_TARGET_S = 10;
const PGLITE_TARGET_S = 60;
const RSS_TARGET_MB = 300;
/** A file of a million rows: ≤ 3 minutes on the server, ≤ 400 MB. */
const MILLION_TARGET_S = 180;
const MILLION_RSS_TARGET_MB = 400;
const COPY_RATIO_TARGET = 1 / 30;
/** The import against COPY of its own result into the same tables: at most twice as long. */
const SCHEMA_COPY_RATIO_TARGET = 1 / 2;
const MB = 1024 * 1024;
const ADMIN = "U0BENCHADMIN";
const COLUMNS =
  "user_name,email,aliases,display_name,given_name,family_name,phone,department,license,status,deleted_at,deleted_by";

export const IMPORT_FLAGS = {
  "import-rows": { type: "string", default: "100000" },
  "import-existing": { type: "string", default: "0" },
  "import-pglite-rows": { type: "string", default: "100000" },
} as const;

export interface ImportBenchOptions {
  url: string;
  rows: number;
  existing: number;
  pgliteRows: number;
  log: (line?: string) => void;
}

export function importOptionsFrom(
  values: { "import-rows"?: string; "import-existing"?: string; "import-pglite-rows"?: string },
  rest: Pick<ImportBenchOptions, "url" | "log">,
): ImportBenchOptions {
  const whole = (name: string, value: string | undefined) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, not ${value}`);
    return n;
  };
  return {
    ...rest,
    rows: Math.max(1, whole("import-rows", values["import-rows"])),
    existing: whole("import-existing", values["import-existing"]),
    pgliteRows: whole("import-pglite-rows", values["import-pglite-rows"]),
  };
}

/** Row i of the file: one in five deleted, every name, address and phone its own. */
function csvRow(i: number, prefix: string): string {
  const deleted = i % 5 === 0;
  const user = `${prefix}${i}@example.com`;
  return [
    user,
    user,
    `${prefix}alias${i}@example.com`,
    `Person ${prefix}${i} Surname${i % 997}`,
    `Person`,
    `Surname${i % 997}`,
    `+1${String(2_000_000_000 + i).padStart(10, "0")}`,
    `Department ${i % 40}`,
    i % 3 === 0 ? "E3" : "E5",
    deleted ? "deleted" : "active",
    deleted ? "2026-11-20T10:00:00Z" : "",
    deleted ? "U0ADMIN2" : "",
  ].join(",");
}

/** The file, written a few thousand rows at a time: a million rows never sit in memory. */
async function writeCsv(path: string, rows: number, prefix: string): Promise<void> {
  const out = createWriteStream(path);
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once("drain", resolve));
  await write(COLUMNS);
  for (let i = 0; i < rows; i += 5_000) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(rows, i + 5_000); j++) lines.push(csvRow(j, prefix));
    await write(`\n${lines.join("\n")}`);
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

const readerOf = (path: string, now: Date) =>
  new CsvImportReader(() => createReadStream(path), now, IMPORT_PAGE_ROWS);

/** Only reading and checking the file: the part of an import that is not the database's. */
async function readSeconds(path: string): Promise<number> {
  const t = performance.now();
  const reader = readerOf(path, new Date());
  for await (const _page of reader.pages());
  if (reader.problems.length > 0)
    throw new Error(`the generated file is invalid: ${reader.problems[0]?.reason}`);
  return (performance.now() - t) / 1000;
}

/** Peak resident memory of this process while `work` runs, sampled every 10 ms. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peakMb: peak / MB };
  } finally {
    clearInterval(timer);
  }
}

/** Read, check and load one file, streamed as the CLI does; seconds end to end. */
async function timedImport(db: Parameters<typeof importAccounts>[0], path: string) {
  const now = new Date();
  const t = performance.now();
  const summary = await importAccounts(db, readerOf(path, now), ADMIN, now);
  return { seconds: (performance.now() - t) / 1000, inserted: summary.inserted };
}

/**
 * Every measurement on the server starts just after a checkpoint. An import writes ~330 MB of
 * WAL, so with the default max_wal_size the server checkpoints every ~20 s of this bench, and
 * where in a run one falls was one reason runs of the same code took 10–14 s. Needs a superuser or
 * the pg_checkpoint role; without one, runs start wherever the server is.
 */
async function checkpoint(raw: postgres.Sql): Promise<void> {
  await raw.unsafe("checkpoint").catch(() => {});
}

/** The floor: the same rows by COPY into a bare table with the same columns. Rows per second. */
async function copyRate(raw: postgres.Sql, path: string, rows: number): Promise<number> {
  await raw.unsafe(`drop table if exists import_floor;
    create table import_floor (${COLUMNS.split(",")
      .map((c) => `${c} text`)
      .join(", ")})`);
  await checkpoint(raw);
  const t = performance.now();
  const writable = await raw`copy import_floor from stdin with (format csv, header true)`.writable();
  await pipeline(createReadStream(path), writable);
  const seconds = (performance.now() - t) / 1000;
  await raw.unsafe("drop table import_floor");
  return rows / seconds;
}

/** The tables an import writes rows into (name_terms only gains the few names it lacked). */
const WRITTEN = ["accounts", "account_addresses", "account_words"] as const;

/** Where the import's own rows were saved, a table's columns (generated ones left out) each. */
type SavedRows = { table: (typeof WRITTEN)[number]; columns: string; path: string }[];

/**
 * The rows the import wrote, streamed to files in `dir`, for the schema floor to load again. Each
 * COPY TO on a connection of its own: postgres-js 3.4 can leave the socket paused when a COPY TO
 * stream ends, and the connection's next query then waits forever.
 */
async function saveWritten(raw: postgres.Sql, url: string, dir: string): Promise<SavedRows> {
  const saved: SavedRows = [];
  for (const table of WRITTEN) {
    const rows = await raw<{ columns: string }[]>`
      select string_agg(quote_ident(column_name), ', ' order by ordinal_position) as columns
      from information_schema.columns
      where table_schema = 'public' and table_name = ${table} and is_generated = 'NEVER'`;
    const columns = rows[0]?.columns ?? "";
    const path = join(dir, `${table}.copy`);
    const copier = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const readable = await copier.unsafe(`copy (select ${columns} from ${table}) to stdout`).readable();
      await pipeline(readable, createWriteStream(path));
    } finally {
      await copier.end({ timeout: 1 });
    }
    saved.push({ table, columns, path });
  }
  return saved;
}

/**
 * The schema floor: the import's own result loaded by COPY into empty tables with the same columns
 * and indexes (CREATE TABLE … LIKE … INCLUDING ALL; no triggers, so the words are copied, not
 * derived). No loader of these rows into these tables can do much better. Rows/s of the file.
 */
async function schemaCopyRate(raw: postgres.Sql, saved: SavedRows, rows: number): Promise<number> {
  const floorOf = (table: string) => `import_floor_${table}`;
  for (const { table } of saved) {
    await raw.unsafe(`drop table if exists ${floorOf(table)};
      create table ${floorOf(table)} (like ${table} including all)`);
  }
  await checkpoint(raw);
  const t = performance.now();
  for (const { table, columns, path } of saved) {
    const writable = await raw.unsafe(`copy ${floorOf(table)} (${columns}) from stdin`).writable();
    await pipeline(createReadStream(path), writable);
  }
  const seconds = (performance.now() - t) / 1000;
  for (const { table } of saved) await raw.unsafe(`drop table ${floorOf(table)}`);
  return rows / seconds;
}

/**
 * The schema floor into a full directory: the same saved rows by COPY into the real tables once
 * the import's own rows are deleted and vacuumed away, so that they hold the seeded accounts with
 * their indexes. Triggers are off for the COPY (session_replication_role, a superuser's setting),
 * so the words are copied, not derived. Rows/s of the file; null where the role cannot be set.
 */
async function fullSchemaCopyRate(raw: postgres.Sql, saved: SavedRows, rows: number): Promise<number | null> {
  await raw.unsafe("delete from accounts where external_id like 'import:%'");
  await raw.unsafe("vacuum accounts, account_addresses, account_words");
  try {
    await raw.unsafe("set session_replication_role = replica");
  } catch {
    return null;
  }
  try {
    await checkpoint(raw);
    const t = performance.now();
    for (const { table, columns, path } of saved) {
      const writable = await raw.unsafe(`copy ${table} (${columns}) from stdin`).writable();
      await pipeline(createReadStream(path), writable);
    }
    return rows / ((performance.now() - t) / 1000);
  } finally {
    await raw.unsafe("set session_replication_role = origin");
  }
}

/** `n` accounts already in the directory, set-based, none clashing with the file's. */
async function seedExisting(raw: postgres.Sql, n: number): Promise<void> {
  await raw.unsafe(`
    insert into accounts (directory_id, external_id, user_name, email, display_name, status,
      deleted_at, purge_after, search_text)
    select 'builtin', 'seed:' || i, 'seed' || i || '@example.com', 'seed' || i || '@example.com',
      'Seeded Person' || i, case when i % 5 = 0 then 'deleted' else 'active' end::account_status,
      case when i % 5 = 0 then now() - interval '2 days' end,
      case when i % 5 = 0 then now() + interval '28 days' end,
      'seeded person' || i || ' seed' || i || '@example.com'
    from generate_series(1, ${n}) as i;
    insert into account_addresses (account_id, directory_id, address, is_primary, active)
    select id, directory_id, email, true, status = 'active' from accounts where external_id like 'seed:%';
    analyze accounts, account_addresses`);
}

export async function runImportBench(options: ImportBenchOptions): Promise<void> {
  const { log, rows } = options;
  const url = new URL(options.url);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}_import`;
  await ensureDatabase(url.toString());
  const database = await openDatabase({ url: url.toString() });
  const raw = postgres(url.toString(), { max: 1, onnotice: () => {} });
  const pgliteDir = await mkdtemp(join(tmpdir(), "restore-user-bench-import-"));
  try {
    log("restore-user import bench: a CSV of accounts parsed, validated and loaded in one transaction");
    log(`  database ${redactUrl(url.toString())}; ${rows.toLocaleString("en-US")} rows`);
    await raw.unsafe(
      "truncate accounts, account_addresses, approvals, audit_events, restore_requests, departments, directories, job_runs cascade",
    );
    await ensureBuiltinDirectory(database.db, { retentionDays: 30, domains: ["example.com"] });
    const path = join(pgliteDir, "import.csv");
    await writeCsv(path, rows, "imp");
    // The COPY floor and the read-only pass are measured after the runs, so that their garbage
    // (postgres-js' COPY buffers, the parsed rows) is not in the runs' peak RSS.
    const runs: (() => string[])[] = [];
    let floor = 0;
    let schemaFloor = 0;
    let fullSchemaFloor: number | null = null;
    let readS = 0;
    const header = [
      "run",
      "seconds",
      "read s",
      "rows/s",
      "÷ COPY",
      "÷ schema COPY",
      "peak RSS MB",
      "targets",
    ];
    const record = (
      label: string,
      run: Awaited<ReturnType<typeof timedImport>>,
      peakMb: number,
      s: number,
      // PGlite's run has a time target only: its memory is the database's, and the floors are
      // the server's (its ratios are shown for comparison, against the empty tables' floor).
      // A server run is held to the schema floor of tables as full as its own were.
      server: { rssMb: number; fullTables: boolean } | null,
    ) => {
      const rate = run.inserted / run.seconds;
      runs.push(() => {
        const schema = server?.fullTables ? fullSchemaFloor : schemaFloor;
        const missed = [
          ...(run.seconds <= s ? [] : ["time"]),
          ...(!server || peakMb <= server.rssMb ? [] : ["RSS"]),
          ...(!server || rate / floor >= COPY_RATIO_TARGET ? [] : ["÷ COPY"]),
          ...(!server || schema === null || rate / schema >= SCHEMA_COPY_RATIO_TARGET
            ? []
            : ["÷ schema COPY"]),
        ];
        return [
          label,
          run.seconds.toFixed(1),
          readS.toFixed(1),
          Math.round(rate).toLocaleString("en-US"),
          `1/${Math.round(floor / rate)}`,
          schema === null ? "-" : `1/${(schema / rate).toFixed(1)}`,
          peakMb.toFixed(0),
          missed.length === 0 ? "PASS" : `MISS: ${missed.join(", ")}`,
        ];
      });
    };

    await checkpoint(raw);
    const empty = await withPeakRss(() => timedImport(database.db, path));
    const million = rows >= 1_000_000;
    record(
      "Postgres, empty directory",
      empty.value,
      empty.peakMb,
      million ? MILLION_TARGET_S : SERVER_TARGET_S,
      { rssMb: million ? MILLION_RSS_TARGET_MB : RSS_TARGET_MB, fullTables: false },
    );
    // Saved now, loaded again after the runs: a later run replaces these rows.
    const saved = await saveWritten(raw, url.toString(), pgliteDir);

    if (options.existing > 0) {
      await raw.unsafe("truncate accounts, account_addresses, audit_events cascade");
      const t = performance.now();
      await seedExisting(raw, options.existing);
      log(
        `  seeded ${options.existing.toLocaleString("en-US")} accounts in ${((performance.now() - t) / 1000).toFixed(0)} s`,
      );
      await checkpoint(raw);
      const full = await withPeakRss(() => timedImport(database.db, path));
      record(
        `Postgres, ${options.existing.toLocaleString("en-US")} already there`,
        full.value,
        full.peakMb,
        SERVER_TARGET_S,
        { rssMb: RSS_TARGET_MB, fullTables: true },
      );
    }

    if (options.pgliteRows > 0) {
      const litePath = join(pgliteDir, "import-pglite.csv");
      if (options.pgliteRows !== rows) await writeCsv(litePath, options.pgliteRows, "imp");
      const lite = await openDatabase({ dataDir: join(pgliteDir, "pglite") });
      try {
        await ensureBuiltinDirectory(lite.db, { retentionDays: 30, domains: ["example.com"] });
        const run = await withPeakRss(() =>
          timedImport(lite.db, options.pgliteRows === rows ? path : litePath),
        );
        record(
          `PGlite, ${options.pgliteRows.toLocaleString("en-US")} rows, empty directory`,
          run.value,
          run.peakMb,
          PGLITE_TARGET_S,
          null,
        );
      } finally {
        await lite.close();
      }
    }

    floor = await copyRate(raw, path, rows);
    schemaFloor = await schemaCopyRate(raw, saved, rows);
    // The server's tables still hold the full run's accounts (the PGlite run has its own).
    if (options.existing > 0) fullSchemaFloor = await fullSchemaCopyRate(raw, saved, rows);
    readS = await readSeconds(path);
    log();
    for (const line of table([header, ...runs.map((row) => row())])) log(line);
    log();
    log(
      `  COPY floor: ${Math.round(floor).toLocaleString("en-US")} rows/s into a bare table (target ≥ 1/30 of it)`,
    );
    log(
      `  schema COPY floor: ${Math.round(schemaFloor).toLocaleString("en-US")} rows/s: the first run's accounts, addresses and words by COPY into empty tables with the same indexes (target ≥ 1/2 of it)`,
    );
    if (options.existing > 0) {
      log(
        fullSchemaFloor === null
          ? "  schema COPY floor into the full directory: not measured (needs a superuser to set session_replication_role)"
          : `  schema COPY floor into the full directory: ${Math.round(fullSchemaFloor).toLocaleString("en-US")} rows/s: the same rows by COPY into the tables holding the ${options.existing.toLocaleString("en-US")} accounts, triggers off (target ≥ 1/2 of it)`,
      );
    }
    log("  peak RSS is this whole process's (PGlite runs inside it)");
  } finally {
    await raw.end({ timeout: 5 });
    await database.close();
    await rm(pgliteDir, { recursive: true, force: true });
  }
}
