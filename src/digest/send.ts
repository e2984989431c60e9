import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import { errorFields, type Logger } from "../log.ts";
import { SYSTEM_ACTOR } from "../restore/access.ts";
import { recordAudit } from "../restore/audit.ts";
import { claimRun, digestJob, finishRun, lastFinished, recordProgress } from "../schedule/runs.ts";
import type { DigestMessage } from "../slack/blocks/digest.ts";
import { digestMessages } from "../slack/blocks/digest.ts";
import { buildDigest } from "./build.ts";
import type { LocalDate } from "./calendar.ts";
import type { DigestSettings } from "./settings.ts";

/** The one Slack call the digest needs: post a message, in a thread or not. */
export type PostMessage = (
  message: DigestMessage & { channel: string; threadTs?: string },
) => Promise<{ ts: string }>;

export interface DigestSendDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  post: PostMessage;
  settings: DigestSettings;
  /** This copy of the app, for the lease. */
  owner: string;
  /** Pause between two messages to one channel: Slack allows about one a second. */
  paceMs?: number;
  /** How long a claim holds without renewal (a holder renews after every message). */
  leaseMs?: number;
}

export type DigestOutcome = "sent" | "resumed" | "nothing to send" | "claimed elsewhere" | "lease lost";

interface Payload {
  messages: DigestMessage[];
  accounts: number;
}

interface Progress {
  /** Messages posted so far. */
  sent?: number;
  /** The summary's ts: replies go in its thread. */
  threadTs?: string | null;
}

const RATE_LIMIT_RETRIES = 5;

/**
 * Sends a day's digest to a channel exactly once across every copy of the app: claimed through
 * Postgres, built once (the first holder stores the messages), posted one message at a time with
 * progress recorded after each, so a successor after a crash posts only what is missing.
 * (A crash between Slack's answer and the progress write can repeat that one message.)
 */
export async function sendDigest(
  deps: DigestSendDeps,
  channel: string,
  date: LocalDate,
): Promise<DigestOutcome> {
  const leaseMs = deps.leaseMs ?? 120_000;
  const job = digestJob(channel);
  const claim = await claimRun(deps.db, job, date, deps.owner, deps.clock.now(), leaseMs);
  if (!claim) return "claimed elsewhere";

  let payload = claim.run.payload as Payload | null;
  if (!payload) {
    const now = deps.clock.now();
    const digest = await buildDigest(deps.db, {
      date,
      timeZone: deps.settings.timeZone,
      windowDays: deps.settings.windowDays,
      now,
      since: await lastFinished(deps.db, job),
    });
    const { summary, replies } = digestMessages(digest, { emptyDay: deps.settings.emptyDay });
    payload = { messages: summary ? [summary, ...replies] : [], accounts: digest.accountCount };
    if (!(await recordProgress(deps.db, claim, { payload }, now, leaseMs))) return "lease lost";
  }

  const progress = claim.run.progress as Progress;
  let sent = progress.sent ?? 0;
  let threadTs = progress.threadTs ?? null;
  for (; sent < payload.messages.length; sent++) {
    const message = payload.messages[sent] as DigestMessage;
    const posted = await postWithRetry(deps, {
      ...message,
      channel,
      ...(sent > 0 && threadTs ? { threadTs } : {}),
    });
    if (sent === 0) threadTs = posted.ts;
    const kept = await recordProgress(
      deps.db,
      claim,
      { progress: { sent: sent + 1, threadTs } },
      deps.clock.now(),
      leaseMs,
    );
    if (!kept) return "lease lost";
    if (sent + 1 < payload.messages.length && deps.paceMs) await sleep(deps.paceMs);
  }

  const now = deps.clock.now();
  if (!(await finishRun(deps.db, claim, now))) return "lease lost";
  await recordAudit(deps.db, {
    at: now,
    actor: SYSTEM_ACTOR,
    action: "digest",
    details: {
      date,
      channel,
      accounts: payload.accounts,
      messages: payload.messages.length,
      resumed: !claim.fresh,
    },
  });
  if (payload.messages.length === 0) return "nothing to send";
  return claim.fresh ? "sent" : "resumed";
}

/** Slack answers 429 with Retry-After when a channel gets too much: wait that long and try again. */
async function postWithRetry(
  deps: DigestSendDeps,
  message: Parameters<PostMessage>[0],
): Promise<{ ts: string }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await deps.post(message);
    } catch (error) {
      const retryAfter = (error as { retryAfter?: unknown }).retryAfter;
      if (typeof retryAfter !== "number" || attempt >= RATE_LIMIT_RETRIES) throw error;
      deps.log.warn("slack rate limit: waiting", { retryAfterSeconds: retryAfter, ...errorFields(error) });
      await sleep(retryAfter * 1000);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
