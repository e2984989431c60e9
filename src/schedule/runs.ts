import { and, desc, eq, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type JobRun, jobRuns } from "../db/schema.ts";

/**
 * Exactly-once scheduled work across copies of the app, through Postgres alone. The first copy
 * to insert a run's row holds it under a lease; the others see the row and leave it. A holder
 * that dies stops renewing, and the next copy to look takes the run over and resumes from its
 * recorded progress. Every write checks that the writer still holds the lease (a fence), so a
 * holder that was only slow cannot overwrite its successor.
 */
export interface Claim {
  job: string;
  runKey: string;
  owner: string;
  /** false: this copy resumes a run that a previous holder left unfinished. */
  fresh: boolean;
  run: JobRun;
}

/** Told when this copy takes a run over from a holder whose lease lapsed (metrics count them). */
export type TakeoverListener = (job: string) => void;

export async function claimRun(
  db: Db,
  job: string,
  runKey: string,
  owner: string,
  now: Date,
  leaseMs: number,
  onTakeover?: TakeoverListener,
): Promise<Claim | null> {
  const leaseUntil = new Date(now.getTime() + leaseMs);
  const [inserted] = await db
    .insert(jobRuns)
    .values({ job, runKey, status: "running", leaseOwner: owner, leaseUntil, startedAt: now })
    .onConflictDoNothing()
    .returning();
  if (inserted) return { job, runKey, owner, fresh: true, run: inserted };
  const [taken] = await db
    .update(jobRuns)
    .set({ leaseOwner: owner, leaseUntil })
    .where(
      and(
        eq(jobRuns.job, job),
        eq(jobRuns.runKey, runKey),
        eq(jobRuns.status, "running"),
        lt(jobRuns.leaseUntil, now),
      ),
    )
    .returning();
  if (!taken) return null;
  onTakeover?.(job);
  return { job, runKey, owner, fresh: false, run: taken };
}

/** Records progress and renews the lease; false when the lease was lost (stop working). */
export async function recordProgress(
  db: Db,
  claim: Claim,
  changes: { progress?: Record<string, unknown>; payload?: unknown },
  now: Date,
  leaseMs: number,
): Promise<boolean> {
  const updated = await db
    .update(jobRuns)
    .set({
      ...(changes.progress ? { progress: changes.progress } : {}),
      ...(changes.payload !== undefined ? { payload: changes.payload } : {}),
      leaseUntil: new Date(now.getTime() + leaseMs),
    })
    .where(fenced(claim))
    .returning({ job: jobRuns.job });
  return updated.length === 1;
}

export async function finishRun(
  db: Db,
  claim: Claim,
  now: Date,
  progress?: Record<string, unknown>,
): Promise<boolean> {
  const updated = await db
    .update(jobRuns)
    .set({
      status: "done",
      finishedAt: now,
      leaseOwner: null,
      leaseUntil: null,
      ...(progress ? { progress } : {}),
    })
    .where(fenced(claim))
    .returning({ job: jobRuns.job });
  return updated.length === 1;
}

/** The job that sends a channel's daily digest. */
export function digestJob(channel: string): string {
  return `digest:${channel}`;
}

/** When the last finished run of a job ended (the digest counts purges since then). */
export async function lastFinished(db: Db, job: string, before?: Date): Promise<Date | null> {
  const [row] = await db
    .select({ finishedAt: jobRuns.finishedAt })
    .from(jobRuns)
    .where(
      and(
        eq(jobRuns.job, job),
        isNotNull(jobRuns.finishedAt),
        before ? lt(jobRuns.finishedAt, before) : undefined,
      ),
    )
    .orderBy(desc(jobRuns.finishedAt))
    .limit(1);
  return row?.finishedAt ?? null;
}

function fenced(claim: Claim) {
  return and(
    eq(jobRuns.job, claim.job),
    eq(jobRuns.runKey, claim.runKey),
    eq(jobRuns.status, "running"),
    sql`${jobRuns.leaseOwner} = ${claim.owner}`,
  );
}
