/**
 * Scheduled work, exactly once: the daily digest claimed through Postgres (two copies racing on
 * the real server send one), resumed after a crash without repeats, patient with Slack's 429;
 * and housekeeping (expiry, purge, one reminder).
 */
import { WebClient } from "@slack/web-api";
import { eq } from "drizzle-orm";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { auditEvents, jobRuns, restoreRequests } from "../src/db/schema.ts";
import { type DigestSendDeps, type PostMessage, sendDigest } from "../src/digest/send.ts";
import { digestSettingsFrom } from "../src/digest/settings.ts";
import type { Logger } from "../src/log.ts";
import { isRefusal } from "../src/restore/outcome.ts";
import { DAY_MS, HOUR_MS } from "../src/restore/window.ts";
import { tick } from "../src/schedule/scheduler.ts";
import { slackNotifier } from "../src/slack/notifier.ts";
import { ADMIN, useWorld } from "./support/world.ts";

const world = useWorld();
const CHANNEL = "CADMINS01";
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const settings = digestSettingsFrom({ DIGEST_TIME: "09:00", DIGEST_TIMEZONE: "UTC" });

interface Posted {
  channel: string;
  text: string;
  threadTs?: string;
  ts: string;
}

/** Records what would reach Slack; `failAfter` simulates a crash after that many messages. */
function recorder(failAfter = Number.POSITIVE_INFINITY) {
  const posted: Posted[] = [];
  const post: PostMessage = async (m) => {
    if (posted.length >= failAfter) throw new Error("the process died");
    const ts = `1700000000.${posted.length + 1}`;
    posted.push({ channel: m.channel, text: m.text, ...(m.threadTs ? { threadTs: m.threadTs } : {}), ts });
    return { ts };
  };
  return { posted, post };
}

function deps(post: PostMessage, owner: string, extra: Partial<DigestSendDeps> = {}): DigestSendDeps {
  return {
    db: world.database.db,
    clock: world.clock,
    log: quiet,
    post,
    settings,
    owner,
    paceMs: 0,
    ...extra,
  };
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

afterEach(() => {
  nock.cleanAll();
});

describe("the daily digest", () => {
  it("is sent once when two copies race for it", async () => {
    await expiringSoon(30);
    const one = recorder();
    const two = recorder();
    const outcomes = await Promise.all([
      sendDigest(deps(one.post, "copy-1"), CHANNEL, today()),
      sendDigest(deps(two.post, "copy-2"), CHANNEL, today()),
    ]);
    expect(outcomes.sort()).toEqual(["claimed elsewhere", "sent"]);
    const all = [...one.posted, ...two.posted];
    expect(all.length).toBeGreaterThan(1);
    expect(one.posted.length === 0 || two.posted.length === 0).toBe(true);
    // Replies go in the summary's thread.
    expect(all.slice(1).every((p) => p.threadTs === all[0]?.ts)).toBe(true);
    const again = await sendDigest(deps(recorder().post, "copy-3"), CHANNEL, today());
    expect(again).toBe("claimed elsewhere");
    const audit = await world.database.db.select().from(auditEvents).where(eq(auditEvents.action, "digest"));
    expect(audit).toHaveLength(1);
  });

  it("resumes after a crash with only the parts not yet sent", async () => {
    await expiringSoon(40);
    const first = recorder(1);
    await expect(
      sendDigest(deps(first.post, "copy-1", { leaseMs: 60_000 }), CHANNEL, today()),
    ).rejects.toThrow(/died/);
    expect(first.posted).toHaveLength(1);
    // The lease still holds: nobody else takes over yet.
    expect(await sendDigest(deps(recorder().post, "copy-2"), CHANNEL, today())).toBe("claimed elsewhere");

    world.clock.advance(2 * 60_000);
    const second = recorder();
    expect(await sendDigest(deps(second.post, "copy-2"), CHANNEL, today())).toBe("resumed");
    expect(second.posted.length).toBeGreaterThan(0);
    expect(second.posted.every((p) => p.threadTs === first.posted[0]?.ts)).toBe(true);
    const texts = [...first.posted, ...second.posted].map((p) => p.text);
    expect(new Set(texts).size).toBe(texts.length);
    const [run] = await world.database.db.select().from(jobRuns);
    expect(run?.status).toBe("done");
  });

  it("posts nothing on an empty day when so configured, and one line otherwise", async () => {
    const quietDay = recorder();
    expect(await sendDigest(deps(quietDay.post, "copy-1"), CHANNEL, today())).toBe("nothing to send");
    expect(quietDay.posted).toEqual([]);
    const line = recorder();
    const lineSettings = digestSettingsFrom({ DIGEST_EMPTY_DAY: "line" });
    await sendDigest(deps(line.post, "copy-1", { settings: lineSettings }), "COTHER01", today());
    expect(line.posted).toHaveLength(1);
  });

  it("waits out Slack's 429 and completes", async () => {
    await expiringSoon(3);
    nock.disableNetConnect();
    const calls: string[] = [];
    nock("http://slack.test")
      .post("/api/chat.postMessage")
      .reply(429, { ok: false, error: "ratelimited" }, { "Retry-After": "1" })
      .post("/api/chat.postMessage")
      .times(5)
      .reply(200, (_uri, body) => {
        calls.push(String(body));
        return { ok: true, channel: CHANNEL, ts: `1700000000.${calls.length}` };
      });
    const client = new WebClient("xoxb-test", {
      slackApiUrl: "http://slack.test/api/",
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });
    const notifier = slackNotifier(client, world.clock);
    const started = Date.now();
    expect(await sendDigest(deps(notifier.post, "copy-1"), CHANNEL, today())).toBe("sent");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(calls).toHaveLength(1);
    nock.enableNetConnect();
  });
});

describe("the scheduler", () => {
  it("sends the digest once its time has come, also after being down at that time, once", async () => {
    await expiringSoon(5);
    const { posted, post } = recorder();
    const notifier = { expired: async () => {}, remind: async () => {} };
    const look = () =>
      tick({
        clock: world.clock,
        log: quiet,
        digest: { ...deps(post, "copy-1"), channel: CHANNEL },
        housekeeping: {
          db: world.database.db,
          clock: world.clock,
          service: world.service,
          notifier,
          owner: "copy-1",
          reminderHours: 4,
        },
      });
    // NOW is 12:00 UTC; the digest time is 09:00, so it is due (the app was down at 09:00).
    await look();
    const sent = posted.length;
    expect(sent).toBeGreaterThan(0);
    world.clock.advance(HOUR_MS);
    await look();
    expect(posted).toHaveLength(sent);
    // The next day, before 09:00: nothing yet; after: the next digest.
    world.clock.advance(DAY_MS - 5 * HOUR_MS);
    await look();
    expect(posted).toHaveLength(sent);
    world.clock.advance(3 * HOUR_MS);
    await look();
    expect(posted.length).toBeGreaterThan(sent);
  });
});

describe("housekeeping", () => {
  it("expires overdue requests and tells, purges expired accounts, and reminds once", async () => {
    const deleted = await world.deleted({ userName: "nora@example.com" });
    await world.active({ userName: "nora@example.com" });
    const requested = await world.service.requestReplace(ADMIN, deleted.id, "Nora is back");
    if (isRefusal(requested)) throw new Error(requested.message);
    const old = await world.deleted({ userName: "old@example.com", daysAgo: 31 });

    const expired: string[] = [];
    const reminded: string[] = [];
    const notifier = {
      expired: async (r: { id: string }) => void expired.push(r.id),
      remind: async (r: { id: string }) => void reminded.push(r.id),
    };
    const housekeeping = {
      db: world.database.db,
      clock: world.clock,
      service: world.service,
      notifier,
      owner: "copy-1",
      reminderHours: 4,
    };
    const look = () => tick({ clock: world.clock, log: quiet, digest: null, housekeeping });

    await look();
    const [purged] = await world.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "purge"));
    expect(purged?.accountIds).toEqual([old.id]);
    expect(reminded).toEqual([]);

    world.clock.advance(5 * HOUR_MS);
    await look();
    expect(reminded).toEqual([requested.request.id]);
    world.clock.advance(HOUR_MS);
    await look();
    expect(reminded).toEqual([requested.request.id]);

    world.clock.advance(20 * HOUR_MS);
    await look();
    expect(expired).toEqual([requested.request.id]);
    const [row] = await world.database.db.select().from(restoreRequests);
    expect(row?.status).toBe("expired");
  });
});

describe("what housekeeping says in Slack", () => {
  it("updates an expired request's message in place and tells the requester; reminds in its thread", async () => {
    const deleted = await world.deleted({ userName: "pia@example.com", displayName: "Pia Old" });
    await world.active({ userName: "pia@example.com", displayName: "Pia New" });
    const requested = await world.service.requestReplace(ADMIN, deleted.id, "Pia is back");
    if (isRefusal(requested)) throw new Error(requested.message);
    await world.service.recordApprovalMessage(requested.request.id, { channel: CHANNEL, ts: "1700000000.9" });

    nock.disableNetConnect();
    const calls: { method: string; body: string }[] = [];
    nock("http://slack.test")
      .persist()
      .post(/\/api\/.*/)
      .reply(200, (uri, body) => {
        calls.push({ method: uri.replace("/api/", ""), body: decodeURIComponent(String(body)) });
        return { ok: true, ts: "1700000001.1", channel: CHANNEL };
      });
    const client = new WebClient("xoxb-test", {
      slackApiUrl: "http://slack.test/api/",
      retryConfig: { retries: 0 },
    });
    const notifier = slackNotifier(client, world.clock);

    world.clock.advance(5 * HOUR_MS);
    const [due] = await world.service.remindersDue(4);
    if (!due) throw new Error("no reminder due");
    await notifier.remind(due);
    expect(calls[0]?.method).toBe("chat.postMessage");
    expect(calls[0]?.body).toContain("thread_ts=1700000000.9");
    expect(calls[0]?.body).toContain("Still waiting");

    world.clock.advance(20 * HOUR_MS);
    const [expired] = await world.service.expirePending();
    if (!expired) throw new Error("nothing expired");
    await notifier.expired(expired);
    const update = calls.find((c) => c.method === "chat.update");
    expect(update?.body).toContain("ts=1700000000.9");
    expect(update?.body).not.toContain("approve_request");
    const dm = calls.filter((c) => c.method === "chat.postMessage")[1];
    expect(dm?.body).toContain(`channel=${ADMIN}`);
    nock.enableNetConnect();
  });
});
