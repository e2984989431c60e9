/**
 * POST /slack/events: the signature and the body's shape are checked here, before Bolt sees
 * anything, and only well-formed signed requests are handed on. Bolt's HTTPReceiver then does
 * the rest as it always has (ssl_check, url_verification, acks, the unhandled-request timeout).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { HTTPReceiver } from "@slack/bolt";
import { z } from "zod";
import { readBody, tooLarge, utf8 } from "./body.ts";
import { type Exchange, refuse } from "./exchange.ts";

export interface SlackEndpoint {
  receiver: HTTPReceiver;
  signingSecret: string;
}

/** Slack's rule: a timestamp more than 5 minutes from now, either way, is a replay or a wrong clock. */
const MAX_SKEW_SECONDS = 5 * 60;
const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

export async function slackEvents(ex: Exchange, slack: SlackEndpoint, now: () => Date): Promise<void> {
  const body = await readBody(ex.req);
  if (body.kind === "too large") return tooLarge(ex, body.drained);
  const text = utf8(body.bytes);
  if (text === null) return refuse(ex, 400, "bad request", "body is not UTF-8");
  const type = mediaType(ex.req);
  // Slack's SSL check is not signed; Bolt answers it with an empty 200 and so does this, using nothing else of it.
  if (type === FORM && new URLSearchParams(text).get("ssl_check") === "1") {
    ex.res.writeHead(200).end();
    return;
  }
  const unsigned = signatureProblem(ex.req, body.bytes, slack.signingSecret, now().getTime());
  if (unsigned) return refuse(ex, 401, "unauthorized", unsigned);
  const malformed = shapeProblem(type, text);
  if (malformed) return refuse(ex, 400, "bad request", malformed);
  // Bolt reads the body only if `rawBody` is not set already (bufferIncomingMessage), and compares the
  // content type exactly, so it gets the bare media type. It verifies the signature again, harmlessly.
  Object.assign(ex.req, { rawBody: body.bytes });
  ex.req.headers["content-type"] = type;
  slack.receiver.requestListener(ex.req, ex.res);
}

/** Why the request is not signed by Slack, or null when it is. */
export function signatureProblem(
  req: IncomingMessage,
  rawBody: Buffer,
  signingSecret: string,
  nowMs: number,
): string | null {
  const timestamp = req.headers["x-slack-request-timestamp"];
  const signature = req.headers["x-slack-signature"];
  if (typeof timestamp !== "string" || typeof signature !== "string") return "signature headers are missing";
  if (!/^\d{1,12}$/.test(timestamp)) return "timestamp is not a number of seconds";
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > MAX_SKEW_SECONDS) {
    return "timestamp is more than 5 minutes from now";
  }
  const given = /^v0=([0-9a-f]{64})$/.exec(signature)?.[1];
  if (!given) return "signature is not a v0 signature";
  const expected = createHmac("sha256", signingSecret).update(`v0:${timestamp}:`).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(given, "hex")) ? null : "signature does not match";
}

/**
 * The least of each body that Bolt and the listeners rely on, as Slack always sends it. Fields
 * beyond these pass through; values are still the sender's, and are checked where they are used.
 */
const user = z.object({ id: z.string() });
const COMMAND = z.object({
  command: z.string(),
  user_id: z.string(),
  text: z.string(),
  trigger_id: z.string(),
});
const INTERACTION = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("block_actions"),
    user,
    actions: z.array(z.looseObject({ action_id: z.string() })),
  }),
  z.looseObject({
    type: z.literal("view_submission"),
    user,
    view: z.looseObject({
      id: z.string(),
      state: z.looseObject({ values: z.record(z.string(), z.unknown()) }),
    }),
  }),
  z.looseObject({ type: z.literal("view_closed"), user, view: z.looseObject({ id: z.string() }) }),
  z.looseObject({ type: z.literal("block_suggestion"), user, action_id: z.string(), value: z.string() }),
]);
const EVENT = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("event_callback"), event: z.looseObject({ type: z.string() }) }),
  z.looseObject({ type: z.literal("url_verification"), challenge: z.string() }),
  z.looseObject({ type: z.literal("app_rate_limited") }),
]);

/**
 * Why a signed body is not one Bolt can take, or null. Slack posts forms (commands, and
 * interactivity and options as a JSON `payload`) and JSON objects (events); anything else, such
 * as `payload=null` or an event without its event, would reach Bolt as a body it cannot read.
 */
export function shapeProblem(type: string, text: string): string | null {
  if (type === FORM) {
    const form = new URLSearchParams(text);
    const payloads = form.getAll("payload");
    if (payloads.length > 1) return "form has more than one payload";
    if (payloads.length === 0) {
      if (!form.has("command")) return "form has neither a command nor a payload";
      return COMMAND.safeParse(Object.fromEntries(form)).success
        ? null
        : "command is not shaped as Slack sends one";
    }
    const payload = parsed(payloads[0] as string);
    if (!isObject(payload)) return "payload is not a JSON object";
    return INTERACTION.safeParse(payload).success ? null : "payload is not shaped as Slack sends one";
  }
  if (type === JSON_TYPE) {
    const body = parsed(text);
    if (!isObject(body)) return "JSON body is not an object";
    return EVENT.safeParse(body).success ? null : "event is not shaped as Slack sends one";
  }
  return type ? "content type is not form or JSON" : "content type is missing";
}

function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
