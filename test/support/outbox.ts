import { WebClient } from "@slack/web-api";
import { sql } from "drizzle-orm";
import nock from "nock";
import type { Clock } from "../../src/clock.ts";
import type { Db } from "../../src/db/client.ts";
import { outbox } from "../../src/db/schema.ts";
import type { Logger } from "../../src/log.ts";
import { createOutboxSender, type OutboxSender, type SenderDeps } from "../../src/outbox/sender.ts";
import type { RestoreService } from "../../src/restore/service.ts";
import { slackTransport } from "../../src/slack/sender.ts";

export const SLACK = "http://slack.test";
export const CHANNEL = "CADMINS01";

/** How Slack fails a call: an error page, a rate limit, or no answer within the client's timeout. */
export type Fault = "500" | "429" | "timeout";

/** One call Slack answered: what it was about, and whether the caller got the answer. */
export interface SlackCall {
  method: string;
  /** The message it posts or updates: a post's channel, thread and text; an update's ts. */
  message: string;
  at: number;
  answered: boolean;
}

/**
 * Slack's Web API at SLACK, in nock: `fail(…)` makes the next matching calls fail as told;
 * every other call succeeds (posts get a fresh ts). Only answered calls are deliveries.
 */
export function fakeSlack(options: { heldMs?: number; timeoutMs: number }) {
  const calls: SlackCall[] = [];
  let ts = 0;
  const faults: { match: (method: string, message: string) => boolean; fault: Fault; left: number }[] = [];
  const record = (method: string, body: unknown, answered: boolean) => {
    const args = Object.fromEntries(new URLSearchParams(String(body)));
    const message =
      method === "chat.update"
        ? `update ${args.ts}`
        : `post ${args.channel} ${args.thread_ts ?? "-"} ${args.text}`;
    calls.push({ method, message, at: Date.now(), answered });
    return args;
  };
  const faultFor = (method: string, body: unknown) => {
    const args = Object.fromEntries(new URLSearchParams(String(body)));
    const message = method === "chat.update" ? `update ${args.ts}` : `post ${args.channel} ${args.text}`;
    const f = faults.find((x) => x.left > 0 && x.match(method, message));
    if (f) f.left--;
    return f?.fault ?? null;
  };
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  const scope = nock(SLACK)
    .persist()
    .post(/\/api\/.*/)
    .reply(async (uri, body) => {
      const method = uri.replace("/api/", "");
      const fault = faultFor(method, body);
      if (fault === "500") {
        record(method, body, false);
        return [500, "Slack is having trouble"];
      }
      if (fault === "429") {
        record(method, body, false);
        return [429, { ok: false, error: "ratelimited" }, { "Retry-After": "150" }];
      }
      if (fault === "timeout") {
        // Held past the client's timeout: the caller never gets this answer.
        record(method, body, false);
        await new Promise((resolve) => setTimeout(resolve, options.heldMs ?? options.timeoutMs * 10));
        return [200, { ok: true, channel: CHANNEL, ts: `1700000000.${++ts}` }];
      }
      const args = record(method, body, true);
      return [200, { ok: true, channel: args.channel ?? CHANNEL, ts: `1700000000.${++ts}` }];
    });
  return {
    calls,
    /** The next `times` calls matching fail with `fault`. */
    fail(fault: Fault, match: (method: string, message: string) => boolean = () => true, times = 1) {
      faults.push({ match, fault, left: times });
    },
    /** Answered calls per message: each should be 1. */
    deliveries(): Record<string, number> {
      const counts: Record<string, number> = {};
      for (const c of calls) if (c.answered) counts[c.message] = (counts[c.message] ?? 0) + 1;
      return counts;
    },
    done() {
      scope.persist(false);
      nock.abortPendingRequests();
      nock.cleanAll();
      nock.enableNetConnect();
    },
  };
}

/** The app's Slack sender over the fake, with tiny timeouts and backoff. */
export function slackSender(
  deps: { db: Db; clock: Clock; service: RestoreService; log?: Logger },
  owner: string,
  options: Partial<SenderDeps> & { timeoutMs: number },
): OutboxSender {
  const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
  return createOutboxSender({
    db: deps.db,
    clock: deps.clock,
    log: deps.log ?? quiet,
    owner,
    callTimeoutMs: options.timeoutMs,
    backoffMs: 10,
    transport: slackTransport({
      client: new WebClient("xoxb-test", {
        slackApiUrl: `${SLACK}/api/`,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout: options.timeoutMs,
      }),
      service: deps.service,
      clock: deps.clock,
      adminChannelId: CHANNEL,
    }),
    ...options,
  });
}

/** Rows not delivered or given up yet. */
export async function pendingRows(db: Db): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(outbox)
    .where(sql`status = 'pending'`);
  return row?.n ?? 0;
}

/**
 * Lets the senders work until the outbox is empty, moving a fixed clock on to each retry (up to
 * three minutes at a time, past Slack's Retry-After of 150 s).
 */
export async function deliverAll(db: Db, clock: { advance(ms: number): void }, senders: OutboxSender[]) {
  for (let round = 0; round < 50; round++) {
    for (const s of senders) s.wake();
    await Promise.all(senders.map((s) => s.settled()));
    if ((await pendingRows(db)) === 0) return;
    clock.advance(60_000);
  }
  throw new Error(`the outbox still has ${await pendingRows(db)} rows after 50 rounds`);
}
