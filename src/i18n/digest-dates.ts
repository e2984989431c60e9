import { type LocalDate, longDayLabel, rangeLabel, ZonedFormatter } from "../digest/calendar.ts";
import type { Translator } from "./translator.ts";

/** The digest's dates in a reader's language, local to the digest's time zone. */
export interface DigestDates {
  /** The digest's own day: "Fri 27 Nov 2026", "vr 27 nov 2026". */
  longDay(date: LocalDate): string;
  /** A group's days: "Sat 28 – Sun 29 Nov", "za 28 – zo 29 nov". */
  range(from: LocalDate, through: LocalDate): string;
  /** A deadline to the minute, zone named: "Fri 27 Nov, 14:30 CET", "vr 27 nov, 14:30 CET". */
  deadline(at: Date | string): string;
}

const cache = new Map<string, DigestDates>();

/** Intl puts thin and narrow spaces around a range's dash; plain ones read (and search) the same everywhere. */
const spaced = (text: string) => text.replace(/[\u2009\u202f]/g, " ");

/**
 * English keeps the digest's compact forms its readers and tests know (calendar.ts); every other
 * language gets Intl's, in the same zone. Cached per language and zone.
 */
export function digestDates(t: Translator, timeZone: string): DigestDates {
  const key = `${t.locale}|${timeZone}`;
  const cached = cache.get(key);
  if (cached) return cached;
  let made: DigestDates;
  if (t.language === "en") {
    const zone = new ZonedFormatter(timeZone);
    made = {
      longDay: longDayLabel,
      range: rangeLabel,
      deadline: (at) => zone.deadline(new Date(at)),
    };
  } else {
    // Local dates are wall dates: formatted as the UTC midnight they are written as.
    const day = new Intl.DateTimeFormat(t.locale, {
      weekday: "short",
      day: "numeric",
      month: "short",
      timeZone: "UTC",
    });
    const longDay = new Intl.DateTimeFormat(t.locale, {
      weekday: "short",
      day: "numeric",
      month: "short",
      year: "numeric",
      timeZone: "UTC",
    });
    const deadline = new Intl.DateTimeFormat(t.locale, {
      weekday: "short",
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone,
      timeZoneName: "short",
    });
    const at = (date: LocalDate) => new Date(`${date}T00:00:00Z`);
    made = {
      longDay: (date) => longDay.format(at(date)),
      range: (from, through) =>
        from === through ? day.format(at(from)) : spaced(day.formatRange(at(from), at(through))),
      deadline: (moment) => deadline.format(new Date(moment)),
    };
  }
  cache.set(key, made);
  return made;
}
