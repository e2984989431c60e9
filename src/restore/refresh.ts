/**
 * The way out of "needs attention": a provider restored (or re-created) an account, and this app's
 * records could not follow (follow.ts). Once what stood in the way is gone, `refresh` reads the
 * user again from the provider, by id, and writes what it says, reconciling stale rows the same
 * way a restore does. The sync cannot do this: it reads the provider's *deleted* users only.
 */

import { and, desc, eq, sql } from "drizzle-orm";
import { insertAddresses, keepsAddresses, mirrorFields } from "../accounts/rows.ts";
import type { Db } from "../db/client.ts";
import { type Account, accountAddresses, accounts, auditEvents } from "../db/schema.ts";
import { type Said, said, saidList } from "../i18n/said.ts";
import type { Logger } from "../log.ts";
import { type DirectoryConnector, ProviderError, type ProviderUser } from "../providers/port.ts";
import { auditView, recordAudit } from "./audit.ts";
import { lockAccount } from "./execute.ts";
import { followProvider } from "./follow.ts";
import { Refused } from "./outcome.ts";
import { type AccountSummary, summarize } from "./plan-types.ts";
import { providerFailureSaid } from "./provider-call.ts";

export interface Refreshed {
  type: "refreshed";
  /** The account as the provider has it now, in this app's records. */
  account: AccountSummary;
  /** What the records had to change to follow (holders refreshed or marked deleted), in English. */
  notes: string[];
  /** The same notes, to be said in the reader's language. */
  notesSaid: Said[];
}

/**
 * The provider's id of the user to read: the one a needs_attention event recorded (a re-creation
 * has a new id), else the account's own.
 */
async function providerIdOf(db: Db, account: Account): Promise<string> {
  const [event] = await db
    .select({ details: auditEvents.details })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.action, "needs_attention"),
        sql`${auditEvents.accountIds} @> array[${account.id}]::uuid[]`,
      ),
    )
    .orderBy(desc(auditEvents.at), desc(auditEvents.id))
    .limit(1);
  const recorded = (event?.details as { providerId?: unknown } | undefined)?.providerId;
  return typeof recorded === "string" && recorded ? recorded : account.externalId;
}

export async function refreshFromProvider(
  db: Db,
  connector: DirectoryConnector,
  account: Account,
  ctx: { actor: string; now: Date; log: Logger },
): Promise<Refreshed> {
  if (!connector.readActive) {
    throw new Refused("invalid_input", said("refusal.refresh.cannotAsk", { provider: connector.name }));
  }
  const providerId = await providerIdOf(db, account);
  let user: ProviderUser | null;
  try {
    user = await connector.readActive(providerId);
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    throw new Refused("provider", providerFailureSaid(error, said("refusal.outcome.nothingChanged")));
  }
  if (!user) {
    throw new Refused(
      "blocked",
      said("refusal.refresh.noActiveUser", { provider: connector.name, id: providerId }),
    );
  }
  const found = user;
  return db.transaction(async (tx) => {
    const locked = await lockAccount(tx, account.id);
    const followed = await followProvider(
      tx,
      { connector, accountId: locked.id, now: ctx.now, log: ctx.log, readById: true },
      found,
      async (sp, u, shared) => {
        const row = await writeProviderUser(sp, locked, u, ctx.now);
        await sp.delete(accountAddresses).where(eq(accountAddresses.accountId, row.id));
        if (keepsAddresses(connector.profile.capabilities.unique)) await insertAddresses(sp, row, shared);
        return row;
      },
    );
    if (!followed.account) {
      throw new Refused(
        "not_recorded",
        said("refusal.refresh.cannotFollow", {
          provider: connector.name,
          failure: String(followed.failure),
          notes: saidList(followed.notesSaid),
          userName: found.userName,
        }),
      );
    }
    await recordAudit(tx, {
      at: ctx.now,
      actor: ctx.actor,
      action: "refresh",
      directoryId: connector.kind,
      accountIds: [...new Set([locked.id, followed.account.id])],
      before: auditView(locked),
      after: auditView(followed.account),
      details: {
        provider: connector.name,
        providerId,
        ...(followed.reconciled.length ? { reconciled: followed.reconciled } : {}),
      },
    });
    return {
      type: "refreshed",
      account: summarize(followed.account),
      notes: followed.notes,
      notesSaid: followed.notesSaid,
    };
  });
}

/**
 * The provider's user as an active account: the account itself when the ids match, otherwise
 * (a re-creation) the row of the new user, which the deleted one then points to.
 */
async function writeProviderUser(tx: Db, account: Account, user: ProviderUser, now: Date): Promise<Account> {
  const fields = mirrorFields(user);
  const active = {
    ...fields,
    status: "active" as const,
    deletedAt: null,
    deletedBy: null,
    deletionCompletesAt: null,
    purgeAfter: null,
    purgedAt: null,
    updatedAt: now,
  };
  if (user.externalId === account.externalId) {
    const [row] = await tx
      .update(accounts)
      .set({ ...active, version: account.version + 1 })
      .where(eq(accounts.id, account.id))
      .returning();
    return row as Account;
  }
  const [row] = await tx
    .insert(accounts)
    .values({ ...active, directoryId: account.directoryId, createdAt: now })
    .onConflictDoUpdate({
      target: [accounts.directoryId, accounts.externalId],
      set: { ...active, version: sql`${accounts.version} + 1` },
    })
    .returning();
  const created = row as Account;
  await tx
    .update(accounts)
    .set({ recreatedAs: created.id, version: account.version + 1, updatedAt: now })
    .where(eq(accounts.id, account.id));
  return created;
}
