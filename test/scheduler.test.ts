/**
 * Every scheduled job on its own timer: a Web API call that never answers holds up the outbox's
 * call and nothing else (an overdue request still expires on time), and a stop gives up waiting
 * for it at its deadline.
 */
import { afterEach, describe, expect, it } from "vitest";
import { restoreRequests } from "../src/db/schema.ts";
import { digestSettingsFrom } from "../src/digest/settings.ts";
import { silentLog } from "../src/log.ts";
import { isRefusal } from "../src/restore/outcome.ts";
import { HOUR_MS } from "../src/restore/window.ts";
import { startScheduler } from "../src/schedule/scheduler.ts";
import { CHANNEL, fakeSlack, fetchOf, slackSenderDeps } from "./support/outbox.ts";
import { ADMIN, useWorld } from "./support/world.ts";

const world = useWorld();

let slack: ReturnType<typeof fakeSlack> | null = null;
afterEach(() => {
  slack?.done();
  slack = null;
});

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  // Generous: it returns as soon as it holds, and a loaded machine can be slow.
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the scheduler", () => {
  it("keeps housekeeping on time while a Slack call hangs, and a stop does not wait for that call", {
    timeout: 60_000,
  }, async () => {
    const deleted = await world.deleted({ userName: "ida@example.com" });
    await world.active({ userName: "ida@example.com" });
    const requested = await world.service.requestReplace(ADMIN, deleted.id, "Ida is back");
    if (isRefusal(requested)) throw new Error(requested.message);
    for (let i = 0; i < 5; i++) await world.deleted({ userName: `leaving${i}@example.com`, daysAgo: 25 });

    // Slack takes every call and never answers (within this test).
    slack = fakeSlack({ timeoutMs: 30_000, heldMs: 120_000 });
    slack.fail("timeout", () => true, 1000);
    const scheduler = startScheduler({
      clock: world.clock,
      log: silentLog,
      tickMs: 20,
      outboxEveryMs: 20,
      digest: {
        db: world.database.db,
        clock: world.clock,
        log: silentLog,
        settings: digestSettingsFrom({ DIGEST_TIME: "09:00", DIGEST_TIMEZONE: "UTC" }),
        owner: "copy-1",
        channel: CHANNEL,
      },
      housekeeping: {
        db: world.database.db,
        clock: world.clock,
        service: world.service,
        owner: "copy-1",
        reminderHours: 4,
      },
      outbox: slackSenderDeps(
        { db: world.database.db, clock: world.clock, service: world.service },
        "copy-1",
        { fetch: fetchOf(slack), timeoutMs: 30_000 },
      ),
    });
    const calls = () => (slack as ReturnType<typeof fakeSlack>).calls;
    await until(() => calls().length > 0, "a call to Slack");

    // While that call hangs, the request's time runs out: housekeeping expires it all the same.
    world.clock.advance(25 * HOUR_MS);
    await until(async () => {
      const [row] = await world.database.db.select().from(restoreRequests);
      return row?.status === "expired";
    }, "the request to expire");
    expect(calls().every((c) => !c.answered)).toBe(true);

    const stopping = Date.now();
    expect(await scheduler.stop(500)).toBe(false);
    expect(Date.now() - stopping).toBeLessThan(5_000);
  });
});
