export interface DateStyle {
  day(at: Date): string;
  time(at: Date): string;
}

/**
 * English keeps the unambiguous ISO forms in UTC ("2026-11-22", "2026-11-22 14:05 UTC") that its
 * admins, scripts and tests already read. Every other language gets its own Intl forms in the
 * reader's time zone ("22 nov 2026", "22 nov 2026 15:05 CET" for nl-NL in Europe/Amsterdam).
 */
export function dateStyleOf(language: string, locale: string, timeZone: string): DateStyle {
  if (language === "en") {
    return {
      day: (at) => at.toISOString().slice(0, 10),
      time: (at) => `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`,
    };
  }
  const day = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone });
  const time = new Intl.DateTimeFormat(locale, {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
    timeZoneName: "short",
  });
  return { day: remembered((at) => day.format(at)), time: remembered((at) => time.format(at)) };
}

/** Intl formatting costs microseconds a call; a list repeats the same few moments render after render. */
function remembered(format: (at: Date) => string, max = 5000): (at: Date) => string {
  const seen = new Map<number, string>();
  return (at) => {
    const key = at.getTime();
    let text = seen.get(key);
    if (text === undefined) {
      if (seen.size >= max) seen.clear();
      text = format(at);
      seen.set(key, text);
    }
    return text;
  };
}
