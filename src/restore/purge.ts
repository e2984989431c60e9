import { and, inArray, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type Account, accountAddresses, accounts } from "../db/schema.ts";
import { type AuditInput, recordAudit } from "./audit.ts";

/** A page at a time, so a purge after a long outage never holds the whole backlog in memory. */
const PAGE = 500;

/**
 * Accounts whose window has ended become tombstones: the identifiers stay for the audit trail,
 * the personal data goes. Rows are claimed with SKIP LOCKED, so two instances never purge one twice.
 */
export async function purgeExpired(
  db: Db,
  actor: string,
  now: Date,
): Promise<{ id: string; userName: string }[]> {
  const purged: { id: string; userName: string }[] = [];
  for (;;) {
    const page = await db.transaction(async (tx) => {
      const due = await tx
        .select()
        .from(accounts)
        .where(and(inArray(accounts.status, ["deleting", "deleted"]), lte(accounts.purgeAfter, now)))
        .limit(PAGE)
        .for("update", { skipLocked: true });
      if (due.length === 0) return [];
      await tombstone(tx, due, actor, now);
      return due.map((a) => ({ id: a.id, userName: a.userName }));
    });
    purged.push(...page);
    if (page.length < PAGE) return purged;
  }
}

/**
 * Accounts (locked by the caller) become tombstones: the identifiers stay for the audit trail, the
 * personal data goes. Also for a provider's account that left its bin (`details` says why).
 */
export async function tombstone(
  tx: Db,
  due: Account[],
  actor: string,
  now: Date,
  details?: Record<string, unknown>,
): Promise<void> {
  const ids = due.map((a) => a.id);
  await tx.delete(accountAddresses).where(inArray(accountAddresses.accountId, ids));
  await tx
    .update(accounts)
    .set({
      status: "purged",
      purgedAt: now,
      aliases: [],
      phone: null,
      displayName: sql`${accounts.userName}`,
      givenName: null,
      familyName: null,
      department: null,
      license: null,
      snapshot: null,
      passwordHash: null,
      searchText: sql`lower(${accounts.userName} || ' ' || coalesce(${accounts.email}, ''))`,
      version: sql`${accounts.version} + 1`,
      updatedAt: now,
    })
    .where(inArray(accounts.id, ids));
  await recordAudit(tx, ...due.map((a) => purgeEvent(a, actor, now, details)));
}

function purgeEvent(a: Account, actor: string, now: Date, details?: Record<string, unknown>): AuditInput {
  return {
    at: now,
    actor,
    action: "purge",
    directoryId: a.directoryId,
    accountIds: [a.id],
    before: { id: a.id, userName: a.userName, status: a.status, purgeAfter: a.purgeAfter?.toISOString() },
    after: { id: a.id, userName: a.userName, status: "purged" },
    ...(details ? { details } : {}),
  };
}
