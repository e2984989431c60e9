import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import type { RestoreRequest } from "../db/schema.ts";
import { SYSTEM_ACTOR } from "../restore/access.ts";
import { isRefusal } from "../restore/outcome.ts";
import type { RestoreService } from "../restore/service.ts";
import { claimRun, finishRun } from "./runs.ts";

/** What housekeeping tells people; Slack in the app, nothing in tests that do not look. */
export interface HousekeepingNotifier {
  /** A request expired: update its message, tell the requester. */
  expired(request: RestoreRequest): Promise<void>;
  /** A request waits long: remind the approvers, once. */
  remind(request: RestoreRequest): Promise<void>;
}

export interface HousekeepingDeps {
  db: Db;
  clock: Clock;
  service: RestoreService;
  notifier: HousekeepingNotifier;
  owner: string;
  reminderHours: number;
}

export interface HousekeepingResult {
  expired: number;
  purged: number;
  reminded: number;
}

/**
 * One housekeeping pass for a time slot, claimed once across copies: pending requests past
 * their expiry expire, accounts past their window are purged, long waits get one reminder.
 * Each step is itself safe to repeat (row locks, SKIP LOCKED), so a takeover after a crash
 * simply runs the pass again.
 */
export async function runHousekeeping(
  deps: HousekeepingDeps,
  slot: string,
): Promise<HousekeepingResult | null> {
  const claim = await claimRun(deps.db, "housekeeping", slot, deps.owner, deps.clock.now(), 5 * 60_000);
  if (!claim) return null;
  const expired = await deps.service.expirePending();
  for (const request of expired) await deps.notifier.expired(request);
  const purged = await deps.service.purge(SYSTEM_ACTOR);
  const reminded = await deps.service.remindersDue(deps.reminderHours);
  for (const request of reminded) await deps.notifier.remind(request);
  await finishRun(deps.db, claim, deps.clock.now());
  return {
    expired: expired.length,
    purged: isRefusal(purged) ? 0 : purged.purged.length,
    reminded: reminded.length,
  };
}
