/**
 * The sync bench: copy 100,000 deleted users from a paged fake Microsoft Graph on loopback into
 * the mirror, through the real Entra ID connector and syncDirectory, and measure time and peak
 * memory against the targets (≤ 30 s, ≤ 150 MB). Pages are streamed: the process never holds
 * the bin. Run twice: into an empty mirror (inserts), then again (every row updated).
 *
 *   npm run bench -- --only sync   (NODE_OPTIONS=--expose-gc for a settled baseline)
 *   --sync-users N    deleted users the fake provider serves (default 100000)
 *
 * Its own database, restore_user_bench_sync beside BENCH_DATABASE_URL's, emptied at the start.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { openDatabase, redactUrl } from "../src/db/client.ts";
import { silentLog } from "../src/log.ts";
import { type SyncResult, syncDirectory } from "../src/mirror/sync.ts";
import { entraModule } from "../src/providers/entra.ts";
import { table } from "./measure.ts";
import { ensureDatabase } from "./seed.ts";
import type { ProviderMessage } from "./sync-provider.ts";

const TIME_TARGET_S = 30;
const MEMORY_TARGET_MB = 150;
const MB = 1024 * 1024;

export const SYNC_FLAGS = { "sync-users": { type: "string", default: "100000" } } as const;

export interface SyncBenchOptions {
  url: string;
  users: number;
  log: (line?: string) => void;
}

export function syncOptionsFrom(
  values: { "sync-users"?: string },
  rest: Pick<SyncBenchOptions, "url" | "log">,
): SyncBenchOptions {
  const users = Number(values["sync-users"] ?? "100000");
  if (!Number.isInteger(users) || users < 1)
    throw new Error(`--sync-users takes a whole number ≥ 1, not ${users}`);
  return { ...rest, users };
}

function syncDatabaseUrl(benchUrl: string): string {
  const url = new URL(benchUrl);
  url.pathname = "/restore_user_bench_sync";
  return url.toString();
}

/** Samples this process's memory every 10 ms while `work` runs; peaks above the starting point. */
async function withMemory<T>(work: () => Promise<T>) {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage();
  let rss = base.rss;
  let heap = base.heapUsed + base.external + base.arrayBuffers;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed + m.external + m.arrayBuffers);
  };
  const timer = setInterval(sample, 10);
  try {
    const value = await work();
    sample();
    return {
      value,
      rssMb: (rss - base.rss) / MB,
      heapMb: (heap - (base.heapUsed + base.external + base.arrayBuffers)) / MB,
    };
  } finally {
    clearInterval(timer);
  }
}

/** The fake Graph in its own process; `delayMs`: how long its conflict check takes to answer. */
export async function startProvider(
  users: number,
  delayMs = 0,
): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(new URL("./sync-provider.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, SYNC_BENCH_USERS: String(users), PROVIDER_DELAY_MS: String(delayMs) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the fake provider did not start in 15 s")), 15_000);
    child.on("message", (m: ProviderMessage) => {
      if (m.type === "ready") {
        clearTimeout(timer);
        resolve(m.port);
      }
    });
    child.once("exit", (code) => reject(new Error(`the fake provider exited (${code})`)));
  });
  return { child, port };
}

export async function runSyncBench(options: SyncBenchOptions): Promise<void> {
  const { log } = options;
  const url = syncDatabaseUrl(options.url);
  await ensureDatabase(url);
  const database = await openDatabase({ url });
  const raw = postgres(url, { max: 1, onnotice: () => {} });
  const provider = await startProvider(options.users);
  try {
    log("restore-user sync bench: a provider's deleted users into the mirror");
    log(`  database ${redactUrl(url)}; fake Microsoft Graph on 127.0.0.1:${provider.port} (its own process)`);
    await raw.unsafe("truncate accounts, approvals, audit_events, restore_requests, job_runs cascade");
    const connector = entraModule.create(
      entraModule.settings.parse({
        ENTRA_TENANT_ID: "bench-tenant",
        ENTRA_CLIENT_ID: "6731de76-14a6-49ae-97bc-6eba6914391e",
        ENTRA_CLIENT_SECRET: "bench-secret",
        ENTRA_GRAPH_URL: `http://127.0.0.1:${provider.port}`,
        ENTRA_LOGIN_URL: `http://127.0.0.1:${provider.port}`,
      }),
      { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)), log: silentLog },
    );
    const rows = [
      [
        "run",
        "users",
        "pages",
        "seconds",
        "peak heap MB",
        "peak RSS MB",
        `≤ ${TIME_TARGET_S} s, ≤ ${MEMORY_TARGET_MB} MB`,
      ],
    ];
    for (const label of ["into an empty mirror", "again (all updated)"]) {
      const t = performance.now();
      const run = await withMemory<SyncResult>(() => syncDirectory(database.db, connector, () => new Date()));
      const seconds = (performance.now() - t) / 1000;
      const worst = Math.max(run.heapMb, run.rssMb);
      rows.push([
        label,
        run.value.seen.toLocaleString("en-US"),
        String(run.value.pages),
        seconds.toFixed(1),
        run.heapMb.toFixed(0),
        run.rssMb.toFixed(0),
        seconds <= TIME_TARGET_S && worst <= MEMORY_TARGET_MB ? "PASS" : "MISS",
      ]);
    }
    const [count] = await raw<
      { n: number }[]
    >`select count(*)::int as n from accounts where directory_id = 'entra' and status = 'deleted'`;
    log();
    for (const line of table(rows)) log(line);
    log();
    log(
      `  mirror holds ${count?.n.toLocaleString("en-US")} deleted Entra ID users; memory is this process's, above its level before the run`,
    );
    if (!(globalThis as { gc?: () => void }).gc)
      log("  (run with NODE_OPTIONS=--expose-gc for a settled starting point)");
  } finally {
    provider.child.send({ type: "stop" });
    await raw.end({ timeout: 5 });
    await database.close();
  }
}
