import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts } from "../../src/db/schema.ts";
import { buildDigest, DIGEST_PAGE, type Digest } from "../../src/digest/build.ts";
import { zonedTime } from "../../src/digest/calendar.ts";
import { isRefusal } from "../../src/restore/outcome.ts";
import { DAY_MS, HOUR_MS } from "../../src/restore/window.ts";
import { ADMIN, anAccount, NOW, useWorld } from "../support/world.ts";

const world = useWorld();
const AMS = "Europe/Amsterdam";

const names = (d: Digest) =>
  Object.fromEntries(d.groups.map((g) => [`${g.kind}:${g.from}`, g.accounts.map((a) => a.userName)]));

describe("buildDigest on the database", () => {
  it("groups a Friday's accounts: today, this weekend, then by local day; skips what is over or not deleted", async () => {
    const date = "2026-11-27"; // a Friday
    const now = zonedTime(date, "09:00", AMS); // 08:00Z
    const at = (s: string) => ({ purgeAfter: new Date(s) });
    await world.deleted({ userName: "over@example.com", ...at("2026-11-27T07:59:00Z") });
    await world.deleted({ userName: "today@example.com", ...at("2026-11-27T22:59:59Z") });
    await world.deleted({ userName: "saturday@example.com", ...at("2026-11-28T10:00:00Z") });
    await world.deleted({ userName: "sunday-late@example.com", ...at("2026-11-29T22:59:59Z") });
    await world.deleted({ userName: "monday@example.com", ...at("2026-11-29T23:00:00Z") });
    await world.deleted({ userName: "next-friday@example.com", ...at("2026-12-04T22:59:00Z") });
    await world.deleted({ userName: "too-late@example.com", ...at("2026-12-04T23:00:00Z") });
    await world.deleted({
      userName: "deleting@example.com",
      status: "deleting",
      deletionCompletesAt: new Date("2026-11-28T12:00:00Z"),
      ...at("2026-11-30T12:00:00Z"),
    });
    await world.deleted({
      userName: "recreated@example.com",
      recreatedAs: randomUUID(),
      ...at("2026-11-28T10:00:00Z"),
    });
    await world.deleted({ userName: "purged@example.com", status: "purged", ...at("2026-11-28T10:00:00Z") });
    await world.active({ userName: "active@example.com" });

    const digest = await buildDigest(world.database.db, {
      date,
      timeZone: AMS,
      windowDays: 7,
      now,
      since: null,
    });
    expect(names(digest)).toEqual({
      "today:2026-11-27": ["today@example.com"],
      "weekend:2026-11-28": ["saturday@example.com", "sunday-late@example.com"],
      "days:2026-11-30": ["monday@example.com", "deleting@example.com"],
      "days:2026-12-04": ["next-friday@example.com"],
    });
    expect(digest).toMatchObject({
      date,
      title: "Fri 27 Nov 2026",
      friday: true,
      accountCount: 6,
      from: "2026-11-27T08:00:00.000Z",
      until: "2026-12-04T23:00:00.000Z",
      directories: { builtin: expect.any(String) },
      empty: false,
    });
    const weekend = digest.groups[1];
    expect(weekend).toMatchObject({
      label: "Expires this weekend",
      dates: "Sat 28 – Sun 29 Nov",
      firstDay: 1,
      lastDay: 2,
    });
    expect(weekend?.accounts[1]).toMatchObject({
      expiresAt: "2026-11-29T22:59:59.000Z",
      deadline: "Sun 29 Nov, 23:59 CET",
      restorableFrom: null,
    });
    const deleting = digest.groups[2]?.accounts.find((a) => a.userName === "deleting@example.com");
    expect(deleting?.restorableFrom).toBe("2026-11-28T12:00:00.000Z");
    // Plain data: what --json prints is the digest itself.
    expect(JSON.parse(JSON.stringify(digest))).toEqual(digest);
  });

  it("follows the local calendar over a daylight saving change (New York, 2026-11-01 has 25 hours)", async () => {
    const tz = "America/New_York";
    const date = "2026-10-31";
    const now = zonedTime(date, "09:00", tz);
    await world.deleted({
      userName: "sunday-0130-edt@example.com",
      purgeAfter: new Date("2026-11-01T05:30:00Z"),
    });
    await world.deleted({
      userName: "sunday-0130-est@example.com",
      purgeAfter: new Date("2026-11-01T06:30:00Z"),
    });
    await world.deleted({
      userName: "sunday-2330-est@example.com",
      purgeAfter: new Date("2026-11-02T04:30:00Z"),
    });
    await world.deleted({
      userName: "monday-0030@example.com",
      purgeAfter: new Date("2026-11-02T05:30:00Z"),
    });
    const digest = await buildDigest(world.database.db, {
      date,
      timeZone: tz,
      windowDays: 2,
      now,
      since: null,
    });
    expect(names(digest)).toEqual({
      "tomorrow:2026-11-01": [
        "sunday-0130-edt@example.com",
        "sunday-0130-est@example.com",
        "sunday-2330-est@example.com",
      ],
      "days:2026-11-02": ["monday-0030@example.com"],
    });
    expect(digest.groups[0]?.accounts.map((a) => a.deadline)).toEqual([
      "Sun 1 Nov, 01:30 EDT",
      "Sun 1 Nov, 01:30 EST",
      "Sun 1 Nov, 23:30 EST",
    ]);
  });

  it("counts days over a month end (Saturday 2026-02-28: tomorrow is 1 March)", async () => {
    const date = "2026-02-28";
    await world.deleted({ userName: "march-1@example.com", purgeAfter: new Date("2026-03-01T12:00:00Z") });
    await world.deleted({ userName: "march-7@example.com", purgeAfter: new Date("2026-03-07T23:00:00Z") });
    const digest = await buildDigest(world.database.db, {
      date,
      timeZone: "UTC",
      windowDays: 7,
      now: new Date("2026-02-28T09:00:00Z"),
      since: null,
    });
    expect(digest.groups.map((g) => [g.label, g.dates, g.accounts.length])).toEqual([
      ["Expires tomorrow", "Sun 1 Mar", 1],
      ["Expires in 7 days", "Sat 7 Mar", 1],
    ]);
  });

  it("pages through thousands of accounts sharing a deadline to the microsecond, none twice, none lost", async () => {
    const db = world.database.db;
    const total = DIGEST_PAGE * 2 + 345;
    for (let start = 0; start < total; start += 500) {
      const rows = Array.from({ length: Math.min(500, total - start) }, () =>
        anAccount({ status: "deleted", deletedAt: NOW, purgeAfter: new Date("2026-11-23T10:00:00Z") }),
      );
      await db.insert(accounts).values(rows);
    }
    // Within one millisecond, by microseconds: a JS Date cursor would read some of these twice.
    await db
      .update(accounts)
      .set({
        purgeAfter: sql`${accounts.purgeAfter} + (abs(hashtext(${accounts.id}::text)) % 1000) * interval '1 microsecond'`,
      })
      .where(sql`(abs(hashtext(${accounts.id}::text)) % 3) = 0`);
    const digest = await buildDigest(db, {
      date: "2026-11-22",
      timeZone: "UTC",
      windowDays: 7,
      now: NOW,
      since: null,
    });
    const ids = digest.groups.flatMap((g) => g.accounts.map((a) => a.id));
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    expect(digest.groups.map((g) => g.kind)).toEqual(["tomorrow"]);
  });

  it("lists approvals still waiting, soonest to expire first, not those past their expiry", async () => {
    const tz = "UTC";
    const request = async (userName: string, ttlHours: number) => {
      await world.active({ userName, displayName: `Active ${userName}` });
      await world.deleted({ userName, displayName: `Deleted <!channel> ${userName}` });
      const r = await world
        .serviceWith({ approvalTtlHours: ttlHours })
        .requestReplace(ADMIN, userName, "Rehired");
      if (isRefusal(r)) throw new Error(r.message);
      return r.request;
    };
    const late = await request("late@example.com", 48);
    const soon = await request("soon@example.com", 24);
    await request("gone@example.com", 1);
    const now = new Date(NOW.getTime() + 2 * HOUR_MS);
    const digest = await buildDigest(world.database.db, {
      date: "2026-11-22",
      timeZone: tz,
      windowDays: 7,
      now,
      since: null,
    });
    expect(digest.pending.total).toBe(2);
    expect(digest.pending.items.map((p) => p.id)).toEqual([soon.id, late.id]);
    expect(digest.pending.items[0]).toEqual({
      id: soon.id,
      requestedBy: ADMIN,
      restore: { displayName: "Deleted <!channel> soon@example.com", userName: "soon@example.com" },
      replace: { displayName: "Active soon@example.com", userName: "soon@example.com" },
      expiresAt: new Date(NOW.getTime() + 24 * HOUR_MS).toISOString(),
      expires: "Mon 23 Nov, 12:00 UTC",
    });
    expect(digest.empty).toBe(false);
  });

  it("counts the accounts purged since the last digest", async () => {
    const lost = async (n: number) => {
      for (let i = 0; i < n; i++)
        await world.deleted({ purgeAfter: new Date(world.clock.now().getTime() - HOUR_MS) });
    };
    const first = new Date(NOW.getTime() - 2 * DAY_MS);
    const second = new Date(NOW.getTime() - DAY_MS);
    world.clock.set(first);
    await lost(2);
    expect(isRefusal(await world.service.purge(ADMIN))).toBe(false);
    world.clock.set(second);
    await lost(3);
    expect(isRefusal(await world.service.purge(ADMIN))).toBe(false);

    const digest = (since: Date | null) =>
      buildDigest(world.database.db, { date: "2026-11-22", timeZone: "UTC", windowDays: 7, now: NOW, since });
    const sinceYesterday = await digest(new Date(second.getTime() - HOUR_MS));
    expect(sinceYesterday.purged).toEqual({
      count: 3,
      since: new Date(second.getTime() - HOUR_MS).toISOString(),
      sinceLabel: "Sat 21 Nov, 11:00 UTC",
    });
    expect((await digest(new Date(first.getTime() - HOUR_MS))).purged.count).toBe(5);
    expect((await digest(null)).purged).toEqual({ count: 5, since: null, sinceLabel: null });
    // Purges at the digest's own moment belong to the next one.
    expect((await digest(second)).purged.count).toBe(3);
    expect(
      (
        await buildDigest(world.database.db, {
          date: "2026-11-21",
          timeZone: "UTC",
          windowDays: 7,
          now: second,
          since: first,
        })
      ).purged.count,
    ).toBe(2);
    expect(sinceYesterday.empty).toBe(false);
  });

  it("is empty when nothing expires, nothing waits and nothing was purged", async () => {
    await world.deleted({ purgeAfter: new Date(NOW.getTime() + 20 * DAY_MS) });
    const digest = await buildDigest(world.database.db, {
      date: "2026-11-22",
      timeZone: "UTC",
      windowDays: 7,
      now: NOW,
      since: new Date(NOW.getTime() - DAY_MS),
    });
    expect(digest).toMatchObject({
      accountCount: 0,
      groups: [],
      pending: { total: 0, items: [] },
      empty: true,
    });
    expect(digest.purged.count).toBe(0);
  });
});
