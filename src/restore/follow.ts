/**
 * After a provider has acted (restored, re-created), the provider is the truth. Our write of its
 * answer can still fail: the mirror holds a stale active row with the same user name or address
 * (Graph answers a renamed restore with the user's *old* `mail`, which the mirror has on the
 * account that caused the rename). Then "nothing was restored" would be false. Instead:
 *
 * 1. read the restored user again, by id, from the provider;
 * 2. re-read every mirrored active account holding one of its keys: gone in the provider →
 *    tombstoned here (the next sync finds it in the bin), still active → refreshed with what the
 *    provider says; an address the provider lets both keep is not indexed for the restored one;
 * 3. write again. If that fails too, the caller records `needs_attention` with both states.
 *
 * Each attempt runs in its own savepoint, so a failed one leaves the transaction usable and the
 * decision, the audit and the admin's answer are still written.
 */
import { and, eq, inArray, ne, or, sql } from "drizzle-orm";
import { insertAddresses, keepsAddresses, mirrorFields } from "../accounts/rows.ts";
import type { Db } from "../db/client.ts";
import { type Account, accountAddresses, accounts } from "../db/schema.ts";
import { type Said, said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";
import { describeError, type Logger } from "../log.ts";
import { type DirectoryConnector, ProviderError, type ProviderUser } from "../providers/port.ts";

/** Writes the restored account as `user` says, without indexing `shared` addresses; returns the row. */
export type WriteRestored = (db: Db, user: ProviderUser, shared: ReadonlySet<string>) => Promise<Account>;

export interface Followed {
  /** The mirror's row as the provider has it; null when even the second write failed. */
  account: Account | null;
  /** What the provider answered last: the truth to show and audit. */
  user: ProviderUser;
  /** Sentences for the admin: what the mirror had to change to follow the provider (English). */
  notes: string[];
  /** The same sentences, to be said in the reader's language. */
  notesSaid: Said[];
  /** Why the mirror could not follow (no personal data): set together with account null. */
  failure: string | null;
  /** Mirrored accounts changed to follow the provider, for the audit. */
  reconciled: { id: string; userName: string; became: "refreshed" | "deleted" }[];
}

const MAX_HOLDERS = 20;

export async function followProvider(
  tx: Db,
  input: {
    connector: DirectoryConnector;
    /** The account being restored (its row id, and for a re-creation the new row's id once written). */
    accountId: string;
    now: Date;
    log: Logger;
    /** `answered` was just read by id: no need to ask for it again. */
    readById?: boolean;
  },
  answered: ProviderUser,
  write: WriteRestored,
): Promise<Followed> {
  const first = await attempt(tx, (sp) => write(sp, answered, new Set()));
  if (first.ok)
    return { account: first.value, user: answered, notes: [], notesSaid: [], failure: null, reconciled: [] };

  const { connector, log } = input;
  log.warn("the provider's answer did not fit the mirror; reading it again", {
    provider: connector.name,
    error: describeError(first.error),
  });
  const notesSaid: Said[] = [];
  let user = answered;
  try {
    if (!input.readById) user = (await connector.readActive?.(answered.externalId)) ?? answered;
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    notesSaid.push(said("followed.notAskedAgain", { provider: connector.name, code: error.code }));
  }
  const fields = mirrorFields(user);
  const unique = connector.profile.capabilities.unique;
  const addresses = keepsAddresses(unique)
    ? [
        ...new Set(
          [fields.email, ...fields.aliases].filter((a): a is string => !!a).map((a) => a.toLowerCase()),
        ),
      ]
    : [];

  const holders = await tx
    .select()
    .from(accounts)
    .where(
      and(
        eq(accounts.directoryId, connector.kind),
        eq(accounts.status, "active"),
        ne(accounts.id, input.accountId),
        ne(accounts.externalId, user.externalId),
        or(
          sql`lower(${accounts.userName}) = ${fields.userName.toLowerCase()}`,
          addresses.length
            ? inArray(
                accounts.id,
                tx
                  .select({ id: accountAddresses.accountId })
                  .from(accountAddresses)
                  .where(
                    and(
                      eq(accountAddresses.directoryId, connector.kind),
                      eq(accountAddresses.active, true),
                      inArray(accountAddresses.address, addresses),
                    ),
                  ),
              )
            : undefined,
        ),
      ),
    )
    .limit(MAX_HOLDERS);

  const reconciled: Followed["reconciled"] = [];
  const shared = new Set<string>();
  for (const holder of holders) {
    let now: ProviderUser | null;
    try {
      now = connector.readActive ? await connector.readActive(holder.externalId) : holder;
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      continue; // Left as it is: the second write shows whether it still stands in the way.
    }
    if (now === null) {
      await tombstone(tx, holder, input.now);
      reconciled.push({ id: holder.id, userName: holder.userName, became: "deleted" });
      notesSaid.push(
        said("followed.holderGone", {
          name: holder.displayName,
          userName: holder.userName,
          provider: connector.name,
        }),
      );
      continue;
    }
    const refreshed = await attempt(tx, (sp) => refresh(sp, holder, now, unique, input.now));
    if (refreshed.ok) {
      reconciled.push({ id: holder.id, userName: holder.userName, became: "refreshed" });
      const theirs = new Set(
        [refreshed.value.email, ...refreshed.value.aliases]
          .filter((a): a is string => !!a)
          .map((a) => a.toLowerCase()),
      );
      for (const address of addresses) {
        if (!theirs.has(address)) continue;
        shared.add(address);
        notesSaid.push(
          said("followed.addressShared", {
            provider: connector.name,
            address,
            name: user.displayName,
            other: now.displayName,
          }),
        );
      }
    }
  }

  const second = await attempt(tx, (sp) => write(sp, user, shared));
  const notes = notesSaid.map((n) => say(ENGLISH, n));
  if (second.ok) return { account: second.value, user, notes, notesSaid, failure: null, reconciled };
  log.error("the mirror could not follow the provider", {
    provider: connector.name,
    error: describeError(second.error),
  });
  return {
    account: null,
    user,
    notes,
    notesSaid,
    failure: causeOf(second.error),
    reconciled,
  };
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `work` in a savepoint: a failure rolls back only what it wrote. */
async function attempt<T>(tx: Db, work: (sp: Db) => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await tx.transaction(work) };
  } catch (error) {
    return { ok: false, error };
  }
}

async function tombstone(tx: Db, holder: Account, now: Date): Promise<void> {
  await tx
    .update(accounts)
    .set({
      status: "deleted",
      deletedAt: now,
      deletedBy: null,
      syncedAt: null,
      version: holder.version + 1,
      updatedAt: now,
    })
    .where(eq(accounts.id, holder.id));
  await tx.update(accountAddresses).set({ active: false }).where(eq(accountAddresses.accountId, holder.id));
}

async function refresh(
  tx: Db,
  holder: Account,
  user: ProviderUser,
  unique: Parameters<typeof keepsAddresses>[0],
  now: Date,
): Promise<Account> {
  const [row] = await tx
    .update(accounts)
    .set({ ...mirrorFields(user), version: holder.version + 1, updatedAt: now })
    .where(eq(accounts.id, holder.id))
    .returning();
  const account = row as Account;
  await tx.delete(accountAddresses).where(eq(accountAddresses.accountId, holder.id));
  if (keepsAddresses(unique)) await insertAddresses(tx, account);
  return account;
}

/** Postgres' own words for it, and its code, without the statement or its values. */
function causeOf(error: unknown): string {
  const e = error as { cause?: { code?: unknown; constraint_name?: unknown }; code?: unknown };
  const code =
    typeof e?.cause?.code === "string" ? e.cause.code : typeof e?.code === "string" ? e.code : null;
  if (code === "23505") return "two accounts in this app's records would hold the same user name or address";
  return code ? `the database refused the write (${code})` : "the database refused the write";
}
