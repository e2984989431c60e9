import { describe, expect, it } from "vitest";
import {
  addDays,
  digestCalendar,
  endOfLocalDay,
  isLocalDate,
  lastDueBefore,
  localDateOf,
  spanIndexOf,
  startOfLocalDay,
  weekdayOf,
  ZonedFormatter,
  zonedTime,
} from "../../src/digest/calendar.ts";

const HOUR = 3_600_000;
const iso = (d: Date) => d.toISOString();
const hoursOf = (date: string, tz: string) =>
  (endOfLocalDay(date, tz).getTime() - startOfLocalDay(date, tz).getTime()) / HOUR;
const kindsOf = (date: string, tz = "UTC", windowDays = 7) =>
  digestCalendar(date, tz, windowDays).spans.map((s) => `${s.kind}:${s.from}..${s.through}`);

describe("local days across daylight saving changes", () => {
  it("Europe/Amsterdam: the spring day has 23 hours, the autumn day 25", () => {
    expect(iso(startOfLocalDay("2026-03-29", "Europe/Amsterdam"))).toBe("2026-03-28T23:00:00.000Z");
    expect(iso(endOfLocalDay("2026-03-29", "Europe/Amsterdam"))).toBe("2026-03-29T22:00:00.000Z");
    expect(hoursOf("2026-03-29", "Europe/Amsterdam")).toBe(23);
    expect(iso(startOfLocalDay("2026-10-25", "Europe/Amsterdam"))).toBe("2026-10-24T22:00:00.000Z");
    expect(iso(endOfLocalDay("2026-10-25", "Europe/Amsterdam"))).toBe("2026-10-25T23:00:00.000Z");
    expect(hoursOf("2026-10-25", "Europe/Amsterdam")).toBe(25);
    expect(hoursOf("2026-10-26", "Europe/Amsterdam")).toBe(24);
  });

  it("America/New_York: 2026-03-08 has 23 hours, 2026-11-01 has 25", () => {
    expect(iso(startOfLocalDay("2026-03-08", "America/New_York"))).toBe("2026-03-08T05:00:00.000Z");
    expect(hoursOf("2026-03-08", "America/New_York")).toBe(23);
    expect(iso(startOfLocalDay("2026-11-01", "America/New_York"))).toBe("2026-11-01T04:00:00.000Z");
    expect(hoursOf("2026-11-01", "America/New_York")).toBe(25);
    expect(iso(startOfLocalDay("2026-11-02", "America/New_York"))).toBe("2026-11-02T05:00:00.000Z");
  });

  it("a day whose midnight is skipped starts when the clocks jump (America/Santiago)", () => {
    // Chile springs forward at midnight: 2026-09-06 00:00 never happens, the day starts at 01:00 -03.
    expect(iso(startOfLocalDay("2026-09-06", "America/Santiago"))).toBe("2026-09-06T04:00:00.000Z");
    expect(hoursOf("2026-09-06", "America/Santiago")).toBe(23);
    expect(hoursOf("2026-04-04", "America/Santiago")).toBe(25);
  });

  it("puts expiries on the right side of the 25-hour day's repeated hour", () => {
    // Amsterdam, Sunday 2026-10-25: 02:00–03:00 happens twice; both are still Sunday.
    const cal = digestCalendar("2026-10-24", "Europe/Amsterdam", 3);
    expect(kindsOf("2026-10-24", "Europe/Amsterdam", 3)).toEqual([
      "today:2026-10-24..2026-10-24",
      "tomorrow:2026-10-25..2026-10-25",
      "days:2026-10-26..2026-10-26",
      "days:2026-10-27..2026-10-27",
    ]);
    const at = (s: string) => spanIndexOf(cal, new Date(s));
    expect(at("2026-10-24T21:59:59Z")).toBe(0); // Saturday 23:59:59 CEST
    expect(at("2026-10-24T22:00:00Z")).toBe(1); // Sunday 00:00 CEST
    expect(at("2026-10-25T00:30:00Z")).toBe(1); // 02:30 CEST
    expect(at("2026-10-25T01:30:00Z")).toBe(1); // 02:30 CET, the second time
    expect(at("2026-10-25T22:59:59Z")).toBe(1); // Sunday 23:59:59 CET: 25 hours after it began
    expect(at("2026-10-25T23:00:00Z")).toBe(2); // Monday
  });

  it("the 23-hour spring day in New York ends an hour early in UTC", () => {
    const cal = digestCalendar("2026-03-07", "America/New_York", 2);
    const at = (s: string) => spanIndexOf(cal, new Date(s));
    expect(at("2026-03-08T05:00:00Z")).toBe(1); // Sunday 00:00 EST
    expect(at("2026-03-09T03:59:59Z")).toBe(1); // Sunday 23:59:59 EDT
    expect(at("2026-03-09T04:00:00Z")).toBe(2); // Monday 00:00 EDT (not 05:00Z)
    expect(at("2026-03-10T04:00:00Z")).toBe(-1); // after the window
    expect(at("2026-03-07T04:59:59Z")).toBe(-1); // before the day
  });

  it("shows deadlines in local time with the zone's abbreviation or offset", () => {
    const ams = new ZonedFormatter("Europe/Amsterdam");
    expect(ams.deadline(new Date("2026-10-25T00:30:00Z"))).toBe("Sun 25 Oct, 02:30 CEST");
    expect(ams.deadline(new Date("2026-10-25T01:30:00Z"))).toBe("Sun 25 Oct, 02:30 CET");
    expect(ams.deadline(new Date("2026-03-29T01:00:00Z"))).toBe("Sun 29 Mar, 03:00 CEST");
    expect(new ZonedFormatter("America/New_York").deadline(new Date("2026-11-01T06:15:00Z"))).toBe(
      "Sun 1 Nov, 01:15 EST",
    );
    expect(new ZonedFormatter("Asia/Kolkata").deadline(new Date("2026-11-27T12:00:00Z"))).toBe(
      "Fri 27 Nov, 17:30 GMT+5:30",
    );
    // A change in the middle of a UTC hour (Lord Howe moves by 30 minutes at 15:30 UTC).
    const lh = new ZonedFormatter("Australia/Lord_Howe");
    expect(lh.deadline(new Date("2026-10-03T15:29:00Z"))).toBe("Sun 4 Oct, 01:59 GMT+10:30");
    expect(lh.deadline(new Date("2026-10-03T15:30:00Z"))).toBe("Sun 4 Oct, 02:30 GMT+11");
  });

  it("finds the digest's time on a day, after a skipped hour and before a repeated one", () => {
    expect(iso(zonedTime("2026-03-29", "09:00", "Europe/Amsterdam"))).toBe("2026-03-29T07:00:00.000Z");
    expect(iso(zonedTime("2026-03-28", "09:00", "Europe/Amsterdam"))).toBe("2026-03-28T08:00:00.000Z");
    expect(iso(zonedTime("2026-03-29", "02:30", "Europe/Amsterdam"))).toBe("2026-03-29T01:00:00.000Z");
    expect(iso(zonedTime("2026-10-25", "02:30", "Europe/Amsterdam"))).toBe("2026-10-25T00:30:00.000Z");
    expect(iso(zonedTime("2026-11-01", "09:00", "America/New_York"))).toBe("2026-11-01T14:00:00.000Z");
  });

  it("knows the digest due before a moment", () => {
    const tz = "Europe/Amsterdam";
    expect(iso(lastDueBefore(new Date("2026-03-29T10:00:00Z"), "09:00", tz))).toBe(
      "2026-03-29T07:00:00.000Z",
    );
    expect(iso(lastDueBefore(new Date("2026-03-29T06:00:00Z"), "09:00", tz))).toBe(
      "2026-03-28T08:00:00.000Z",
    );
    expect(iso(lastDueBefore(new Date("2026-03-29T07:00:00Z"), "09:00", tz))).toBe(
      "2026-03-28T08:00:00.000Z",
    );
  });

  it("reads the local date of an instant", () => {
    expect(localDateOf(new Date("2026-11-27T23:30:00Z"), "Europe/Amsterdam")).toBe("2026-11-28");
    expect(localDateOf(new Date("2026-11-27T23:30:00Z"), "America/New_York")).toBe("2026-11-27");
  });
});

describe("the Friday rule", () => {
  it("on Friday 2026-11-27, tomorrow is the weekend (Saturday and Sunday); Monday is in 3 days", () => {
    expect(weekdayOf("2026-11-27")).toBe(5);
    const cal = digestCalendar("2026-11-27", "Europe/Amsterdam", 7);
    expect(cal.friday).toBe(true);
    expect(cal.spans.map((s) => [s.kind, s.label, s.dates])).toEqual([
      ["today", "Expires today", "Fri 27 Nov"],
      ["weekend", "Expires this weekend", "Sat 28 – Sun 29 Nov"],
      ["days", "Expires in 3 days", "Mon 30 Nov"],
      ["days", "Expires in 4 days", "Tue 1 Dec"],
      ["days", "Expires in 5 days", "Wed 2 Dec"],
      ["days", "Expires in 6 days", "Thu 3 Dec"],
      ["days", "Expires in 7 days", "Fri 4 Dec"],
    ]);
    const weekend = cal.spans[1];
    expect(iso(weekend?.startsAt as Date)).toBe("2026-11-27T23:00:00.000Z");
    expect(iso(weekend?.endsAt as Date)).toBe("2026-11-29T23:00:00.000Z");
    expect(spanIndexOf(cal, new Date("2026-11-29T22:59:00Z"))).toBe(1); // Sunday 23:59
    expect(spanIndexOf(cal, new Date("2026-11-29T23:00:00Z"))).toBe(2); // Monday 00:00
  });

  it("keeps the whole weekend even with a one-day window", () => {
    expect(kindsOf("2026-11-27", "UTC", 1)).toEqual([
      "today:2026-11-27..2026-11-27",
      "weekend:2026-11-28..2026-11-29",
    ]);
  });

  it("other days have an ordinary tomorrow, Saturday and Sunday included", () => {
    expect(kindsOf("2026-11-26").slice(0, 2)).toEqual([
      "today:2026-11-26..2026-11-26",
      "tomorrow:2026-11-27..2026-11-27",
    ]);
    expect(kindsOf("2026-11-28").slice(0, 3)).toEqual([
      "today:2026-11-28..2026-11-28",
      "tomorrow:2026-11-29..2026-11-29",
      "days:2026-11-30..2026-11-30",
    ]);
  });
});

describe("month and year ends", () => {
  it("counts calendar days over Jan 31 → Feb 1, Feb 28 → Mar 1 (2026 is not a leap year), Dec 31 → Jan 1", () => {
    expect(addDays("2026-01-31", 1)).toBe("2026-02-01");
    expect(addDays("2026-02-28", 1)).toBe("2026-03-01");
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(isLocalDate("2026-02-29")).toBe(false);
    expect(isLocalDate("2028-02-29")).toBe(true);
    expect(isLocalDate("2026-13-01")).toBe(false);
  });

  it("Saturday 2026-01-31: tomorrow is Sunday 1 February", () => {
    const cal = digestCalendar("2026-01-31", "America/New_York", 2);
    expect(cal.spans.map((s) => [s.kind, s.dates])).toEqual([
      ["today", "Sat 31 Jan"],
      ["tomorrow", "Sun 1 Feb"],
      ["days", "Mon 2 Feb"],
    ]);
    expect(iso(cal.spans[1]?.startsAt as Date)).toBe("2026-02-01T05:00:00.000Z");
  });

  it("Friday 2026-01-30: the weekend spans the month end", () => {
    expect(digestCalendar("2026-01-30", "UTC", 3).spans.map((s) => s.dates)).toEqual([
      "Fri 30 Jan",
      "Sat 31 Jan – Sun 1 Feb",
      "Mon 2 Feb",
    ]);
  });

  it("Saturday 2026-02-28: tomorrow is Sunday 1 March, and the week runs into March", () => {
    const cal = digestCalendar("2026-02-28", "Europe/Amsterdam", 7);
    expect(cal.spans.map((s) => s.from)).toEqual([
      "2026-02-28",
      "2026-03-01",
      "2026-03-02",
      "2026-03-03",
      "2026-03-04",
      "2026-03-05",
      "2026-03-06",
      "2026-03-07",
    ]);
    expect(cal.spans[1]?.label).toBe("Expires tomorrow");
    expect(cal.spans[7]?.label).toBe("Expires in 7 days");
  });

  it("Friday 2027-12-31: the weekend is in the new year", () => {
    expect(kindsOf("2027-12-31", "UTC", 3)).toEqual([
      "today:2027-12-31..2027-12-31",
      "weekend:2028-01-01..2028-01-02",
      "days:2028-01-03..2028-01-03",
    ]);
  });
});
