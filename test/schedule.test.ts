/**
 * Scheduled work, exactly once: the daily digest claimed through Postgres (two copies racing on
 * the real server queue one), taken over after a crash, written to the outbox with the day's
 * claim and posted from there (summary first, the rest in its thread); and housekeeping (expiry,
 * purge, one reminder), whose notices go through the outbox too.
 */
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { auditEvents, jobRuns, outbox, restoreRequests } from "../src/db/schema.ts";
import { type DigestSendDeps, queueDigest } from "../src/digest/send.ts";
import { digestSettingsFrom } from "../src/digest/settings.ts";
import { silentLog } from "../src/log.ts";
import { isRefusal } from "../src/restore/outcome.ts";
import { DAY_MS, HOUR_MS } from "../src/restore/window.ts";
import { claimRun, digestJob, finishRun } from "../src/schedule/runs.ts";
import { digestLook, housekeepingLook, type SchedulerDeps } from "../src/schedule/scheduler.ts";
import { CHANNEL, deliverAll, fakeSlack, fetchOf, slackSender } from "./support/outbox.ts";
import { ADMIN, useWorld } from "./support/world.ts";

const world = useWorld();
const settings = digestSettingsFrom({ DIGEST_TIME: "09:00", DIGEST_TIMEZONE: "UTC" });

function deps(owner: string, extra: Partial<DigestSendDeps> = {}): DigestSendDeps {
  return { db: world.database.db, clock: world.clock, log: silentLog, settings, owner, ...extra };
}

/** `n` deleted accounts whose windows end within the next days (30-day window). */
async function expiringSoon(n: number) {
  for (let i = 0; i < n; i++) {
    await world.deleted({
      userName: `leaving${i}@example.com`,
      displayName: `Leaving ${i}`,
      daysAgo: 24 + (i % 6),
    });
  }
}

const today = () => world.clock.now().toISOString().slice(0, 10);
const sender = () =>
  slackSender({ db: world.database.db, clock: world.clock, service: world.service }, "copy-1", {
    fetch: fetchOf(slack),
    timeoutMs: 1000,
  });
const rows = () => world.database.db.select().from(outbox).orderBy(outbox.id);

let slack: ReturnType<typeof fakeSlack> | null = null;
afterEach(() => {
  slack?.done();
  slack = null;
});

describe("the daily digest", () => {
  it("is queued once when two copies race for it", async () => {
    await expiringSoon(30);
    const outcomes = await Promise.all([
      queueDigest(deps("copy-1"), CHANNEL, today()),
      queueDigest(deps("copy-2"), CHANNEL, today()),
    ]);
    expect(outcomes.sort()).toEqual(["claimed elsewhere", "queued"]);
    const queued = await rows();
    expect(queued.length).toBeGreaterThan(1);
    expect(queued.map((r) => r.notice.part)).toEqual(queued.map((_, i) => i));
    expect(await queueDigest(deps("copy-3"), CHANNEL, today())).toBe("claimed elsewhere");
    expect(await rows()).toHaveLength(queued.length);
    const audit = await world.database.db.select().from(auditEvents).where(eq(auditEvents.action, "digest"));
    expect(audit).toHaveLength(1);
  });

  it("is posted from the outbox: the summary, then every other part once in its thread", async () => {
    await expiringSoon(40);
    slack = fakeSlack({ timeoutMs: 1000 });
    expect(await queueDigest(deps("copy-1"), CHANNEL, today())).toBe("queued");
    await deliverAll(world.database.db, world.clock, [sender()]);
    const posts = slack.calls.filter((c) => c.answered);
    expect(posts.length).toBe((await rows()).length);
    expect(posts[0]?.message).toMatch(/^post CADMINS01 - /);
    expect(posts.slice(1).every((p) => p.message.startsWith("post CADMINS01 1700000000.1 "))).toBe(true);
    expect(Object.values(slack.deliveries()).every((n) => n === 1)).toBe(true);
  });

  it("is taken over from a copy that died before queueing it, once its lease lapsed", async () => {
    await expiringSoon(10);
    // A copy claimed the day and died while building it.
    const dead = await claimRun(
      world.database.db,
      digestJob(CHANNEL),
      today(),
      "copy-1",
      world.clock.now(),
      60_000,
    );
    expect(dead).not.toBeNull();
    expect(await queueDigest(deps("copy-2"), CHANNEL, today())).toBe("claimed elsewhere");
    world.clock.advance(2 * 60_000);
    expect(await queueDigest(deps("copy-2"), CHANNEL, today())).toBe("queued");
    const queued = await rows();
    expect(queued.length).toBeGreaterThan(0);
    // Were the first copy only slow, it could not finish the day any more: fenced on its claim.
    if (dead) expect(await finishRun(world.database.db, dead, world.clock.now())).toBe(false);
    const [run] = await world.database.db.select().from(jobRuns);
    expect(run?.status).toBe("done");
    expect(run?.leaseOwner).toBeNull();
  });

  it("queues nothing on an empty day when so configured, and one line otherwise", async () => {
    expect(await queueDigest(deps("copy-1"), CHANNEL, today())).toBe("nothing to send");
    expect(await rows()).toEqual([]);
    const lineSettings = digestSettingsFrom({ DIGEST_EMPTY_DAY: "line" });
    await queueDigest(deps("copy-1", { settings: lineSettings }), "COTHER01", today());
    expect(await rows()).toHaveLength(1);
  });
});

describe("the scheduler", () => {
  const scheduler = (): SchedulerDeps => ({
    clock: world.clock,
    log: silentLog,
    digest: { ...deps("copy-1"), channel: CHANNEL },
    housekeeping: {
      db: world.database.db,
      clock: world.clock,
      service: world.service,
      owner: "copy-1",
      reminderHours: 4,
    },
  });

  it("queues the digest once its time has come, also after being down at that time, once", async () => {
    await expiringSoon(5);
    // NOW is 12:00 UTC; the digest time is 09:00, so it is due (the app was down at 09:00).
    expect(await digestLook(scheduler())).toBe(true);
    const queued = (await rows()).length;
    expect(queued).toBeGreaterThan(0);
    world.clock.advance(HOUR_MS);
    expect(await digestLook(scheduler())).toBe(false);
    // The next day, before 09:00: nothing yet; after: the next digest.
    world.clock.advance(DAY_MS - 5 * HOUR_MS);
    expect(await digestLook(scheduler())).toBe(false);
    world.clock.advance(3 * HOUR_MS);
    expect(await digestLook(scheduler())).toBe(true);
    expect((await rows()).length).toBeGreaterThan(queued);
  });

  it("housekeeping expires overdue requests, purges expired accounts, and reminds once, owing the notices", async () => {
    const deleted = await world.deleted({ userName: "nora@example.com" });
    await world.active({ userName: "nora@example.com" });
    const requested = await world.service.requestReplace(ADMIN, deleted.id, "Nora is back");
    if (isRefusal(requested)) throw new Error(requested.message);
    const old = await world.deleted({ userName: "old@example.com", daysAgo: 31 });
    const kinds = async () => (await rows()).map((r) => r.kind);

    await housekeepingLook(scheduler());
    const [purged] = await world.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "purge"));
    expect(purged?.accountIds).toEqual([old.id]);
    expect(await kinds()).toEqual(["approval_asked"]);

    world.clock.advance(5 * HOUR_MS);
    await housekeepingLook(scheduler());
    expect(await kinds()).toEqual(["approval_asked", "approval_reminder"]);
    world.clock.advance(HOUR_MS);
    await housekeepingLook(scheduler());
    expect(await kinds()).toEqual(["approval_asked", "approval_reminder"]);

    world.clock.advance(20 * HOUR_MS);
    await housekeepingLook(scheduler());
    expect(await kinds()).toEqual([
      "approval_asked",
      "approval_reminder",
      "approval_changed",
      "requester_notice",
    ]);
    const [row] = await world.database.db.select().from(restoreRequests);
    expect(row?.status).toBe("expired");
  });
});

describe("what housekeeping says in Slack", () => {
  it("asks, reminds in the ask's thread, updates an expired request in place and tells the requester", async () => {
    const deleted = await world.deleted({ userName: "pia@example.com", displayName: "Pia Old" });
    await world.active({ userName: "pia@example.com", displayName: "Pia New" });
    const requested = await world.service.requestReplace(ADMIN, deleted.id, "Pia is back");
    if (isRefusal(requested)) throw new Error(requested.message);
    slack = fakeSlack({ timeoutMs: 1000 });
    const send = sender();
    await deliverAll(world.database.db, world.clock, [send]);
    const [ask] = slack.calls;
    expect(ask?.message).toMatch(/^post CADMINS01 - Approval needed/);
    const [stored] = await world.database.db.select().from(restoreRequests);
    expect(stored?.approvalMessage).toEqual({ channel: CHANNEL, ts: "1700000000.1" });

    world.clock.advance(5 * HOUR_MS);
    expect(await world.service.remindersDue(4)).toHaveLength(1);
    await deliverAll(world.database.db, world.clock, [send]);
    world.clock.advance(20 * HOUR_MS);
    expect(await world.service.expirePending()).toHaveLength(1);
    await deliverAll(world.database.db, world.clock, [send]);
    const messages = slack.calls.map((c) => c.message);
    expect(messages[1]).toMatch(/^post CADMINS01 1700000000\.1 ⏰ Still waiting/);
    expect(messages[2]).toBe("update 1700000000.1");
    expect(messages[3]).toMatch(new RegExp(`^post ${ADMIN} - ⌛ Your request`));
    expect(messages).toHaveLength(4);
  });
});
