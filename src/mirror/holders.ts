/**
 * Before a restore, the provider's *active* users are the truth about conflicts, not the mirror
 * (which holds deleted users, and active ones only as they were last seen). This asks the provider
 * who holds the names, addresses and phone a restore would take, and writes the answer into the
 * mirror, so the plan the restore checks inside its transaction sees the provider's state.
 */
import { and, eq, inArray, notInArray, or, sql } from "drizzle-orm";
import { insertAddresses, keepsAddresses, mirrorFields } from "../accounts/rows.ts";
import type { Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { type Account, accountAddresses, accounts } from "../db/schema.ts";
import type { Logger } from "../log.ts";
import type { UniqueKey } from "../providers/capabilities.ts";
import type { ConflictKeys, DirectoryConnector, ProviderUser } from "../providers/port.ts";

/** What to ask the provider about: the user name always, addresses and phone where it keeps them unique. */
export function conflictKeysOf(
  account: Account,
  renameTo: string | null | undefined,
  unique: readonly UniqueKey[] = ["email", "alias", "phone"],
): ConflictKeys {
  const lower = (s: string) => s.trim().toLowerCase();
  const addresses = [
    ...(unique.includes("email") && account.email ? [account.email] : []),
    ...(unique.includes("alias") ? account.aliases : []),
  ];
  return {
    userNames: [...new Set([account.userName, ...(renameTo?.trim() ? [renameTo.trim()] : [])].map(lower))],
    addresses: [...new Set(addresses.map(lower))],
    phones: unique.includes("phone") && account.phone ? [account.phone.trim()] : [],
  };
}

/**
 * Asks the provider (the caller turns a ProviderError into a refusal) and reconciles the mirror:
 * mirrored active accounts that hold a key but are no longer active in the provider stop counting;
 * the provider's holders are written as active accounts.
 */
export async function refreshHolders(
  db: Db,
  connector: DirectoryConnector,
  keys: ConflictKeys,
  now: Date,
  log: Logger,
): Promise<ProviderUser[]> {
  const active = await connector.findActive(keys);
  const directoryId = connector.kind;
  try {
    await db.transaction(async (tx) => {
      const byAddress = keys.addresses.length
        ? tx
            .select({ id: accountAddresses.accountId })
            .from(accountAddresses)
            .where(
              and(
                eq(accountAddresses.directoryId, directoryId),
                eq(accountAddresses.active, true),
                inArray(accountAddresses.address, keys.addresses),
              ),
            )
        : null;
      const holding = or(
        keys.userNames.length ? inArray(sql`lower(${accounts.userName})`, keys.userNames) : undefined,
        keys.phones.length ? inArray(accounts.phone, keys.phones) : undefined,
        byAddress ? inArray(accounts.id, byAddress) : undefined,
      );
      if (holding) {
        // Seen active in the mirror, but the provider no longer has them active: deleted since.
        // The next sync finds them in the bin (or marks them gone).
        const stillActive = active.map((u) => u.externalId);
        await tx
          .update(accounts)
          .set({ status: "deleted", deletedAt: now, deletedBy: null, syncedAt: null, updatedAt: now })
          .where(
            and(
              eq(accounts.directoryId, directoryId),
              eq(accounts.status, "active"),
              holding,
              stillActive.length ? notInArray(accounts.externalId, stillActive) : undefined,
            ),
          );
      }
      for (const user of active) {
        const fields = mirrorFields(user);
        const [row] = await tx
          .insert(accounts)
          .values({ ...fields, directoryId, status: "active", createdAt: now, updatedAt: now })
          .onConflictDoUpdate({
            target: [accounts.directoryId, accounts.externalId],
            set: {
              ...fields,
              status: "active",
              deletedAt: null,
              deletedBy: null,
              deletionCompletesAt: null,
              purgeAfter: null,
              purgedAt: null,
              version: sql`${accounts.version} + 1`,
              updatedAt: now,
            },
            // Unchanged holders keep their version: a pending replace checks it at approval.
            setWhere: sql`(${accounts.status}, ${accounts.userName}, ${accounts.email}, ${accounts.aliases},
              ${accounts.phone}, ${accounts.displayName}, ${accounts.department}, ${accounts.license})
              is distinct from ('active', excluded.user_name, excluded.email, excluded.aliases,
              excluded.phone, excluded.display_name, excluded.department, excluded.license)`,
          })
          .returning();
        if (!row) continue;
        await tx.delete(accountAddresses).where(eq(accountAddresses.accountId, row.id));
        if (keepsAddresses(connector.profile.capabilities.unique)) await insertAddresses(tx, row);
      }
    });
  } catch (error) {
    // The mirror disagrees with itself (an address on two mirrored accounts): the restore still
    // goes to the provider, which refuses a real conflict itself.
    if (!isUniqueViolation(error)) throw error;
    log.warn("could not mirror the provider's active holders", { provider: connector.name });
  }
  return active;
}
