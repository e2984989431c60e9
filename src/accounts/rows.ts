/**
 * Writing account rows the same way everywhere (restore, holders, sync, import): the mirror's fields
 * of a provider's user, the search text, the address index beside an account, and the snapshot a
 * re-creation is made from. Depends only on db/, so the domain and the adapters both import it.
 */
import type { Db } from "../db/client.ts";
import { type Account, type AccountSnapshot, accountAddresses } from "../db/schema.ts";
import type { UniqueKey } from "../providers/capabilities.ts";

type SearchFields = Pick<
  Account,
  "displayName" | "userName" | "email" | "aliases" | "givenName" | "familyName"
>;

/** Everything search looks at, in one lower-cased string for the trigram index. */
export function searchTextOf(account: SearchFields): string {
  const parts = [account.displayName, account.userName, account.email, ...account.aliases];
  // Given and family names add words the display name may lack ("Bob" shown, "Robert" given).
  for (const name of [account.givenName, account.familyName]) {
    if (name && !account.displayName.toLowerCase().includes(name.toLowerCase())) parts.push(name);
  }
  return parts
    .filter((p): p is string => Boolean(p))
    .join(" ")
    .toLowerCase();
}

/** A provider's user as the mirror reads it (providers/port.ts's ProviderUser has these fields). */
export type MirroredUser = AccountSnapshot & { externalId: string };

/** The mirror's fields of a provider's user, as stored (addresses lower-cased, no duplicates). */
export function mirrorFields(u: MirroredUser) {
  const email = u.email?.trim() || null;
  const aliases = [...new Set(u.aliases.map((a) => a.trim().toLowerCase()))].filter(
    (a) => a && a !== email?.toLowerCase(),
  );
  const fields = {
    externalId: u.externalId,
    userName: u.userName,
    email,
    aliases,
    phone: u.phone?.trim() || null,
    displayName: u.displayName || u.userName,
    givenName: u.givenName,
    familyName: u.familyName,
    department: u.department,
    license: u.license,
  };
  return { ...fields, searchText: searchTextOf(fields) };
}

/**
 * Addresses are indexed (and unique among active accounts) only for directories that keep them
 * unique: Okta lets two users share an email, and its mirror must hold both.
 */
export function keepsAddresses(unique: readonly UniqueKey[] | undefined): boolean {
  return unique === undefined || unique.includes("email") || unique.includes("alias");
}

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
