import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import { describeError, errorFields, type Logger } from "../log.ts";
import { type Notice, noticeOf, recordDelivery } from "./notices.ts";
import {
  claimNext,
  extendClaim,
  firstOfChain,
  giveUp,
  markDelivered,
  type OutboxClaim,
  retryLater,
  settledRow,
} from "./store.ts";

/** What the sender hands a transport (Slack) with each notice. */
export interface DeliveryContext {
  /**
   * Call right before the one outside call: makes sure the lease outlives it (renewing it if
   * not). Throws LeaseLost when another copy holds the row now: then nothing may be sent.
   */
  beforeCall(): Promise<void>;
  /** The outcome of the first row of this row's chain (a digest reply's summary), once settled. */
  firstOfChain(): Promise<{ status: "delivered" | "failed"; result: Record<string, unknown> | null } | null>;
}

/** Sent, with what later rows need (a post's channel and ts); or nothing to send (`skipped`). */
export interface Delivery {
  result: Record<string, unknown> | null;
  skipped?: string;
}

/** How a failed call is retried: after Slack's Retry-After, with backoff, or (permanent) a few times only. */
export type Failure = { retryAfterMs: number } | { transient: true } | { permanent: true };

export interface OutboxTransport {
  deliver(notice: Notice, context: DeliveryContext): Promise<Delivery>;
  classify(error: unknown): Failure;
}

export class LeaseLost extends Error {
  constructor() {
    super("the outbox row's lease was lost: another copy holds it");
    this.name = "LeaseLost";
  }
}

/** The sender's steps, for tests that stop it dead at each one (see test/outbox/crash.test.ts). */
export type SenderStep = "claimed" | "calling" | "answered" | "recorded";

export interface SenderDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  transport: OutboxTransport;
  /** This copy of the app; each claim adds a counter to it. */
  owner: string;
  /** The longest one outside call may take (the Web API client's timeout). */
  callTimeoutMs: number;
  /** How long a claim holds (default 60 s); must exceed callTimeoutMs with room to spare. */
  leaseMs?: number;
  /** Rows sent at once (default 3): a long digest does not hold up a decision's notices. */
  workers?: number;
  /** First retry after this (default 2 s), doubling up to maxBackoffMs (default 5 minutes). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A refusal (not a fault) is tried this many times (default 3), then given up. */
  permanentAttempts?: number;
  /** A notice not delivered within this long is given up (default 24 h): late news is noise. */
  maxAgeMs?: number;
  /** Called at each step; a throw there is a crash: this worker stops dead (tests). */
  step?: (step: SenderStep, row: { id: number; kind: string }) => void | Promise<void>;
}

const DEFAULTS = {
  leaseMs: 60_000,
  workers: 3,
  backoffMs: 2_000,
  maxBackoffMs: 5 * 60_000,
  permanentAttempts: 3,
  maxAgeMs: 24 * 3_600_000,
};

export interface OutboxSender {
  /** Sends what is due now (more workers if some are free); returns at once. */
  wake(): void;
  /** Resolves when no worker is busy (what was due is sent, or waits for its retry). */
  settled(): Promise<void>;
  /** No new claims; resolves when the rows being sent are done with. */
  stop(): Promise<void>;
}

/**
 * Delivers the outbox: claims one row at a time, makes its one call, records the delivery, and
 * retries a failure later (Slack's Retry-After, else backoff). Each delivered row is recorded
 * with Slack's answer in one write; a crash between Slack's answer and that write is the one
 * way a message can go twice (README, "Delivery").
 */
export function createOutboxSender(deps: SenderDeps): OutboxSender {
  const o = { ...DEFAULTS, ...definedOnly(deps) };
  if (o.leaseMs < 2 * o.callTimeoutMs)
    throw new Error("the outbox lease must be at least twice the call timeout");
  let busy = 0;
  let claims = 0;
  let stopped = false;
  let again = false;
  let idle: (() => void)[] = [];
  const working = new Set<Promise<void>>();

  const worker = async () => {
    try {
      while (!stopped) {
        const claim = await claimNext(o.db, `${o.owner}#${++claims}`, o.clock.now(), o.leaseMs);
        if (!claim) {
          // A wake that found every worker busy may be about rows this look just missed.
          if (!again) return;
          again = false;
          continue;
        }
        // There was work: another worker looks for more (an idle look costs one query, not three).
        wake();
        await sendOne(o, claim);
      }
    } catch (error) {
      // A fault of the database (or a test's crash): this worker ends; the row's lease lapses
      // and the next pass (or another copy) takes it.
      o.log.error("outbox sender failed", errorFields(error));
    }
  };

  const wake = () => {
    if (stopped) return;
    if (busy >= o.workers) {
      again = true;
      return;
    }
    busy++;
    const running: Promise<void> = worker().finally(() => {
      busy--;
      working.delete(running);
      if (busy === 0) {
        for (const resolve of idle) resolve();
        idle = [];
      }
    });
    working.add(running);
  };

  return {
    wake,
    settled: () => (busy === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve))),
    stop: async () => {
      stopped = true;
      await Promise.all([...working]);
    },
  };
}

type Options = typeof DEFAULTS & SenderDeps;

/** One row: check its age, make its call, record what came of it. */
async function sendOne(o: Options, claim: OutboxClaim): Promise<void> {
  const { row } = claim;
  const at = { outbox: row.id, kind: row.kind, attempt: row.attempts };
  const step = async (name: SenderStep) => {
    try {
      await o.step?.(name, row);
    } catch (error) {
      throw new Crashed("the sender stopped dead", { cause: error });
    }
  };
  await step("claimed");
  const notice = noticeOf(row.notice);
  const now = o.clock.now();
  if (!notice || now.getTime() - row.createdAt.getTime() > o.maxAgeMs) {
    const why = notice ? "not delivered within its time: given up" : "a notice this version cannot read";
    if (await giveUp(o.db, claim, why, now)) o.log.warn("outbox notice given up", { ...at, why });
    return;
  }
  let abandoned = false;
  const context: DeliveryContext = {
    beforeCall: async () => {
      // Given up on (below): a call it would still make could never be recorded.
      if (abandoned) throw new LeaseLost();
      await step("calling");
      // The lease must outlive the call: a call still running when it lapses could be repeated
      // by the copy that takes the row over.
      const left = claim.until.getTime() - o.clock.now().getTime();
      if (left >= 2 * o.callTimeoutMs) return;
      if (!(await extendClaim(o.db, claim, o.clock.now(), o.leaseMs))) throw new LeaseLost();
    },
    firstOfChain: async () => {
      const first = await firstOfChain(o.db, row.chain);
      return first === null || first === row.id ? null : settledRow(o.db, first);
    },
  };
  let delivery: Delivery;
  try {
    delivery = await withDeadline(o.transport.deliver(notice, context), o.callTimeoutMs + 5_000);
  } catch (error) {
    if (error instanceof Crashed) throw error;
    if (error instanceof Abandoned) {
      // A call under way may still end: the row is left to its lease, which outlives any call.
      abandoned = true;
      o.log.error("outbox notice abandoned: no answer in time", at);
      return;
    }
    await failed(o, claim, notice, error, at);
    return;
  }
  await step("answered");
  const recorded = await markDelivered(o.db, claim, delivery.result, o.clock.now(), (tx) =>
    recordDelivery(tx, notice, delivery.result),
  );
  if (!recorded) o.log.warn("outbox row delivered after its lease was lost", at);
  else if (delivery.skipped) o.log.info("outbox notice: nothing to send", { ...at, why: delivery.skipped });
  await step("recorded");
}

async function failed(
  o: Options,
  claim: OutboxClaim,
  notice: Notice,
  error: unknown,
  at: Record<string, unknown>,
): Promise<void> {
  if (error instanceof LeaseLost) {
    o.log.warn("outbox lease lost: not sent", at);
    return;
  }
  const now = o.clock.now();
  const failure = o.transport.classify(error);
  const attempts = claim.row.attempts;
  if ("permanent" in failure && attempts >= o.permanentAttempts) {
    if (await giveUp(o.db, claim, describeError(error), now))
      o.log.error("outbox notice given up", { ...at, notice: notice.kind, ...errorFields(error) });
    return;
  }
  const waitMs =
    "retryAfterMs" in failure
      ? failure.retryAfterMs
      : Math.min(o.maxBackoffMs, o.backoffMs * 2 ** Math.max(0, attempts - 1));
  const retryAt = new Date(now.getTime() + waitMs);
  if (!(await retryLater(o.db, claim, retryAt, describeError(error)))) {
    o.log.warn("outbox lease lost: the copy holding the row now decides", at);
    return;
  }
  o.log.warn("outbox notice not delivered: will retry", { ...at, retryInMs: waitMs, ...errorFields(error) });
}

class Abandoned extends Error {}

/** A step's hook threw: the sender stops as a process would that died there. */
class Crashed extends Error {}

/** A transport that hangs past its own timeout does not hold the worker (nor a stop) for ever. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Abandoned(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
