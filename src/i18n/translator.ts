import { IntlMessageFormat } from "intl-messageformat";
import { type Catalog, catalogs, type MessageKey, SOURCE_LANGUAGE } from "./catalog.ts";
import { dateStyleOf } from "./dates.ts";

export type MessageValues = Readonly<Record<string, string | number>>;

/** Everything a builder needs to speak one reader's language: pure, cheap, made once per locale and zone. */
export interface Translator {
  /** The BCP 47 tag dates and numbers follow ("nl-NL", "en-US", "en"). */
  readonly locale: string;
  /** The catalog's language ("nl"). */
  readonly language: string;
  /** The reader's IANA time zone (UTC when unknown). */
  readonly timeZone: string;
  /** The message `key` with `values` filled in. Values bound for mrkdwn must already be escaped. */
  t(key: MessageKey, values?: MessageValues): string;
  /** A calendar day in the reader's zone. */
  day(at: Date): string;
  /** A moment to the minute in the reader's zone, with the zone named. */
  time(at: Date): string;
}

/**
 * A locale as Slack ("nl-NL"), a flag ("nl") or the environment ("nl_NL.UTF-8") spell it, as a
 * BCP 47 tag; null for nothing usable ("", "C", "POSIX", garbage).
 */
export function normalizeLocale(raw: string | null | undefined): string | null {
  const trimmed = raw?.trim().split(".")[0]?.split("@")[0]?.replace(/_/g, "-");
  if (!trimmed || trimmed === "C" || trimmed === "POSIX") return null;
  try {
    return Intl.getCanonicalLocales(trimmed)[0] ?? null;
  } catch {
    return null;
  }
}

function languageOf(locale: string): string {
  return locale.split("-")[0]?.toLowerCase() ?? "";
}

/**
 * The first of `candidates` (most wanted first) there is a catalog for, as a BCP 47 tag; English
 * when none is. Never throws: an unknown or malformed locale just falls through.
 */
export function pickLocale(...candidates: (string | null | undefined)[]): string {
  for (const candidate of candidates) {
    const locale = normalizeLocale(candidate);
    if (locale && catalogs.has(languageOf(locale))) return locale;
  }
  return SOURCE_LANGUAGE;
}

function validTimeZone(zone: string | null | undefined): string {
  if (!zone) return "UTC";
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch {
    return "UTC";
  }
}

/** Compiled messages per locale: parsing ICU is the expensive part, done once per key. */
const compiled = new Map<string, Map<string, IntlMessageFormat | null>>();

function compile(locale: string, catalog: Catalog, key: string): IntlMessageFormat | null {
  let forLocale = compiled.get(locale);
  if (!forLocale) {
    forLocale = new Map();
    compiled.set(locale, forLocale);
  }
  let message = forLocale.get(key);
  if (message === undefined) {
    // A key a catalog lacks (the parity test stops that before merge) reads in English.
    const source = catalog[key] ?? catalogs.get(SOURCE_LANGUAGE)?.[key];
    try {
      // ignoreTag: Slack's own <@U…> and <!date…> are text to us, not ICU rich-text tags.
      message =
        source === undefined ? null : new IntlMessageFormat(source, locale, undefined, { ignoreTag: true });
    } catch {
      message = null;
    }
    forLocale.set(key, message);
  }
  return message;
}

const translators = new Map<string, Translator>();

/**
 * The translator for `locale` (any spelling; unknown means English) and `timeZone` (unknown
 * means UTC). Cached: builders may ask for it on every render.
 */
export function translator(locale?: string | null, timeZone?: string | null): Translator {
  const tag = pickLocale(locale);
  const zone = validTimeZone(timeZone);
  const cacheKey = `${tag}|${zone}`;
  const cached = translators.get(cacheKey);
  if (cached) return cached;
  const language = languageOf(tag);
  const catalog = catalogs.get(language) ?? catalogs.get(SOURCE_LANGUAGE) ?? {};
  const dates = dateStyleOf(language, tag, zone);
  const made: Translator = {
    locale: tag,
    language,
    timeZone: zone,
    t(key, values) {
      const message = compile(tag, catalog, key);
      if (!message) return key;
      try {
        return String(message.format(values));
      } catch {
        // A value left out by a caller: the message without it beats a failed reply.
        return catalog[key] ?? key;
      }
    },
    day: dates.day,
    time: dates.time,
  };
  translators.set(cacheKey, made);
  return made;
}

/** English in UTC: the default wherever no reader is known (and the output the tests pin). */
export const ENGLISH: Translator = translator(SOURCE_LANGUAGE);
