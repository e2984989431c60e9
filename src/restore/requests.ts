/**
 * Restore requests as rows: claimed once per idempotency key, locked while pending, expired by
 * time, and the rules every decision checks first (never the requester's own, still pending).
 */

import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type RestoreRequest, restoreRequests } from "../db/schema.ts";
import { said } from "../i18n/said.ts";
import { decisionNotices, enqueueNotices } from "../outbox/notices.ts";
import { SYSTEM_ACTOR } from "./access.ts";
import { recordAudit } from "./audit.ts";
import type { RestoreDone, RestoreRecord } from "./execute.ts";
import { isUuid } from "./ids.ts";
import { Refused } from "./outcome.ts";

/**
 * Deciding is for the others, both ways: a requester can neither approve nor reject (withdraw)
 * their own request; it waits for another approver or expires by itself.
 */
export function refuseOwnRequest(request: RestoreRequest, actor: string): void {
  if (request.requestedBy === actor) {
    throw new Refused("own_request", said("refusal.ownRequest"));
  }
}

export async function lockPendingRequest(
  tx: Db,
  requestId: string,
  { lock } = { lock: true },
): Promise<RestoreRequest> {
  if (!isUuid(requestId)) throw new Refused("not_found", said("refusal.noSuchRequest"));
  const query = tx
    .select()
    .from(restoreRequests)
    .where(and(eq(restoreRequests.id, requestId), eq(restoreRequests.kind, "replace")));
  const [request] = lock ? await query.for("update") : await query;
  if (!request) throw new Refused("not_found", said("refusal.noRequest", { id: requestId }));
  if (request.status !== "pending") {
    const by = request.decidedBy;
    const at = request.decidedAt?.toISOString();
    const key = by
      ? at
        ? "refusal.notPending.byAt"
        : "refusal.notPending.by"
      : at
        ? "refusal.notPending.at"
        : "refusal.notPending";
    throw new Refused(
      "not_pending",
      said(key, { status: request.status, ...(by ? { by } : {}), ...(at ? { at } : {}) }),
    );
  }
  return request;
}

export function isPastExpiry(request: RestoreRequest, now: Date): boolean {
  return request.expiresAt !== null && request.expiresAt.getTime() <= now.getTime();
}

/** Thrown after the transaction that recorded the expiry has committed. */
export function expiredRefusal(): Refused {
  return new Refused("expired", said("refusal.requestExpired"));
}

/** Expired, audited, and the ask's update and the requester's notice owed, in the caller's transaction. */
export async function expireRequest(tx: Db, request: RestoreRequest, now: Date): Promise<RestoreRequest> {
  const [updated] = await tx
    .update(restoreRequests)
    .set({ status: "expired", decidedAt: now, decisionReason: "Nobody decided in time." })
    .where(eq(restoreRequests.id, request.id))
    .returning();
  await enqueueNotices(tx, decisionNotices(request.id), now);
  await recordAudit(tx, {
    at: now,
    actor: SYSTEM_ACTOR,
    action: "expire",
    directoryId: request.directoryId,
    accountIds: [request.accountId],
    requestId: request.id,
  });
  return updated as RestoreRequest;
}

type NewRequest = typeof restoreRequests.$inferInsert;

/**
 * Inserts the request, or finds the one already made with the same idempotency key. A concurrent
 * twin waits on the unique index until the first commits, then gets its answer.
 */
export async function claimRequest(
  tx: Db,
  values: NewRequest,
): Promise<{ fresh: boolean; request: RestoreRequest }> {
  const inserted = await tx
    .insert(restoreRequests)
    .values(values)
    .onConflictDoNothing({ target: restoreRequests.idempotencyKey })
    .returning();
  if (inserted[0]) return { fresh: true, request: inserted[0] };
  const [existing] = await tx
    .select()
    .from(restoreRequests)
    .where(eq(restoreRequests.idempotencyKey, values.idempotencyKey as string));
  if (!existing) throw new Error("idempotency key conflict without a row");
  // A key answers again only the request it was made for: the same kind, account and person.
  // Anything else is a forged or confused key, and "already done" would hide that nothing was.
  if (
    existing.kind !== values.kind ||
    existing.accountId !== values.accountId ||
    existing.requestedBy !== values.requestedBy
  ) {
    throw new Refused("invalid_input", said("refusal.formUsed"));
  }
  return { fresh: false, request: existing };
}

export function repeatOf(request: RestoreRequest): RestoreDone {
  if (!request.result) {
    throw new Refused("invalid_input", said("refusal.keyOtherKind"));
  }
  return {
    type: "restored",
    ...(request.result as unknown as RestoreRecord),
    temporaryPassword: null,
    repeated: true,
  };
}

export function toJson(record: RestoreRecord): Record<string, unknown> {
  return JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
}
