/**
 * Several copies of the app sending one outbox (on the Postgres server when TEST_DATABASE_URL is
 * set, where their queries really overlap): a Slack call held longer than the lease, or a 429
 * whose Retry-After is longer than the lease, never makes another copy post the same message;
 * and a copy whose lease lapsed before its call sends nothing.
 */
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type { Clock } from "../../src/clock.ts";
import { outbox } from "../../src/db/schema.ts";
import { queueDigest } from "../../src/digest/send.ts";
import { digestSettingsFrom } from "../../src/digest/settings.ts";
import { silentLog } from "../../src/log.ts";
import { enqueueNotices } from "../../src/outbox/notices.ts";
import { createOutboxSender, type OutboxTransport } from "../../src/outbox/sender.ts";
import { CHANNEL, fakeSlack, fetchOf, pendingRows, slackSender } from "../support/outbox.ts";
import { NOW, useWorld } from "../support/world.ts";

const world = useWorld();

let slack: ReturnType<typeof fakeSlack> | null = null;
afterEach(() => {
  slack?.done();
  slack = null;
});

/** A day's digest with a summary and a few parts in its thread, queued. */
async function queuedDigest(): Promise<number> {
  for (let i = 0; i < 30; i++) {
    await world.deleted({
      userName: `leaving${i}@example.com`,
      displayName: `Leaving ${i}`,
      daysAgo: 24 + (i % 6),
    });
  }
  const settings = digestSettingsFrom({ DIGEST_TIMEZONE: "UTC" });
  const digest = { db: world.database.db, clock: world.clock, log: silentLog, settings, owner: "copy-1" };
  expect(await queueDigest(digest, CHANNEL, NOW.toISOString().slice(0, 10))).toBe("queued");
  return pendingRows(world.database.db);
}

describe("two copies sending one outbox", () => {
  it("a call held longer than the lease is not posted again by the other copy", {
    timeout: 60_000,
  }, async () => {
    const parts = await queuedDigest();
    expect(parts).toBeGreaterThan(1);
    // Leases and Slack's delays in real time here: the point is what happens while time passes.
    const started = Date.now();
    const clock: Clock = { now: () => new Date(NOW.getTime() + (Date.now() - started)) };
    const TIMEOUT_MS = 150;
    const LEASE_MS = 600;
    slack = fakeSlack({ timeoutMs: TIMEOUT_MS, heldMs: 3 * LEASE_MS });
    // The first call (the digest's summary) gets no answer for three leases.
    slack.fail("timeout");
    const deps = { db: world.database.db, clock, service: world.service };
    const copies = [
      slackSender(deps, "copy-1", {
        fetch: fetchOf(slack),
        timeoutMs: TIMEOUT_MS,
        leaseMs: LEASE_MS,
        backoffMs: 50,
      }),
      slackSender(deps, "copy-2", {
        fetch: fetchOf(slack),
        timeoutMs: TIMEOUT_MS,
        leaseMs: LEASE_MS,
        backoffMs: 50,
      }),
    ];
    // Both copies look every 20 ms, for as long as it takes (bounded generously).
    while ((await pendingRows(world.database.db)) > 0 && Date.now() - started < 30_000) {
      for (const c of copies) c.wake();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(copies.map((c) => c.stop()));
    expect(await pendingRows(world.database.db)).toBe(0);

    // Each message went once; the held one again only after its call was given up.
    expect(Object.values(slack.deliveries())).toEqual(Array(parts).fill(1));
    const [held, ...rest] = slack.calls;
    expect(held?.answered).toBe(false);
    const retry = rest.find((c) => c.message === held?.message);
    expect(retry?.answered).toBe(true);
    expect((retry?.at ?? 0) - (held?.at ?? 0)).toBeGreaterThanOrEqual(TIMEOUT_MS);
  });

  it("a 429 whose Retry-After outlasts the lease: the claim is given up, nobody posts before then, then once", async () => {
    const parts = await queuedDigest();
    slack = fakeSlack({ timeoutMs: 1000 });
    slack.fail("429");
    const deps = { db: world.database.db, clock: world.clock, service: world.service };
    const copies = [
      slackSender(deps, "copy-1", { fetch: fetchOf(slack), timeoutMs: 1000, leaseMs: 60_000 }),
      slackSender(deps, "copy-2", { fetch: fetchOf(slack), timeoutMs: 1000, leaseMs: 60_000 }),
    ];
    const look = async () => {
      for (const c of copies) c.wake();
      await Promise.all(copies.map((c) => c.settled()));
    };
    await look();
    expect(slack.calls).toHaveLength(1);
    const [row] = await world.database.db.select().from(outbox).orderBy(outbox.id).limit(1);
    expect(row?.claimedBy).toBeNull();
    // Past the lease, before Retry-After (150 s): nobody posts.
    world.clock.advance(61_000);
    await look();
    expect(slack.calls).toHaveLength(1);
    world.clock.advance(90_000);
    await look();
    expect(Object.values(slack.deliveries())).toEqual(Array(parts).fill(1));
    expect(await pendingRows(world.database.db)).toBe(0);
  });

  it("a copy whose lease lapsed before its call sends nothing; the copy that took the row over sends it once", async () => {
    await enqueueNotices(
      world.database.db,
      [{ kind: "approval_asked", requestId: crypto.randomUUID() }],
      NOW,
    );
    const sent: string[] = [];
    let copy2: ReturnType<typeof createOutboxSender> | null = null;
    const transport = (owner: string, slow: boolean): OutboxTransport => ({
      deliver: async (_notice, context) => {
        if (slow) {
          // Copy 1 is stalled past its lease (a long pause), and copy 2 takes the row meanwhile.
          world.clock.advance(61_000);
          copy2?.wake();
          await copy2?.settled();
        }
        await context.beforeCall();
        sent.push(owner);
        return { result: { ts: owner } };
      },
      classify: () => ({ transient: true }),
    });
    const sender = (owner: string, slow: boolean) =>
      createOutboxSender({
        db: world.database.db,
        clock: world.clock,
        log: silentLog,
        owner,
        callTimeoutMs: 1000,
        transport: transport(owner, slow),
      });
    copy2 = sender("copy-2", false);
    const copy1 = sender("copy-1", true);
    copy1.wake();
    await copy1.settled();
    expect(sent).toEqual(["copy-2"]);
    const [row] = await world.database.db.select().from(outbox).where(eq(outbox.status, "delivered"));
    expect(row?.result).toEqual({ ts: "copy-2" });
  });

  it("renews the lease before a call that would outlast it", async () => {
    await enqueueNotices(
      world.database.db,
      [{ kind: "approval_asked", requestId: crypto.randomUUID() }],
      NOW,
    );
    const leases: (Date | null)[] = [];
    const copy = createOutboxSender({
      db: world.database.db,
      clock: world.clock,
      log: silentLog,
      owner: "copy-1",
      callTimeoutMs: 10_000,
      leaseMs: 30_000,
      transport: {
        deliver: async (_notice, context) => {
          // Slow to render: only 15 s of the lease are left, less than two call timeouts.
          world.clock.advance(15_000);
          await context.beforeCall();
          const [row] = await world.database.db.select().from(outbox);
          leases.push(row?.claimedUntil ?? null);
          return { result: null };
        },
        classify: () => ({ transient: true }),
      },
    });
    copy.wake();
    await copy.settled();
    expect(leases[0]?.getTime()).toBe(NOW.getTime() + 15_000 + 30_000);
  });
});
