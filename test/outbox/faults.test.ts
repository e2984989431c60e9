/**
 * Slack refusing the first call of each kind of work — an error page (500), a rate limit (429,
 * Retry-After longer than any lease), or no answer within the client's timeout — loses nothing
 * and repeats nothing: every message is delivered, each exactly once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { outbox, restoreRequests } from "../../src/db/schema.ts";
import { queueDigest } from "../../src/digest/send.ts";
import { digestSettingsFrom } from "../../src/digest/settings.ts";
import { silentLog } from "../../src/log.ts";
import { isRefusal } from "../../src/restore/outcome.ts";
import { HOUR_MS } from "../../src/restore/window.ts";
import { housekeepingLook } from "../../src/schedule/scheduler.ts";
import {
  CHANNEL,
  deliverAll,
  type Fault,
  fakeSlack,
  fetchOf,
  pendingRows,
  slackSender,
} from "../support/outbox.ts";
import { ADMIN, APPROVER, useWorld } from "../support/world.ts";

const world = useWorld();
const TIMEOUT_MS = 100;

let slack: ReturnType<typeof fakeSlack>;
afterEach(() => slack?.done());

/** Slack as the test wants it, and the app's sender over it. */
function start() {
  slack = fakeSlack({ timeoutMs: TIMEOUT_MS });
  const sender = slackSender(
    { db: world.database.db, clock: world.clock, service: world.service },
    "copy-1",
    { fetch: fetchOf(slack), timeoutMs: TIMEOUT_MS },
  );
  return { sender, deliver: () => deliverAll(world.database.db, world.clock, [sender]) };
}

/** A replace request whose ask reached the admin channel (at ts 1700000000.1). */
async function askedRequest(name: string) {
  const deleted = await world.deleted({ userName: `${name}@example.com`, displayName: `${name} Old` });
  await world.active({ userName: `${name}@example.com`, displayName: `${name} New` });
  const requested = await world.service.requestReplace(ADMIN, deleted.id, `${name} is back`);
  if (isRefusal(requested)) throw new Error(requested.message);
  return requested.request;
}

/** Every message Slack took, each exactly once; and the failed call really happened. */
function expectEachOnce(expected: RegExp[]) {
  const deliveries = slack.deliveries();
  expect(Object.values(deliveries).every((n) => n === 1)).toBe(true);
  const messages = Object.keys(deliveries);
  expect(messages).toHaveLength(expected.length);
  for (const pattern of expected) expect(messages.some((m) => pattern.test(m))).toBe(true);
  expect(slack.calls.filter((c) => !c.answered)).toHaveLength(1);
}

const FAULTS: Fault[] = ["500", "429", "timeout"];

describe.each(FAULTS)("Slack failing the first call (%s)", (fault) => {
  it("of housekeeping: the expired request's message and its requester's notice still arrive, once each", async () => {
    const { deliver } = start();
    await askedRequest("nora");
    await deliver();
    world.clock.advance(25 * HOUR_MS);
    await housekeepingLook({
      clock: world.clock,
      log: silentLog,
      digest: null,
      housekeeping: {
        db: world.database.db,
        clock: world.clock,
        service: world.service,
        owner: "copy-1",
        reminderHours: 4,
      },
    });
    slack.fail(fault);
    await deliver();
    expectEachOnce([
      /^post CADMINS01 - Approval needed/,
      /^update 1700000000\.1$/,
      /^post U0ADMIN1 - ⌛ Your request/,
    ]);
    const [request] = await world.database.db.select().from(restoreRequests);
    expect(request?.status).toBe("expired");
  });

  it("of a reminder: it is posted in the ask's thread once, and not marked sent before", async () => {
    const { deliver } = start();
    await askedRequest("otto");
    await deliver();
    world.clock.advance(5 * HOUR_MS);
    expect(await world.service.remindersDue(4)).toHaveLength(1);
    slack.fail(fault);
    await deliver();
    expectEachOnce([/^post CADMINS01 - Approval needed/, /^post CADMINS01 1700000000\.1 ⏰ Still waiting/]);
  });

  it("of an approval: the message is updated and the requester told, once each", async () => {
    const { deliver } = start();
    const request = await askedRequest("quinn");
    await deliver();
    slack.fail(fault);
    const outcome = await world.service.approve(APPROVER, request.id);
    if (isRefusal(outcome)) throw new Error(outcome.message);
    await deliver();
    expectEachOnce([
      /^post CADMINS01 - Approval needed/,
      /^update 1700000000\.1$/,
      /^post U0ADMIN1 - ✅ Your request/,
    ]);
  });

  it("of the digest's summary: the summary and every part in its thread, once each", async () => {
    for (let i = 0; i < 12; i++) {
      await world.deleted({ userName: `leaving${i}@example.com`, displayName: `Leaving ${i}`, daysAgo: 25 });
    }
    const { deliver } = start();
    const settings = digestSettingsFrom({ DIGEST_TIMEZONE: "UTC" });
    const today = world.clock.now().toISOString().slice(0, 10);
    const digest = { db: world.database.db, clock: world.clock, log: silentLog, settings, owner: "copy-1" };
    expect(await queueDigest(digest, CHANNEL, today)).toBe("queued");
    slack.fail(fault);
    await deliver();
    const answered = slack.calls.filter((c) => c.answered);
    expect(answered.length).toBeGreaterThan(1);
    const summaryTs = answered[0]?.ts;
    expect(answered[0]?.message).toMatch(/^post CADMINS01 - /);
    expect(answered.slice(1).every((c) => c.message.startsWith(`post CADMINS01 ${summaryTs} `))).toBe(true);
    expect(Object.values(slack.deliveries()).every((n) => n === 1)).toBe(true);
    expect(slack.calls.filter((c) => !c.answered)).toHaveLength(1);
    expect(await pendingRows(world.database.db)).toBe(0);
  });
});

describe("a notice Slack keeps refusing", () => {
  it("is given up after three tries, and the notices after it still go", async () => {
    const { deliver } = start();
    const request = await askedRequest("rita");
    await deliver();
    slack.fail("refused", (method) => method === "chat.update", 10);
    const outcome = await world.service.reject(APPROVER, request.id, "Not now");
    if (isRefusal(outcome)) throw new Error(outcome.message);
    await deliver();
    expect(slack.calls.filter((c) => c.method === "chat.update").map((c) => c.answered)).toEqual([
      false,
      false,
      false,
    ]);
    expect(Object.keys(slack.deliveries())).toEqual([
      expect.stringMatching(/^post CADMINS01 - Approval needed/),
      expect.stringMatching(/^post U0ADMIN1 - ❌ Your request/),
    ]);
    const rows = await world.database.db.select().from(outbox).orderBy(outbox.id);
    expect(rows.map((r) => r.status)).toEqual(["delivered", "failed", "delivered"]);
    expect(rows[1]?.lastError).toMatch(/cant_update_message/);
  });
});
