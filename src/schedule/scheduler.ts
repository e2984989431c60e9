import type { Clock } from "../clock.ts";
import { localDateOf, zonedTime } from "../digest/calendar.ts";
import { type DigestSendDeps, queueDigest } from "../digest/send.ts";
import { errorFields, type Logger } from "../log.ts";
import { createOutboxSender, type SenderDeps } from "../outbox/sender.ts";
import { type HousekeepingDeps, runHousekeeping } from "./housekeeping.ts";
import { type Loop, startLoop } from "./loop.ts";
import { runSyncs, type SyncJobDeps } from "./sync-job.ts";

export interface SchedulerDeps {
  clock: Clock;
  log: Logger;
  /** null: no digest (Slack is not configured). */
  digest: (DigestSendDeps & { channel: string }) | null;
  housekeeping: HousekeepingDeps;
  /** How often each job looks (default 30 s); claims make extra looks harmless. */
  tickMs?: number;
  /** Housekeeping runs once per slot of this length (default 10 minutes). */
  housekeepingEveryMs?: number;
  /** Providers' deleted users are copied into the mirror once per slot of this length. */
  sync?: (SyncJobDeps & { everyMs: number }) | null;
  /** The outbox's sender; null: nothing is sent (Slack is not configured), rows wait. */
  outbox?: SenderDeps | null;
  /** How often the outbox looks for rows other copies wrote or retries that came due (default 5 s). */
  outboxEveryMs?: number;
}

export interface Scheduler {
  /** Notices were just written: send them now rather than at the next look. */
  wakeOutbox(): void;
  /**
   * Stops every job: no new work, and what is under way gets until the deadline to finish.
   * False when some work was still running then (it is left behind; its claims lapse).
   */
  stop(deadlineMs?: number): Promise<boolean>;
}

/** Today's digest, once its time has come (also when the app was down then and is back the same day). */
export async function digestLook(deps: SchedulerDeps): Promise<boolean> {
  if (!deps.digest) return false;
  const now = deps.clock.now();
  const { settings } = deps.digest;
  const today = localDateOf(now, settings.timeZone);
  if (now.getTime() < zonedTime(today, settings.time, settings.timeZone).getTime()) return false;
  const outcome = await queueDigest(deps.digest, deps.digest.channel, today);
  if (outcome !== "claimed elsewhere") deps.log.info("digest", { date: today, outcome });
  return outcome === "queued";
}

/** The current housekeeping slot. */
export async function housekeepingLook(deps: SchedulerDeps): Promise<void> {
  const every = deps.housekeepingEveryMs ?? 10 * 60_000;
  const slot = new Date(Math.floor(deps.clock.now().getTime() / every) * every).toISOString();
  const result = await runHousekeeping(deps.housekeeping, slot);
  if (result && (result.expired || result.purged || result.reminded))
    deps.log.info("housekeeping", { ...result });
}

/** The current sync slot of every provider. */
export async function syncLook(deps: SchedulerDeps): Promise<void> {
  if (!deps.sync || deps.sync.connectors.length === 0) return;
  const every = deps.sync.everyMs;
  const slot = new Date(Math.floor(deps.clock.now().getTime() / every) * every).toISOString();
  for (const { directoryId, result, error } of await runSyncs(deps.sync, slot)) {
    if (error) deps.log.error("sync failed", { directory: directoryId, ...errorFields(error) });
    else if (result) deps.log.info("sync", { ...result, ms: Math.round(result.ms) });
  }
}

/**
 * Every job on its own timer: the digest, housekeeping, the providers' syncs and the outbox's
 * sender. One that is stuck (a provider that does not answer, a slow query) holds up none of the
 * others. Claims in Postgres make sure each piece of work happens once, however many copies look.
 */
export function startScheduler(deps: SchedulerDeps): Scheduler {
  const every = deps.tickMs ?? 30_000;
  const sender = deps.outbox ? createOutboxSender(deps.outbox) : null;
  const wakeOutbox = () => sender?.wake();
  const loops: Loop[] = [
    startLoop("housekeeping", every, () => housekeepingLook(deps), deps.log),
    ...(deps.digest
      ? [
          startLoop(
            "digest",
            every,
            async () => {
              if (await digestLook(deps)) wakeOutbox();
            },
            deps.log,
          ),
        ]
      : []),
    ...(deps.sync && deps.sync.connectors.length > 0
      ? [startLoop("sync", every, () => syncLook(deps), deps.log)]
      : []),
    ...(sender
      ? [
          startLoop(
            "outbox",
            deps.outboxEveryMs ?? 5_000,
            async () => {
              sender.wake();
              await sender.settled();
            },
            deps.log,
          ),
        ]
      : []),
  ];
  return {
    wakeOutbox,
    stop: async (deadlineMs = 8_000) => {
      const all = Promise.all([...loops.map((l) => l.stop()), sender?.stop()]).then(() => true);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      });
      try {
        return await Promise.race([all, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
