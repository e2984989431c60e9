/**
 * The Slack bench: signed `/restore-user` commands and `account_lookup` options (type-ahead)
 * requests from N concurrent clients against the app's HTTP receiver, on the 1,000,000-account
 * seed; then the same load against floor apps with the same screens and no database, and a minimal
 * Bolt app that only acknowledges, on the same machine. Prints ack latency (p50/p99) and
 * throughput per kind, our throughput as a share of the floors', and our p99 as a ratio to the
 * minimal app's. Open loop (--slack-rate), p99 is held to 15 ms for commands and type-ahead.
 *
 *   npm run bench -- --only slack     or on its own:  npx tsx bench/slack.ts
 *   --slack-seconds N   measured seconds per app (default 30)
 *   --slack-clients N   concurrent clients, one request in flight each (default 50)
 *   --slack-warmup N    seconds of load before measuring starts (default 3)
 *   --slack-rate N      open loop instead: N requests per second on a fixed schedule, whatever the
 *                       answers (e.g. 50 admins typing), each timed from when it was due (default 0: closed loop)
 *   --reseed            (on its own) seed again even if the database holds this bench's seed
 *
 * Three processes besides Postgres: the app (this one), the load generator (bench/slack-load.ts)
 * and a fake Slack Web API (bench/slack-api.ts) that answers the views.open (and, for a slow search,
 * views.update) calls the app makes after acknowledging a command. All traffic is to 127.0.0.1.
 *
 * Two floors: the "old floor" does what the app did before modals opened filled (views.open of a
 * loading view, then views.update with the results: two calls a command) and is kept as the
 * yardstick the target was set against (ours ≥ 100 % of its throughput); the "floor" does what
 * the app does now with a fast search (one views.open with the results), the least these screens
 * cost today.
 */
import { type ChildProcess, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { cpus } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { App, HTTPReceiver, LogLevel } from "@slack/bolt";
import postgres from "postgres";
import type { Clock } from "../src/clock.ts";
import type { SlackSettings } from "../src/config.ts";
import { type Db, openDatabase, redactUrl } from "../src/db/client.ts";
import { digestSettingsFrom } from "../src/digest/settings.ts";
import { startServer } from "../src/http.ts";
import type { Fields, Logger } from "../src/log.ts";
import { ensureBuiltinDirectory } from "../src/mirror/builtin.ts";
import { policyFrom } from "../src/restore/access.ts";
import { isRefusal } from "../src/restore/outcome.ts";
import type { SearchResult } from "../src/restore/search.ts";
import { RestoreService } from "../src/restore/service.ts";
import { createSlackApp } from "../src/slack/app.ts";
import { ACTION } from "../src/slack/blocks/ids.ts";
import { accountOptions, loadingView, searchView } from "../src/slack/blocks/search.ts";
import { maxOf, ms, percentile, table } from "./measure.ts";
import {
  DOMAINS,
  ensureDatabase,
  existingSeed,
  RETENTION_DAYS,
  type SeedInfo,
  seed,
  undoRestores,
} from "./seed.ts";
import { type ApiMessage, type ApiRequest, LOADING_OPENS } from "./slack-api.ts";
import type { Kind, KindResult, LoadJob, LoadMessage } from "./slack-load.ts";

export const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/restore_user_bench";
const ADMIN = "U0BENCHADMIN";
const SIGNING_SECRET = "benchsigningsecret0123456789abcdef";
const KINDS: readonly Kind[] = ["command", "options"];
const P99_TARGET_MS = 100;
/** Open loop (a fixed offered rate, well below capacity): commands and type-ahead alike. */
const OPEN_LOOP_P99_TARGET_MS = 15;
const RATIO_TARGET = 1.5;
/** Closed loop: our throughput as a share of the old floor's (two Web API calls a command). */
const OLD_FLOOR_SHARE_TARGET = 1;
/** A request unanswered this long is abandoned (and an error): Slack itself gives up after 3 s. */
const REQUEST_TIMEOUT_MS = 10_000;
/** After the load, the commands' follow-up work (views.open, search, views.update) may finish this long. */
const DRAIN_MS = 60_000;
/** Starting or stopping a helper process takes at most this long. */
const CHILD_MS = 15_000;

/** The flags of this bench, for bench/run.ts's parseArgs and this file's own. */
export const SLACK_FLAGS = {
  "slack-seconds": { type: "string", default: "30" },
  "slack-clients": { type: "string", default: "50" },
  "slack-warmup": { type: "string", default: "3" },
  "slack-rate": { type: "string", default: "0" },
} as const;

export interface SlackBenchOptions {
  url: string;
  seconds: number;
  clients: number;
  warmupSeconds: number;
  /** Open loop at this many requests per second; 0: closed loop of `clients`. */
  rate: number;
  reseed: boolean;
  log: (line?: string) => void;
}

export function slackOptionsFrom(
  values: {
    "slack-seconds"?: string;
    "slack-clients"?: string;
    "slack-warmup"?: string;
    "slack-rate"?: string;
  },
  rest: Pick<SlackBenchOptions, "url" | "reseed" | "log">,
): SlackBenchOptions {
  const number = (name: string, value: string | undefined, min: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} takes a whole number ≥ ${min}, not ${value}`);
    return n;
  };
  return {
    ...rest,
    seconds: number("slack-seconds", values["slack-seconds"], 1),
    clients: number("slack-clients", values["slack-clients"], 1),
    warmupSeconds: number("slack-warmup", values["slack-warmup"], 0),
    rate: number("slack-rate", values["slack-rate"] ?? "0", 0),
  };
}

/** What one app did under the load, with what the machine did meanwhile. */
interface RunResult {
  results: Record<Kind, KindResult>;
  measuredMs: number;
  /** CPU use while measuring, in % of one CPU. */
  cpu: { app: number; load: number; api: number; machine: number; postgres: number | null };
  eventLoopDelay: { p99: number; max: number };
  /** Web API calls made while measuring, and how long the follow-up work took to finish after. */
  apiCalls: Record<string, number>;
  drain?: { ms: number; left: number };
  /** service.search timings while measuring (our app only). */
  searches?: number[];
  loggedErrors: number;
  firstError?: string;
}

export async function runSlackBench(options: SlackBenchOptions): Promise<void> {
  const { url, log } = options;
  await ensureDatabase(url);
  // The pool the app itself opens (openDatabase's default size).
  const database = await openDatabase({ url });
  const raw = postgres(url, { max: 2, onnotice: () => {} });
  let api: FakeApi | undefined;
  try {
    log("restore-user Slack bench: ack latency of the HTTP receiver");
    log(`  database ${redactUrl(url)}`);
    const seedInfo = await ensureSeed(database.db, raw, options);
    const cpu = cpus();
    log(`  node ${process.version} · ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? "?"})`);
    log(
      options.rate > 0
        ? `  open loop: ${options.rate} requests/s on a fixed schedule, alternating signed /restore-user commands and ` +
            `${ACTION.lookup} options requests, each timed from when it was due;`
        : `  ${options.clients} clients, one request in flight each, alternating signed /restore-user commands and ` +
            `${ACTION.lookup} options requests;`,
    );
    log(
      `  ${options.warmupSeconds} s warm-up, then ${options.seconds} s measured per app; keep-alive; all on 127.0.0.1`,
    );
    log("  load generator and fake Web API in processes of their own; ack = end of the HTTP response");
    log();

    api = await FakeApi.start();
    const settings: SlackSettings = {
      botToken: "xoxb-bench-token",
      signingSecret: SIGNING_SECRET,
      appToken: null,
      apiUrl: `http://127.0.0.1:${api.port}/api/`,
      adminChannelId: "C0BENCHADM",
    };

    // Time runs from the seed's "now", as in the restore bench: the same accounts are in their window.
    const runStarted = Date.now();
    const clock: Clock = { now: () => new Date(seedInfo.anchor.getTime() + (Date.now() - runStarted)) };
    const service = new RestoreService(database.db, clock, policyFrom([ADMIN], [ADMIN]), {
      approvalsRequired: 1,
      approvalTtlHours: 24,
    });
    // Timing of every search the app runs (type-ahead and the command's follow-up alike).
    const searches: number[] = [];
    let recording = false;
    const search = service.search.bind(service);
    service.search = async (actor, filters) => {
      const t = performance.now();
      try {
        return await search(actor, filters);
      } finally {
        if (recording) searches.push(performance.now() - t);
      }
    };
    const oursLog = countingLogger();
    const ours = createSlackApp(
      { service, clock, settings, digest: digestSettingsFrom({}), log: oursLog },
      { clientOptions: { retryConfig: { retries: 0 } } },
    );
    log("  ours: the app (createSlackApp) behind startServer …");
    const postgresCpu = () => databaseCpuMs(raw);
    const oursRun = await underLoad(database.db, ours.http, api, options, {
      postgresCpu,
      onMeasuring: () => {
        searches.length = 0;
        recording = true;
      },
      onMeasured: () => {
        recording = false;
      },
      drain: true,
      logger: oursLog,
    });
    oursRun.searches = searches;

    // The floors: what the issue asks of every request with the database taken away. Type-ahead is
    // answered with a list searched once; a command's results were searched once too: the least
    // any implementation of these screens costs on this machine. The old floor opens the loading
    // view and updates it (as the app did before), the floor opens the modal filled.
    const [lookupResult, commandResult] = await Promise.all([
      service.search(ADMIN, { query: "smi", limit: 20 }),
      service.search(ADMIN, { query: "smith", limit: 40 }),
    ]);
    const directories = await service.directoryNames();
    if (isRefusal(lookupResult) || isRefusal(commandResult))
      throw new Error("the bench admin may not search");
    const floors = {} as Record<"old floor" | "floor", RunResult>;
    for (const [name, calls] of [
      ["old floor", "loading, then update"],
      ["floor", "one views.open"],
    ] as const) {
      const floorLog = countingLogger();
      log(
        `  ${name}: Bolt, the Web API calls (${calls}) and rendering of ours, no database, behind startServer …`,
      );
      floors[name] = await underLoad(
        database.db,
        floorApp(settings, floorLog, { lookup: lookupResult, found: commandResult, directories, calls }),
        api,
        options,
        { postgresCpu, drain: true, logger: floorLog },
      );
    }

    const minimalLog = countingLogger();
    log("  minimal: a Bolt app that only acks, behind startServer …");
    const minimalRun = await underLoad(database.db, minimalApp(settings, minimalLog), api, options, {
      postgresCpu,
      drain: false,
      logger: minimalLog,
    });
    log();
    report({ ours: oursRun, ...floors, minimal: minimalRun }, options, log);
  } finally {
    await api?.stop();
    await raw.end({ timeout: 5 });
    await database.close();
  }
}

async function ensureSeed(db: Db, raw: postgres.Sql, options: SlackBenchOptions): Promise<SeedInfo> {
  const { log } = options;
  await ensureBuiltinDirectory(db, { retentionDays: RETENTION_DAYS, domains: DOMAINS });
  const putBack = await undoRestores(raw);
  if (putBack > 0) log(`  put back ${putBack} accounts restored by an interrupted run`);
  let existing = options.reseed ? null : await existingSeed(raw);
  if (!existing) {
    log(options.reseed ? "  seeding (--reseed):" : "  no seed of this bench yet: seeding");
    existing = await seed(raw, new Date(), log);
  }
  log(
    existing.fresh
      ? `  seed: 1,000,000 accounts (200,000 deleted), seeded by this run`
      : `  seed: 1,000,000 accounts (200,000 deleted), reused the seed of ${existing.seededAt.toISOString()}`,
  );
  return existing;
}

/**
 * The app's logger, minus the writing: each line is formatted as src/log.ts formats it (that work
 * is the app's), then dropped, so the report stays readable. Errors are counted (the listeners
 * report failures there).
 */
function countingLogger(): Logger & { errors: number; first?: string; bytes: number } {
  const format = (level: string, message: string, fields?: Fields) => {
    logger.bytes += JSON.stringify({ at: new Date().toISOString(), level, message, ...fields }).length;
  };
  const logger: Logger & { errors: number; first?: string; bytes: number } = {
    errors: 0,
    bytes: 0,
    info: (message, fields) => format("info", message, fields),
    warn: (message, fields) => format("warn", message, fields),
    error: (message, fields) => {
      format("error", message, fields);
      logger.errors++;
      logger.first ??= `${message}${fields?.error ? `: ${String(fields.error)}` : ""}`;
    },
  };
  return logger;
}

/**
 * Bolt with what the issue asks of each request except the database: type-ahead answered with a
 * rendered list of accounts, a command acknowledged and its rendered results shown, either in a
 * loading view opened and then updated (the old floor: two calls) or in one views.open (the
 * floor). The lists were searched once, before the load.
 */
function floorApp(
  settings: SlackSettings,
  log: Logger,
  screens: {
    lookup: SearchResult;
    found: SearchResult;
    directories: Record<string, string>;
    calls: "loading, then update" | "one views.open";
  },
): HTTPReceiver {
  const { lookup, found, directories } = screens;
  return minimalApp(settings, log, (app) => {
    app.command("/restore-user", async ({ command, ack, client }) => {
      await ack();
      const results = searchView({ query: command.text, result: found, directories });
      if (screens.calls === "one views.open") {
        await client.views.open({ trigger_id: command.trigger_id, view: results });
        return;
      }
      const opened = await client.views.open({
        trigger_id: command.trigger_id,
        view: loadingView("Restore a user", "Searching…"),
      });
      if (!opened.view?.id) return;
      await client.views.update({ view_id: opened.view.id, view: results });
    });
    app.options(ACTION.lookup, async ({ ack }) => {
      await ack({ options: accountOptions(lookup) });
    });
  });
}

/** The same receiver set-up as createSlackApp's, with listeners that only acknowledge (or `listeners`). */
function minimalApp(settings: SlackSettings, log: Logger, listeners?: (app: App) => void): HTTPReceiver {
  let level = LogLevel.INFO;
  const logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (...args: unknown[]) => log.error(`bolt: ${args.map(String).join(" ")}`),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
  const receiver = new HTTPReceiver({
    signingSecret: settings.signingSecret as string,
    endpoints: "/slack/events",
    logger,
    unhandledRequestTimeoutMillis: 2900,
  });
  const app = new App({
    receiver,
    authorize: async () => ({ botToken: settings.botToken }),
    logger,
    clientOptions: { slackApiUrl: settings.apiUrl, retryConfig: { retries: 0 } },
  });
  if (listeners) {
    listeners(app);
    return receiver;
  }
  app.command("/restore-user", async ({ ack }) => {
    await ack();
  });
  app.options(ACTION.lookup, async ({ ack }) => {
    await ack({ options: [] });
  });
  return receiver;
}

/**
 * CPU time (ms) of the Postgres backends connected to the bench's database, from /proc: what our
 * queries cost the server, apart from other work on the machine. null where /proc cannot tell
 * (not Linux, or a server elsewhere).
 */
async function databaseCpuMs(raw: postgres.Sql): Promise<number | null> {
  const backends = await raw<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
  let total = 0;
  for (const { pid } of backends) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime and stime, in clock ticks of 10 ms (USER_HZ on Linux).
      total += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return null;
    }
  }
  return total;
}

interface LoadHooks {
  postgresCpu: () => Promise<number | null>;
  onMeasuring?: () => void;
  onMeasured?: () => void;
  /** Wait for the commands' follow-up Web API calls to finish before closing. */
  drain: boolean;
  logger: Logger & { errors: number; first?: string };
}

/** Serves the receiver with startServer, runs the load generator against it, closes the server. */
async function underLoad(
  db: Db,
  receiver: HTTPReceiver | null,
  api: FakeApi,
  options: SlackBenchOptions,
  hooks: LoadHooks,
): Promise<RunResult> {
  if (!receiver) throw new Error("no HTTP receiver: the app needs a signing secret");
  // The front door logs a line per request: formatted as the app's log does, then dropped here.
  const server = await startServer({
    db,
    slack: { receiver, signingSecret: SIGNING_SECRET },
    port: 0,
    log: hooks.logger,
  });
  // The fake Web API counts for every app of the bench: this run's calls are those after this.
  const before = (await api.counts()).counts;
  try {
    const port = (server.address() as AddressInfo).port;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    let at:
      | { app: NodeJS.CpuUsage; machine: MachineCpu; api: ApiCounts; postgres: number | null }
      | undefined;
    let during:
      | {
          app: number;
          machine: number;
          api: number;
          postgres: number | null;
          apiCalls: Record<string, number>;
        }
      | undefined;
    const marks: Promise<void>[] = [];
    const job: LoadJob = {
      url: `http://127.0.0.1:${port}/slack/events`,
      signingSecret: SIGNING_SECRET,
      user: ADMIN,
      clients: options.clients,
      rate: options.rate,
      warmupMs: options.warmupSeconds * 1000,
      measureMs: options.seconds * 1000,
      timeoutMs: REQUEST_TIMEOUT_MS,
      seed: 1,
    };
    const loaded = await runLoad(job, (message) => {
      if (message.type === "measuring") {
        hooks.onMeasuring?.();
        delay.reset();
        delay.enable();
        const app = process.cpuUsage();
        const machine = machineCpu();
        marks.push(
          Promise.all([api.counts(), hooks.postgresCpu()]).then(([counts, postgres]) => {
            at = { app, machine, api: counts, postgres };
          }),
        );
      } else if (message.type === "measured") {
        hooks.onMeasured?.();
        delay.disable();
        const app = process.cpuUsage();
        const machine = machineCpu();
        marks.push(
          Promise.all([api.counts(), hooks.postgresCpu()]).then(([counts, postgres]) => {
            if (!at) return;
            const seconds = (machine.at - at.machine.at) / 1000;
            const pct = (cpuMs: number) => (100 * cpuMs) / 1000 / seconds;
            during = {
              app: pct((app.user + app.system - at.app.user - at.app.system) / 1000),
              // In % of one CPU, like the others: 100% per busy CPU.
              machine:
                (100 * cpus().length * (machine.busy - at.machine.busy)) / (machine.total - at.machine.total),
              api: pct(counts.cpuMs - at.api.cpuMs),
              postgres: postgres === null || at.postgres === null ? null : pct(postgres - at.postgres),
              apiCalls: Object.fromEntries(
                Object.entries(counts.counts).map(([k, v]) => [k, v - (at?.api.counts[k] ?? 0)]),
              ),
            };
          }),
        );
      }
    });
    await Promise.all(marks);
    if (!during) throw new Error("the load generator never reported its measured window");
    const result: RunResult = {
      results: loaded.results,
      measuredMs: loaded.measuredMs,
      cpu: {
        app: during.app,
        load: (100 * loaded.cpuMs) / loaded.measuredMs,
        api: during.api,
        machine: during.machine,
        postgres: during.postgres,
      },
      eventLoopDelay: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
      apiCalls: during.apiCalls,
      loggedErrors: 0,
    };
    if (hooks.drain) {
      // Every command acknowledged goes on to views.open (filled, or a loading view that a
      // views.update replaces once the search is done).
      const commands = loaded.results.command.okTotal;
      const started = performance.now();
      let left = commands;
      while (performance.now() - started < DRAIN_MS) {
        const counts = (await api.counts()).counts;
        const since = (method: string) => (counts[method] ?? 0) - (before[method] ?? 0);
        left =
          Math.max(0, commands - since("views.open")) +
          Math.max(0, since(LOADING_OPENS) - since("views.update"));
        if (left === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      result.drain = { ms: performance.now() - started, left };
    }
    result.loggedErrors = hooks.logger.errors;
    result.firstError = hooks.logger.first;
    return result;
  } finally {
    server.close();
    server.closeAllConnections();
  }
}

interface MachineCpu {
  at: number;
  busy: number;
  total: number;
}

function machineCpu(): MachineCpu {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { at: performance.now(), busy, total };
}

/** Forks a helper of this bench; its stdout and stderr go to ours. */
function forkHelper(file: string): ChildProcess {
  return fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

/** Resolves with the first message `accept` takes; rejects when the child exits first or time is up. */
function nextMessage<T>(
  child: ChildProcess,
  accept: (m: unknown) => T | undefined,
  ms: number,
  what: string,
) {
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    const onMessage = (m: unknown) => {
      const value = accept(m);
      if (value === undefined) return;
      done();
      resolve(value);
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`${what}: the process exited (${code}) first`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: no answer in ${ms} ms`));
    }, ms);
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

async function stopChild(child: ChildProcess, request?: ApiRequest): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (request && child.connected) child.send(request);
  const timer = setTimeout(() => child.kill(), CHILD_MS);
  await exited;
  clearTimeout(timer);
}

async function runLoad(
  job: LoadJob,
  onMessage: (message: LoadMessage) => void,
): Promise<Extract<LoadMessage, { type: "report" }>> {
  const child = forkHelper("./slack-load.ts");
  const listener = (m: LoadMessage) => {
    if (m.type !== "report") onMessage(m);
  };
  child.on("message", listener);
  try {
    const report = nextMessage(
      child,
      (m) =>
        (m as LoadMessage).type === "report" ? (m as Extract<LoadMessage, { type: "report" }>) : undefined,
      job.warmupMs + job.measureMs + job.timeoutMs + CHILD_MS,
      "load generator",
    );
    child.send(job);
    return await report;
  } finally {
    child.off("message", listener);
    await stopChild(child);
  }
}

type ApiCounts = Extract<ApiMessage, { type: "counts" }>;

/** The fake Web API process: started once, shared by both apps. */
class FakeApi {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<FakeApi> {
    const child = forkHelper("./slack-api.ts");
    try {
      const port = await nextMessage(
        child,
        (m) => ((m as ApiMessage).type === "ready" ? (m as { port: number }).port : undefined),
        CHILD_MS,
        "fake Web API",
      );
      return new FakeApi(child, port);
    } catch (error) {
      child.kill();
      throw error;
    }
  }

  counts(): Promise<ApiCounts> {
    const answer = nextMessage(
      this.child,
      (m) => ((m as ApiMessage).type === "counts" ? (m as ApiCounts) : undefined),
      CHILD_MS,
      "fake Web API counts",
    );
    this.child.send({ type: "counts" } satisfies ApiRequest);
    return answer;
  }

  stop(): Promise<void> {
    return stopChild(this.child, { type: "stop" });
  }
}

type Runs = Record<"ours" | "old floor" | "floor" | "minimal", RunResult>;

function report(runs: Runs, options: SlackBenchOptions, log: (line?: string) => void) {
  const { ours, minimal } = runs;
  const apps = Object.entries(runs) as [keyof Runs, RunResult][];
  const seconds = (r: RunResult) => r.measuredMs / 1000;
  const p99Target = options.rate > 0 ? OPEN_LOOP_P99_TARGET_MS : P99_TARGET_MS;
  const rows = [
    ["app", "kind", "n", "req/s", "p50 ms", "p99 ms", "max ms", "errors", `p99 ≤ ${p99Target} ms`],
  ];
  for (const [name, run] of apps) {
    for (const kind of KINDS) {
      const r = run.results[kind];
      const p99 = percentile(r.times, 0.99);
      rows.push([
        name,
        kind,
        `${r.times.length}`,
        (r.times.length / seconds(run)).toFixed(0),
        ms(percentile(r.times, 0.5)),
        ms(p99),
        ms(maxOf(r.times)),
        `${r.errors}`,
        name === "minimal" ? "" : p99 <= p99Target && r.errors === 0 ? "PASS" : "MISS",
      ]);
    }
  }
  for (const line of table(rows)) log(line);
  log();

  const ratios = [
    [
      "kind",
      "minimal p99 ms",
      "ours / minimal",
      `ratio ≤ ${RATIO_TARGET}`,
      "floor / minimal",
      "ours / old floor",
      "ours / floor",
    ],
  ];
  for (const kind of KINDS) {
    const p99 = (r: RunResult) => percentile(r.results[kind].times, 0.99);
    const ratio = p99(ours) / p99(minimal);
    ratios.push([
      kind,
      ms(p99(minimal)),
      ratio.toFixed(2),
      ratio <= RATIO_TARGET ? "PASS" : "MISS",
      (p99(runs.floor) / p99(minimal)).toFixed(2),
      (p99(ours) / p99(runs["old floor"])).toFixed(2),
      (p99(ours) / p99(runs.floor)).toFixed(2),
    ]);
  }
  for (const line of table(ratios)) log(line);
  log();

  // Throughput: both kinds together. Closed loop, it is the app's capacity on this machine; open
  // loop, it is the offered rate (the share only says whether every app kept up).
  const rate = (r: RunResult) => KINDS.reduce((n, k) => n + r.results[k].times.length, 0) / seconds(r);
  const share = rate(ours) / rate(runs["old floor"]);
  const shares = [
    ["throughput req/s", "ours", "old floor", "floor", "minimal", "ours / old floor", "ours / floor"],
    [
      options.rate > 0 ? `offered ${options.rate}/s` : `${options.clients} clients`,
      ...(["ours", "old floor", "floor", "minimal"] as const).map((name) => rate(runs[name]).toFixed(0)),
      `${(100 * share).toFixed(0)}%${
        options.rate > 0 ? "" : share >= OLD_FLOOR_SHARE_TARGET ? " PASS (≥ 100%)" : " MISS (≥ 100%)"
      }`,
      `${((100 * rate(ours)) / rate(runs.floor)).toFixed(0)}%`,
    ],
  ];
  // What a request costs in CPU: steadier than throughput when others share the machine, since
  // each app runs in its own 30 s and gets what CPU the others leave. Our Postgres backends count.
  const perCpu = (r: RunResult) => rate(r) / ((r.cpu.app + (r.cpu.postgres ?? 0)) / 100);
  shares.push([
    "req per CPU-second",
    ...(["ours", "old floor", "floor", "minimal"] as const).map((name) => perCpu(runs[name]).toFixed(0)),
    `${((100 * perCpu(ours)) / perCpu(runs["old floor"])).toFixed(0)}%`,
    `${((100 * perCpu(ours)) / perCpu(runs.floor)).toFixed(0)}%`,
  ]);
  for (const line of table(shares)) log(line);
  log(
    "  (old floor: a loading view opened, then updated with the results, as the app did before; " +
      "floor: the results in one views.open; CPU: the app process and, for ours, its Postgres backends)",
  );
  log();

  const pct = (v: number) => `${v.toFixed(0)}%`;
  const rest = (r: RunResult) => Math.max(0, r.cpu.machine - r.cpu.app - r.cpu.load - r.cpu.api);
  const each = (f: (r: RunResult) => string) => apps.map(([, run]) => f(run));
  const side = [
    ["while measuring", ...apps.map(([name]) => name)],
    ["CPU (% of one CPU): app process", ...each((r) => pct(r.cpu.app))],
    ["  load generator", ...each((r) => pct(r.cpu.load))],
    ["  fake Web API", ...each((r) => pct(r.cpu.api))],
    [`whole machine (${cpus().length} CPUs: ${cpus().length * 100}%)`, ...each((r) => pct(r.cpu.machine))],
    ["  of which Postgres and the rest", ...each((r) => pct(rest(r)))],
    [
      "  Postgres backends of the bench database",
      ...each((r) => (r.cpu.postgres === null ? "?" : pct(r.cpu.postgres))),
    ],
    [
      "app event-loop delay p99 / max ms",
      ...each((r) => `${ms(r.eventLoopDelay.p99)} / ${ms(r.eventLoopDelay.max)}`),
    ],
    [
      "Web API calls: views.open (loading) / views.update",
      ...each(
        (r) =>
          `${r.apiCalls["views.open"] ?? 0} (${r.apiCalls[LOADING_OPENS] ?? 0}) / ${r.apiCalls["views.update"] ?? 0}`,
      ),
    ],
    ["errors the app logged (whole run)", ...each((r) => `${r.loggedErrors}`)],
  ];
  for (const line of table(side)) log(line);
  log(
    `  ours, options answered with no account: ${ours.results.options.empty} of ${ours.results.options.times.length}`,
  );
  const s = ours.searches ?? [];
  if (s.length > 0) {
    log(
      `  ours, service.search while measuring (type-ahead and the commands' follow-up, pool of 10): ` +
        `n ${s.length}, p50 ${ms(percentile(s, 0.5))} ms, p99 ${ms(percentile(s, 0.99))} ms, max ${ms(maxOf(s))} ms`,
    );
  }
  for (const [name, run] of apps) {
    const d = run.drain;
    if (!d) continue;
    log(
      d.left === 0
        ? `  ${name}, the commands' follow-up (views.open, views.update) caught up ${(d.ms / 1000).toFixed(1)} s after the load`
        : `  ${name}, ${d.left} views.open or views.update calls still owed ${DRAIN_MS / 1000} s after the load`,
    );
  }
  for (const [name, run] of apps) {
    if (run.firstError) log(`  ${name}, first error logged: ${run.firstError}`);
    for (const kind of KINDS) {
      for (const sample of run.results[kind].samples) log(`  ${name} ${kind} error: ${sample}`);
    }
  }
  log(
    options.rate > 0
      ? `  (open loop: ${options.rate} requests/s offered whatever the answers; latency counts from when each was due)`
      : `  (closed loop: ${options.clients} requests always in flight, so latency ≈ ${options.clients} / throughput once the app is saturated)`,
  );
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const { values } = parseArgs({ options: { reseed: { type: "boolean", default: false }, ...SLACK_FLAGS } });
  const options = slackOptionsFrom(values, {
    url: process.env.BENCH_DATABASE_URL || DEFAULT_URL,
    reseed: values.reseed,
    log: (line = "") => process.stdout.write(`${line}\n`),
  });
  runSlackBench(options).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
