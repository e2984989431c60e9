/**
 * A message to be said in the reader's language: a catalog key and its values, kept as data until
 * a surface knows who reads it. The domain builds these (refusals, plan blockers, choice errors)
 * without knowing the reader; Slack renders them with its mrkdwn escaper, the terminal with none,
 * and `--json` and the logs keep English (`say(ENGLISH, …)`).
 */
import type { MessageKey } from "./catalog.ts";
import type { Translator } from "./translator.ts";

/** Several messages said one after the other (sentences: " "; a list: "; "). */
export interface SaidList {
  readonly list: readonly Said[];
  readonly separator?: string;
}

/**
 * A value in a message: text someone typed or a directory returned (escaped for the surface), a
 * number, a moment (in the reader's zone and style), or another message said in the same language.
 */
export type SaidValue = string | number | Date | Said | SaidList;

export interface Said {
  readonly key: MessageKey;
  readonly values?: Readonly<Record<string, SaidValue>>;
}

/** A Said, written shortly. */
export function said(key: MessageKey, values?: Readonly<Record<string, SaidValue>>): Said {
  return values ? { key, values } : { key };
}

/** Sentences said one after the other, as one value. */
export function saidList(list: readonly Said[], separator = " "): SaidList {
  return { list, separator };
}

function isSaid(value: object): value is Said {
  return "key" in value;
}

function render(t: Translator, value: SaidValue, escapeText: (s: string) => string): string | number {
  if (typeof value === "string") return escapeText(value);
  if (typeof value === "number") return value;
  if (value instanceof Date) return t.time(value);
  if (isSaid(value)) return say(t, value, escapeText);
  return sayAll(t, value.list, escapeText, value.separator);
}

const asIs = (s: string) => s;

/**
 * `message` in `t`'s language. `escapeText` is applied to the text values (what a user typed or a
 * directory returned), never to the catalog's own words: Slack passes its mrkdwn escaper.
 */
export function say(t: Translator, message: Said, escapeText: (s: string) => string = asIs): string {
  const values: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(message.values ?? {}))
    values[name] = render(t, value, escapeText);
  return t.t(message.key, values);
}

/** Several messages in `t`'s language, joined (sentences by a space). */
export function sayAll(
  t: Translator,
  messages: readonly Said[],
  escapeText: (s: string) => string = asIs,
  separator = " ",
): string {
  return messages.map((m) => say(t, m, escapeText)).join(separator);
}

/**
 * `message` in `t`'s language when the domain gave one, else `english` (a record written before
 * there were Saids, or text that is data): the one fallback every surface uses.
 */
export function sayOr(
  t: Translator,
  message: Said | null | undefined,
  english: string,
  escapeText: (s: string) => string = asIs,
): string {
  return message ? say(t, message, escapeText) : escapeText(english);
}
