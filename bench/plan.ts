/**
 * The plan bench: how long an admin waits for a plan of a provider's deleted account, now that a
 * plan asks the provider who holds the names (restore/provider-check.ts). A fake Microsoft Graph
 * in its own process answers the conflict check in 50 ms, as a provider across the internet
 * would; plans are offered at a fixed rate (open loop: latency counts from when a plan was due,
 * so queueing shows), first for accounts not planned before, then the same accounts again within
 * the minute the answer is kept.
 *
 *   npm run bench -- --only plan
 *   --plan-rate N      plans offered per second (default 20)
 *   --plan-count N     plans per phase (default 200)
 *   --plan-delay-ms N  the fake provider's answer time (default 50)
 *
 * Targets: first plan ≤ 150 ms p95, repeated (kept) plan ≤ 20 ms p95. The floor beside them: the
 * provider's own answer time, and the same plan of a built-in account (no provider to ask).
 * Its own database, restore_user_bench_plan beside BENCH_DATABASE_URL's, emptied at the start.
 */
import postgres from "postgres";
import { systemClock } from "../src/clock.ts";
import { openDatabase, redactUrl } from "../src/db/client.ts";
import { silentLog } from "../src/log.ts";
import { entraModule } from "../src/providers/entra.ts";
import { policyFrom } from "../src/restore/access.ts";
import { isRefusal } from "../src/restore/outcome.ts";
import { RestoreService } from "../src/restore/service.ts";
import { percentile, table } from "./measure.ts";
import { ensureDatabase } from "./seed.ts";
import { startProvider } from "./sync.ts";

const FIRST_P95_TARGET_MS = 150;
const KEPT_P95_TARGET_MS = 20;
const ADMIN = "U0BENCHADMIN";

export const PLAN_FLAGS = {
  "plan-rate": { type: "string", default: "20" },
  "plan-count": { type: "string", default: "200" },
  "plan-delay-ms": { type: "string", default: "50" },
} as const;

export interface PlanBenchOptions {
  url: string;
  rate: number;
  count: number;
  delayMs: number;
  log: (line?: string) => void;
}

export function planOptionsFrom(
  values: { "plan-rate"?: string; "plan-count"?: string; "plan-delay-ms"?: string },
  rest: Pick<PlanBenchOptions, "url" | "log">,
): PlanBenchOptions {
  const whole = (name: string, value: string | undefined, min: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} takes a whole number ≥ ${min}, not ${value}`);
    return n;
  };
  return {
    ...rest,
    rate: whole("plan-rate", values["plan-rate"] ?? "20", 1),
    count: whole("plan-count", values["plan-count"] ?? "200", 1),
    delayMs: whole("plan-delay-ms", values["plan-delay-ms"] ?? "50", 0),
  };
}

/**
 * Offers `run(i)` for i < count at `rate` per second, whether or not earlier ones finished, and
 * returns each one's latency from the moment it was due.
 */
async function openLoop(
  count: number,
  rate: number,
  run: (i: number) => Promise<unknown>,
): Promise<number[]> {
  const start = performance.now() + 20;
  const latencies: number[] = new Array(count);
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await run(i);
      latencies[i] = performance.now() - due;
    }),
  );
  return latencies;
}

export async function runPlanBench(options: PlanBenchOptions): Promise<void> {
  const { log } = options;
  const url = new URL(options.url);
  url.pathname = "/restore_user_bench_plan";
  await ensureDatabase(url.toString());
  const database = await openDatabase({ url: url.toString() });
  const raw = postgres(url.toString(), { max: 1, onnotice: () => {} });
  const users = Math.max(1_000, options.count * 2);
  const provider = await startProvider(users, options.delayMs);
  try {
    log("restore-user plan bench: a plan that asks the provider who holds the names");
    log(
      `  database ${redactUrl(url.toString())}; fake Microsoft Graph on 127.0.0.1:${provider.port} answering in ${options.delayMs} ms`,
    );
    await raw.unsafe("truncate accounts, approvals, audit_events, restore_requests, job_runs cascade");
    const base = `http://127.0.0.1:${provider.port}`;
    const connector = entraModule.create(
      entraModule.settings.parse({
        ENTRA_TENANT_ID: "bench-tenant",
        ENTRA_CLIENT_ID: "6731de76-14a6-49ae-97bc-6eba6914391e",
        ENTRA_CLIENT_SECRET: "bench-secret",
        ENTRA_GRAPH_URL: base,
        ENTRA_LOGIN_URL: base,
      }),
      { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)), log: silentLog },
    );
    const service = new RestoreService(
      database.db,
      systemClock,
      policyFrom([ADMIN], []),
      { approvalsRequired: 1, approvalTtlHours: 24 },
      new Map([[connector.kind, connector]]),
    );
    const synced = await service.sync(ADMIN, "entra");
    if (isRefusal(synced)) throw new Error(synced.message);
    const ids = (
      await raw<
        { id: string }[]
      >`select id from accounts where directory_id = 'entra' and status = 'deleted' order by external_id limit ${options.count}`
    ).map((r) => r.id);

    // The floor: the same plans by a service with no connector, which has no provider to ask.
    const offline = new RestoreService(database.db, systemClock, policyFrom([ADMIN], []), {
      approvalsRequired: 1,
      approvalTtlHours: 24,
    });

    const plan =
      (id: string, by = service) =>
      async () => {
        const p = await by.plan(ADMIN, id);
        if (isRefusal(p)) throw new Error(p.message);
        return p;
      };
    // Warm the connections and the token, off the record.
    const [warm] = await raw<
      { id: string }[]
    >`select id from accounts where directory_id = 'entra' order by external_id desc limit 1`;
    if (warm) await plan(warm.id)();

    const phases: [string, number[], number | null][] = [];
    const floor = await openLoop(ids.length, options.rate, (i) => plan(ids[i] as string, offline)());
    phases.push(["same plan, no provider asked (floor)", floor, null]);
    const first = await openLoop(ids.length, options.rate, (i) => plan(ids[i] as string)());
    phases.push(["first plan, Entra asked", first, FIRST_P95_TARGET_MS]);
    const kept = await openLoop(ids.length, options.rate, (i) => plan(ids[i] as string)());
    phases.push(["repeated plan, answer kept", kept, KEPT_P95_TARGET_MS]);

    const rows = [["case", "plans", "p50 ms", "p95 ms", "p99 ms", "max ms", "target p95"]];
    for (const [label, times, target] of phases) {
      const p95 = percentile(times, 0.95);
      rows.push([
        label,
        String(times.length),
        percentile(times, 0.5).toFixed(1),
        p95.toFixed(1),
        percentile(times, 0.99).toFixed(1),
        Math.max(...times).toFixed(1),
        target === null ? "-" : `≤ ${target} ${p95 <= target ? "PASS" : "MISS"}`,
      ]);
    }
    log();
    for (const line of table(rows)) log(line);
    log();
    log(
      `  offered ${options.rate} plans/s (open loop: latency from when each plan was due); the provider's own answer takes ${options.delayMs} ms`,
    );
  } finally {
    provider.child.send({ type: "stop" });
    await raw.end({ timeout: 5 });
    await database.close();
  }
}
