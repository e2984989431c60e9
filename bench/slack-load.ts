/**
 * The load generator of bench/slack.ts, in a process of its own (forked by it) so that it does
 * not share the app's event loop. N client loops, each with one request in flight at a time over
 * keep-alive connections, alternate signed `/restore-user` commands and `account_lookup` options
 * requests, and time each one to the end of its HTTP response: the ack. With a rate (open loop),
 * requests start on a fixed schedule whatever the answers, and each is timed from when it was
 * due, so a slow app is not offered less work (no coordinated omission).
 */
import { createHmac } from "node:crypto";
import { Agent, request } from "node:http";
import { pathToFileURL } from "node:url";
import { FAMILY_NAMES, GIVEN_NAMES } from "./names.ts";

export type Kind = "command" | "options";

export interface LoadJob {
  /** http://127.0.0.1:port/slack/events */
  url: string;
  signingSecret: string;
  /** The Slack user id the requests come from (an admin of the app). */
  user: string;
  clients: number;
  /** Requests per second offered on a schedule (open loop); 0: the closed loop of `clients`. */
  rate: number;
  warmupMs: number;
  measureMs: number;
  /** A request that takes longer is abandoned and counted as an error. */
  timeoutMs: number;
  /** Seeds the choice of names: every run sends the same sequence. */
  seed: number;
}

export interface KindResult {
  /** Ack latency in ms of each request started in the measured window. */
  times: number[];
  /** Of those: non-200 answers, timeouts and connection errors. */
  errors: number;
  /** Options answers (200) that listed no account; null for commands. */
  empty: number | null;
  /** All requests sent, warm-up included, and how many were answered 200. */
  sentTotal: number;
  okTotal: number;
  /** A few error descriptions, for the report. */
  samples: string[];
}

export type LoadMessage =
  | { type: "measuring" }
  | { type: "measured" }
  | { type: "report"; results: Record<Kind, KindResult>; measuredMs: number; cpuMs: number };

/** A small deterministic generator (mulberry32): the same names on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function inputs(rand: () => number) {
  const pick = (names: readonly string[]) => names[Math.floor(rand() * names.length)] as string;
  return {
    /** What an admin types after /restore-user: mostly full names, sometimes one name or a user name. */
    commandText(): string {
      const given = pick(GIVEN_NAMES);
      const family = pick(FAMILY_NAMES);
      const r = rand();
      if (r < 0.5) return `${given} ${family}`;
      if (r < 0.7) return family;
      if (r < 0.85) return given;
      return `${given.toLowerCase()}.${family.toLowerCase()}`;
    },
    /** What is in the type-ahead box: a 3 to 6 letter prefix of a name, or a full name. */
    lookupValue(): string {
      const given = pick(GIVEN_NAMES);
      const family = pick(FAMILY_NAMES);
      if (rand() < 0.3) return `${given} ${family}`;
      const name = rand() < 0.5 ? given : family;
      return name.slice(0, 3 + Math.floor(rand() * 4)).toLowerCase();
    },
  };
}

async function run(job: LoadJob, report: (message: LoadMessage) => void): Promise<void> {
  const target = new URL(job.url);
  if (target.hostname !== "127.0.0.1") throw new Error(`the load goes to 127.0.0.1 only, not ${target.host}`);
  // Open loop: as many connections as requests in flight, which is what the app is offered.
  const sockets = job.rate > 0 ? Number.POSITIVE_INFINITY : job.clients;
  const agent = new Agent({
    keepAlive: true,
    maxSockets: sockets,
    maxFreeSockets: job.rate > 0 ? 256 : job.clients,
  });
  const results: Record<Kind, KindResult> = {
    command: { times: [], errors: 0, empty: null, sentTotal: 0, okTotal: 0, samples: [] },
    options: { times: [], errors: 0, empty: 0, sentTotal: 0, okTotal: 0, samples: [] },
  };
  const started = performance.now();
  const measureFrom = started + job.warmupMs;
  const measureUntil = measureFrom + job.measureMs;
  let cpuAtStart = process.cpuUsage();
  const warmup = setTimeout(() => {
    cpuAtStart = process.cpuUsage();
    report({ type: "measuring" });
  }, job.warmupMs);
  // The window closes on its timer or, should the load end first (an open loop's last answer can
  // come in before the timer fires), when it ends: the report never comes without it.
  let closed = false;
  const closeWindow = () => {
    if (closed) return;
    closed = true;
    report({ type: "measured" });
  };
  const measured = setTimeout(closeWindow, job.warmupMs + job.measureMs);

  const sign = (body: string) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `v0=${createHmac("sha256", job.signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
    return { timestamp, signature };
  };

  /** One signed POST; resolves with the status and body, or an error description. */
  const post = (body: string) =>
    new Promise<{ status: number; text: string } | { error: string }>((resolve) => {
      const { timestamp, signature } = sign(body);
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            "content-length": Buffer.byteLength(body),
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": signature,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", (e) => resolve({ error: e.message }));
        },
      );
      req.setTimeout(job.timeoutMs, () => req.destroy(new Error(`no answer in ${job.timeoutMs} ms`)));
      req.on("error", (e) => resolve({ error: e.message }));
      req.end(body);
    });

  /** Sends one request of `kind` and records it, timed from `from` (when it started, or was due). */
  const send = async (kind: Kind, make: ReturnType<typeof inputs>, triggerId: string, from?: number) => {
    const body =
      kind === "command"
        ? new URLSearchParams({
            command: "/restore-user",
            text: make.commandText(),
            user_id: job.user,
            user_name: "bench.admin",
            trigger_id: triggerId,
            team_id: "T1",
            channel_id: "C1",
            response_url: `http://127.0.0.1:${target.port}/commands/response`,
          }).toString()
        : new URLSearchParams({
            payload: JSON.stringify({
              type: "block_suggestion",
              user: { id: job.user },
              action_id: "account_lookup",
              block_id: "lookup",
              value: make.lookupValue(),
              team: { id: "T1" },
              view: { id: "V1", type: "modal", callback_id: "restore_search" },
            }),
          }).toString();
    const t0 = from ?? performance.now();
    const answer = await post(body);
    const elapsed = performance.now() - t0;
    const result = results[kind];
    result.sentTotal++;
    const ok = "status" in answer && answer.status === 200;
    if (ok) result.okTotal++;
    if (t0 < measureFrom || t0 >= measureUntil) return;
    result.times.push(elapsed);
    if (!ok) {
      result.errors++;
      const what = "error" in answer ? answer.error : `HTTP ${answer.status} ${answer.text.slice(0, 120)}`;
      if (result.samples.length < 5) result.samples.push(what);
    } else if (kind === "options" && "text" in answer) {
      try {
        const parsed = JSON.parse(answer.text) as { options?: unknown[] };
        if (!parsed.options || parsed.options.length === 0) result.empty = (result.empty ?? 0) + 1;
      } catch {
        result.errors++;
        if (result.samples.length < 5) result.samples.push(`not JSON: ${answer.text.slice(0, 120)}`);
      }
    }
  };

  const client = async (index: number) => {
    const make = inputs(random(job.seed * 1000 + index));
    let n = index; // half the clients start with a command, half with an options request
    while (performance.now() < measureUntil) {
      const kind: Kind = n++ % 2 === 0 ? "command" : "options";
      await send(kind, make, `${index}.${n}.bench`);
    }
  };

  /** The open loop: request i is due at started + i / rate, sent then whether or not others are answered. */
  const schedule = async () => {
    const make = inputs(random(job.seed * 1000));
    const interval = 1000 / job.rate;
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; ; i++) {
      const due = started + i * interval;
      if (due >= measureUntil) break;
      const wait = due - performance.now();
      if (wait > 0.5) await new Promise((r) => setTimeout(r, wait));
      const sent: Promise<void> = send(
        i % 2 === 0 ? "command" : "options",
        make,
        `o.${i}.bench`,
        due,
      ).finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, measureUntil - performance.now()) + 1));
    await Promise.all(inFlight);
  };

  try {
    if (job.rate > 0) await schedule();
    else await Promise.all(Array.from({ length: job.clients }, (_, i) => client(i)));
  } finally {
    clearTimeout(warmup);
    clearTimeout(measured);
    closeWindow();
    agent.destroy();
  }
  const cpu = process.cpuUsage(cpuAtStart);
  report({
    type: "report",
    results,
    measuredMs: job.measureMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  });
}

function main(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error("bench/slack-load.ts is started by bench/slack.ts");
  process.on("disconnect", () => process.exit(1));
  process.once("message", (job: LoadJob) => {
    run(job, (message) => {
      // The report is the last message: exit once it is handed over.
      if (message.type === "report") send(message, () => process.exit(0));
      else send(message);
    }).catch((error: unknown) => {
      process.stderr.write(
        `load generator failed: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exit(1);
    });
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
