import type { WebClient } from "@slack/web-api";
import { ENGLISH, pickLocale, type Translator, translator } from "../i18n/translator.ts";

/** Which language (and time zone) each reader of the app gets. */
export interface ReaderLocales {
  /** The acting user's: their Slack locale and time zone, else the default language. Never rejects. */
  forUser(userId: string): Promise<Translator>;
  /** Channel messages (approval requests, the digest), read by many. */
  forChannel(): Translator;
}

export interface LocaleSettings {
  /** DEFAULT_LOCALE: for users whose own locale has no catalog. */
  defaultLocale: string;
  /** CHANNEL_LOCALE, else DEFAULT_LOCALE. */
  channelLocale?: string | null;
}

/** The same language for everyone (no Slack lookups): the CLI, tests, an app without users:read. */
export function fixedLocales(settings: LocaleSettings = { defaultLocale: "en" }): ReaderLocales {
  const user = translator(pickLocale(settings.defaultLocale));
  const channel = translator(pickLocale(settings.channelLocale, settings.defaultLocale));
  return { forUser: async () => user, forChannel: () => channel };
}

export interface SlackLocalesOptions extends LocaleSettings {
  /** Calls users.info (needs the users:read scope). */
  client: Pick<WebClient, "users">;
  /** A user's locale is asked again after this long (they may change it in Slack). */
  ttlMs?: number;
  /** users.info slower than this: the default language for now, the answer cached when it comes. */
  waitMs?: number;
  /** Users remembered at most; the oldest are forgotten first. */
  maxUsers?: number;
  now?: () => number;
}

interface Entry {
  at: number;
  ttlMs: number;
  value: Promise<Translator>;
}

/** A failed lookup (no users:read yet, an outage) is tried again after this, not at every click. */
const FAILED_TTL_MS = 60_000;

/**
 * Each user's locale and time zone from Slack's users.info (include_locale), cached: a click
 * must not wait for Slack twice. A failed or slow lookup gives the default language, never an
 * error: the reply matters more than its language.
 */
export function slackLocales(options: SlackLocalesOptions): ReaderLocales {
  const fixed = fixedLocales(options);
  const ttlMs = options.ttlMs ?? 60 * 60_000;
  const waitMs = options.waitMs ?? 800;
  const maxUsers = options.maxUsers ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, Entry>();
  const fallback = translator(pickLocale(options.defaultLocale));

  async function lookUp(userId: string, entry: Entry): Promise<Translator> {
    try {
      const answer = await options.client.users.info({ user: userId, include_locale: true });
      const user = answer.user;
      return translator(pickLocale(user?.locale, options.defaultLocale), user?.tz);
    } catch {
      entry.ttlMs = Math.min(ttlMs, FAILED_TTL_MS);
      return fallback;
    }
  }

  return {
    async forUser(userId) {
      let entry = cache.get(userId);
      if (!entry || now() - entry.at > entry.ttlMs) {
        const fresh: Entry = { at: now(), ttlMs, value: Promise.resolve(fallback) };
        fresh.value = lookUp(userId, fresh);
        entry = fresh;
        cache.delete(userId);
        cache.set(userId, entry);
        if (cache.size > maxUsers) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<Translator>((resolve) => {
        timer = setTimeout(() => resolve(fallback), waitMs);
      });
      try {
        return await Promise.race([entry.value, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    forChannel: fixed.forChannel,
  };
}

/** The translator for `userId` from the app's locales, English when the app was given none. */
export function readerOf(locales: ReaderLocales | undefined, userId: string): Promise<Translator> {
  return locales ? locales.forUser(userId) : Promise.resolve(ENGLISH);
}
