/**
 * The import bench: a generated CSV of 100,000 accounts through parse + validate + the set-based
 * load, into an empty built-in directory on the Postgres server (≤ 10 s, peak RSS ≤ 300 MB),
 * optionally into one already holding many accounts, and into PGlite (≤ 60 s). The floor is a
 * plain COPY of the same rows into a bare table with the same columns on the same server: the
 * import's rows/s should be at least 1/30 of it.
 *
 *   npm run bench -- --only import
 *   --import-rows N      rows in the file (default 100000)
 *   --import-existing N  accounts already in the directory for a second run (default 0: skipped;
 *                        1000000 is seeded set-based in a minute or two)
 *
 * Its own database, BENCH_DATABASE_URL's name + `_import` (restore_user_bench_import by default),
 * emptied at the start: engineers sharing a server give BENCH_DATABASE_URL their own name.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { openDatabase, redactUrl } from "../src/db/client.ts";
import { ensureBuiltinDirectory } from "../src/directory/builtin.ts";
import { importAccounts } from "../src/directory/import.ts";
import { parseImportFile } from "../src/directory/import-file.ts";
import { table } from "./measure.ts";
import { ensureDatabase } from "./seed.ts";

const SERVER_TARGET_S = 10;
const PGLITE_TARGET_S = 60;
const RSS_TARGET_MB = 300;
const COPY_RATIO_TARGET = 1 / 30;
const MB = 1024 * 1024;
const ADMIN = "U0BENCHADMIN";
const COLUMNS =
  "user_name,email,aliases,display_name,given_name,family_name,phone,department,license,status,deleted_at,deleted_by";

export const IMPORT_FLAGS = {
  "import-rows": { type: "string", default: "100000" },
  "import-existing": { type: "string", default: "0" },
} as const;

export interface ImportBenchOptions {
  url: string;
  rows: number;
  existing: number;
  log: (line?: string) => void;
}

export function importOptionsFrom(
  values: { "import-rows"?: string; "import-existing"?: string },
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

function csvOf(rows: number, prefix: string): string {
  const lines = [COLUMNS];
  for (let i = 0; i < rows; i++) lines.push(csvRow(i, prefix));
  return lines.join("\n");
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

/** Parse, validate and load one file; seconds end to end. */
async function timedImport(db: Parameters<typeof importAccounts>[0], content: string) {
  const now = new Date();
  const t = performance.now();
  const parsed = parseImportFile(content, "csv", now);
  if (!parsed.ok) throw new Error(`the generated file is invalid: ${parsed.problems[0]?.reason}`);
  const parsedS = (performance.now() - t) / 1000;
  const summary = await importAccounts(db, parsed.file, ADMIN, now);
  return { seconds: (performance.now() - t) / 1000, parsedS, inserted: summary.inserted };
}

/** The floor: the same rows by COPY into a bare table with the same columns. Rows per second. */
async function copyRate(raw: postgres.Sql, content: string, rows: number): Promise<number> {
  await raw.unsafe(`drop table if exists import_floor;
    create table import_floor (${COLUMNS.split(",")
      .map((c) => `${c} text`)
      .join(", ")})`);
  const t = performance.now();
  const writable = await raw`copy import_floor from stdin with (format csv, header true)`.writable();
  await new Promise<void>((resolve, reject) => {
    writable.on("error", reject);
    writable.on("finish", resolve);
    writable.end(content);
  });
  const seconds = (performance.now() - t) / 1000;
  await raw.unsafe("drop table import_floor");
  return rows / seconds;
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
    const content = csvOf(rows, "imp");
    const floor = await copyRate(raw, content, rows);
    const header = ["run", "seconds", "parse s", "rows/s", "÷ COPY", "peak RSS MB", "targets"];
    const results = [header];
    const record = (
      label: string,
      run: Awaited<ReturnType<typeof timedImport>>,
      peakMb: number,
      s: number,
    ) => {
      const rate = run.inserted / run.seconds;
      const missed = [
        ...(run.seconds <= s ? [] : ["time"]),
        ...(peakMb <= RSS_TARGET_MB ? [] : ["RSS"]),
        ...(rate / floor >= COPY_RATIO_TARGET ? [] : ["÷ COPY"]),
      ];
      results.push([
        label,
        run.seconds.toFixed(1),
        run.parsedS.toFixed(1),
        Math.round(rate).toLocaleString("en-US"),
        `1/${Math.round(floor / rate)}`,
        peakMb.toFixed(0),
        missed.length === 0 ? "PASS" : `MISS: ${missed.join(", ")}`,
      ]);
    };

    const empty = await withPeakRss(() => timedImport(database.db, content));
    record("Postgres, empty directory", empty.value, empty.peakMb, SERVER_TARGET_S);

    if (options.existing > 0) {
      await raw.unsafe("truncate accounts, account_addresses, audit_events cascade");
      const t = performance.now();
      await seedExisting(raw, options.existing);
      log(
        `  seeded ${options.existing.toLocaleString("en-US")} accounts in ${((performance.now() - t) / 1000).toFixed(0)} s`,
      );
      const full = await withPeakRss(() => timedImport(database.db, content));
      record(
        `Postgres, ${options.existing.toLocaleString("en-US")} already there`,
        full.value,
        full.peakMb,
        SERVER_TARGET_S,
      );
    }

    const lite = await openDatabase({ dataDir: pgliteDir });
    try {
      await ensureBuiltinDirectory(lite.db, { retentionDays: 30, domains: ["example.com"] });
      const run = await withPeakRss(() => timedImport(lite.db, content));
      record("PGlite, empty directory", run.value, run.peakMb, PGLITE_TARGET_S);
    } finally {
      await lite.close();
    }

    log();
    for (const line of table(results)) log(line);
    log();
    log(
      `  COPY floor: ${Math.round(floor).toLocaleString("en-US")} rows/s into a bare table (target ≥ 1/30 of it)`,
    );
    log("  peak RSS is this whole process's (PGlite runs inside it)");
  } finally {
    await raw.end({ timeout: 5 });
    await database.close();
    await rm(pgliteDir, { recursive: true, force: true });
  }
}
