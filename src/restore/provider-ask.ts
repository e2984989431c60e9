/**
 * Asking a provider who holds the names, addresses and phone a restore would take, before the plan
 * (cached a minute, a failure shown in the plan) and before a restore or an approved replace (fresh,
 * a failure refuses). The built-in directory is its own truth: nothing is asked.
 */

import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type Account, accounts, restoreRequests } from "../db/schema.ts";
import { said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";
import { type DirectoryConnector, ProviderError } from "../providers/port.ts";
import { connectorOf, type ServiceContext } from "./context.ts";
import { isUuid } from "./ids.ts";
import { Refused } from "./outcome.ts";
import type { RestorePlan } from "./plan-types.ts";
import { providerFailureSaid } from "./provider-call.ts";

/** The account a request is about, or null (an unknown id is refused later, under the lock). */
export async function accountOfRequest(db: Db, requestId: string): Promise<string | null> {
  const [row] = await db
    .select({ accountId: restoreRequests.accountId })
    .from(restoreRequests)
    .where(eq(restoreRequests.id, requestId));
  return row?.accountId ?? null;
}

/** Before an approval that may run a replace: the provider's holders, unless the click is refused anyway. */
export async function checkProviderFor(
  ctx: ServiceContext,
  actor: string,
  requestId: string,
): Promise<DirectoryConnector | null> {
  if (ctx.connectors.size === 0 || !isUuid(requestId)) return null;
  const [request] = await ctx.db.select().from(restoreRequests).where(eq(restoreRequests.id, requestId));
  if (request?.status !== "pending" || request.requestedBy === actor) return null;
  if (!connectorOf(ctx, request.directoryId)) return null;
  return checkProvider(ctx, request.accountId);
}

/**
 * For a provider's account: who holds its names and addresses *in the provider* now, written into
 * the mirror before the restore plans. Skipped for the built-in directory.
 */
export async function checkProvider(
  ctx: ServiceContext,
  accountId: string,
  renameTo?: string | null,
): Promise<DirectoryConnector | null> {
  // The built-in directory is its own truth: nothing to ask, and no extra query on its restores.
  if (ctx.connectors.size === 0) return null;
  const [account] = await ctx.db.select().from(accounts).where(eq(accounts.id, accountId));
  const connector = account ? connectorOf(ctx, account.directoryId) : null;
  if (!account || !connector) return null;
  try {
    await ctx.checks.check(connector, account, renameTo, { fresh: true });
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    throw new Refused("provider", providerFailureSaid(error, said("refusal.outcome.notChecked")));
  }
  return connector;
}

/**
 * A plan for a provider's deleted account asks the provider who holds its names now (kept for a
 * minute: see provider-check.ts). If it cannot be asked, the plan still shows what the mirror
 * knows, and says so; the restore asks again and refuses if it still cannot.
 */
export async function askProvider(
  ctx: ServiceContext,
  account: Account,
  renameTo: string | null | undefined,
): Promise<RestorePlan["providerCheck"] | null> {
  const connector = account.status === "active" ? null : connectorOf(ctx, account.directoryId);
  if (!connector) return null;
  try {
    return { ...(await ctx.checks.check(connector, account, renameTo)), error: null };
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    const errorSaid = providerFailureSaid(
      error,
      said("refusal.outcome.lastSeen", { provider: connector.name }),
    );
    return {
      provider: connector.name,
      checkedAt: null,
      cached: false,
      error: say(ENGLISH, errorSaid),
      errorSaid,
    };
  }
}
