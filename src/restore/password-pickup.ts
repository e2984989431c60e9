/**
 * The temporary password of an approved replace, collected by its requester: once, within a day,
 * and only while the account is as that request left it. Checked against the stored request,
 * never against what the button said.
 */

import { and, eq, gt } from "drizzle-orm";
import { type Account, accounts, type RestoreRequest, restoreRequests } from "../db/schema.ts";
import { said } from "../i18n/said.ts";
import { recordAudit } from "./audit.ts";
import { connectorOf, type ServiceContext } from "./context.ts";
import { lockAccount } from "./execute.ts";
import { isUuid } from "./ids.ts";
import { Refused } from "./outcome.ts";
import { generateTemporaryPassword, hashPassword } from "./password.ts";
import { type AccountSummary, summarize } from "./plan-types.ts";
import { HOUR_MS } from "./window.ts";

/** A temporary password waits this long for its requester after an approved replace. */
export const PASSWORD_PICKUP_HOURS = 24;

/**
 * A new temporary password for the account a request restored, for its requester, once. An
 * approved replace runs in the approver's click, so the requester collects the password here
 * rather than finding it in a message. Everything is checked against the stored request, never
 * against what the button said: whose request, done, not collected yet, recent, and the account
 * still as that request left it.
 */
export async function issueTemporaryPassword(
  ctx: ServiceContext,
  actor: string,
  requestId: string,
): Promise<{ account: AccountSummary; temporaryPassword: string }> {
  if (!isUuid(requestId)) throw new Refused("not_found", said("refusal.noSuchRestore"));
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    // Locked: two clicks at once queue here, and the second finds the password collected.
    const [request] = await tx
      .select()
      .from(restoreRequests)
      .where(eq(restoreRequests.id, requestId))
      .for("update");
    if (!request) throw new Refused("not_found", said("refusal.noSuchRestore"));
    checkPasswordPickup(request, actor, now);
    const account = await lockAccount(tx, restoredAccountOf(request));
    if (account.status !== "active") {
      throw new Refused("blocked", said("refusal.password.notActive", { name: account.displayName }));
    }
    const connector = connectorOf(ctx, account.directoryId);
    if (connector) {
      throw new Refused(
        "blocked",
        said("refusal.password.providerKeeps", { provider: connector.name, userName: account.userName }),
      );
    }
    const [later] = await tx
      .select({ id: restoreRequests.id })
      .from(restoreRequests)
      .where(
        and(
          eq(restoreRequests.accountId, request.accountId),
          eq(restoreRequests.status, "completed"),
          gt(restoreRequests.decidedAt, request.decidedAt as Date),
        ),
      )
      .limit(1);
    if (later) {
      throw new Refused("changed", said("refusal.password.restoredAgain", { name: account.displayName }));
    }
    const temporaryPassword = generateTemporaryPassword();
    const [updated] = await tx
      .update(accounts)
      .set({
        passwordHash: await hashPassword(temporaryPassword),
        mustChangePassword: true,
        version: account.version + 1,
        updatedAt: now,
      })
      .where(eq(accounts.id, account.id))
      .returning();
    await tx.update(restoreRequests).set({ passwordIssuedAt: now }).where(eq(restoreRequests.id, request.id));
    await recordAudit(tx, {
      at: now,
      actor,
      action: "password_reset",
      directoryId: account.directoryId,
      accountIds: [account.id],
      requestId: request.id,
      details: { mustChangePassword: true },
    });
    return { account: summarize(updated as Account), temporaryPassword };
  });
}

/** Who may collect a request's temporary password, and when: refused with the reason otherwise. */
function checkPasswordPickup(request: RestoreRequest, actor: string, now: Date): void {
  if (request.requestedBy !== actor) {
    throw new Refused("not_allowed", said("refusal.password.notRequester"));
  }
  if (request.status !== "completed" || !request.decidedAt) {
    throw new Refused("blocked", said("refusal.password.notRestored", { status: request.status }));
  }
  if (request.passwordIssuedAt) {
    throw new Refused("already_issued", said("refusal.password.issued"));
  }
  if (now.getTime() - request.decidedAt.getTime() > PASSWORD_PICKUP_HOURS * HOUR_MS) {
    throw new Refused("expired", said("refusal.password.expired", { hours: PASSWORD_PICKUP_HOURS }));
  }
}

/** The account a request brought back: a re-creation made a new one (its id is in the result). */
function restoredAccountOf(request: RestoreRequest): string {
  const account = (request.result as { account?: { id?: unknown } } | null)?.account;
  return typeof account?.id === "string" && isUuid(account.id) ? account.id : request.accountId;
}
