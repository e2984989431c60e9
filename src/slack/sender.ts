import type { KnownBlock } from "@slack/types";
import { ErrorCode, LogLevel, WebClient, type WebClientOptions } from "@slack/web-api";
import type { Clock } from "../clock.ts";
import { log as defaultLog, type Logger } from "../log.ts";
import type { Notice } from "../outbox/notices.ts";
import type { Delivery, DeliveryContext, Failure, OutboxTransport } from "../outbox/sender.ts";
import { SYSTEM_ACTOR } from "../restore/access.ts";
import { isRefusal } from "../restore/outcome.ts";
import type { RestoreService } from "../restore/service.ts";
import type { RestoreRequest } from "../restore/types.ts";
import { approvalMessage, isPending, reminderText, requesterNotice } from "./blocks/approval.ts";
import { fixedLocales, type ReaderLocales, readerOf } from "./locales.ts";
import { slackLogger } from "./logger.ts";

/** The Web API answers within this, or the call is given up (and retried by the outbox). */
export const SLACK_CALL_TIMEOUT_MS = 5_000;

/**
 * The outbox's own Web API client: no retries of its own, rate limits handed back, a timeout on
 * every call, so the outbox (which records what was sent) is the one that waits and tries again.
 * Its failures are logged by the outbox, as JSON, with what it does next.
 */
export function outboxClient(
  token: string,
  slackApiUrl: string,
  options: WebClientOptions = {},
  log: Logger = defaultLog,
): WebClient {
  return new WebClient(token, {
    slackApiUrl,
    logger: slackLogger(log, "web-api", LogLevel.ERROR),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: SLACK_CALL_TIMEOUT_MS,
    logLevel: LogLevel.ERROR,
    ...options,
  });
}

export interface SlackSenderDeps {
  /** Its own client: no retries of its own and rate limits handed back (the outbox retries). */
  client: WebClient;
  service: RestoreService;
  clock: Clock;
  /** Where approvals are asked. */
  adminChannelId: string;
  /** Between two posts to one channel: Slack allows about one a second (0 in tests). */
  paceMs?: number;
  /**
   * Which language: the channel's (CHANNEL_LOCALE) for the approval message and its reminder,
   * the requester's own for their direct message. English when not given.
   */
  locales?: ReaderLocales;
}

/**
 * The outbox's voice in Slack: each notice becomes one Web API call, rendered now from the
 * request as the database has it (so a late notice never shows a stale state), by the same
 * Block Kit builders as everything else.
 */
export function slackTransport(deps: SlackSenderDeps): OutboxTransport {
  const { client } = deps;
  const pace = pacer(deps.paceMs ?? 0);
  const locales = deps.locales ?? fixedLocales();
  const requestOf = async (id: string): Promise<RestoreRequest | null> => {
    const request = await deps.service.getRequest(SYSTEM_ACTOR, id);
    return isRefusal(request) ? null : request;
  };

  const post = async (
    context: DeliveryContext,
    args: Parameters<WebClient["chat"]["postMessage"]>[0] & { channel: string },
  ): Promise<Delivery> => {
    await pace(args.channel);
    await context.beforeCall();
    const posted = await client.chat.postMessage(args);
    return { result: { channel: String(posted.channel ?? args.channel), ts: String(posted.ts) } };
  };

  const deliver = async (notice: Notice, context: DeliveryContext): Promise<Delivery> => {
    if (notice.kind === "digest_message") {
      const { channel, part, message } = notice;
      const blocks = message.blocks as KnownBlock[];
      if (part === 0) return post(context, { channel, text: message.text, blocks, unfurl_links: false });
      const summary = await context.firstOfChain();
      const threadTs = summary?.result?.ts;
      if (typeof threadTs !== "string") return skipped("its summary was not posted");
      return post(context, {
        channel,
        text: message.text,
        blocks,
        thread_ts: threadTs,
        unfurl_links: false,
      });
    }
    const request = await requestOf(notice.requestId);
    if (!request) return skipped("no such request");
    const now = deps.clock.now();
    const at = request.approvalMessage;
    const channel = locales.forChannel();
    switch (notice.kind) {
      case "approval_asked":
        if (at) return skipped("already posted");
        return post(context, { channel: deps.adminChannelId, ...approvalMessage(request, now, channel) });
      case "approval_changed":
        if (!at) return skipped("the ask was never posted");
        await context.beforeCall();
        // Updating twice is harmless: the message shows the request as it is.
        await client.chat.update({
          channel: at.channel,
          ts: at.ts,
          ...approvalMessage(request, now, channel),
        });
        return { result: null };
      case "requester_notice": {
        const t = await readerOf(locales, request.requestedBy);
        return post(context, { channel: request.requestedBy, ...requesterNotice(request, t) });
      }
      case "approval_reminder":
        if (!at) return skipped("the ask was never posted");
        if (!isPending(request, now)) return skipped("decided meanwhile");
        return post(context, {
          channel: at.channel,
          thread_ts: at.ts,
          text: reminderText(request, now, channel),
        });
    }
  };

  return { deliver, classify };
}

function skipped(why: string): Delivery {
  return { result: { skipped: why }, skipped: why };
}

/** Slack's own faults, worth another try; any other error it names is its answer to this call. */
const TRANSIENT_SLACK_ERRORS = new Set([
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
  "ratelimited",
  "team_added_to_org",
]);

/** By the client's error codes (not instanceof: Bolt may bundle another copy of the client). */
export function classify(error: unknown): Failure {
  const e = error as {
    code?: unknown;
    retryAfter?: unknown;
    statusCode?: unknown;
    data?: { error?: unknown };
  };
  switch (e?.code) {
    case ErrorCode.RateLimitedError:
      return typeof e.retryAfter === "number" ? { retryAfterMs: e.retryAfter * 1000 } : { transient: true };
    case ErrorCode.PlatformError:
      return TRANSIENT_SLACK_ERRORS.has(String(e.data?.error)) ? { transient: true } : { permanent: true };
    case ErrorCode.HTTPError: {
      const status = Number(e.statusCode);
      return status >= 500 || status === 408 || status === 429 ? { transient: true } : { permanent: true };
    }
    default:
      // The network, a timeout, the database while rendering: try again later.
      return { transient: true };
  }
}

/** Spaces posts to one channel `paceMs` apart, across every worker of this copy. */
function pacer(paceMs: number): (channel: string) => Promise<void> {
  const next = new Map<string, number>();
  return async (channel) => {
    if (paceMs <= 0) return;
    const now = Date.now();
    const at = Math.max(now, next.get(channel) ?? 0);
    next.set(channel, at + paceMs);
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  };
}
