import { and, eq } from "drizzle-orm";
import { insertAddresses, keepsAddresses, snapshotOf } from "../accounts/rows.ts";
import type { Db } from "../db/client.ts";
import { type Account, accounts, type Directory, directories, seats } from "../db/schema.ts";
import { type Said, said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";
import { type Logger, silentLog } from "../log.ts";
import type { DirectoryConnector, RestoredUser } from "../providers/port.ts";
import { type AuditInput, auditView, recordAudit, refreshStep, refreshStepSaid } from "./audit.ts";
import { type Followed, followProvider } from "./follow.ts";
import { blockedBy, Refused } from "./outcome.ts";
import { generateTemporaryPassword, hashPassword } from "./password.ts";
import { buildPlan } from "./plan.ts";
import { type AccountSummary, type RestoreChoices, type RestorePlan, summarize } from "./plan-types.ts";
import { callProvider, type Removed, restoreInProvider } from "./provider-call.ts";
import { asProviderSays, type RowInput, writeRestored } from "./restored-row.ts";
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
  /** The same checklist, to be said in the reader's language; absent in records made before. */
  followUpSaid?: Said[];
  mustChangePassword: boolean;
  /** What the mirror changed to follow the provider (follow.ts); absent in records made before. */
  notes?: string[];
  /** The same notes, to be said in the reader's language; absent in records made before. */
  notesSaid?: Said[];
  /** The provider acted but this app's records could not follow: what happened and what to do. */
  needsAttention?: string | null;
  /** The same, to be said in the reader's language; absent when `needsAttention` is. */
  needsAttentionSaid?: Said;
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
  if (!account) throw new Refused("not_found", said("refusal.noSuchAccount"));
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
  if (!row) throw new Refused("not_found", said("refusal.noSuchAccount"));
  return row;
}

export async function loadDirectory(db: Db, id: string) {
  const [directory] = await db.select().from(directories).where(eq(directories.id, id));
  if (!directory) throw new Error(`directory ${id} is missing`);
  return directory;
}

/**
 * Plans again and restores (or re-creates) one account, which the caller has locked
 * (lockForRestore) in its transaction, in steps: plan under the seat lock, remove the replaced
 * account (an approved replace), restore in the provider and follow it or write the row, then the
 * addresses and the audit. Throws Refused when the plan is not ready, so the caller's transaction
 * rolls everything back.
 */
export async function executeRestore(
  tx: Db,
  ctx: ExecuteContext,
  locked: { account: Account; directory: Directory },
  choices: RestoreChoices,
): Promise<{ record: RestoreRecord; temporaryPassword: string | null; plan: RestorePlan }> {
  const { account, directory } = locked;
  const connector = ctx.connector ?? null;
  // scrypt runs on libuv's pool while the plan's queries go to the database.
  const password = directory.capabilities.setsPassword ? generateTemporaryPassword() : null;
  const passwordHash = password ? hashPassword(password) : Promise.resolve(null);
  passwordHash.catch(() => {}); // awaited below; a refusal before then must not leave it unhandled
  const plan = await planUnderSeatLock(tx, ctx, locked, choices);
  const base = { at: ctx.now, actor: ctx.actor, directoryId: directory.id, requestId: ctx.requestId };
  const replace = plan.replaces ? await removeReplaced(tx, ctx, locked, plan, plan.replaces, base) : null;
  const rowInput: RowInput = {
    account,
    directory,
    plan,
    now: ctx.now,
    // A provider keeps its own passwords: ours would only be a hash of nothing anyone signs in with.
    passwordHash: connector ? null : await passwordHash,
    mustChangePassword: password !== null,
  };
  const { restored, followed } = connector
    ? await restoreThroughProvider(tx, ctx, connector, rowInput, password, replace?.removed ?? null)
    : { restored: await writeRestored(tx, rowInput, null), followed: null };
  const record = recordOf(ctx, rowInput, choices, restored, followed, replace?.summary ?? null);
  const audits = [
    ...(replace ? [replace.audit] : []),
    ...restoreAudits(base, rowInput, choices, record, restored, followed, connector),
  ];
  // Pipelined for the built-in directory: if the addresses clash (a race the plan could not see),
  // the transaction fails and the audit goes with it. A provider's addresses went in with its row.
  await Promise.all([
    !connector && keepsAddresses(directory.capabilities.unique) ? insertAddresses(tx, restored) : null,
    recordAudit(tx, ...audits),
  ]);
  return { record, temporaryPassword: password, plan };
}

type AuditBase = Pick<AuditInput, "at" | "actor" | "directoryId" | "requestId">;

/**
 * The plan again, inside the transaction, refused unless ready. Two restores into the last seat of
 * a plan queue on the seat lock, so the second one counts the first. The plan's queries are sent
 * right behind it on the same connection (pipelined): the server runs them in order, so the seat
 * count still comes after the lock.
 */
async function planUnderSeatLock(
  tx: Db,
  ctx: ExecuteContext,
  { account, directory }: { account: Account; directory: Directory },
  choices: RestoreChoices,
): Promise<RestorePlan> {
  const [, plan] = await Promise.all([
    account.license ? lockSeatPlan(tx, account.directoryId, account.license) : null,
    buildPlan(tx, account, directory, choices, ctx.now),
  ]);
  if (!plan.ready) {
    const field = plan.choiceErrors[0]?.field;
    const code = plan.choiceErrors.length > 0 ? "invalid_choice" : "blocked";
    throw new Refused(code, blockedBy(plan), { plan, ...(field ? { field } : {}) });
  }
  if (plan.needsApproval && !ctx.allowReplace) {
    throw new Refused("needs_approval", said("refusal.needsApproval"), {
      plan,
    });
  }
  return plan;
}

/**
 * The approved replace's first half: the active account, unchanged since the request, is deleted
 * (in the provider first), with its own full window so nothing is lost.
 */
async function removeReplaced(
  tx: Db,
  ctx: ExecuteContext,
  { account, directory }: { account: Account; directory: Directory },
  plan: RestorePlan,
  replaces: AccountSummary,
  base: AuditBase,
): Promise<{ summary: AccountSummary; removed: Removed | null; audit: AuditInput }> {
  const connector = ctx.connector ?? null;
  const target = await lockAccount(tx, replaces.id);
  const changed =
    target.status !== "active" ||
    (ctx.replacesAccountId != null && ctx.replacesAccountId !== target.id) ||
    (ctx.replacesVersion != null && ctx.replacesVersion !== target.version);
  if (changed) {
    throw new Refused("changed", said("refusal.changed", { name: target.displayName }));
  }
  if (connector) await callProvider(tx, plan, directory, () => connector.removeActive(target.externalId));
  const purgeAfter =
    directory.retentionDays === null ? null : new Date(ctx.now.getTime() + directory.retentionDays * DAY_MS);
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
  const summary = summarize(after as Account);
  return {
    summary,
    removed: connector ? { externalId: target.externalId, summary } : null,
    audit: {
      ...base,
      action: "replace",
      accountIds: [target.id, account.id],
      before: auditView(target),
      after: auditView(after as Account),
      details: { replacedBy: account.id },
    },
  };
}

/** The provider restores (or re-creates) first; from then on it is the truth (follow.ts). */
async function restoreThroughProvider(
  tx: Db,
  ctx: ExecuteContext,
  connector: DirectoryConnector,
  rowInput: RowInput,
  password: string | null,
  removed: Removed | null,
): Promise<{ restored: Account; followed: Followed }> {
  const { account, directory, plan } = rowInput;
  const remote = await restoreInProvider(tx, connector, { account, directory }, plan, password, removed);
  ctx.acted?.(remote);
  const followed = await followProvider(
    tx,
    { connector, accountId: account.id, now: ctx.now, log: ctx.log ?? silentLog },
    remote,
    async (db, user, shared) => {
      const row = await writeRestored(db, rowInput, user);
      if (keepsAddresses(directory.capabilities.unique)) await insertAddresses(db, row, shared);
      return row;
    },
  );
  return { restored: followed.account ?? asProviderSays(account, followed.user, plan.action), followed };
}

/** What the restore did, as the admin reads it and a repeated request gets it back. */
function recordOf(
  ctx: ExecuteContext,
  rowInput: RowInput,
  choices: RestoreChoices,
  restored: Account,
  followed: Followed | null,
  replaced: AccountSummary | null,
): RestoreRecord {
  const { account, plan } = rowInput;
  const connector = ctx.connector ?? null;
  const o = plan.outcome;
  const needsAttentionSaid =
    followed && !followed.account && connector
      ? said("followed.needsAttention", {
          name: restored.displayName,
          userName: restored.userName,
          action: plan.action,
          provider: connector.name,
          failure: String(followed.failure),
          refreshStep: refreshStepSaid(account.id, connector.name),
        })
      : null;
  const needsAttention = needsAttentionSaid ? say(ENGLISH, needsAttentionSaid) : null;
  const notesSaid = [...(followed?.notesSaid ?? []), ...departmentNote(connector, choices, followed)];
  return {
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
    ...(plan.followUpSaid ? { followUpSaid: plan.followUpSaid } : {}),
    mustChangePassword: rowInput.mustChangePassword,
    notes: notesSaid.map((n) => say(ENGLISH, n)),
    notesSaid,
    needsAttention,
    ...(needsAttentionSaid ? { needsAttentionSaid } : {}),
  };
}

/** The restore's audit, and where the provider acted but the records could not follow, a second one. */
function restoreAudits(
  base: AuditBase,
  { account, plan }: RowInput,
  choices: RestoreChoices,
  record: RestoreRecord,
  restored: Account,
  followed: Followed | null,
  connector: DirectoryConnector | null,
): AuditInput[] {
  const { needsAttention } = record;
  const audits: AuditInput[] = [
    {
      ...base,
      action: plan.action,
      accountIds: plan.action === "restore" || !followed?.account ? [account.id] : [account.id, restored.id],
      before: auditView(account),
      after: auditView(restored),
      details: {
        choices,
        renamedFrom: record.renamedFrom,
        droppedAliases: plan.outcome.droppedAliases,
        ...(connector ? { provider: connector.name, providerId: followed?.user.externalId ?? null } : {}),
        ...(followed?.reconciled.length ? { reconciled: followed.reconciled } : {}),
        ...(needsAttention ? { mirror: "not updated" } : {}),
      },
    },
  ];
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
  return audits;
}

/** A department the admin chose that the provider did not take: said, not hidden. */
function departmentNote(
  connector: DirectoryConnector | null,
  choices: RestoreChoices,
  followed: Followed | null,
): Said[] {
  const chosen = choices.department?.trim();
  if (!connector || !followed || !chosen || followed.user.department === chosen) return [];
  return [
    said("followed.departmentKept", {
      provider: connector.name,
      department: followed.user.department ?? said("followed.noDepartment"),
      chosen,
    }),
  ];
}
