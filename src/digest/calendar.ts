/**
 * Local days in an IANA time zone, as UTC instants, with Intl only (no dependency). A local day
 * may last 23 or 25 hours (daylight saving), or start later than midnight where the clocks jump
 * at midnight: every boundary is computed, never assumed to be 24 hours after the last. Pure.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

/** A calendar date, YYYY-MM-DD, in the digest's time zone. */
export type LocalDate = string;

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The wall-clock midnight of `date` as if it were UTC (ms); null when `date` is not a real date. */
function wallMidnight(date: LocalDate): number | null {
  const m = LOCAL_DATE.exec(date);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // 2026-02-30 rolls over to March: not a date.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms;
}

function requireDate(date: LocalDate): number {
  const ms = wallMidnight(date);
  if (ms === null) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  return ms;
}

export function isLocalDate(text: string): boolean {
  return wallMidnight(text) !== null;
}

/** `date` plus `days` calendar days (month and year ends included). */
export function addDays(date: LocalDate, days: number): LocalDate {
  return new Date(requireDate(date) + days * DAY_MS).toISOString().slice(0, 10);
}

/** 0 Sunday … 5 Friday, 6 Saturday. */
export function weekdayOf(date: LocalDate): number {
  return new Date(requireDate(date)).getUTCDay();
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC at `at` (ms; +3,600,000 for CET): local wall clock minus UTC. */
export function offsetMs(at: Date | number, timeZone: string): number {
  const t = Math.floor((typeof at === "number" ? at : at.getTime()) / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const part of partsFormatter(timeZone).formatToParts(t)) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  const wall = Date.UTC(
    p.year as number,
    (p.month as number) - 1,
    p.day as number,
    (p.hour as number) % 24,
    p.minute as number,
    p.second as number,
  );
  return wall - t;
}

/** The local wall-clock time at `at`, as if it were UTC (ms). */
function wallAt(at: number, timeZone: string): number {
  return at + offsetMs(at, timeZone);
}

/** The local date at an instant. */
export function localDateOf(at: Date | number, timeZone: string): LocalDate {
  return new Date(wallAt(typeof at === "number" ? at : at.getTime(), timeZone)).toISOString().slice(0, 10);
}

/**
 * The first instant whose local wall clock reads `wall` or later: `wall` itself when it exists,
 * the end of the gap when the clocks jumped over it, the earlier one when it happened twice.
 */
function firstInstantAtOrAfter(wall: number, timeZone: string): number {
  // Offsets a day either side bound every offset in between (zones change at most once a day).
  const candidates = [
    ...new Set([wall - offsetMs(wall - DAY_MS, timeZone), wall - offsetMs(wall + DAY_MS, timeZone)]),
  ];
  candidates.sort((a, b) => a - b);
  for (const c of candidates) if (wallAt(c, timeZone) === wall) return c;
  // Skipped: search the minute the clocks jumped, between the two candidates.
  let lo = (candidates[0] as number) - HOUR_MS;
  let hi = (candidates[candidates.length - 1] as number) + HOUR_MS;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (wallAt(mid, timeZone) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** When the local day `date` starts, as a UTC instant (usually local midnight). */
export function startOfLocalDay(date: LocalDate, timeZone: string): Date {
  return new Date(firstInstantAtOrAfter(requireDate(date), timeZone));
}

/** When the local day `date` ends (exclusive): the start of the next day. 23, 24 or 25 hours later. */
export function endOfLocalDay(date: LocalDate, timeZone: string): Date {
  return startOfLocalDay(addDays(date, 1), timeZone);
}

/**
 * The instant a local "HH:MM" on `date` happens. A time the clocks skip (02:30 on a spring-forward
 * day) happens when the clocks reach it, right after the gap; a time that happens twice (autumn),
 * the first time.
 */
export function zonedTime(date: LocalDate, time: string, timeZone: string): Date {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!m) throw new RangeError(`not a time (HH:MM): ${time}`);
  const wall = requireDate(date) + Number(m[1]) * HOUR_MS + Number(m[2]) * MINUTE_MS;
  return new Date(firstInstantAtOrAfter(wall, timeZone));
}

const zoneNames = new Map<string, string>();

/** "CET", "EDT", "UTC"; or "GMT+5:30" where the zone has no common abbreviation. Cached per offset. */
export function zoneLabel(at: number, timeZone: string, offset = offsetMs(at, timeZone)): string {
  const key = `${timeZone}|${offset}`;
  const cached = zoneNames.get(key);
  if (cached) return cached;
  const nameIn = (locale: string) =>
    new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "short" })
      .formatToParts(at)
      .find((p) => p.type === "timeZoneName")?.value ?? "";
  // en-US knows American abbreviations (EST), en-GB European ones (CET); otherwise an offset.
  const us = nameIn("en-US");
  const name = /^[A-Z]{2,5}$/.test(us) ? us : /^[A-Z]{2,5}$/.test(nameIn("en-GB")) ? nameIn("en-GB") : us;
  zoneNames.set(key, name);
  return name;
}

/** "Fri 27 Nov" */
export function dayLabel(date: LocalDate): string {
  const d = new Date(requireDate(date));
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

/** "Fri 27 Nov 2026" */
export function longDayLabel(date: LocalDate): string {
  return `${dayLabel(date)} ${date.slice(0, 4)}`;
}

/** "Sat 28 – Sun 29 Nov", "Sat 31 Jan – Sun 1 Feb", or one day's label. */
export function rangeLabel(from: LocalDate, through: LocalDate): string {
  if (from === through) return dayLabel(from);
  const a = dayLabel(from);
  const b = dayLabel(through);
  return from.slice(0, 7) === through.slice(0, 7) ? `${a.replace(/ \w+$/, "")} – ${b}` : `${a} – ${b}`;
}

/**
 * Formats instants in one zone quickly: the offset is looked up once per hour of UTC (and exactly
 * within an hour that holds a change), then the wall clock is plain arithmetic. For 20,000
 * deadlines that is a few hundred Intl calls instead of 20,000.
 */
export class ZonedFormatter {
  private readonly hours = new Map<number, number | null>();

  constructor(readonly timeZone: string) {}

  offset(at: number): number {
    const hour = Math.floor(at / HOUR_MS);
    let constant = this.hours.get(hour);
    if (constant === undefined) {
      const start = offsetMs(hour * HOUR_MS, this.timeZone);
      const end = offsetMs((hour + 1) * HOUR_MS - 1000, this.timeZone);
      constant = start === end ? start : null;
      this.hours.set(hour, constant);
    }
    return constant ?? offsetMs(at, this.timeZone);
  }

  /** "Fri 27 Nov, 14:30 CET" */
  deadline(at: Date | number): string {
    const t = typeof at === "number" ? at : at.getTime();
    const offset = this.offset(t);
    const w = new Date(t + offset);
    const hh = String(w.getUTCHours()).padStart(2, "0");
    const mm = String(w.getUTCMinutes()).padStart(2, "0");
    return `${WEEKDAYS[w.getUTCDay()]} ${w.getUTCDate()} ${MONTHS[w.getUTCMonth()]}, ${hh}:${mm} ${zoneLabel(t, this.timeZone, offset)}`;
  }

  localDate(at: Date | number): LocalDate {
    const t = typeof at === "number" ? at : at.getTime();
    return new Date(t + this.offset(t)).toISOString().slice(0, 10);
  }
}

export type GroupKind = "today" | "tomorrow" | "weekend" | "days";

/** One group of the digest: the accounts whose window ends on these local days. */
export interface DaySpan {
  kind: GroupKind;
  /** Local days after the digest's date: 0 today, 1 tomorrow, 1–2 the weekend (on a Friday), N. */
  firstDay: number;
  lastDay: number;
  /** The local dates covered, YYYY-MM-DD. */
  from: LocalDate;
  through: LocalDate;
  /** "Expires today", "Expires tomorrow", "Expires this weekend", "Expires in 3 days". */
  label: string;
  /** "Fri 27 Nov", "Sat 28 – Sun 29 Nov". */
  dates: string;
  /** UTC instants: the span holds expiries in [startsAt, endsAt). */
  startsAt: Date;
  endsAt: Date;
}

export interface DigestCalendar {
  date: LocalDate;
  timeZone: string;
  windowDays: number;
  /** The digest's date is a Friday: "tomorrow" covers Saturday and Sunday (this weekend). */
  friday: boolean;
  /** When the digest's day starts, and when its window ends (the end of its last local day). */
  dayStart: Date;
  until: Date;
  /** Contiguous and soonest first: spans[0] starts at dayStart, the last ends at `until`. */
  spans: DaySpan[];
}

const FRIDAY = 5;

/**
 * The groups of a digest for `date` in `timeZone`: today; tomorrow (on a Friday, the weekend:
 * Saturday and Sunday, so Monday's expiries are not the first news on Monday); then one group per
 * local calendar day up to `windowDays` days after `date`. Friday's weekend is kept whole even
 * when the window is shorter.
 */
export function digestCalendar(date: LocalDate, timeZone: string, windowDays: number): DigestCalendar {
  requireDate(date);
  if (!isValidTimeZone(timeZone)) throw new RangeError(`not an IANA time zone: ${timeZone}`);
  if (!Number.isInteger(windowDays) || windowDays < 0) throw new RangeError(`windowDays: ${windowDays}`);
  const friday = weekdayOf(date) === FRIDAY;
  const ranges: { kind: GroupKind; first: number; last: number }[] = [{ kind: "today", first: 0, last: 0 }];
  let day = 1;
  if (windowDays >= 1) {
    ranges.push(friday ? { kind: "weekend", first: 1, last: 2 } : { kind: "tomorrow", first: 1, last: 1 });
    day = friday ? 3 : 2;
  }
  for (; day <= windowDays; day++) ranges.push({ kind: "days", first: day, last: day });

  const starts = new Map<number, Date>();
  const startOf = (n: number) => {
    let s = starts.get(n);
    if (!s) {
      s = startOfLocalDay(addDays(date, n), timeZone);
      starts.set(n, s);
    }
    return s;
  };
  const spans = ranges.map(({ kind, first, last }): DaySpan => {
    const from = addDays(date, first);
    const through = addDays(date, last);
    return {
      kind,
      firstDay: first,
      lastDay: last,
      from,
      through,
      label: groupLabel(kind, first),
      dates: rangeLabel(from, through),
      startsAt: startOf(first),
      endsAt: startOf(last + 1),
    };
  });
  return {
    date,
    timeZone,
    windowDays,
    friday,
    dayStart: startOf(0),
    until: (spans[spans.length - 1] as DaySpan).endsAt,
    spans,
  };
}

function groupLabel(kind: GroupKind, days: number): string {
  switch (kind) {
    case "today":
      return "Expires today";
    case "tomorrow":
      return "Expires tomorrow";
    case "weekend":
      return "Expires this weekend";
    case "days":
      return `Expires in ${days} days`;
  }
}

/** The span an expiry instant falls in, or -1 outside the calendar. */
export function spanIndexOf(calendar: DigestCalendar, at: Date | number): number {
  const t = typeof at === "number" ? at : at.getTime();
  if (t < calendar.dayStart.getTime() || t >= calendar.until.getTime()) return -1;
  return calendar.spans.findIndex((s) => t < s.endsAt.getTime());
}

/**
 * The latest time a daily digest at local `time` was due strictly before `at`: today's, or
 * yesterday's when today's has not come yet. What "since the last digest" means without a record.
 */
export function lastDueBefore(at: Date, time: string, timeZone: string): Date {
  const today = localDateOf(at, timeZone);
  const due = zonedTime(today, time, timeZone);
  return due.getTime() < at.getTime() ? due : zonedTime(addDays(today, -1), time, timeZone);
}
