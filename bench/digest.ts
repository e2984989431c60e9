/**
 * The digest bench: build the daily digest over 200,000 deleted accounts, 20,000 of them
 * expiring within the 7-day window, and measure time and memory against the targets
 * (≤ 1 s, ≤ 100 MB above the idle app).
 *
 *   npm run bench -- --only digest        (NODE_OPTIONS=--expose-gc for exact memory figures)
 *   --reseed                 seed again even if the database holds this bench's seed
 *   --digest-iterations N    measured builds (default 10), after one cold build
 *
 * Its own database, restore_user_bench_digest on BENCH_DATABASE_URL's server (or
 * BENCH_DIGEST_DATABASE_URL), created if missing and reused across runs; the 1,000,000-account
 * seed of the other benches is left alone. The clock is the seed's own: the digest is the one
 * due at 09:00 Europe/Amsterdam on the day the seed was made, every run.
 */
import postgres from "postgres";
import { type Db, openDatabase, redactUrl } from "../src/db/client.ts";
import { buildDigest, type Digest } from "../src/digest/build.ts";
import { digestCalendar, localDateOf, zonedTime } from "../src/digest/calendar.ts";
import { BUILTIN_DIRECTORY_ID, ensureBuiltinDirectory } from "../src/mirror/builtin.ts";
import { digestMessages } from "../src/slack/blocks/digest.ts";
import { ms, percentile, table } from "./measure.ts";
import { ensureDatabase } from "./seed.ts";

export const DIGEST_BENCH_DB = "restore_user_bench_digest";
const SEED_VERSION = 1;
const DELETED = 200_000;
const EXPIRING = 20_000;
const WINDOW_DAYS = 7;
const TIME_ZONE = "Europe/Amsterdam";
const DIGEST_TIME = "09:00";
const RETENTION_DAYS = 30;
const PURGED_SINCE_LAST = 3_000;
const OLDER_AUDIT = 50_000;
const PENDING = 25;
const TIME_TARGET_MS = 1000;
const MEMORY_TARGET_MB = 100;
const MB = 1024 * 1024;

export const DIGEST_FLAGS = {
  "digest-iterations": { type: "string", default: "10" },
} as const;

export interface DigestBenchOptions {
  /** BENCH_DATABASE_URL: the bench's own database is made on the same server. */
  url: string;
  reseed: boolean;
  iterations: number;
  log: (line?: string) => void;
}

export function digestOptionsFrom(
  values: { "digest-iterations"?: string },
  rest: Pick<DigestBenchOptions, "url" | "reseed" | "log">,
): DigestBenchOptions {
  const n = Number(values["digest-iterations"] ?? "10");
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--digest-iterations takes a whole number ≥ 1, not ${n}`);
  return { ...rest, iterations: n };
}

/** The digest bench's database: BENCH_DIGEST_DATABASE_URL, or restore_user_bench_digest beside BENCH_DATABASE_URL's. */
export function digestDatabaseUrl(benchUrl: string): string {
  if (process.env.BENCH_DIGEST_DATABASE_URL) return process.env.BENCH_DIGEST_DATABASE_URL;
  const url = new URL(benchUrl);
  url.pathname = `/${DIGEST_BENCH_DB}`;
  return url.toString();
}

interface DigestSeed {
  /** The digest's moment: 09:00 Europe/Amsterdam on `date`, the day the seed was made. */
  anchor: Date;
  date: string;
  seededAt: Date;
  seedSeconds: number;
  fresh: boolean;
}

export async function runDigestBench(options: DigestBenchOptions): Promise<void> {
  const { log } = options;
  const url = digestDatabaseUrl(options.url);
  await ensureDatabase(url);
  // The app's own pool: openDatabase's default size.
  const database = await openDatabase({ url });
  const raw = postgres(url, { max: 2, onnotice: () => {} });
  try {
    log("restore-user digest bench: build the daily digest");
    log(`  database ${redactUrl(url)}`);
    await ensureBuiltinDirectory(database.db, { retentionDays: RETENTION_DAYS, domains: ["example.com"] });
    let seed = options.reseed ? null : await existingSeed(raw);
    if (!seed) {
      log(options.reseed ? "  seeding (--reseed):" : "  no seed of this bench yet: seeding");
      seed = await seedDigest(raw, log);
    }
    await measureDigest(database.db, raw, seed, options);
  } finally {
    await raw.end({ timeout: 5 });
    await database.close();
  }
}

async function existingSeed(sql: postgres.Sql): Promise<DigestSeed | null> {
  await sql.unsafe(`create table if not exists bench_digest_seed (
    version integer not null, anchor timestamptz not null, date text not null,
    seeded_at timestamptz not null, seed_seconds double precision not null)`);
  const [marker] = await sql<
    { version: number; anchor: Date; date: string; seeded_at: Date; seed_seconds: number }[]
  >`select version, anchor, date, seeded_at, seed_seconds from bench_digest_seed`;
  if (!marker || marker.version !== SEED_VERSION) return null;
  const until = digestCalendar(marker.date, TIME_ZONE, WINDOW_DAYS).until;
  const [counts] = await sql<{ deleted: number; expiring: number }[]>`
    select count(*)::int as deleted,
      (count(*) filter (where purge_after > ${marker.anchor} and purge_after < ${until}))::int as expiring
    from accounts where status = 'deleted'`;
  if (counts?.deleted !== DELETED || counts.expiring !== EXPIRING) return null;
  return {
    anchor: marker.anchor,
    date: marker.date,
    seededAt: marker.seeded_at,
    seedSeconds: marker.seed_seconds,
    fresh: false,
  };
}

/** A number in [0, 1) from n and a salt, the same on every run. */
const unit = (salt: number) => `((hashint4(n # ${salt}) & 2147483647)::float8 / 2147483648)`;

/**
 * 200,000 deleted accounts, full rows (snapshot, aliases, search text) so that reading more than
 * the digest needs would show: 20,000 whose window ends between the digest's moment and the end
 * of its 7th day, 180,000 later (up to 30 days). Also purge events (since the last digest and
 * older) and pending replace requests. Server-side, in one transaction.
 */
async function seedDigest(sql: postgres.Sql, log: (line: string) => void): Promise<DigestSeed> {
  const started = performance.now();
  const date = localDateOf(new Date(), TIME_ZONE);
  const anchor = zonedTime(date, DIGEST_TIME, TIME_ZONE);
  const until = digestCalendar(date, TIME_ZONE, WINDOW_DAYS).until;
  const lastDigest = zonedTime(
    localDateOf(new Date(anchor.getTime() - 86_400_000), TIME_ZONE),
    DIGEST_TIME,
    TIME_ZONE,
  );
  const step = async (label: string, work: () => Promise<unknown>) => {
    const t = performance.now();
    await work();
    log(`  ${label.padEnd(44)} ${((performance.now() - t) / 1000).toFixed(1).padStart(6)} s`);
  };
  const lit = (d: Date) => `'${d.toISOString()}'::timestamptz`;
  await sql.begin(async (tx) => {
    await tx.unsafe("set local maintenance_work_mem = '256MB'");
    await tx.unsafe("set local synchronous_commit = off");
    await step("empty tables", () =>
      tx.unsafe(
        "truncate account_words, account_addresses, approvals, audit_events, restore_requests, accounts",
      ),
    );
    const indexes = await tx<{ name: string; def: string }[]>`
      select c.relname as name, pg_get_indexdef(i.indexrelid) as def
      from pg_index i join pg_class c on c.oid = i.indexrelid
      where i.indrelid = 'accounts'::regclass
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`;
    await step(`drop ${indexes.length} secondary indexes`, async () => {
      for (const index of indexes) await tx.unsafe(`drop index "${index.name}"`);
    });
    // purge_after: the first EXPIRING accounts inside (anchor, until), the rest from an hour after
    // `until` to 30 days after the anchor. Microseconds, as real timestamps have.
    await step(`insert ${DELETED.toLocaleString("en-US")} deleted accounts`, () =>
      tx.unsafe(`
        insert into accounts (directory_id, external_id, user_name, email, aliases, phone, display_name,
          given_name, family_name, department, license, status, deleted_at, deleted_by, purge_after,
          snapshot, search_text, created_at, updated_at)
        select '${BUILTIN_DIRECTORY_ID}', 'digest-' || n, user_name, user_name, aliases, phone, display_name,
          given, family, department, 'E3', 'deleted', purge_after - interval '${RETENTION_DAYS} days',
          'U0ADMIN' || (1 + n % 3), purge_after,
          jsonb_build_object('userName', user_name, 'email', user_name, 'aliases', to_jsonb(aliases),
            'phone', phone, 'displayName', display_name, 'givenName', given, 'familyName', family,
            'department', department, 'license', 'E3'),
          lower(concat_ws(' ', display_name, user_name, user_name, nullif(array_to_string(aliases, ' '), ''))),
          purge_after - interval '400 days', purge_after - interval '${RETENTION_DAYS} days'
        from (
          select n, given, family, given || ' ' || family as display_name,
            lower(given) || '.' || lower(family) || n || '@example.com' as user_name,
            array[lower(given) || n || '@example.com', lower(family) || n || '@example.com'] as aliases,
            '+1555' || lpad(n::text, 7, '0') as phone,
            (array['Engineering','Sales','Finance','Support','Operations'])[1 + n % 5] as department,
            case when n <= ${EXPIRING}
              then ${lit(anchor)} + interval '1 minute'
                + ${unit(7)} * (${lit(until)} - ${lit(anchor)} - interval '2 minutes')
              else ${lit(until)} + interval '1 hour'
                + ${unit(7)} * (${lit(anchor)} + interval '${RETENTION_DAYS} days' - ${lit(until)} - interval '1 hour')
            end as purge_after
          from (
            select n,
              (array['Ada','Ben','Chloé','Dmitri','Elif','Femi','Grace','Hiro','Ines','Jonas'])[1 + n % 10] as given,
              (array['Smith','Garcia','Nguyen','Müller','Kowalski','Okafor','Rossi','Tanaka'])[1 + (n / 10) % 8] as family
            from generate_series(1, ${DELETED}) as n
          ) named
        ) shaped`),
    );
    for (const index of indexes) await step(`create index ${index.name}`, () => tx.unsafe(index.def));
    await step(`insert ${(PURGED_SINCE_LAST + OLDER_AUDIT).toLocaleString("en-US")} audit events`, () =>
      tx.unsafe(`
        insert into audit_events (at, actor, action, directory_id, account_ids, before, after, details)
        select case when n <= ${PURGED_SINCE_LAST}
            then ${lit(lastDigest)} + ${unit(11)} * (${lit(anchor)} - ${lit(lastDigest)})
            else ${lit(lastDigest)} - ${unit(12)} * interval '90 days' end,
          case when n % 4 = 0 then 'U0ADMIN1' else 'system' end,
          case when n <= ${PURGED_SINCE_LAST} or n % 4 <> 0 then 'purge' else 'restore' end,
          '${BUILTIN_DIRECTORY_ID}', array[gen_random_uuid()],
          jsonb_build_object('userName', 'gone' || n || '@example.com', 'status', 'deleted'),
          jsonb_build_object('userName', 'gone' || n || '@example.com', 'status', 'purged'), '{}'::jsonb
        from generate_series(1, ${PURGED_SINCE_LAST + OLDER_AUDIT}) as n`),
    );
    await step(`insert ${PENDING} pending replace requests`, () =>
      tx.unsafe(`
        insert into restore_requests (kind, directory_id, account_id, requested_by, reason, choices, status,
          approvals_needed, expires_at, details, created_at)
        select 'replace', directory_id, id, 'U0ADMIN1', 'Rehired', '{"replace": true}'::jsonb, 'pending', 1,
          ${lit(anchor)} + (row_number() over (order by id)) * interval '1 hour',
          jsonb_build_object('restore', jsonb_build_object('displayName', display_name, 'userName', user_name),
            'replace', jsonb_build_object('displayName', display_name || ' (new)', 'userName', user_name)),
          ${lit(anchor)} - interval '1 hour'
        from accounts where external_id in (${Array.from({ length: PENDING }, (_, i) => `'digest-${(i + 1) * 7919}'`).join(",")})`),
    );
    await tx`delete from bench_digest_seed`;
    await tx`insert into bench_digest_seed (version, anchor, date, seeded_at, seed_seconds)
      values (${SEED_VERSION}, ${anchor}, ${date}, now(), 0)`;
  });
  await step("vacuum analyze", () => sql.unsafe("vacuum (analyze) accounts, audit_events, restore_requests"));
  const seedSeconds = (performance.now() - started) / 1000;
  await sql`update bench_digest_seed set seed_seconds = ${seedSeconds}`;
  return { anchor, date, seededAt: new Date(), seedSeconds, fresh: true };
}

const gc = (globalThis as { gc?: () => void }).gc;
function settle(): void {
  if (gc) {
    gc();
    gc();
  }
}

interface Run {
  ms: number;
  /** Highest heapUsed / rss seen while building. */
  peakHeap: number;
  peakRss: number;
  /** Heap the finished digest holds: after a gc with it, minus before the build. */
  keptHeap: number;
}

/** Builds once while sampling memory every 2 ms. The caller has dropped any earlier digest. */
async function sampledBuild(build: () => Promise<Digest>): Promise<{ run: Run; digest: Digest }> {
  settle();
  const base = process.memoryUsage().heapUsed;
  let peakHeap = base;
  let peakRss = process.memoryUsage.rss();
  const sample = () => {
    const m = process.memoryUsage();
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
    if (m.rss > peakRss) peakRss = m.rss;
  };
  const timer = setInterval(sample, 2);
  const t = performance.now();
  const digest = await build();
  const elapsed = performance.now() - t;
  clearInterval(timer);
  sample();
  settle();
  const keptHeap = process.memoryUsage().heapUsed - base;
  return { run: { ms: elapsed, peakHeap, peakRss, keptHeap }, digest };
}

async function measureDigest(
  db: Db,
  raw: postgres.Sql,
  seed: DigestSeed,
  options: DigestBenchOptions,
): Promise<void> {
  const { log } = options;
  const [facts] = await raw<{ version: string; deleted: number; audit: number; size: string }[]>`
    select current_setting('server_version') as version,
      (select count(*)::int from accounts where status = 'deleted') as deleted,
      (select count(*)::int from audit_events) as audit,
      pg_size_pretty(pg_database_size(current_database())) as size`;
  const n = (x: number) => x.toLocaleString("en-US");
  log(
    `  node ${process.version} · PostgreSQL ${facts?.version} · deleted accounts ${n(facts?.deleted ?? 0)} · audit events ${n(facts?.audit ?? 0)} · database ${facts?.size}`,
  );
  log(
    seed.fresh
      ? `  seed: seeded by this run in ${seed.seedSeconds.toFixed(1)} s`
      : `  seed: reused the seed of ${seed.seededAt.toISOString()} (it took ${seed.seedSeconds.toFixed(1)} s; --reseed to seed again)`,
  );
  const since = zonedTime(
    localDateOf(new Date(seed.anchor.getTime() - 86_400_000), TIME_ZONE),
    DIGEST_TIME,
    TIME_ZONE,
  );
  const input = { date: seed.date, timeZone: TIME_ZONE, windowDays: WINDOW_DAYS, now: seed.anchor, since };
  log(
    `  digest for ${seed.date} ${DIGEST_TIME} ${TIME_ZONE} (${seed.anchor.toISOString()}), ${WINDOW_DAYS}-day window, purges since ${since.toISOString()}`,
  );
  log(
    gc
      ? "  memory: gc() before each build (--expose-gc); peaks sampled every 2 ms while building"
      : "  memory: no gc() (run with NODE_OPTIONS=--expose-gc for exact figures); peaks sampled every 2 ms",
  );
  log();

  // The idle app: the database open, nothing built yet.
  settle();
  const idle = process.memoryUsage();
  const build = () => buildDigest(db, input);

  const cold = await sampledBuild(build);
  const coldRun = cold.run;
  const expected = { accounts: EXPIRING, purged: PURGED_SINCE_LAST, pending: PENDING };
  const got = {
    accounts: cold.digest.accountCount,
    purged: cold.digest.purged.count,
    pending: cold.digest.pending.total,
  };
  const correct = JSON.stringify(expected) === JSON.stringify(got);

  const runs: Run[] = [];
  let digest: Digest | undefined;
  for (let i = 0; i < options.iterations; i++) {
    digest = undefined;
    const { run, digest: d } = await sampledBuild(build);
    runs.push(run);
    digest = d;
  }
  if (!digest) throw new Error("no digest built");

  const mt = performance.now();
  const messages = digestMessages(digest, { emptyDay: "skip" });
  const messagesMs = performance.now() - mt;
  const at = performance.now();
  const all = digestMessages(digest, { emptyDay: "skip", maxListed: Number.POSITIVE_INFINITY });
  const allMs = performance.now() - at;
  const jsonBytes = Buffer.byteLength(JSON.stringify(digest));

  const times = runs.map((r) => r.ms);
  const heapAbove = runs.map((r) => (r.peakHeap - idle.heapUsed) / MB);
  const rssAbove = runs.map((r) => (r.peakRss - idle.rss) / MB);
  const kept = runs.map((r) => r.keptHeap / MB);
  const worst = (xs: number[]) => Math.max(...xs);
  const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
  const rows = [
    ["buildDigest", "n", "p50", "max", "target", ""],
    [
      "time (ms)",
      `${times.length}`,
      ms(percentile(times, 0.5)),
      ms(worst(times)),
      `≤ ${TIME_TARGET_MS} ms`,
      verdict(worst(times) <= TIME_TARGET_MS),
    ],
    [
      "peak heap above idle (MB)",
      `${runs.length}`,
      ms(percentile(heapAbove, 0.5)),
      ms(worst(heapAbove)),
      `≤ ${MEMORY_TARGET_MB} MB`,
      verdict(worst(heapAbove) <= MEMORY_TARGET_MB),
    ],
    [
      "peak RSS above idle (MB)",
      `${runs.length}`,
      ms(percentile(rssAbove, 0.5)),
      ms(worst(rssAbove)),
      `≤ ${MEMORY_TARGET_MB} MB`,
      verdict(worst(rssAbove) <= MEMORY_TARGET_MB),
    ],
    ["heap the digest holds (MB)", `${runs.length}`, ms(percentile(kept, 0.5)), ms(worst(kept)), "", ""],
    ["cold first build (ms)", "1", ms(coldRun.ms), ms(coldRun.ms), "", ""],
  ];
  for (const line of table(rows)) log(line);
  log();
  log(
    `  idle app: heap ${ms(idle.heapUsed / MB)} MB, RSS ${ms(idle.rss / MB)} MB · cold build peak RSS ${ms((coldRun.peakRss - idle.rss) / MB)} MB above idle`,
  );
  log(
    `  digest: ${n(digest.accountCount)} accounts in ${digest.groups.length} groups (${digest.groups.map((g) => `${g.kind === "days" ? `+${g.firstDay}d` : g.kind} ${n(g.accounts.length)}`).join(", ")}), ${digest.pending.total} approvals waiting, ${n(digest.purged.count)} purged since the last digest; ${ms(jsonBytes / MB)} MB as JSON`,
  );
  log(
    `  expected ${n(expected.accounts)} accounts, ${n(expected.purged)} purged, ${expected.pending} pending: ${correct ? "all found" : `WRONG: ${JSON.stringify(got)}`}`,
  );
  log(
    `  digestMessages: ${ms(messagesMs)} ms for the summary + ${messages.replies.length} replies (1,000 listed, the default); ${ms(allMs)} ms for all ${n(digest.accountCount)} listed (${all.replies.length} replies)`,
  );
}
