/**
 * The one window, measured: the sender is stopped dead at each of its steps (as a process that
 * crashed there), another copy takes over once the lease lapsed, and the deliveries are counted.
 * Only a crash between Slack's answer and the write that records it repeats a message (once).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { SenderStep } from "../../src/outbox/sender.ts";
import { isRefusal } from "../../src/restore/outcome.ts";
import { CHANNEL, deliverAll, fakeSlack, fetchOf, pendingRows, slackSender } from "../support/outbox.ts";
import { ADMIN, APPROVER, useWorld } from "../support/world.ts";

const world = useWorld();

let slack: ReturnType<typeof fakeSlack> | null = null;
afterEach(() => {
  slack?.done();
  slack = null;
});

/** Deliveries of the crashed row's message, when the sender dies at `step`. */
const EXPECTED: [SenderStep, number][] = [
  ["claimed", 1],
  ["calling", 1],
  ["answered", 2],
  ["recorded", 1],
];

describe("a sender that dies", () => {
  it.each(EXPECTED)(
    "at %s: the message it was sending is delivered %i time(s), the others once",
    async (at, times) => {
      const deleted = await world.deleted({ userName: "vera@example.com", displayName: "Vera Old" });
      await world.active({ userName: "vera@example.com", displayName: "Vera New" });
      const requested = await world.service.requestReplace(ADMIN, deleted.id, "Vera is back");
      if (isRefusal(requested)) throw new Error(requested.message);
      const approved = await world.service.approve(APPROVER, requested.request.id);
      if (isRefusal(approved)) throw new Error(approved.message);
      slack = fakeSlack({ timeoutMs: 1000 });
      const deps = { db: world.database.db, clock: world.clock, service: world.service };

      // The first copy dies at `at` while sending the first row: the ask (approved meanwhile, so
      // it is posted as decided).
      let died = false;
      const first = slackSender(deps, "copy-1", {
        fetch: fetchOf(slack),
        timeoutMs: 1000,
        workers: 1,
        step: (step) => {
          if (step === at && !died) {
            died = true;
            throw new Error("killed");
          }
        },
      });
      first.wake();
      await first.settled();
      expect(died).toBe(true);
      await first.stop();

      // A copy started later takes over once the dead copy's lease lapsed.
      const second = slackSender(deps, "copy-2", { fetch: fetchOf(slack), timeoutMs: 1000 });
      await deliverAll(world.database.db, world.clock, [second]);
      expect(await pendingRows(world.database.db)).toBe(0);

      const deliveries = slack.deliveries();
      const ask = Object.keys(deliveries).find((m) => m.startsWith(`post ${CHANNEL} - `));
      expect(ask && deliveries[ask]).toBe(times);
      const others = Object.entries(deliveries).filter(([m]) => m !== ask);
      expect(others.map(([m]) => m)).toEqual([
        expect.stringMatching(/^update 1700000000\.\d$/),
        expect.stringMatching(new RegExp(`^post ${ADMIN} - ✅ Your request`)),
      ]);
      expect(others.every(([, n]) => n === 1)).toBe(true);
    },
  );
});
