import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../log.ts";
import { type SyncResult, syncDirectory } from "../mirror/sync.ts";
import type { DirectoryConnector } from "../providers/port.ts";
import { claimRun, finishRun, recordProgress, type TakeoverListener } from "./runs.ts";

/** A page can take a provider a while (retries included); the claim must outlive it. */
const LEASE_MS = 5 * 60_000;

export interface SyncJobDeps {
  db: Db;
  clock: Clock;
  owner: string;
  connectors: readonly DirectoryConnector[];
  log?: Logger;
  onTakeover?: TakeoverListener;
}

export function syncJob(connector: DirectoryConnector): string {
  return `sync:${connector.kind}`;
}

/**
 * One sync per provider and time slot, claimed once across copies. The lease is renewed after
 * every page; a copy that died mid-sync is taken over when its lease lapses and the sync runs
 * again from the start (each page is an idempotent upsert). A provider that fails does not keep
 * the others from syncing: the error comes back in the result and the run is retried next slot.
 */
export async function runSyncs(
  deps: SyncJobDeps,
  slot: string,
): Promise<{ directoryId: string; result?: SyncResult; error?: unknown }[]> {
  const outcomes: { directoryId: string; result?: SyncResult; error?: unknown }[] = [];
  for (const connector of deps.connectors) {
    const job = syncJob(connector);
    const claim = await claimRun(deps.db, job, slot, deps.owner, deps.clock.now(), LEASE_MS, deps.onTakeover);
    if (!claim) continue;
    try {
      const result = await syncDirectory(deps.db, connector, () => deps.clock.now(), {
        onPage: (progress) => recordProgress(deps.db, claim, { progress }, deps.clock.now(), LEASE_MS),
        ...(deps.log ? { log: deps.log } : {}),
      });
      await finishRun(deps.db, claim, deps.clock.now(), {
        pages: result.pages,
        seen: result.seen,
        gone: result.gone,
      });
      outcomes.push({ directoryId: connector.kind, result });
    } catch (error) {
      // Left running: its lease lapses and a later look (this slot's or the next) tries again.
      outcomes.push({ directoryId: connector.kind, error });
    }
  }
  return outcomes;
}
