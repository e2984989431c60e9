import type { MrkdwnElement, PlainTextElement } from "@slack/types";

/**
 * The one escape for everything a user typed or a directory returned before it enters mrkdwn:
 * `&`, `<` and `>` only (slack.md), so `<!channel>` or `<@U123>` in a name stays text.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** At most `max` characters (UTF-16 units, as Slack counts), ending in "…" when cut; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return "";
  if (max === 1) return "…";
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * Escapes `text` and keeps the escaped form within `max` characters, cutting the raw text (never
 * an `&amp;` in half) and ending in "…" when cut.
 */
export function esc(text: string, max = 3000): string {
  const full = escapeMrkdwn(text);
  if (full.length <= max) return full;
  if (max <= 0) return "";
  let out = "";
  for (const ch of text) {
    const piece = escapeMrkdwn(ch);
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

/** `<#C…>` for a real channel id, otherwise "the approvers' channel". */
export function channelMention(channelId: string | null | undefined): string | null {
  if (!channelId || !/^[CG][A-Z0-9]{2,}$/.test(channelId)) return null;
  return `<#${channelId}>`;
}

/** A plain_text object (no escaping needed), cut to `max`; never empty (Slack rejects empty text). */
export function plain(text: string, max = 3000): PlainTextElement {
  return { type: "plain_text", text: truncate(text, max) || " ", emoji: true };
}

/**
 * A mrkdwn object cut to 3000 characters; the caller escapes what came from users. `verbatim`
 * keeps Slack from turning bare names and URLs into links; our own `<@U…>` still work.
 */
export function md(text: string, max = 3000): MrkdwnElement {
  return { type: "mrkdwn", text: truncate(text, max) || " ", verbatim: true };
}

/**
 * A template with two values that must together fit in `max`: the longer value gives way first,
 * the template itself is never cut (unless it alone is longer than `max`).
 */
export function squeeze(
  template: (a: string, b: string) => string,
  a: string,
  b: string,
  max: number,
): string {
  const full = template(a, b);
  if (full.length <= max) return full;
  const budget = max - template("", "").length;
  if (budget < 2) return truncate(full, max);
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  const shortRoom = Math.min(short.length, Math.floor(budget / 2));
  const longRoom = budget - shortRoom;
  const s = truncate(short, shortRoom);
  const l = truncate(long, longRoom);
  return truncate(a.length <= b.length ? template(s, l) : template(l, s), max);
}

/** A Date, or an ISO string from JSON (request details), or null. */
export function toDate(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === "string" || typeof value === "number") {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
