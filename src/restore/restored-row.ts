/**
 * The restored account's row as written: the deleted one made active again, or a new one for a
 * re-creation, from the plan's outcome or, where a provider answered, from what it says.
 */
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { mirrorFields, searchTextOf, snapshotOf } from "../accounts/rows.ts";
import type { Db } from "../db/client.ts";
import { type Account, accountAddresses, accounts, type Directory } from "../db/schema.ts";
import type { ProviderUser } from "../providers/port.ts";
import type { RestorePlan } from "./plan-types.ts";

export interface RowInput {
  account: Account;
  directory: Directory;
  plan: RestorePlan;
  now: Date;
  passwordHash: string | null;
  mustChangePassword: boolean;
}

/**
 * The restored account's row: the deleted one made active again, or for a re-creation a new row
 * (a new id) from the snapshot, which the old record points to. `user`: what a provider answered,
 * which wins over the plan's outcome.
 */
export async function writeRestored(tx: Db, input: RowInput, user: ProviderUser | null): Promise<Account> {
  const { account, directory, plan, now } = input;
  const o = plan.outcome;
  const fromProvider = user ? mirrorFields(user) : null;
  const restoredFields = {
    userName: fromProvider?.userName ?? o.userName,
    email: fromProvider ? fromProvider.email : o.email,
    aliases: fromProvider?.aliases ?? o.aliases,
    phone: fromProvider ? fromProvider.phone : o.phone,
    // The provider says which department it put the user in (none is an answer too).
    department: fromProvider ? fromProvider.department : o.department,
    license: fromProvider?.license ?? o.license,
    passwordHash: input.passwordHash,
    mustChangePassword: input.mustChangePassword,
    updatedAt: now,
  };
  if (plan.action === "restore") {
    await tx.delete(accountAddresses).where(eq(accountAddresses.accountId, account.id));
    const [row] = await tx
      .update(accounts)
      .set({
        ...restoredFields,
        status: "active",
        deletedAt: null,
        deletedBy: null,
        deletionCompletesAt: null,
        purgeAfter: null,
        searchText: searchTextOf({ ...account, ...restoredFields }),
        version: account.version + 1,
      })
      .where(eq(accounts.id, account.id))
      .returning();
    return row as Account;
  }
  const source = account.snapshot ?? snapshotOf(account);
  const fields = {
    ...restoredFields,
    displayName: source.displayName,
    givenName: source.givenName,
    familyName: source.familyName,
  };
  const [row] = await tx
    .insert(accounts)
    .values({
      ...fields,
      directoryId: directory.id,
      externalId: fromProvider?.externalId ?? `recreated:${randomUUID()}`,
      status: "active",
      searchText: searchTextOf({ ...fields, aliases: fields.aliases }),
      createdAt: now,
    })
    .returning();
  const restored = row as Account;
  await tx
    .update(accounts)
    .set({ recreatedAs: restored.id, version: account.version + 1, updatedAt: now })
    .where(eq(accounts.id, account.id));
  return restored;
}

/** The account as the provider has it, when the mirror could not be written: what the admin is shown. */
export function asProviderSays(account: Account, user: ProviderUser, action: RestorePlan["action"]): Account {
  const fields = mirrorFields(user);
  return {
    ...account,
    ...fields,
    ...(action === "recreate" ? {} : { externalId: account.externalId }),
    status: "active",
    deletedAt: null,
    deletedBy: null,
  };
}
