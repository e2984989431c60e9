/**
 * The approval lifecycle of a replace: asked (a request, nothing else changes), approved (counted
 * once per approver; when enough, everything is checked again and the replace runs in the same
 * transaction), rejected with a reason, expired, reminded. The requester never decides their own.
 */

import { and, eq, gt, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts, approvals, type RestoreRequest, restoreRequests } from "../db/schema.ts";
import { type Said, said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";
import { decisionNotices, enqueueNotices } from "../outbox/notices.ts";
import type { DirectoryConnector, RestoredUser } from "../providers/port.ts";
import { recordAudit } from "./audit.ts";
import type { RestoreOptions, ServiceContext } from "./context.ts";
import { executeRestore, loadDirectory, lockAccount, lockForRestore, type RestoreDone } from "./execute.ts";
import { resolveAccount } from "./lookup.ts";
import { blockedBy, Refused } from "./outcome.ts";
import { buildPlan } from "./plan.ts";
import type { RestoreChoices, RestorePlan } from "./plan-types.ts";
import { accountOfRequest, checkProviderFor } from "./provider-ask.ts";
import {
  claimRequest,
  expiredRefusal,
  expireRequest,
  isPastExpiry,
  lockPendingRequest,
  refuseOwnRequest,
  toJson,
} from "./requests.ts";
import { ProviderActed, withRaceMessage } from "./restore-now.ts";
import { HOUR_MS } from "./window.ts";

export type ReplaceRequested = {
  type: "requested";
  request: RestoreRequest;
  plan: RestorePlan;
  repeated: boolean;
};

export type ApproveOutcome =
  | (RestoreDone & { request: RestoreRequest })
  /** Counted; more approvals are needed before anything happens. */
  | { type: "approval_recorded"; request: RestoreRequest; approvals: number; needed: number }
  /** The re-check found the world changed: the request failed and nothing else changed. */
  | { type: "failed"; request: RestoreRequest; reason: string; said: Said };

/**
 * Replace is destructive, so it only creates a request: nothing else changes until a second
 * admin approves. Refused now if anything but the user name conflict would still block it.
 */
export async function requestReplace(
  ctx: ServiceContext,
  actor: string,
  ref: string,
  reason: string,
  choices: Omit<RestoreChoices, "replace" | "renameTo"> = {},
  options: RestoreOptions = {},
): Promise<ReplaceRequested> {
  if (!reason.trim()) throw new Refused("invalid_input", said("refusal.reasonNeeded"), { field: "reason" });
  const account = await resolveAccount(ctx.db, ref);
  const now = ctx.clock.now();
  const replaceChoices: RestoreChoices = { ...choices, replace: true };
  const requested = await ctx.db.transaction(async (tx) => {
    const locked = await lockAccount(tx, account.id);
    const directory = await loadDirectory(tx, locked.directoryId);
    const plan = await buildPlan(tx, locked, directory, replaceChoices, now);
    if (!plan.ready || !plan.replaces) {
      const field = plan.choiceErrors[0]?.field;
      throw new Refused(plan.choiceErrors.length ? "invalid_choice" : "blocked", blockedBy(plan), {
        plan,
        ...(field ? { field } : {}),
      });
    }
    const [target] = await tx.select().from(accounts).where(eq(accounts.id, plan.replaces.id));
    const claimed = await claimRequest(tx, {
      idempotencyKey: options.idempotencyKey ?? null,
      kind: "replace",
      directoryId: locked.directoryId,
      accountId: locked.id,
      replacesAccountId: target?.id ?? null,
      replacesVersion: target?.version ?? null,
      requestedBy: actor,
      reason: reason.trim(),
      choices: replaceChoices,
      status: "pending",
      approvalsNeeded: ctx.settings.approvalsRequired,
      expiresAt: new Date(now.getTime() + ctx.settings.approvalTtlHours * HOUR_MS),
      details: {
        restore: { ...plan.account, window: plan.restorability },
        replace: plan.replaces,
        outcome: plan.outcome,
        conflicts: plan.conflicts.map((c) => c.kind),
        whatHappens: [
          directory.retentionDays === null
            ? `${plan.replaces.displayName} (${plan.replaces.userName}, active) is ${directory.kind === "okta" ? "deactivated" : "deleted"}, restorable with no time limit.`
            : `${plan.replaces.displayName} (${plan.replaces.userName}, active) is deleted, restorable for ${directory.retentionDays} days.`,
          `${locked.displayName} (${locked.userName}) is restored in its place.`,
        ],
      },
      createdAt: now,
    });
    if (claimed.fresh) {
      await enqueueNotices(tx, [{ kind: "approval_asked", requestId: claimed.request.id }], now);
      await recordAudit(tx, {
        at: now,
        actor,
        action: "replace_requested",
        directoryId: directory.id,
        accountIds: [locked.id, plan.replaces.id],
        requestId: claimed.request.id,
        details: { reason: reason.trim(), expiresAt: claimed.request.expiresAt?.toISOString() },
      });
    }
    return { type: "requested" as const, request: claimed.request, plan, repeated: !claimed.fresh };
  });
  if (!requested.repeated) ctx.noticesWritten();
  return requested;
}

/**
 * An approver's yes. Never the requester; counted once per approver; when enough approvals are in,
 * everything is checked again and the replace runs, in the same transaction as the decision.
 * The request row is locked, so concurrent clicks queue and only the first one executes.
 */
export async function approve(
  ctx: ServiceContext,
  actor: string,
  requestId: string,
): Promise<ApproveOutcome> {
  const connector = await checkProviderFor(ctx, actor, requestId);
  const now = ctx.clock.now();
  const acted = new ProviderActed();
  const accountId = connector ? await accountOfRequest(ctx.db, requestId) : null;
  const result = await acted.guard(ctx, { actor, accountId: accountId ?? "", now, connector }, () =>
    ctx.db.transaction(async (tx) => {
      const request = await lockPendingRequest(tx, requestId);
      refuseOwnRequest(request, actor);
      if (isPastExpiry(request, now)) return { expired: await expireRequest(tx, request, now) };
      const inserted = await tx
        .insert(approvals)
        .values({ requestId: request.id, approver: actor, createdAt: now })
        .onConflictDoNothing()
        .returning();
      if (inserted.length === 0) {
        throw new Refused("already_approved", said("refusal.alreadyApproved"));
      }
      await recordAudit(tx, {
        at: now,
        actor,
        action: "approve",
        directoryId: request.directoryId,
        accountIds: [request.accountId, ...(request.replacesAccountId ? [request.replacesAccountId] : [])],
        requestId: request.id,
      });
      const [{ n } = { n: 0 }] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(approvals)
        .where(eq(approvals.requestId, request.id));
      if (n < request.approvalsNeeded) {
        // Counted: the ask is brought up to date; the requester hears at the decision.
        await enqueueNotices(tx, [{ kind: "approval_changed", requestId: request.id }], now);
        return {
          outcome: {
            type: "approval_recorded" as const,
            request,
            approvals: n,
            needed: request.approvalsNeeded,
          },
        };
      }
      const outcome = await executeApproved(ctx, tx, request, actor, now, connector, acted.seen);
      await enqueueNotices(tx, decisionNotices(request.id), now);
      return { outcome };
    }),
  );
  ctx.noticesWritten();
  if ("expired" in result) throw expiredRefusal();
  return result.outcome;
}

/** Runs the approved replace inside a savepoint: if the re-check fails, only the decision is kept. */
async function executeApproved(
  ctx: ServiceContext,
  tx: Db,
  request: RestoreRequest,
  actor: string,
  now: Date,
  connector: DirectoryConnector | null,
  acted?: (user: RestoredUser) => void,
): Promise<ApproveOutcome> {
  try {
    const done = await tx.transaction(async (sp) =>
      withRaceMessage(async () =>
        executeRestore(
          sp,
          {
            actor,
            now,
            requestId: request.id,
            allowReplace: true,
            replacesAccountId: request.replacesAccountId,
            replacesVersion: request.replacesVersion,
            connector,
            acted,
            log: ctx.log,
          },
          await lockForRestore(sp, request.accountId),
          request.choices,
        ),
      ),
    );
    const [updated] = await tx
      .update(restoreRequests)
      .set({ status: "completed", decidedAt: now, decidedBy: actor, result: toJson(done.record) })
      .where(eq(restoreRequests.id, request.id))
      .returning();
    return {
      type: "restored",
      ...done.record,
      temporaryPassword: done.temporaryPassword,
      repeated: false,
      request: updated as RestoreRequest,
    };
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    const why = said("refusal.recheckFailed", { why: error.said });
    const reason = say(ENGLISH, why);
    const [updated] = await tx
      .update(restoreRequests)
      .set({ status: "failed", decidedAt: now, decidedBy: actor, decisionReason: reason })
      .where(eq(restoreRequests.id, request.id))
      .returning();
    await recordAudit(tx, {
      at: now,
      actor,
      action: "approval_failed",
      directoryId: request.directoryId,
      accountIds: [request.accountId],
      requestId: request.id,
      details: { reason: error.message, code: error.code },
    });
    return { type: "failed", request: updated as RestoreRequest, reason, said: why };
  }
}

/** An approver's no, with a reason the requester will read. */
export async function reject(
  ctx: ServiceContext,
  actor: string,
  requestId: string,
  reason: string,
): Promise<{ type: "rejected"; request: RestoreRequest }> {
  if (!reason.trim())
    throw new Refused("invalid_input", said("refusal.rejectReasonNeeded"), { field: "reason" });
  const now = ctx.clock.now();
  const result = await ctx.db.transaction(async (tx) => {
    const request = await lockPendingRequest(tx, requestId);
    refuseOwnRequest(request, actor);
    // Past its expiry a request is expired, whatever the decision: the expiry is kept.
    if (isPastExpiry(request, now)) return { expired: await expireRequest(tx, request, now) };
    const [updated] = await tx
      .update(restoreRequests)
      .set({ status: "rejected", decidedAt: now, decidedBy: actor, decisionReason: reason.trim() })
      .where(eq(restoreRequests.id, request.id))
      .returning();
    await recordAudit(tx, {
      at: now,
      actor,
      action: "reject",
      directoryId: request.directoryId,
      accountIds: [request.accountId],
      requestId: request.id,
      details: { reason: reason.trim() },
    });
    await enqueueNotices(tx, decisionNotices(request.id), now);
    return { type: "rejected" as const, request: updated as RestoreRequest };
  });
  ctx.noticesWritten();
  if ("expired" in result) throw expiredRefusal();
  return result;
}

/**
 * Whether `actor` may decide the request now (before a form asks them for a reason): the same
 * checks approve and reject make again, under a lock, when they act.
 */
export async function checkDecision(
  ctx: ServiceContext,
  actor: string,
  requestId: string,
): Promise<RestoreRequest> {
  const request = await lockPendingRequest(ctx.db, requestId, { lock: false });
  refuseOwnRequest(request, actor);
  return request;
}

/**
 * Housekeeping: pending requests past their expiry become expired (and audited); the ask's
 * update and the requester's notice are owed in the same transaction.
 */
export async function expirePending(ctx: ServiceContext): Promise<RestoreRequest[]> {
  const now = ctx.clock.now();
  const expired = await ctx.db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(restoreRequests)
      .where(and(eq(restoreRequests.status, "pending"), lte(restoreRequests.expiresAt, now)))
      .for("update", { skipLocked: true });
    const done: RestoreRequest[] = [];
    for (const request of due) done.push(await expireRequest(tx, request, now));
    return done;
  });
  if (expired.length > 0) ctx.noticesWritten();
  return expired;
}

/**
 * Housekeeping: pending requests older than `hours` that nobody was reminded of yet are marked
 * reminded, with the reminder owed in the same transaction, once across every copy of the app.
 */
export async function remindersDue(ctx: ServiceContext, hours: number): Promise<RestoreRequest[]> {
  const now = ctx.clock.now();
  const reminded = await ctx.db.transaction(async (tx) => {
    const due = await tx
      .select({ id: restoreRequests.id })
      .from(restoreRequests)
      .where(
        and(
          eq(restoreRequests.status, "pending"),
          isNull(restoreRequests.remindedAt),
          lte(restoreRequests.createdAt, new Date(now.getTime() - hours * HOUR_MS)),
          gt(restoreRequests.expiresAt, now),
        ),
      )
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    await enqueueNotices(
      tx,
      due.map((r) => ({ kind: "approval_reminder" as const, requestId: r.id })),
      now,
    );
    return tx
      .update(restoreRequests)
      .set({ remindedAt: now })
      .where(
        inArray(
          restoreRequests.id,
          due.map((r) => r.id),
        ),
      )
      .returning();
  });
  if (reminded.length > 0) ctx.noticesWritten();
  return reminded;
}
