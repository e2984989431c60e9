import type { FetchFunction } from "@slack/web-api";
import { sql } from "drizzle-orm";
import nock from "nock";
import type { Clock } from "../../src/clock.ts";
import type { Db } from "../../src/db/client.ts";
import { outbox } from "../../src/db/schema.ts";
import { type Logger, silentLog } from "../../src/log.ts";
import { createOutboxSender, type OutboxSender, type SenderDeps } from "../../src/outbox/sender.ts";
import type { RestoreService } from "../../src/restore/service.ts";
import { outboxClient, slackTransport } from "../../src/slack/sender.ts";

export const SLACK = "http://slack.test";
export const CHANNEL = "CADMINS01";

/**
 * How Slack fails a call: an error page, a rate limit, no answer within the client's timeout, or
 * a refusal of this very call (an error Slack names, such as a message that cannot be edited).
 */
export type Fault = "500" | "429" | "timeout" | "refused";

/** One call that reached Slack: what it was about, and whether its answer reached the caller. */
export interface SlackCall {
  method: string;
  /** The message it posts or updates: a post's channel, thread and text; an update's ts. */
  message: string;
  at: number;
  /** The caller got Slack's "ok" (set by `fetch`, the client's side: a call it gave up stays false). */
  answered: boolean;
  /** The ts Slack gave a post. */
  ts?: string;
}

/**
 * Slack's Web API at SLACK, in nock: `fail(…)` makes the next matching calls fail as told;
 * every other call succeeds (posts get a fresh ts). A delivery is a call whose "ok" reached the
 * client, as the client's `fetch` (below) sees it: an answer held past the client's timeout is
 * not one, however Slack ended it.
 */
export function fakeSlack(options: { heldMs?: number; timeoutMs: number }) {
  const calls: SlackCall[] = [];
  let ts = 0;
  const faults: { match: (method: string, message: string) => boolean; fault: Fault; left: number }[] = [];
  const messageOf = (method: string, args: Record<string, string>) =>
    method === "chat.update"
      ? `update ${args.ts}`
      : `post ${args.channel} ${args.thread_ts ?? "-"} ${args.text}`;
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  const scope = nock(SLACK)
    .persist()
    .post(/\/api\/.*/)
    .reply(async (uri, body) => {
      const method = uri.replace("/api/", "");
      const args = Object.fromEntries(new URLSearchParams(String(body)));
      const message = messageOf(method, args);
      const f = faults.find((x) => x.left > 0 && x.match(method, message));
      if (f) f.left--;
      const call: SlackCall = { method, message, at: Date.now(), answered: false };
      const headers = { "x-fake-call": String(calls.push(call) - 1) };
      switch (f?.fault) {
        case "500":
          return [500, "Slack is having trouble", headers];
        case "429":
          return [429, { ok: false, error: "ratelimited" }, { ...headers, "Retry-After": "150" }];
        case "refused":
          return [200, { ok: false, error: "cant_update_message" }, headers];
        case "timeout":
          // Held past the client's timeout; Slack may well have done it, but nobody hears so.
          await new Promise((resolve) => setTimeout(resolve, options.heldMs ?? options.timeoutMs * 10));
      }
      call.ts = `1700000000.${++ts}`;
      return [200, { ok: true, channel: args.channel ?? CHANNEL, ts: call.ts }, headers];
    });
  return {
    calls,
    /** The next `times` calls matching fail with `fault`. */
    fail(fault: Fault, match: (method: string, message: string) => boolean = () => true, times = 1) {
      faults.push({ match, fault, left: times });
    },
    /** The Web API client's fetch: marks a call answered when Slack's "ok" reached the client. */
    fetch: (async (url: string | URL, init?: RequestInit) => {
      const response = await fetch(url, init);
      const body = (await response
        .clone()
        .json()
        .catch(() => null)) as { ok?: boolean } | null;
      const call = calls[Number(response.headers.get("x-fake-call"))];
      if (call && response.status === 200 && body?.ok) call.answered = true;
      return response;
    }) as FetchFunction,
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

/** The fake's fetch, for a client that talks to it. */
export function fetchOf(slack: { fetch: FetchFunction } | null): FetchFunction {
  if (!slack) throw new Error("start the fake Slack first");
  return slack.fetch;
}

/** What the app's Slack sender needs, over the fake, with tiny timeouts and backoff. */
export function slackSenderDeps(
  deps: { db: Db; clock: Clock; service: RestoreService; log?: Logger },
  owner: string,
  options: Partial<SenderDeps> & { timeoutMs: number; fetch: FetchFunction },
): SenderDeps {
  const { fetch, timeoutMs, ...rest } = options;
  return {
    db: deps.db,
    clock: deps.clock,
    log: deps.log ?? silentLog,
    owner,
    callTimeoutMs: timeoutMs,
    backoffMs: 10,
    transport: slackTransport({
      client: outboxClient("xoxb-test", `${SLACK}/api/`, { timeout: timeoutMs, fetch }),
      service: deps.service,
      clock: deps.clock,
      adminChannelId: CHANNEL,
    }),
    ...rest,
  };
}

/** The app's Slack sender over the fake. */
export function slackSender(
  deps: { db: Db; clock: Clock; service: RestoreService; log?: Logger },
  owner: string,
  options: Partial<SenderDeps> & { timeoutMs: number; fetch: FetchFunction },
): OutboxSender {
  return createOutboxSender(slackSenderDeps(deps, owner, options));
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
