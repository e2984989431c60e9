import { and, eq, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type OutboxRow, outbox } from "../db/schema.ts";

/**
 * The outbox's rows in Postgres. A sender claims one row at a time under a lease; every later
 * write about that row is fenced on the claim, so a sender that lost its lease (it was slow, and
 * another copy took the row over) changes nothing.
 */
export interface OutboxClaim {
  row: OutboxRow;
  /** This claim, unique across copies and claims: the fence. */
  token: string;
  until: Date;
}

/**
 * The oldest row that is due, not held by a live lease, and first of its chain among the rows
 * still pending; claimed for `leaseMs`. SKIP LOCKED: copies claiming at once take different rows.
 */
export async function claimNext(
  db: Db,
  token: string,
  now: Date,
  leaseMs: number,
): Promise<OutboxClaim | null> {
  const until = new Date(now.getTime() + leaseMs);
  return db.transaction(async (tx) => {
    const [due] = await tx
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          eq(outbox.status, "pending"),
          lte(outbox.availableAt, now),
          or(isNull(outbox.claimedUntil), lt(outbox.claimedUntil, now)),
          sql`not exists (select 1 from ${outbox} as earlier where earlier.chain = ${outbox.chain} and earlier.id < ${outbox.id} and earlier.status = 'pending')`,
        ),
      )
      .orderBy(outbox.id)
      .limit(1)
      .for("update", { skipLocked: true });
    if (!due) return null;
    const [row] = await tx
      .update(outbox)
      .set({ claimedBy: token, claimedUntil: until, attempts: sql`${outbox.attempts} + 1` })
      .where(eq(outbox.id, due.id))
      .returning();
    return row ? { row, token, until } : null;
  });
}

/** Renews the lease; false when it was lost (another copy holds the row, or it is settled). */
export async function extendClaim(db: Db, claim: OutboxClaim, now: Date, leaseMs: number): Promise<boolean> {
  const until = new Date(now.getTime() + leaseMs);
  const renewed = await db
    .update(outbox)
    .set({ claimedUntil: until })
    .where(fenced(claim))
    .returning({ id: outbox.id });
  if (renewed.length === 1) claim.until = until;
  return renewed.length === 1;
}

/**
 * Delivered: Slack took it. `also` writes what the delivery means elsewhere (where a post
 * landed) in the same transaction. False when the claim was lost.
 */
export async function markDelivered(
  db: Db,
  claim: OutboxClaim,
  result: Record<string, unknown> | null,
  now: Date,
  also: (tx: Db) => Promise<void> = async () => {},
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(outbox)
      .set({ status: "delivered", result, settledAt: now, claimedBy: null, claimedUntil: null })
      .where(fenced(claim))
      .returning({ id: outbox.id });
    if (updated.length !== 1) return false;
    await also(tx);
    return true;
  });
}

/** Not delivered this time: released, to be tried again at `at`. */
export async function retryLater(db: Db, claim: OutboxClaim, at: Date, error: string): Promise<boolean> {
  const updated = await db
    .update(outbox)
    .set({ availableAt: at, lastError: error, claimedBy: null, claimedUntil: null })
    .where(fenced(claim))
    .returning({ id: outbox.id });
  return updated.length === 1;
}

/** Given up (a refusal Slack keeps giving, or too old to matter): logged, never sent. */
export async function giveUp(db: Db, claim: OutboxClaim, error: string, now: Date): Promise<boolean> {
  const updated = await db
    .update(outbox)
    .set({ status: "failed", lastError: error, settledAt: now, claimedBy: null, claimedUntil: null })
    .where(fenced(claim))
    .returning({ id: outbox.id });
  return updated.length === 1;
}

/** Another row's outcome (a digest reply needs its summary's ts); null while it is pending. */
export async function settledRow(
  db: Db,
  id: number,
): Promise<{ status: "delivered" | "failed"; result: Record<string, unknown> | null } | null> {
  const [row] = await db
    .select({ status: outbox.status, result: outbox.result })
    .from(outbox)
    .where(eq(outbox.id, id));
  if (!row || row.status === "pending") return null;
  return { status: row.status, result: row.result };
}

/** The first row of a chain (a digest's summary). */
export async function firstOfChain(db: Db, chain: string): Promise<number | null> {
  const [row] = await db
    .select({ id: outbox.id })
    .from(outbox)
    .where(eq(outbox.chain, chain))
    .orderBy(outbox.id)
    .limit(1);
  return row?.id ?? null;
}

/** Settled rows are kept a while (to look into), then dropped. */
export async function pruneSettled(db: Db, before: Date): Promise<number> {
  const dropped = await db
    .delete(outbox)
    .where(and(sql`${outbox.status} <> 'pending'`, lt(outbox.settledAt, before)))
    .returning({ id: outbox.id });
  return dropped.length;
}

function fenced(claim: OutboxClaim) {
  return and(eq(outbox.id, claim.row.id), eq(outbox.status, "pending"), eq(outbox.claimedBy, claim.token));
}
