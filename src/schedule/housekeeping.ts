import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import { pruneSettled } from "../outbox/store.ts";
import { SYSTEM_ACTOR } from "../restore/access.ts";
import { isRefusal } from "../restore/outcome.ts";
import type { RestoreService } from "../restore/service.ts";
import { DAY_MS } from "../restore/window.ts";
import { claimRun, finishRun, type TakeoverListener } from "./runs.ts";

/** Delivered (or given up) notices are kept this long, to look into, then dropped. */
const KEEP_SETTLED_NOTICES_MS = 7 * DAY_MS;

export interface HousekeepingDeps {
  db: Db;
  clock: Clock;
  service: RestoreService;
  owner: string;
  reminderHours: number;
  onTakeover?: TakeoverListener;
}

export interface HousekeepingResult {
  expired: number;
  purged: number;
  reminded: number;
}

/**
 * One housekeeping pass for a time slot, claimed once across copies: pending requests past
 * their expiry expire, accounts past their window are purged, long waits get one reminder. What
 * that owes people (updated asks, requesters told, reminders) is written to the outbox with each
 * change, so no Slack call is made here and none can hold housekeeping up. Each step is itself
 * safe to repeat (row locks, SKIP LOCKED), so a takeover after a crash runs the pass again.
 */
export async function runHousekeeping(
  deps: HousekeepingDeps,
  slot: string,
): Promise<HousekeepingResult | null> {
  const claim = await claimRun(
    deps.db,
    "housekeeping",
    slot,
    deps.owner,
    deps.clock.now(),
    5 * 60_000,
    deps.onTakeover,
  );
  if (!claim) return null;
  const expired = await deps.service.expirePending();
  const purged = await deps.service.purge(SYSTEM_ACTOR);
  const reminded = await deps.service.remindersDue(deps.reminderHours);
  await pruneSettled(deps.db, new Date(deps.clock.now().getTime() - KEEP_SETTLED_NOTICES_MS));
  await finishRun(deps.db, claim, deps.clock.now());
  return {
    expired: expired.length,
    purged: isRefusal(purged) ? 0 : purged.purged.length,
    reminded: reminded.length,
  };
}
