import type { AnyMiddlewareArgs, Middleware } from "@slack/bolt";
import { z } from "zod";
import type { Logger } from "../../log.ts";
import { NOT_ALLOWED_MESSAGE, SLACK_USER_ID } from "../../restore/access.ts";
import { isUuid } from "../../restore/ids.ts";

/**
 * What a request from Slack may carry, checked before anything reaches the service: a button's
 * value, a form's private_metadata and even the user id are the sender's to forge, and a value
 * that is not an id must become a clean refusal, never a database error.
 */
export const slackUserId = z.string().regex(SLACK_USER_ID);
export const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/);
export const messageTs = z.string().regex(/^\d{1,12}\.\d{1,12}$/);
export const recordId = z.string().refine(isUuid);

/** The value as a record id, or null when it is not one. */
export function recordIdOf(value: unknown): string | null {
  const parsed = recordId.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** Whoever a request says is acting: commands carry `user_id`, interactions `user.id`, events `event.user`. */
function actingUser(body: Record<string, unknown>): { user: unknown; required: boolean } {
  if (typeof body.command === "string") return { user: body.user_id, required: true };
  const event = body.event as { type?: unknown; user?: unknown } | undefined;
  // Events about a person carry them; the Home tab is always someone's.
  if (body.type === "event_callback") {
    return { user: event?.user, required: event?.user !== undefined || event?.type === "app_home_opened" };
  }
  const user = body.user as { id?: unknown } | undefined;
  return { user: user?.id, required: true };
}

/**
 * Global middleware: a request whose acting user is not a Slack user id (the reserved `system`,
 * an email, markup) is refused before any listener, so no rule ever sees such an actor.
 */
export function refuseForgedUsers(log: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const { user, required } = actingUser(args.body as unknown as Record<string, unknown>);
    if (slackUserId.safeParse(user).success || (!required && user === undefined)) {
      await args.next();
      return;
    }
    log.warn("refused a Slack request with a malformed user id", {
      type: String(args.body.type ?? "command"),
    });
    const ack = "ack" in args ? (args.ack as (response?: unknown) => Promise<void>) : null;
    if (!ack) return;
    if ("command" in args) await ack({ response_type: "ephemeral", text: NOT_ALLOWED_MESSAGE });
    else if (args.body.type === "block_suggestion") await ack({ options: [] });
    else await ack();
  };
}
