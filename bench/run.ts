/**
 * npm run bench: search, plan and restore on 1,000,000 accounts (200,000 deleted) in Postgres,
 * then the Slack bench (bench/slack.ts: ack latency of the HTTP receiver under load).
 *
 *   BENCH_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/restore_user_bench (created if missing)
 *   --reseed            seed again even if the database already holds this bench's seed
 *   --iterations N      measured calls per case (default 200); --warmup N (default 20)
 *   --naive-iterations N  calls of the naive sequential-scan query per case (default 50)
 *   --explain           print EXPLAIN (ANALYZE, BUFFERS) of the SQL each case runs
 *   --only restore|digest|slack|sync|import|plan|render  run one of the benchmarks (default all seven)
 *   --render-iterations N  see bench/render.ts (the search modal in Dutch against English, no database)
 *   --slack-seconds N, --slack-clients N, --slack-warmup N  see bench/slack.ts
 *   --digest-iterations N  see bench/digest.ts (200,000 deleted accounts, its own database)
 *   --sync-users N  see bench/sync.ts (a provider's deleted users into the mirror, its own database)
 *   --import-rows N, --import-existing N  see bench/import.ts (a CSV import, its own database)
 *   --plan-rate N, --plan-count N, --plan-delay-ms N  see bench/plan.ts (a plan that asks a provider)
 *
 * Restores change data; the restored accounts are put back afterwards, so every run measures the
 * same seed. A benchmark, never a test: nothing here runs under vitest.
 */
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { eq, inArray } from "drizzle-orm";
import postgres from "postgres";
import { searchTextOf } from "../src/accounts/rows.ts";
import type { Clock } from "../src/clock.ts";
import { type Db, openDatabase, redactUrl } from "../src/db/client.ts";
import { accounts } from "../src/db/schema.ts";
import { ensureBuiltinDirectory } from "../src/mirror/builtin.ts";
import { policyFrom } from "../src/restore/access.ts";
import { isRefusal } from "../src/restore/outcome.ts";
import { hashPassword } from "../src/restore/password.ts";
import { searchDeleted } from "../src/restore/search.ts";
import { RestoreService } from "../src/restore/service.ts";
import { DIGEST_FLAGS, digestOptionsFrom, runDigestBench } from "./digest.ts";
import { explainWork } from "./explain.ts";
import { IMPORT_FLAGS, importOptionsFrom, runImportBench } from "./import.ts";
import { maxOf, measure, ms, percentile, type Samples, table } from "./measure.ts";
import { PLAN_FLAGS, planOptionsFrom, runPlanBench } from "./plan.ts";
import { RENDER_FLAGS, renderOptionsFrom, runRenderBench } from "./render.ts";
import {
  DOMAINS,
  ensureDatabase,
  existingSeed,
  RETENTION_DAYS,
  rememberForUndo,
  type SeedInfo,
  seed,
  undoRestores,
} from "./seed.ts";
import { runSlackBench, SLACK_FLAGS, slackOptionsFrom } from "./slack.ts";
import { runSyncBench, SYNC_FLAGS, syncOptionsFrom } from "./sync.ts";

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/restore_user_bench";
const ADMIN = "U0BENCHADMIN";
const SEARCH_P95_TARGET_MS = 20;
const RESTORE_P50_TARGET_MS = 15;
/** No case runs longer than this (warm-up included): the bench always ends. */
const CASE_BUDGET_MS = 60_000;

const { values: flags } = parseArgs({
  options: {
    reseed: { type: "boolean", default: false },
    iterations: { type: "string", default: "200" },
    warmup: { type: "string", default: "20" },
    "naive-iterations": { type: "string", default: "50" },
    explain: { type: "boolean", default: false },
    only: { type: "string" },
    ...SLACK_FLAGS,
    ...DIGEST_FLAGS,
    ...SYNC_FLAGS,
    ...IMPORT_FLAGS,
    ...PLAN_FLAGS,
    ...RENDER_FLAGS,
  },
});
const BENCHES = ["restore", "digest", "slack", "sync", "import", "plan", "render"];
if (flags.only !== undefined && !BENCHES.includes(flags.only)) {
  throw new Error(`--only takes ${BENCHES.join(", ")}, not ${flags.only}`);
}
const count = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, not ${value}`);
  return n;
};
const ITERATIONS = Math.max(1, count("iterations", flags.iterations));
const WARMUP = count("warmup", flags.warmup);
const NAIVE_ITERATIONS = Math.max(1, count("naive-iterations", flags["naive-iterations"]));

const log = (line = "") => process.stdout.write(`${line}\n`);

interface Sampled {
  id: string;
  user_name: string;
  email: string;
  display_name: string;
  given_name: string;
  family_name: string;
}

interface CaseResult {
  label: string;
  samples: Samples;
  /** "p95" or "p50" against a target in ms; none for informative rows. */
  target?: { stat: "p50" | "p95"; ms: number };
  note?: string;
}

async function main(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL || DEFAULT_URL;
  const runs = (bench: string) => flags.only === undefined || flags.only === bench;
  if (runs("restore")) await restoreBench(url);
  if (runs("digest")) {
    if (runs("restore")) log();
    // Its own database (200,000 deleted accounts): --reseed seeds it again too.
    await runDigestBench(digestOptionsFrom(flags, { url, reseed: flags.reseed, log }));
  }
  if (runs("slack")) {
    if (flags.only === undefined) log();
    // All: the restore bench has already seeded again if --reseed asked for it.
    await runSlackBench(
      slackOptionsFrom(flags, { url, reseed: flags.reseed && flags.only === "slack", log }),
    );
  }
  if (runs("sync")) {
    if (flags.only === undefined) log();
    await runSyncBench(syncOptionsFrom(flags, { url, log }));
  }
  if (runs("import")) {
    if (flags.only === undefined) log();
    await runImportBench(importOptionsFrom(flags, { url, log }));
  }
  if (runs("plan")) {
    if (flags.only === undefined) log();
    await runPlanBench(planOptionsFrom(flags, { url, log }));
  }
  if (runs("render")) {
    if (flags.only === undefined) log();
    await runRenderBench(renderOptionsFrom(flags, { log }));
  }
}

async function restoreBench(url: string): Promise<void> {
  await ensureDatabase(url);
  const database = await openDatabase({ url, maxConnections: 4 });
  const raw = postgres(url, { max: 2, onnotice: () => {} });
  try {
    await run(url, database.db, raw);
  } finally {
    await raw.end({ timeout: 5 });
    await database.close();
  }
}

async function run(url: string, db: Db, raw: postgres.Sql): Promise<void> {
  log("restore-user bench");
  log(`  database ${redactUrl(url)}`);
  await ensureBuiltinDirectory(db, { retentionDays: RETENTION_DAYS, domains: DOMAINS });
  const putBack = await undoRestores(raw);
  if (putBack > 0) log(`  put back ${putBack} accounts restored by an interrupted run`);

  let existing: SeedInfo | null = flags.reseed ? null : await existingSeed(raw);
  if (!existing) {
    log(flags.reseed ? "  seeding (--reseed):" : "  no seed of this bench yet: seeding");
    existing = await seed(raw, new Date(), log);
  }
  const seedInfo = existing;
  await verifySearchText(db);

  // Time runs from the seed's "now", so a seed reused weeks later still has the same windows.
  const runStarted = Date.now();
  const clock: Clock = { now: () => new Date(seedInfo.anchor.getTime() + (Date.now() - runStarted)) };

  await printFacts(raw, seedInfo);
  log(
    `  ${ITERATIONS} measured calls per case after ${WARMUP} warm-up calls; naive query ${NAIVE_ITERATIONS}`,
  );
  log();

  const perCase = WARMUP + ITERATIONS;
  const sample = await raw<Sampled[]>`
    select id, user_name, email, display_name, given_name, family_name from accounts
    where status = 'deleted' order by random() limit ${perCase * 3}`;
  const part = (i: number) => sample.slice(i * perCase, (i + 1) * perCase);
  const prefixes = part(0).map((a, i) => (i % 2 === 0 ? a.given_name : a.family_name).slice(0, 3));
  const misspelt = part(1).map((a) => ({ query: misspell(a.display_name), expected: a.display_name }));
  const emails = part(2).map((a) => ({ query: a.email, id: a.id }));

  const search = (query: string) => searchDeleted(db, { query, limit: 25 }, clock.now());
  const results: CaseResult[] = [];
  const searchTarget = { stat: "p95", ms: SEARCH_P95_TARGET_MS } as const;
  const budget = { warmup: WARMUP, iterations: ITERATIONS, budgetMs: CASE_BUDGET_MS };

  results.push({
    label: "search: 3-letter prefix",
    target: searchTarget,
    note: "found = at least one result",
    samples: await measure({
      ...budget,
      inputs: prefixes,
      run: async (q) => (await search(q)).items.length > 0,
    }),
  });
  results.push({
    label: "search: misspelt full name",
    target: searchTarget,
    note: "found = first result has the intended name",
    samples: await measure({
      ...budget,
      inputs: misspelt,
      run: async (m) => (await search(m.query)).items[0]?.displayName === m.expected,
    }),
  });
  results.push({
    label: "search: email",
    target: searchTarget,
    note: "found = first result is the account",
    samples: await measure({
      ...budget,
      inputs: emails,
      run: async (e) => (await search(e.query)).items[0]?.id === e.id,
    }),
  });

  // The naive query: substring match on the columns, the trigram index out of reach (sequential scan).
  const naive = (query: string) =>
    raw.begin(async (tx) => {
      await tx.unsafe("set local enable_bitmapscan = off");
      await tx.unsafe("set local enable_indexscan = off");
      const pattern = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return tx.unsafe(
        `select id, user_name, display_name, email, status, purge_after from accounts
         where status <> 'active' and (display_name ilike $1 or user_name ilike $1 or email ilike $1)
         limit 26`,
        [pattern],
      );
    });
  const naiveBudget = { warmup: Math.min(WARMUP, 5), iterations: NAIVE_ITERATIONS, budgetMs: CASE_BUDGET_MS };
  const naivePrefix = await measure({
    ...naiveBudget,
    inputs: prefixes,
    run: async (q) => (await naive(q)).length > 0,
  });
  const naiveEmail = await measure({
    ...naiveBudget,
    inputs: emails,
    run: async (e) => (await naive(e.query)).some((r) => r.id === e.id),
  });

  // Plan + restore, each time a different deleted account, still well inside its window.
  const service = new RestoreService(db, clock, policyFrom([ADMIN], []), {
    approvalsRequired: 1,
    approvalTtlHours: 24,
  });
  const targets = await raw<{ id: string; user_name: string }[]>`
    select id, user_name from accounts
    where status = 'deleted' and recreated_as is null and purge_after > ${new Date(clock.now().getTime() + 3_600_000)}
    order by random() limit ${perCase * 2}`;
  await rememberForUndo(
    raw,
    targets.map((t) => t.id),
  );
  const refusals: string[] = [];
  const restoreCase = async (label: string, refs: string[]) => {
    const planTimes: number[] = [];
    const restoreTimes: number[] = [];
    const samples = await measure({
      ...budget,
      inputs: refs,
      run: async (ref) => {
        const t0 = performance.now();
        const plan = await service.plan(ADMIN, ref);
        const t1 = performance.now();
        const done = await service.restore(ADMIN, ref);
        restoreTimes.push(performance.now() - t1);
        planTimes.push(t1 - t0);
        for (const outcome of [plan, done]) {
          if (isRefusal(outcome)) refusals.push(`${label}: ${outcome.code}: ${outcome.message}`);
        }
        return !isRefusal(plan) && plan.ready && !isRefusal(done);
      },
    });
    const measured = (times: number[]) => ({ times: times.slice(WARMUP), found: null, stoppedEarly: false });
    results.push({
      label,
      target: { stat: "p50", ms: RESTORE_P50_TARGET_MS },
      note: "found = plan ready and restored",
      samples,
    });
    results.push({ label: "  of which plan", samples: measured(planTimes) });
    results.push({ label: "  of which restore", samples: measured(restoreTimes) });
  };
  try {
    await restoreCase(
      "plan + restore (by id)",
      targets.slice(0, perCase).map((t) => t.id),
    );
    await restoreCase(
      "plan + restore (by user name)",
      targets.slice(perCase).map((t) => t.user_name),
    );
  } finally {
    const undone = await undoRestores(raw);
    log(`  (put back the ${undone} accounts the restore cases used)`);
  }
  const hashSamples = await measure({
    warmup: 5,
    iterations: 50,
    budgetMs: CASE_BUDGET_MS,
    inputs: ["Temporary-Passw0rd!"],
    run: async (p) => {
      await hashPassword(p);
      return undefined;
    },
  });
  results.push({ label: "  scrypt hash alone (in restore)", samples: hashSamples });

  log();
  printResults(results);
  log();
  const ours = (label: string) =>
    percentile(results.find((r) => r.label === label)?.samples.times ?? [], 0.5);
  printNaive([
    ["search: 3-letter prefix", naivePrefix, ours("search: 3-letter prefix")],
    ["search: email", naiveEmail, ours("search: email")],
  ]);
  log();
  log(`refusals: ${refusals.length}`);
  for (const r of refusals.slice(0, 5)) log(`  ${r}`);

  if (flags.explain) {
    log();
    log("EXPLAIN (ANALYZE, BUFFERS) of one call per case:");
    const explained: [string, (d: Db) => Promise<unknown>][] = [
      [
        `search "${prefixes[0]}"`,
        (d) => searchDeleted(d, { query: prefixes[0] ?? "mar", limit: 25 }, clock.now()),
      ],
      [
        `search "${misspelt[0]?.query}"`,
        (d) => searchDeleted(d, { query: misspelt[0]?.query ?? "", limit: 25 }, clock.now()),
      ],
      [
        `search "${emails[0]?.query}"`,
        (d) => searchDeleted(d, { query: emails[0]?.query ?? "", limit: 25 }, clock.now()),
      ],
      [
        `plan ${targets[0]?.user_name}`,
        (d) =>
          new RestoreService(d, clock, policyFrom([ADMIN], []), {
            approvalsRequired: 1,
            approvalTtlHours: 24,
          }).plan(ADMIN, targets[0]?.user_name ?? ""),
      ],
    ];
    for (const [label, work] of explained) {
      log();
      log(`== ${label}`);
      for (const line of await explainWork(url, work)) log(line);
    }
  } else {
    log("(npm run bench -- --explain prints the query plans)");
  }
}

/** The seed writes search_text in SQL; it must be exactly what searchTextOf computes. */
async function verifySearchText(db: Db): Promise<void> {
  const rows = await db
    .select()
    .from(accounts)
    .where(
      inArray(accounts.externalId, [
        "bench-1",
        "bench-10",
        "bench-15",
        "bench-16",
        "bench-4321",
        "bench-777777",
        "bench-999995",
      ]),
    );
  if (rows.length < 5) throw new Error("the seed is missing rows it should have");
  for (const row of rows) {
    const expected = searchTextOf(row);
    if (row.searchText !== expected) {
      throw new Error(
        `search_text of ${row.externalId} is ${JSON.stringify(row.searchText)}, searchTextOf says ${JSON.stringify(expected)}`,
      );
    }
  }
  const [withAlias] = await db.select().from(accounts).where(eq(accounts.externalId, "bench-15"));
  if (withAlias?.aliases.length !== 1 || withAlias.status !== "deleted") {
    throw new Error("bench-15 should be a deleted account with an alias");
  }
}

async function printFacts(raw: postgres.Sql, seedInfo: SeedInfo): Promise<void> {
  const [facts] = await raw<
    {
      version: string;
      total: number;
      deleted: number;
      active: number;
      addresses: number;
      audit: number;
      size: string;
      index_size: string;
    }[]
  >`
    select current_setting('server_version') as version,
      (select count(*)::int from accounts) as total,
      (select count(*)::int from accounts where status = 'deleted') as deleted,
      (select count(*)::int from accounts where status = 'active') as active,
      (select count(*)::int from account_addresses) as addresses,
      (select count(*)::int from audit_events) as audit,
      pg_size_pretty(pg_database_size(current_database())) as size,
      pg_size_pretty(pg_relation_size('accounts_inactive_search')) as index_size`;
  if (!facts) throw new Error("no facts");
  const cpu = cpus();
  const n = (x: number) => x.toLocaleString("en-US");
  log(
    `  node ${process.version} · PostgreSQL ${facts.version} · ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? "?"}) · ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
  );
  log(
    `  accounts ${n(facts.total)} (${n(facts.deleted)} deleted, ${n(facts.active)} active) · addresses ${n(facts.addresses)} · audit events ${n(facts.audit)} · database ${facts.size}, trigram index ${facts.index_size}`,
  );
  const seconds = `${seedInfo.seedSeconds.toFixed(1)} s`;
  log(
    seedInfo.fresh
      ? `  seed: seeded by this run in ${seconds}`
      : `  seed: reused the seed of ${seedInfo.seededAt.toISOString()} (it took ${seconds}; --reseed to seed again)`,
  );
  log(`  clock: the seed's now (${seedInfo.anchor.toISOString()}) + time since this run started`);
}

function printResults(results: CaseResult[]): void {
  const rows = [["case", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "target", "", "found"]];
  for (const r of results) {
    const t = r.samples.times;
    const p50 = percentile(t, 0.5);
    const p95 = percentile(t, 0.95);
    let target = "";
    let verdict = "";
    if (r.target) {
      const value = r.target.stat === "p50" ? p50 : p95;
      target = `${r.target.stat} ≤ ${r.target.ms} ms`;
      verdict = value <= r.target.ms ? "PASS" : "MISS";
    }
    const found = r.samples.found === null ? "" : `${r.samples.found}/${t.length}`;
    rows.push([
      r.label,
      `${t.length}${r.samples.stoppedEarly ? "*" : ""}`,
      ms(p50),
      ms(p95),
      ms(percentile(t, 0.99)),
      ms(maxOf(t)),
      target,
      verdict,
      found,
    ]);
  }
  for (const line of table(rows)) log(line);
  if (results.some((r) => r.samples.stoppedEarly))
    log(`* stopped at the ${CASE_BUDGET_MS / 1000} s case budget`);
  for (const r of results) if (r.note) log(`  ${r.label}: ${r.note}`);
}

function printNaive(cases: [string, Samples, number][]): void {
  const rows = [
    ["naive ilike, sequential scan (same inputs)", "n", "naive p50 ms", "ours p50 ms", "ours vs naive"],
  ];
  for (const [label, samples, ours] of cases) {
    const naive = percentile(samples.times, 0.5);
    const ratio = naive / ours;
    const speed = ratio >= 1 ? `${ratio.toFixed(1)}x faster` : `${(1 / ratio).toFixed(1)}x slower`;
    rows.push([label, `${samples.times.length}`, ms(naive), ms(ours), speed]);
  }
  for (const line of table(rows)) log(line);
}

/** "John Smith" → "Jonh Smiht": the last two different letters of each word swapped. */
function misspell(name: string): string {
  return name
    .split(" ")
    .map((word) => {
      for (let i = word.length - 2; i >= 1; i--) {
        if (word[i] !== word[i + 1]) return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
      }
      return word;
    })
    .join(" ");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
