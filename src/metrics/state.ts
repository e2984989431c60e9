/**
 * What the scrape reads from Postgres: state every copy of the app shares, so a copy that did not
 * run the sync or the digest itself still reports when it last happened.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import { restoreRequests } from "../db/schema.ts";
import { digestJob, lastFinished } from "../schedule/runs.ts";
import type { AppMetrics } from "./metrics.ts";

export interface StateSources {
  db: Db;
  clock: Clock;
  /** The providers configured (their kinds): each one's last successful sync. */
  providers: readonly string[];
  /** The digest's channel, or null when no digest is sent. */
  digestChannel: string | null;
}

export async function pendingReplaces(db: Db): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(restoreRequests)
    .where(and(eq(restoreRequests.status, "pending"), eq(restoreRequests.kind, "replace")));
  return row?.n ?? 0;
}

/** A sync is done (finishRun) only when it went through: a failed one leaves its run open. */
export async function syncAges(
  db: Db,
  providers: readonly string[],
  now: Date,
): Promise<{ provider: string; seconds: number }[]> {
  const ages: { provider: string; seconds: number }[] = [];
  for (const provider of providers) {
    const at = await lastFinished(db, `sync:${provider}`);
    if (at) ages.push({ provider, seconds: Math.max(0, (now.getTime() - at.getTime()) / 1000) });
  }
  return ages;
}

export function readStateAtScrape(
  metrics: AppMetrics,
  sources: StateSources,
  onError: (what: string, error: unknown) => void,
): void {
  const { db, clock, digestChannel } = sources;
  metrics.readAtScrape(
    {
      pendingReplaces: () => pendingReplaces(db),
      syncAges: () => syncAges(db, sources.providers, clock.now()),
      digestLastSent: async () => (digestChannel ? lastFinished(db, digestJob(digestChannel)) : null),
    },
    onError,
  );
}
