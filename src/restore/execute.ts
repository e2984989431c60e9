import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { insertAddresses, keepsAddresses, mirrorFields, searchTextOf, snapshotOf } from "../accounts/rows.ts";
import type { Db } from "../db/client.ts";
import {
  type Account,
  type AccountSnapshot,
  accountAddresses,
  accounts,
  type Directory,
  departments,
  directories,
  seats,
} from "../db/schema.ts";
import { type Logger, silentLog } from "../log.ts";
import {
  type DirectoryConnector,
  ProviderError,
  type ProviderUser,
  type RestoredUser,
} from "../providers/port.ts";
import { type AuditInput, auditView, recordAudit, refreshStep } from "./audit.ts";
import { type Followed, followProvider } from "./follow.ts";
import { Refused } from "./outcome.ts";
import { generateTemporaryPassword, hashPassword } from "./password.ts";
import { buildPlan, withProviderConflict } from "./plan.ts";
import { type AccountSummary, type RestoreChoices, type RestorePlan, summarize } from "./plan-types.ts";
import { DAY_MS } from "./window.ts";

/** What a restore did, without secrets: also what a repeated request gets back. */
export interface RestoreRecord {
  action: "restore" | "recreate";
  requestId: string;
  /** The account as restored; for a re-creation, the new account. */
  account: AccountSummary;
  /** The deleted account that was restored or re-created from. */
  fromAccountId: string;
  renamedFrom: string | null;
  droppedAliases: string[];
  droppedEmail: string | null;
  droppedPhone: string | null;
  department: string | null;
  replaced: AccountSummary | null;
  followUp: string[];
  mustChangePassword: boolean;
  /** What the mirror changed to follow the provider (follow.ts); absent in records made before. */
  notes?: string[];
  /** The provider acted but this app's records could not follow: what happened and what to do. */
  needsAttention?: string | null;
}

export interface RestoreDone extends RestoreRecord {
  type: "restored";
  /** Shown once to the admin who restored, privately; never stored, never logged. null on a repeat. */
  temporaryPassword: string | null;
  /** This answer comes from an earlier identical request: nothing was done again. */
  repeated: boolean;
}

export interface ExecuteContext {
  actor: string;
  now: Date;
  requestId: string;
  /** Replace runs only from an approved request. */
  allowReplace: boolean;
  /** The replaced account must still be at this version (unchanged since the request). */
  replacesVersion?: number | null;
  replacesAccountId?: string | null;
  /** The provider the directory lives in; absent for the built-in directory. */
  connector?: DirectoryConnector | null;
  /** Told the moment the provider has acted: from then on, a failure must not say "nothing restored". */
  acted?: (user: RestoredUser) => void;
  log?: Logger;
}

/** Locks the account row: concurrent restores of one account queue here and the second re-plans. */
export async function lockAccount(tx: Db, id: string): Promise<Account> {
  const [account] = await tx.select().from(accounts).where(eq(accounts.id, id)).for("update");
  if (!account) throw new Refused("not_found", "No such account.");
  return account;
}

async function lockSeatPlan(tx: Db, directoryId: string, license: string): Promise<void> {
  await tx
    .select({ license: seats.license })
    .from(seats)
    .where(and(eq(seats.directoryId, directoryId), eq(seats.license, license)))
    .for("update");
}

/** The account locked for a restore, with its directory, in one round trip. */
export async function lockForRestore(
  tx: Db,
  id: string,
): Promise<{ account: Account; directory: Directory }> {
  const [row] = await tx
    .select({ account: accounts, directory: directories })
    .from(accounts)
    .innerJoin(directories, eq(directories.id, accounts.directoryId))
    .where(eq(accounts.id, id))
    .for("update", { of: accounts });
  if (!row) throw new Refused("not_found", "No such account.");
  return row;
}

export async function loadDirectory(db: Db, id: string) {
  const [directory] = await db.select().from(directories).where(eq(directories.id, id));
  if (!directory) throw new Error(`directory ${id} is missing`);
  return directory;
}

/**
 * Plans again and restores (or re-creates) one account, which the caller has locked
 * (lockForRestore) in its transaction. Throws Refused when the plan is not ready, so the caller's
 * transaction rolls everything back.
 */
export async function executeRestore(
  tx: Db,
  ctx: ExecuteContext,
  locked: { account: Account; directory: Directory },
  choices: RestoreChoices,
): Promise<{ record: RestoreRecord; temporaryPassword: string | null; plan: RestorePlan }> {
  const { account, directory } = locked;
  // scrypt runs on libuv's pool while the plan's queries go to the database.
  const password = directory.capabilities.setsPassword ? generateTemporaryPassword() : null;
  const passwordHash = password ? hashPassword(password) : Promise.resolve(null);
  passwordHash.catch(() => {}); // awaited below; a refusal before then must not leave it unhandled
  // Two restores into the last seat of a plan queue on this lock, so the second one counts the
  // first. The plan's queries are sent right behind it on the same connection (pipelined): the
  // server runs them in order, so the seat count still comes after the lock.
  const [, plan] = await Promise.all([
    account.license ? lockSeatPlan(tx, account.directoryId, account.license) : null,
    buildPlan(tx, account, directory, choices, ctx.now),
  ]);
  if (!plan.ready) {
    const field = plan.choiceErrors[0]?.field;
    const code = plan.choiceErrors.length > 0 ? "invalid_choice" : "blocked";
    throw new Refused(code, plan.blockers.join(" "), { plan, ...(field ? { field } : {}) });
  }
  if (plan.needsApproval && !ctx.allowReplace) {
    throw new Refused(
      "needs_approval",
      "Replacing an active account needs a second admin's approval: request it.",
      {
        plan,
      },
    );
  }

  const audits: AuditInput[] = [];
  const base = { at: ctx.now, actor: ctx.actor, directoryId: directory.id, requestId: ctx.requestId };

  let replaced: AccountSummary | null = null;
  let removed: Removed | null = null;
  const connector = ctx.connector ?? null;
  if (plan.replaces) {
    const target = await lockAccount(tx, plan.replaces.id);
    const changed =
      target.status !== "active" ||
      (ctx.replacesAccountId != null && ctx.replacesAccountId !== target.id) ||
      (ctx.replacesVersion != null && ctx.replacesVersion !== target.version);
    if (changed) {
      throw new Refused(
        "changed",
        `${target.displayName}'s account changed since the request was made: nothing was done.`,
      );
    }
    if (connector) await callProvider(tx, plan, directory, () => connector.removeActive(target.externalId));
    const purgeAfter =
      directory.retentionDays === null
        ? null
        : new Date(ctx.now.getTime() + directory.retentionDays * DAY_MS);
    const [after] = await tx
      .update(accounts)
      .set({
        status: "deleted",
        deletedAt: ctx.now,
        deletedBy: ctx.actor,
        deletionCompletesAt: null,
        purgeAfter,
        snapshot: snapshotOf(target),
        version: target.version + 1,
        updatedAt: ctx.now,
      })
      .where(eq(accounts.id, target.id))
      .returning();
    replaced = summarize(after as Account);
    if (connector) removed = { externalId: target.externalId, summary: replaced };
    audits.push({
      ...base,
      action: "replace",
      accountIds: [target.id, account.id],
      before: auditView(target),
      after: auditView(after as Account),
      details: { replacedBy: account.id },
    });
  }

  const o = plan.outcome;
  const rowInput = {
    account,
    directory,
    plan,
    now: ctx.now,
    // A provider keeps its own passwords: ours would only be a hash of nothing anyone signs in with.
    passwordHash: connector ? null : await passwordHash,
    mustChangePassword: password !== null,
  };
  let restored: Account;
  let followed: Followed | null = null;
  if (connector) {
    // The provider restores (or re-creates) first; from then on it is the truth (follow.ts).
    const remote = await restoreInProvider(tx, connector, { account, directory }, plan, password, removed);
    ctx.acted?.(remote);
    followed = await followProvider(
      tx,
      { connector, accountId: account.id, now: ctx.now, log: ctx.log ?? silentLog },
      remote,
      async (db, user, shared) => {
        const row = await writeRestored(db, rowInput, user);
        if (keepsAddresses(directory.capabilities.unique)) await insertAddresses(db, row, shared);
        return row;
      },
    );
    restored = followed.account ?? asProviderSays(account, followed.user, plan.action);
  } else {
    restored = await writeRestored(tx, rowInput, null);
  }
  const needsAttention =
    followed && !followed.account && connector
      ? `${restored.displayName} (${restored.userName}) was ${plan.action === "restore" ? "restored" : "re-created"} in ${connector.name}, but this app's records could not follow: ${followed.failure}. Nothing needs undoing in ${connector.name}. ${refreshStep(account.id, connector.name)} Until then it is listed under "Needs attention" in App Home and the digest.`
      : null;
  const record: RestoreRecord = {
    action: plan.action,
    requestId: ctx.requestId,
    account: summarize(restored),
    fromAccountId: account.id,
    renamedFrom: o.userName === account.userName ? null : account.userName,
    droppedAliases: o.droppedAliases,
    droppedEmail: account.email && !o.email ? account.email : null,
    droppedPhone: account.phone && !o.phone ? account.phone : null,
    department: followed ? followed.user.department : o.department,
    replaced,
    followUp: plan.followUp,
    mustChangePassword: password !== null,
    notes: [...(followed?.notes ?? []), ...departmentNote(connector, choices, followed)],
    needsAttention,
  };
  audits.push({
    ...base,
    action: plan.action,
    accountIds: plan.action === "restore" || !followed?.account ? [account.id] : [account.id, restored.id],
    before: auditView(account),
    after: auditView(restored),
    details: {
      choices,
      renamedFrom: record.renamedFrom,
      droppedAliases: o.droppedAliases,
      ...(connector ? { provider: connector.name, providerId: followed?.user.externalId ?? null } : {}),
      ...(followed?.reconciled.length ? { reconciled: followed.reconciled } : {}),
      ...(needsAttention ? { mirror: "not updated" } : {}),
    },
  });
  if (needsAttention && connector) {
    audits.push({
      ...base,
      action: "needs_attention",
      accountIds: [account.id],
      before: auditView(account),
      after: auditView(restored),
      details: {
        provider: connector.name,
        providerId: followed?.user.externalId ?? null,
        did: plan.action,
        cause: followed?.failure ?? null,
        nextStep: refreshStep(account.id, connector.name),
      },
    });
  }
  // Pipelined for the built-in directory: if the addresses clash (a race the plan could not see),
  // the transaction fails and the audit goes with it. A provider's addresses went in with its row.
  await Promise.all([
    !connector && keepsAddresses(directory.capabilities.unique) ? insertAddresses(tx, restored) : null,
    recordAudit(tx, ...audits),
  ]);
  return { record, temporaryPassword: password, plan };
}

interface RowInput {
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
async function writeRestored(tx: Db, input: RowInput, user: ProviderUser | null): Promise<Account> {
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

/** A department the admin chose that the provider did not take: said, not hidden. */
function departmentNote(
  connector: DirectoryConnector | null,
  choices: RestoreChoices,
  followed: Followed | null,
): string[] {
  const chosen = choices.department?.trim();
  if (!connector || !followed || !chosen || followed.user.department === chosen) return [];
  return [
    `${connector.name} kept the department ${followed.user.department ?? "(none)"}: the chosen ${chosen} was not set. Set it in ${connector.name}'s admin console.`,
  ];
}

/** The account as the provider has it, when the mirror could not be written: what the admin is shown. */
function asProviderSays(account: Account, user: ProviderUser, action: RestorePlan["action"]): Account {
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

/** What a replace removed, for undoing it when the restore that should follow fails. */
interface Removed {
  externalId: string;
  summary: AccountSummary;
}

/**
 * Calls the provider; a ProviderError becomes a refusal that names the provider and its code, so
 * the transaction rolls back and the admin reads why. A conflict the provider found that our
 * check could not see (a group holding the address, a race with its console) comes back as the
 * same conflict in the plan, with the choices the directory has.
 */
async function callProvider<T>(
  tx: Db,
  plan: RestorePlan,
  directory: Directory,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    if (error.conflict) {
      const message = providerFailure(error, "Nothing was restored.");
      // A department the provider says is gone: offer the ones the last sync listed.
      const known =
        error.conflict === "department"
          ? (
              await tx
                .select({ name: departments.name })
                .from(departments)
                .where(eq(departments.directoryId, directory.id))
            ).map((d) => d.name)
          : [];
      throw new Refused("blocked", message, {
        plan: withProviderConflict(plan, error.conflict, message, directory.capabilities, known),
      });
    }
    throw new Refused("provider", providerFailure(error, "Nothing was restored."), { plan });
  }
}

/**
 * What happened, what it means for the account, and what to do next, in that order:
 * "Google Workspace: the app may not manage users (403). Nothing was restored. Give the service
 * account domain-wide delegation … and try again."
 */
export function providerFailure(error: ProviderError, outcome: string): string {
  const next = error.nextStep ?? (error.transient ? "Try again in a few minutes." : null);
  return [`${error.message}.`, outcome, next].filter(Boolean).join(" ");
}

async function restoreInProvider(
  tx: Db,
  connector: DirectoryConnector,
  { account, directory }: { account: Account; directory: Directory },
  plan: RestorePlan,
  password: string | null,
  removed: Removed | null,
): Promise<RestoredUser> {
  const o = plan.outcome;
  const source = account.snapshot ?? snapshotOf(account);
  const input = {
    externalId: account.externalId,
    user: { externalId: account.externalId, ...source },
    newUserName: o.userName === account.userName ? null : o.userName,
    dropAliases: o.droppedAliases,
    // Also when the email changes with a rename: the old address stays with whoever holds it now.
    dropEmail: account.email !== null && o.email?.toLowerCase() !== account.email.toLowerCase(),
    newEmail: o.email && o.email.toLowerCase() !== account.email?.toLowerCase() ? o.email : null,
    dropPhone: account.phone !== null && o.phone === null,
    department: o.department,
    license: o.license,
    temporaryPassword: password,
  };
  try {
    return await callProvider(tx, plan, directory, () =>
      plan.action === "restore" ? connector.restore(input) : connector.recreate(input),
    );
  } catch (error) {
    if (!removed || !(error instanceof Refused)) throw error;
    // The replaced user is already deleted in the provider: put it back, so a failed replace
    // leaves both accounts as they were.
    const who = `${removed.summary.displayName} (${removed.summary.userName})`;
    try {
      if (!connector.profile.capabilities.canRestore) throw new Error("cannot restore");
      await connector.restore({
        externalId: removed.externalId,
        user: { externalId: removed.externalId, ...snapshotFromSummary(removed.summary) },
        newUserName: null,
        dropAliases: [],
        dropEmail: false,
        newEmail: null,
        dropPhone: false,
        department: null,
        license: null,
        temporaryPassword: null,
      });
    } catch {
      throw new Refused(
        "provider",
        `${error.message} ${who} was already deleted in ${connector.name} and could not be put back: restore it there from the deleted users.`,
        { plan },
      );
    }
    throw new Refused("provider", `${error.message} ${who} was put back as it was.`, { plan });
  }
}

function snapshotFromSummary(s: AccountSummary): AccountSnapshot {
  return {
    userName: s.userName,
    email: s.email,
    aliases: [],
    phone: null,
    displayName: s.displayName,
    givenName: null,
    familyName: null,
    department: s.department,
    license: s.license,
  };
}
