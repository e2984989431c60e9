import type { Clock } from "../clock.ts";
import { localDateOf, zonedTime } from "../digest/calendar.ts";
import { type DigestSendDeps, sendDigest } from "../digest/send.ts";
import { errorFields, type Logger } from "../log.ts";
import { type HousekeepingDeps, runHousekeeping } from "./housekeeping.ts";
import { runSyncs, type SyncJobDeps } from "./sync-job.ts";

export interface SchedulerDeps {
  clock: Clock;
  log: Logger;
  /** null: no digest (Slack is not configured). */
  digest: (DigestSendDeps & { channel: string }) | null;
  housekeeping: HousekeepingDeps;
  /** How often to look (default 30 s); claims make extra looks harmless. */
  tickMs?: number;
  /** Housekeeping runs once per slot of this length (default 10 minutes). */
  housekeepingEveryMs?: number;
  /** Providers' deleted users are copied into the mirror once per slot of this length. */
  sync?: (SyncJobDeps & { everyMs: number }) | null;
}

/**
 * One look at the clock: today's digest once its time has come (also when the app was down at
 * that time and comes back the same day), and the current housekeeping slot. Claims in Postgres
 * make sure each happens once, however many copies look.
 */
export async function tick(deps: SchedulerDeps): Promise<void> {
  const now = deps.clock.now();
  if (deps.digest) {
    const { settings } = deps.digest;
    const today = localDateOf(now, settings.timeZone);
    if (now.getTime() >= zonedTime(today, settings.time, settings.timeZone).getTime()) {
      const outcome = await sendDigest(deps.digest, deps.digest.channel, today);
      if (outcome !== "claimed elsewhere") deps.log.info("digest", { date: today, outcome });
    }
  }
  const every = deps.housekeepingEveryMs ?? 10 * 60_000;
  const slot = new Date(Math.floor(now.getTime() / every) * every).toISOString();
  const result = await runHousekeeping(deps.housekeeping, slot);
  if (result && (result.expired || result.purged || result.reminded))
    deps.log.info("housekeeping", { ...result });
  if (deps.sync && deps.sync.connectors.length > 0) {
    const every = deps.sync.everyMs;
    const slot = new Date(Math.floor(now.getTime() / every) * every).toISOString();
    for (const { directoryId, result, error } of await runSyncs(deps.sync, slot)) {
      if (error) deps.log.error("sync failed", { directory: directoryId, ...errorFields(error) });
      else if (result) deps.log.info("sync", { ...result, ms: Math.round(result.ms) });
    }
  }
}

/** Looks every tickMs until stopped (the next look waits for the last); failures are logged. */
export function startScheduler(deps: SchedulerDeps): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const look = () => {
    current = tick(deps)
      .catch((error: unknown) => deps.log.error("scheduled work failed", errorFields(error)))
      .then(() => {
        if (!stopped) timer = setTimeout(look, deps.tickMs ?? 30_000);
      });
  };
  look();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
