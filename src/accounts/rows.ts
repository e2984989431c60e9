/**
 * Writing account rows the same way everywhere (restore, holders, sync, import): the address index
 * beside an account, and the snapshot a re-creation is made from. Depends only on db/.
 */
import type { Db } from "../db/client.ts";
import { type Account, type AccountSnapshot, accountAddresses } from "../db/schema.ts";

/**
 * Indexes an account's email and aliases. `shared`: addresses the provider lets another active
 * user keep too (the mirror can index each only once; see restore/follow.ts).
 */
export async function insertAddresses(
  tx: Db,
  account: Account,
  shared: ReadonlySet<string> = new Set(),
): Promise<void> {
  const rows = [
    ...(account.email ? [{ address: account.email.toLowerCase(), isPrimary: true }] : []),
    ...account.aliases
      .map((a) => a.toLowerCase())
      .filter((a) => a !== account.email?.toLowerCase())
      .map((address) => ({ address, isPrimary: false })),
  ].filter((r) => !shared.has(r.address));
  if (rows.length === 0) return;
  await tx
    .insert(accountAddresses)
    .values(
      rows.map((r) => ({
        ...r,
        accountId: account.id,
        directoryId: account.directoryId,
        active: account.status === "active",
      })),
    )
    // Only an address listed twice on the same account is skipped: an address another active
    // account holds must fail the insert (the partial unique index), never be silently lost.
    .onConflictDoNothing({ target: [accountAddresses.accountId, accountAddresses.address] });
}

/** The fields a re-creation needs, of a mirrored account or of a provider's user alike. */
export function snapshotOf(a: AccountSnapshot): AccountSnapshot {
  return {
    userName: a.userName,
    email: a.email,
    aliases: a.aliases,
    phone: a.phone,
    displayName: a.displayName,
    givenName: a.givenName,
    familyName: a.familyName,
    department: a.department,
    license: a.license,
  };
}
