import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import { pickLocale, type Translator, translator } from "../i18n/translator.ts";
import type { Logger } from "../log.ts";
import { enqueueNotices, type Notice } from "../outbox/notices.ts";
import { SYSTEM_ACTOR } from "../restore/access.ts";
import { recordAudit } from "../restore/audit.ts";
import { claimRun, digestJob, finishRun, lastFinished, type TakeoverListener } from "../schedule/runs.ts";
import { digestMessages } from "../slack/blocks/digest.ts";
import type { LocaleSettings } from "../slack/locales.ts";
import { buildDigest } from "./build.ts";
import type { LocalDate } from "./calendar.ts";
import type { DigestSettings } from "./settings.ts";

export interface DigestSendDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  settings: DigestSettings;
  /** This copy of the app, for the lease. */
  owner: string;
  /** How long a claim holds while the digest is built (default 2 minutes). */
  leaseMs?: number;
  onTakeover?: TakeoverListener;
  /**
   * The channel's language: CHANNEL_LOCALE, else DEFAULT_LOCALE (English when neither is set or
   * known). The scheduler sends without a Slack request, so it comes from the configuration.
   */
  locales?: LocaleSettings;
}

export type DigestOutcome = "queued" | "nothing to send" | "claimed elsewhere" | "lease lost";

class LeaseLost extends Error {}

/** The digest's reader is the channel: its language, and the digest's own time zone. */
export function channelTranslator(locales: LocaleSettings | undefined, timeZone: string): Translator {
  return translator(pickLocale(locales?.channelLocale, locales?.defaultLocale), timeZone);
}

/**
 * A day's digest for a channel, exactly once across every copy of the app: claimed through
 * Postgres, built, and its messages written to the outbox in the same transaction that marks
 * the day done, fenced on the claim: a copy that lost its claim (it was slow, another took over)
 * writes nothing. No Slack call is made under this claim: the outbox sends the messages, the
 * summary first and the rest in its thread, each once.
 */
export async function queueDigest(
  deps: DigestSendDeps,
  channel: string,
  date: LocalDate,
): Promise<DigestOutcome> {
  const leaseMs = deps.leaseMs ?? 120_000;
  const job = digestJob(channel);
  const claim = await claimRun(deps.db, job, date, deps.owner, deps.clock.now(), leaseMs, deps.onTakeover);
  if (!claim) return "claimed elsewhere";

  const digest = await buildDigest(deps.db, {
    date,
    timeZone: deps.settings.timeZone,
    windowDays: deps.settings.windowDays,
    now: deps.clock.now(),
    since: await lastFinished(deps.db, job),
  });
  const { summary, replies } = digestMessages(
    digest,
    { emptyDay: deps.settings.emptyDay },
    channelTranslator(deps.locales, deps.settings.timeZone),
  );
  const messages = summary ? [summary, ...replies] : [];
  const notices: Notice[] = messages.map((message, part) => ({
    kind: "digest_message",
    channel,
    date,
    part,
    message: { text: message.text, blocks: message.blocks },
  }));
  try {
    await deps.db.transaction(async (tx) => {
      const now = deps.clock.now();
      if (!(await finishRun(tx, claim, now))) throw new LeaseLost();
      await enqueueNotices(tx, notices, now);
      await recordAudit(tx, {
        at: now,
        actor: SYSTEM_ACTOR,
        action: "digest",
        details: {
          date,
          channel,
          accounts: digest.accountCount,
          messages: messages.length,
          resumed: !claim.fresh,
        },
      });
    });
  } catch (error) {
    if (error instanceof LeaseLost) return "lease lost";
    throw error;
  }
  return messages.length === 0 ? "nothing to send" : "queued";
}
