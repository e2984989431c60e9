import { and, desc, eq, gt, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { preparedFor } from "../db/prepared.ts";
import {
  type Account,
  type AuditEvent,
  accounts,
  approvals,
  directories,
  type RestoreRequest,
  restoreRequests,
} from "../db/schema.ts";
import { buildDigest, type Digest } from "../digest/build.ts";
import { isLocalDate, localDateOf, zonedTime } from "../digest/calendar.ts";
import {
  type ImportInput,
  type ImportOptions,
  type ImportSummary,
  importAccounts,
} from "../directory/import.ts";
import { type DirectoryConnector, ProviderError, type RestoredUser } from "../directory/port.ts";
import { type SyncResult, syncDirectory } from "../directory/sync.ts";
import { describeError, errorFields, type Logger, silentLog } from "../log.ts";
import { decisionNotices, enqueueNotices } from "../outbox/notices.ts";
import { digestJob, lastFinished } from "../schedule/runs.ts";
import { type AccessPolicy, type Action, may, NOT_ALLOWED_MESSAGE, SYSTEM_ACTOR } from "./access.ts";
import {
  ATTENTION_DAYS,
  type AttentionItem,
  needingAttention,
  readAudit,
  recentRestores,
  recordAudit,
  refreshStep,
} from "./audit.ts";
import { DirectoryNames } from "./directory-names.ts";
import {
  executeRestore,
  loadDirectory,
  lockAccount,
  lockForRestore,
  providerFailure,
  type RestoreDone,
  type RestoreRecord,
} from "./execute.ts";
import { isUuid } from "./ids.ts";
import { type Refusal, Refused, refusalsAsValues } from "./outcome.ts";
import { generateTemporaryPassword, hashPassword } from "./password.ts";
import { type AccountSummary, buildPlan, type RestoreChoices, type RestorePlan, summarize } from "./plan.ts";
import { ProviderChecks } from "./provider-check.ts";
import { purgeExpired } from "./purge.ts";
import { type Refreshed, refreshFromProvider } from "./refresh.ts";
import {
  type DeletedAccountView,
  type SearchFilters,
  type SearchResult,
  searchDeleted,
  toView,
} from "./search.ts";
import { DAY_MS, HOUR_MS } from "./window.ts";

export interface ServiceSettings {
  /** Distinct approvers needed before a replace runs (APPROVALS_REQUIRED). */
  approvalsRequired: number;
  /** A pending request expires after this long (APPROVAL_TTL_HOURS). */
  approvalTtlHours: number;
}

export interface RestoreOptions {
  /** The same key twice does the work once; the second call gets the first answer (without the password). */
  idempotencyKey?: string;
}

export type ReplaceRequested = {
  type: "requested";
  request: RestoreRequest;
  plan: RestorePlan;
  repeated: boolean;
};

export type ApproveOutcome =
  | (RestoreDone & { request: RestoreRequest })
  /** Counted; more approvals are needed before anything happens. */
  | { type: "approval_recorded"; request: RestoreRequest; approvals: number; needed: number }
  /** The re-check found the world changed: the request failed and nothing else changed. */
  | { type: "failed"; request: RestoreRequest; reason: string };

export type BatchItem = { accountId: string; outcome: RestoreDone | Refusal };

/** A temporary password waits this long for its requester after an approved replace. */
export const PASSWORD_PICKUP_HOURS = 24;

/**
 * The restore domain behind every interface: who may do what, plans, restores, approvals,
 * purges and the audit trail. Knows nothing of Slack or the terminal.
 */
export class RestoreService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** Swapped as user groups' members change (usePolicy); every check reads the current one. */
    private policy: AccessPolicy,
    private readonly settings: ServiceSettings,
    /** Provider connectors by directory id; directories without one live in our database. */
    private readonly connectors: ReadonlyMap<string, DirectoryConnector> = new Map(),
    private readonly log: Logger = silentLog,
  ) {
    this.checks = new ProviderChecks(db, clock, log);
    this.directories = new DirectoryNames(async () => {
      const rows = await directoryNamesQuery(db).execute();
      return Object.fromEntries(rows.map((r) => [r.id, r.name]));
    });
  }

  private readonly noticeListeners = new Set<() => void>();
  /** The provider's answers about holders, kept a minute for plans (provider-check.ts). */
  private readonly checks: ProviderChecks;
  private readonly directories: DirectoryNames;

  /**
   * Called after a change that owes people notices has committed them to the outbox, so a
   * sender in this process delivers them at once rather than at its next look. Returns the way
   * to stop listening.
   */
  onNoticesWritten(listener: () => void): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  private noticesWritten(): void {
    for (const listener of this.noticeListeners) listener();
  }

  /**
   * Copies providers' deleted users into the mirror now (the scheduler also does, claimed once per
   * slot). One directory, or every configured provider.
   */
  sync(actor: string, directoryId?: string): Promise<SyncResult[] | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "restore");
      const all = [...this.connectors.values()];
      if (all.length === 0) {
        throw new Refused(
          "invalid_input",
          "No identity provider is configured: accounts live in the built-in directory. See the README's table of providers.",
        );
      }
      const chosen = directoryId ? all.filter((c) => c.kind === directoryId) : all;
      if (chosen.length === 0) {
        throw new Refused(
          "not_found",
          `No provider ${directoryId} is configured; configured: ${all.map((c) => c.kind).join(", ")}.`,
        );
      }
      const results: SyncResult[] = [];
      for (const connector of chosen) {
        try {
          results.push(
            await syncDirectory(this.db, connector, () => this.clock.now(), { actor, log: this.log }),
          );
        } catch (error) {
          if (!(error instanceof ProviderError)) throw error;
          throw new Refused(
            "provider",
            `${error.message}. The sync stopped; what it had copied is kept${results.length ? ` (and ${results.map((r) => r.directoryId).join(", ")} synced)` : ""}.`,
          );
        }
      }
      return results;
    });
  }

  /** The connector of an account's directory, or null for the built-in directory. */
  connectorOf(directoryId: string): DirectoryConnector | null {
    return this.connectors.get(directoryId) ?? null;
  }

  private async accountOfRequest(requestId: string): Promise<string | null> {
    const [row] = await this.db
      .select({ accountId: restoreRequests.accountId })
      .from(restoreRequests)
      .where(eq(restoreRequests.id, requestId));
    return row?.accountId ?? null;
  }

  /** Before an approval that may run a replace: the provider's holders, unless the click is refused anyway. */
  private async checkProviderFor(actor: string, requestId: string): Promise<DirectoryConnector | null> {
    if (this.connectors.size === 0 || !isUuid(requestId)) return null;
    const [request] = await this.db.select().from(restoreRequests).where(eq(restoreRequests.id, requestId));
    if (request?.status !== "pending" || request.requestedBy === actor) return null;
    if (!this.connectorOf(request.directoryId)) return null;
    return this.checkProvider(request.accountId);
  }

  /**
   * For a provider's account: who holds its names and addresses *in the provider* now, written into
   * the mirror before the restore plans. Skipped for the built-in directory.
   */
  private async checkProvider(
    accountId: string,
    renameTo?: string | null,
  ): Promise<DirectoryConnector | null> {
    // The built-in directory is its own truth: nothing to ask, and no extra query on its restores.
    if (this.connectors.size === 0) return null;
    const [account] = await this.db.select().from(accounts).where(eq(accounts.id, accountId));
    const connector = account ? this.connectorOf(account.directoryId) : null;
    if (!account || !connector) return null;
    try {
      await this.checks.check(connector, account, renameTo, { fresh: true });
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      throw new Refused(
        "provider",
        providerFailure(error, "Nothing was restored: the conflicts could not be checked."),
      );
    }
    return connector;
  }

  /** From now on, checks answer by this policy (a user group's members changed). */
  usePolicy(policy: AccessPolicy): void {
    this.policy = policy;
  }

  private allow(actor: string, action: Action): void {
    if (!may(this.policy, actor, action)) throw new Refused("not_allowed", NOT_ALLOWED_MESSAGE);
  }

  /** Deleted, deleting and purged accounts matching the filters. */
  search(actor: string, filters: SearchFilters): Promise<SearchResult | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "search");
      return searchDeleted(this.db, filters, this.clock.now());
    });
  }

  /**
   * Finds an account by id, user name or email. Deleted ones come first; several deleted accounts
   * may share a user name (deleted at different times), and then the admin must pick by id.
   */
  findAccount(actor: string, ref: string): Promise<DeletedAccountView | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "search");
      const account = await this.resolve(ref);
      return toView(account, this.clock.now());
    });
  }

  /** An id is used as it is (the restore's lock finds it or says there is none); names are looked up. */
  private async idOf(ref: string): Promise<string> {
    const key = ref.trim();
    return isUuid(key) ? key : (await this.resolve(key)).id;
  }

  private async resolve(ref: string): Promise<Account> {
    const key = ref.trim();
    const byId = isUuid(key);
    const lower = key.toLowerCase();
    const matches = await this.db
      .select()
      .from(accounts)
      .where(
        byId
          ? eq(accounts.id, key)
          : or(
              sql`lower(${accounts.userName}) = ${lower}`,
              sql`lower(${accounts.email}) = ${lower}`,
              eq(accounts.externalId, key),
            ),
      )
      .limit(20);
    if (matches.length === 0) throw new Refused("not_found", `No account matches ${ref}.`);
    // Active accounts only matter when nothing else matches; tombstones and re-created ones last.
    const rank = (a: Account) =>
      a.status === "active" ? 3 : a.status === "purged" ? 2 : a.recreatedAs ? 1 : 0;
    const best = Math.min(...matches.map(rank));
    const candidates = matches.filter((a) => rank(a) === best);
    if (candidates.length > 1) {
      const list = candidates
        .map((a) => `${a.id} (${a.userName}, deleted ${a.deletedAt?.toISOString() ?? "?"})`)
        .join("; ");
      throw new Refused("ambiguous", `${ref} matches ${candidates.length} accounts; use an id: ${list}.`);
    }
    return candidates[0] as Account;
  }

  /** What a restore would do, with every conflict and the resolutions each allows. Changes nothing. */
  plan(actor: string, ref: string, choices: RestoreChoices = {}): Promise<RestorePlan | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "search");
      const account = await this.resolve(ref);
      const providerCheck = await this.askProvider(account, choices.renameTo);
      const directory = await loadDirectory(this.db, account.directoryId);
      const plan = await buildPlan(this.db, account, directory, choices, this.clock.now());
      return providerCheck ? { ...plan, providerCheck } : plan;
    });
  }

  /**
   * A plan for a provider's deleted account asks the provider who holds its names now (kept for a
   * minute: see provider-check.ts). If it cannot be asked, the plan still shows what the mirror
   * knows, and says so; the restore asks again and refuses if it still cannot.
   */
  private async askProvider(
    account: Account,
    renameTo: string | null | undefined,
  ): Promise<RestorePlan["providerCheck"] | null> {
    const connector = account.status === "active" ? null : this.connectorOf(account.directoryId);
    if (!connector) return null;
    try {
      return { ...(await this.checks.check(connector, account, renameTo)), error: null };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      return {
        provider: connector.name,
        checkedAt: null,
        cached: false,
        error: providerFailure(
          error,
          `The conflicts below are what this app last saw; the restore asks ${connector.name} again.`,
        ),
      };
    }
  }

  /**
   * Restores one account now (or re-creates it where the directory cannot restore). Replace is not
   * done here: it goes through requestReplace and a second admin's approval.
   */
  restore(actor: string, ref: string, choices: RestoreChoices = {}, options: RestoreOptions = {}) {
    return refusalsAsValues(async (): Promise<RestoreDone> => {
      this.allow(actor, "restore");
      if (choices.replace) {
        throw new Refused(
          "needs_approval",
          "Replacing an active account needs a second admin's approval: request it.",
        );
      }
      return this.restoreNow(actor, await this.idOf(ref), choices, options.idempotencyKey);
    });
  }

  private async restoreNow(actor: string, accountId: string, choices: RestoreChoices, key?: string) {
    const connector = await this.checkProvider(accountId, choices.renameTo);
    const now = this.clock.now();
    const acted = new ProviderActed();
    return acted.guard(this, { actor, accountId, now, connector }, () =>
      this.withRaceMessage(() =>
        this.db.transaction(async (tx): Promise<RestoreDone> => {
          // Lock the account before the request row references it: inserting the request takes a
          // key-share lock on the account, and ten of those waiting to upgrade would deadlock.
          const locked = await lockForRestore(tx, accountId);
          const { account } = locked;
          const claimed = await claimRequest(tx, {
            idempotencyKey: key ?? null,
            kind: "restore",
            directoryId: account.directoryId,
            accountId,
            requestedBy: actor,
            choices,
            status: "completed",
            createdAt: now,
          });
          if (!claimed.fresh) return repeatOf(claimed.request);
          const { record, temporaryPassword } = await executeRestore(
            tx,
            {
              actor,
              now,
              requestId: claimed.request.id,
              allowReplace: false,
              connector,
              acted: acted.seen,
              log: this.log,
            },
            locked,
            choices,
          );
          await tx
            .update(restoreRequests)
            .set({
              result: toJson(record),
              decidedAt: now,
              decidedBy: actor,
              // Shown in this very answer: nobody collects it again later.
              passwordIssuedAt: temporaryPassword ? now : null,
            })
            .where(eq(restoreRequests.id, claimed.request.id));
          return { type: "restored", ...record, temporaryPassword, repeated: false };
        }),
      ),
    );
  }

  /**
   * The provider acted, then our transaction failed as a whole (the database went away, the commit
   * failed): the admin must not read "nothing was restored". Records what it can, in a transaction
   * of its own, and says exactly what happened.
   */
  async providerActedButNotRecorded(
    input: { actor: string; accountId: string; now: Date; connector: DirectoryConnector },
    user: RestoredUser,
    error: unknown,
  ): Promise<Refused> {
    const { connector } = input;
    this.log.error("a provider acted but the restore could not be recorded", {
      provider: connector.name,
      ...errorFields(error),
    });
    const cause = error instanceof Error ? describeError(error) : "the database failed";
    try {
      await recordAudit(this.db, {
        at: input.now,
        actor: input.actor,
        action: "needs_attention",
        directoryId: connector.kind,
        accountIds: [input.accountId],
        after: { externalId: user.externalId, userName: user.userName, displayName: user.displayName },
        details: {
          provider: connector.name,
          providerId: user.externalId,
          cause: "the restore was not recorded",
        },
      });
    } catch (again) {
      this.log.error("could not record that a provider acted", { ...errorFields(again) });
    }
    return new Refused(
      "not_recorded",
      `${user.displayName} (${user.userName}) was restored in ${connector.name}, but this app could not record it (${cause}). Nothing needs undoing in ${connector.name}. Once the database answers: ${refreshStep(input.accountId, connector.name)}`,
    );
  }

  /** The unique indexes catch what a plan could not see: a name taken between check and write. */
  private async withRaceMessage<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new Refused(
          "race",
          "Another change took the same user name, address or phone a moment ago. Nothing was restored; look at the plan again.",
        );
      }
      throw error;
    }
  }

  /**
   * Several accounts, each checked and restored on its own: one failure rolls back nothing else.
   * Rename does not apply to a batch (each account needs its own name).
   */
  async restoreMany(
    actor: string,
    refs: string[],
    choices: Omit<RestoreChoices, "renameTo" | "replace"> = {},
    options: RestoreOptions = {},
  ): Promise<BatchItem[] | Refusal> {
    if (!may(this.policy, actor, "restore"))
      return new Refused("not_allowed", NOT_ALLOWED_MESSAGE).toRefusal();
    const items: BatchItem[] = [];
    for (const [i, ref] of refs.entries()) {
      const key = options.idempotencyKey ? `${options.idempotencyKey}:${i}` : undefined;
      const outcome = await refusalsAsValues(async () => {
        const account = await this.resolve(ref);
        const directory = await loadDirectory(this.db, account.directoryId);
        if (refs.length > 1 && !directory.capabilities.batchRestore) {
          throw new Refused("batch_not_supported", `${directory.name} restores one account at a time.`);
        }
        return this.restoreNow(actor, account.id, choices, key);
      });
      items.push({ accountId: ref, outcome });
    }
    return items;
  }

  /**
   * Replace is destructive, so it only creates a request: nothing else changes until a second
   * admin approves. Refused now if anything but the user name conflict would still block it.
   */
  requestReplace(
    actor: string,
    ref: string,
    reason: string,
    choices: Omit<RestoreChoices, "replace" | "renameTo"> = {},
    options: RestoreOptions = {},
  ): Promise<ReplaceRequested | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "restore");
      if (!reason.trim())
        throw new Refused("invalid_input", "Give a reason: the approver needs it.", { field: "reason" });
      const account = await this.resolve(ref);
      const now = this.clock.now();
      const replaceChoices: RestoreChoices = { ...choices, replace: true };
      const requested = await this.db.transaction(async (tx) => {
        const locked = await lockAccount(tx, account.id);
        const directory = await loadDirectory(tx, locked.directoryId);
        const plan = await buildPlan(tx, locked, directory, replaceChoices, now);
        if (!plan.ready || !plan.replaces) {
          const field = plan.choiceErrors[0]?.field;
          throw new Refused(
            plan.choiceErrors.length ? "invalid_choice" : "blocked",
            plan.blockers.join(" "),
            {
              plan,
              ...(field ? { field } : {}),
            },
          );
        }
        const [target] = await tx.select().from(accounts).where(eq(accounts.id, plan.replaces.id));
        const claimed = await claimRequest(tx, {
          idempotencyKey: options.idempotencyKey ?? null,
          kind: "replace",
          directoryId: locked.directoryId,
          accountId: locked.id,
          replacesAccountId: target?.id ?? null,
          replacesVersion: target?.version ?? null,
          requestedBy: actor,
          reason: reason.trim(),
          choices: replaceChoices,
          status: "pending",
          approvalsNeeded: this.settings.approvalsRequired,
          expiresAt: new Date(now.getTime() + this.settings.approvalTtlHours * HOUR_MS),
          details: {
            restore: { ...plan.account, window: plan.restorability },
            replace: plan.replaces,
            outcome: plan.outcome,
            conflicts: plan.conflicts.map((c) => c.kind),
            whatHappens: [
              directory.retentionDays === null
                ? `${plan.replaces.displayName} (${plan.replaces.userName}, active) is ${directory.kind === "okta" ? "deactivated" : "deleted"}, restorable with no time limit.`
                : `${plan.replaces.displayName} (${plan.replaces.userName}, active) is deleted, restorable for ${directory.retentionDays} days.`,
              `${locked.displayName} (${locked.userName}) is restored in its place.`,
            ],
          },
          createdAt: now,
        });
        if (claimed.fresh) {
          await enqueueNotices(tx, [{ kind: "approval_asked", requestId: claimed.request.id }], now);
          await recordAudit(tx, {
            at: now,
            actor,
            action: "replace_requested",
            directoryId: directory.id,
            accountIds: [locked.id, plan.replaces.id],
            requestId: claimed.request.id,
            details: { reason: reason.trim(), expiresAt: claimed.request.expiresAt?.toISOString() },
          });
        }
        return { type: "requested" as const, request: claimed.request, plan, repeated: !claimed.fresh };
      });
      if (!requested.repeated) this.noticesWritten();
      return requested;
    });
  }

  /**
   * An approver's yes. Never the requester; counted once per approver; when enough approvals are in,
   * everything is checked again and the replace runs, in the same transaction as the decision.
   * The request row is locked, so concurrent clicks queue and only the first one executes.
   */
  approve(actor: string, requestId: string): Promise<ApproveOutcome | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "decide");
      const connector = await this.checkProviderFor(actor, requestId);
      const now = this.clock.now();
      const acted = new ProviderActed();
      const accountId = connector ? await this.accountOfRequest(requestId) : null;
      const result = await acted.guard(this, { actor, accountId: accountId ?? "", now, connector }, () =>
        this.db.transaction(async (tx) => {
          const request = await lockPendingRequest(tx, requestId);
          refuseOwnRequest(request, actor);
          if (isPastExpiry(request, now)) return { expired: await expireRequest(tx, request, now) };
          const inserted = await tx
            .insert(approvals)
            .values({ requestId: request.id, approver: actor, createdAt: now })
            .onConflictDoNothing()
            .returning();
          if (inserted.length === 0) {
            throw new Refused(
              "already_approved",
              "You already approved this request; it is waiting for another approver.",
            );
          }
          await recordAudit(tx, {
            at: now,
            actor,
            action: "approve",
            directoryId: request.directoryId,
            accountIds: [
              request.accountId,
              ...(request.replacesAccountId ? [request.replacesAccountId] : []),
            ],
            requestId: request.id,
          });
          const [{ n } = { n: 0 }] = await tx
            .select({ n: sql<number>`count(*)::int` })
            .from(approvals)
            .where(eq(approvals.requestId, request.id));
          if (n < request.approvalsNeeded) {
            // Counted: the ask is brought up to date; the requester hears at the decision.
            await enqueueNotices(tx, [{ kind: "approval_changed", requestId: request.id }], now);
            return {
              outcome: {
                type: "approval_recorded" as const,
                request,
                approvals: n,
                needed: request.approvalsNeeded,
              },
            };
          }
          const outcome = await this.executeApproved(tx, request, actor, now, connector, acted.seen);
          await enqueueNotices(tx, decisionNotices(request.id), now);
          return { outcome };
        }),
      );
      this.noticesWritten();
      if ("expired" in result) throw expiredRefusal();
      return result.outcome;
    });
  }

  /** Runs the approved replace inside a savepoint: if the re-check fails, only the decision is kept. */
  private async executeApproved(
    tx: Db,
    request: RestoreRequest,
    actor: string,
    now: Date,
    connector: DirectoryConnector | null,
    acted?: (user: RestoredUser) => void,
  ): Promise<ApproveOutcome> {
    try {
      const done = await tx.transaction(async (sp) =>
        this.withRaceMessage(async () =>
          executeRestore(
            sp,
            {
              actor,
              now,
              requestId: request.id,
              allowReplace: true,
              replacesAccountId: request.replacesAccountId,
              replacesVersion: request.replacesVersion,
              connector,
              acted,
              log: this.log,
            },
            await lockForRestore(sp, request.accountId),
            request.choices,
          ),
        ),
      );
      const [updated] = await tx
        .update(restoreRequests)
        .set({ status: "completed", decidedAt: now, decidedBy: actor, result: toJson(done.record) })
        .where(eq(restoreRequests.id, request.id))
        .returning();
      return {
        type: "restored",
        ...done.record,
        temporaryPassword: done.temporaryPassword,
        repeated: false,
        request: updated as RestoreRequest,
      };
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      const reason = `The re-check at approval failed, so nothing was changed: ${error.message}`;
      const [updated] = await tx
        .update(restoreRequests)
        .set({ status: "failed", decidedAt: now, decidedBy: actor, decisionReason: reason })
        .where(eq(restoreRequests.id, request.id))
        .returning();
      await recordAudit(tx, {
        at: now,
        actor,
        action: "approval_failed",
        directoryId: request.directoryId,
        accountIds: [request.accountId],
        requestId: request.id,
        details: { reason: error.message, code: error.code },
      });
      return { type: "failed", request: updated as RestoreRequest, reason };
    }
  }

  /** An approver's no, with a reason the requester will read. */
  reject(
    actor: string,
    requestId: string,
    reason: string,
  ): Promise<{ type: "rejected"; request: RestoreRequest } | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "decide");
      if (!reason.trim())
        throw new Refused("invalid_input", "Give a reason for the rejection.", { field: "reason" });
      const now = this.clock.now();
      const result = await this.db.transaction(async (tx) => {
        const request = await lockPendingRequest(tx, requestId);
        refuseOwnRequest(request, actor);
        // Past its expiry a request is expired, whatever the decision: the expiry is kept.
        if (isPastExpiry(request, now)) return { expired: await expireRequest(tx, request, now) };
        const [updated] = await tx
          .update(restoreRequests)
          .set({ status: "rejected", decidedAt: now, decidedBy: actor, decisionReason: reason.trim() })
          .where(eq(restoreRequests.id, request.id))
          .returning();
        await recordAudit(tx, {
          at: now,
          actor,
          action: "reject",
          directoryId: request.directoryId,
          accountIds: [request.accountId],
          requestId: request.id,
          details: { reason: reason.trim() },
        });
        await enqueueNotices(tx, decisionNotices(request.id), now);
        return { type: "rejected" as const, request: updated as RestoreRequest };
      });
      this.noticesWritten();
      if ("expired" in result) throw expiredRefusal();
      return result;
    });
  }

  /**
   * Whether `actor` may decide the request now (before a form asks them for a reason): the same
   * checks approve and reject make again, under a lock, when they act.
   */
  checkDecision(actor: string, requestId: string): Promise<RestoreRequest | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "decide");
      const request = await lockPendingRequest(this.db, requestId, { lock: false });
      refuseOwnRequest(request, actor);
      return request;
    });
  }

  /** Replace requests, newest first. */
  listRequests(actor: string, filter: { pendingOnly?: boolean } = {}): Promise<RestoreRequest[] | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "read");
      return this.db
        .select()
        .from(restoreRequests)
        .where(
          and(
            eq(restoreRequests.kind, "replace"),
            filter.pendingOnly ? eq(restoreRequests.status, "pending") : undefined,
          ),
        )
        .orderBy(desc(restoreRequests.createdAt))
        .limit(500);
    });
  }

  getRequest(actor: string, requestId: string): Promise<RestoreRequest | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "read");
      if (!isUuid(requestId)) throw new Refused("not_found", "No such request.");
      const [request] = await this.db.select().from(restoreRequests).where(eq(restoreRequests.id, requestId));
      if (!request) throw new Refused("not_found", `No request ${requestId}.`);
      return request;
    });
  }

  /**
   * Housekeeping: pending requests past their expiry become expired (and audited); the ask's
   * update and the requester's notice are owed in the same transaction.
   */
  async expirePending(): Promise<RestoreRequest[]> {
    const now = this.clock.now();
    const expired = await this.db.transaction(async (tx) => {
      const due = await tx
        .select()
        .from(restoreRequests)
        .where(and(eq(restoreRequests.status, "pending"), lte(restoreRequests.expiresAt, now)))
        .for("update", { skipLocked: true });
      const done: RestoreRequest[] = [];
      for (const request of due) done.push(await expireRequest(tx, request, now));
      return done;
    });
    if (expired.length > 0) this.noticesWritten();
    return expired;
  }

  /**
   * Housekeeping: pending requests older than `hours` that nobody was reminded of yet are marked
   * reminded, with the reminder owed in the same transaction, once across every copy of the app.
   */
  async remindersDue(hours: number): Promise<RestoreRequest[]> {
    const now = this.clock.now();
    const reminded = await this.db.transaction(async (tx) => {
      const due = await tx
        .select({ id: restoreRequests.id })
        .from(restoreRequests)
        .where(
          and(
            eq(restoreRequests.status, "pending"),
            isNull(restoreRequests.remindedAt),
            lte(restoreRequests.createdAt, new Date(now.getTime() - hours * HOUR_MS)),
            gt(restoreRequests.expiresAt, now),
          ),
        )
        .for("update", { skipLocked: true });
      if (due.length === 0) return [];
      await enqueueNotices(
        tx,
        due.map((r) => ({ kind: "approval_reminder" as const, requestId: r.id })),
        now,
      );
      return tx
        .update(restoreRequests)
        .set({ remindedAt: now })
        .where(
          inArray(
            restoreRequests.id,
            due.map((r) => r.id),
          ),
        )
        .returning();
    });
    if (reminded.length > 0) this.noticesWritten();
    return reminded;
  }

  /**
   * A day's digest as it would be sent, for an admin or approver to preview: today's as of now,
   * another day's as of its digest time. Purges are counted since the channel's last digest.
   */
  digest(
    actor: string,
    settings: { timeZone: string; windowDays: number; time: string; channel: string | null },
    date?: string,
  ): Promise<Digest | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "read");
      const now = this.clock.now();
      const today = localDateOf(now, settings.timeZone);
      const day = date ?? today;
      if (!isLocalDate(day)) {
        throw new Refused("invalid_input", `A day is written YYYY-MM-DD, such as 2026-11-27, not "${day}".`);
      }
      const at = day === today ? now : zonedTime(day, settings.time, settings.timeZone);
      return buildDigest(this.db, {
        date: day,
        timeZone: settings.timeZone,
        windowDays: settings.windowDays,
        now: at,
        since: settings.channel ? await lastFinished(this.db, digestJob(settings.channel), at) : null,
      });
    });
  }

  /** Accounts past their window become tombstones. */
  /**
   * Loads a file into a built-in directory, all or nothing: admins only. A bad row or a clash with
   * an account already there throws ImportRejected with every bad line. (The app's demo load at
   * start calls importAccounts itself: the app acting, not a person.)
   */
  importAccounts(
    actor: string,
    input: ImportInput,
    options: ImportOptions = {},
  ): Promise<ImportSummary | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "import");
      try {
        const summary = await importAccounts(this.db, input, actor, this.clock.now(), options);
        // It may have added a directory: screens name it now, not in two seconds.
        this.directories.forget();
        return summary;
      } catch (error) {
        // The clash check reads what was committed when each page was checked; a restore, sync
        // or another writer can take a name, address or phone after that and before the insert.
        if (isUniqueViolation(error)) {
          throw new Refused(
            "race",
            "Another change took a user name, address or phone in this file while it was importing; nothing was imported; run the import again.",
          );
        }
        throw error;
      }
    });
  }

  purge(actor: string): Promise<{ purged: { id: string; userName: string }[] } | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "purge");
      return { purged: await purgeExpired(this.db, actor, this.clock.now()) };
    });
  }

  /**
   * A new temporary password for the account a request restored, for its requester, once. An
   * approved replace runs in the approver's click, so the requester collects the password here
   * rather than finding it in a message. Everything is checked against the stored request, never
   * against what the button said: whose request, done, not collected yet, recent, and the account
   * still as that request left it.
   */
  issueTemporaryPassword(
    actor: string,
    requestId: string,
  ): Promise<{ account: AccountSummary; temporaryPassword: string } | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "restore");
      if (!isUuid(requestId)) throw new Refused("not_found", "No such restore.");
      const now = this.clock.now();
      return this.db.transaction(async (tx) => {
        // Locked: two clicks at once queue here, and the second finds the password collected.
        const [request] = await tx
          .select()
          .from(restoreRequests)
          .where(eq(restoreRequests.id, requestId))
          .for("update");
        if (!request) throw new Refused("not_found", "No such restore.");
        checkPasswordPickup(request, actor, now);
        const account = await lockAccount(tx, restoredAccountOf(request));
        if (account.status !== "active") {
          throw new Refused(
            "blocked",
            `${account.displayName} is not active any more, so there is no password to set. Restore the account again first.`,
          );
        }
        const connector = this.connectorOf(account.directoryId);
        if (connector) {
          throw new Refused(
            "blocked",
            `${connector.name} keeps its own passwords: set a temporary one for ${account.userName} in ${connector.name}'s admin console.`,
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
          throw new Refused(
            "changed",
            `${account.displayName} was restored again since this request: its password belongs to that later restore.`,
          );
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
        await tx
          .update(restoreRequests)
          .set({ passwordIssuedAt: now })
          .where(eq(restoreRequests.id, request.id));
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
    });
  }

  /**
   * A click on a request decided meanwhile: its ask is brought up to date once more (normally
   * the decision's own notice did that already; updating twice is harmless), so no stale button
   * stays. For those who may decide.
   */
  async showDecided(actor: string, requestId: string): Promise<void> {
    if (!may(this.policy, actor, "decide") || !isUuid(requestId)) return;
    await enqueueNotices(this.db, [{ kind: "approval_changed", requestId }], this.clock.now());
    this.noticesWritten();
  }

  /** Remembers where a request's approval message is, so it can be updated in place later. */
  async recordApprovalMessage(requestId: string, message: { channel: string; ts: string }): Promise<void> {
    await this.db
      .update(restoreRequests)
      .set({ approvalMessage: message })
      .where(eq(restoreRequests.id, requestId));
  }

  /** Directory ids and their names, for screens that say where an account lives (read every 2 s at most). */
  directoryNames(): Promise<Record<string, string>> {
    return this.directories.get();
  }

  /** The latest restores for the Home tab, with who did them. */
  recentRestores(actor: string, limit = 10): Promise<AuditEvent[] | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "read");
      return recentRestores(this.db, limit);
    });
  }

  /**
   * Reads a provider's account again, by id, and writes what the provider says: the way out of
   * "needs attention" after a restore the records could not follow (refresh.ts).
   */
  refresh(actor: string, ref: string): Promise<Refreshed | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "restore");
      const account = await this.resolve(ref);
      const connector = this.connectorOf(account.directoryId);
      if (!connector) {
        throw new Refused(
          "invalid_input",
          `${account.userName} is in the built-in directory, which is its own record: nothing to refresh.`,
        );
      }
      return refreshFromProvider(this.db, connector, account, {
        actor,
        now: this.clock.now(),
        log: this.log,
      });
    });
  }

  /** Restores a provider did that this app's records could not follow, for App Home. */
  needingAttention(actor: string): Promise<AttentionItem[] | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "read");
      return needingAttention(this.db, new Date(this.clock.now().getTime() - ATTENTION_DAYS * DAY_MS));
    });
  }

  /** Whether someone may search and restore, and whether they may decide requests. */
  rolesOf(actor: string): { admin: boolean; approver: boolean } {
    return { admin: may(this.policy, actor, "restore"), approver: may(this.policy, actor, "decide") };
  }

  audit(actor: string, since?: Date): Promise<AuditEvent[] | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, "read");
      return readAudit(this.db, since);
    });
  }
}

/** Who may collect a request's temporary password, and when: refused with the reason otherwise. */
function checkPasswordPickup(request: RestoreRequest, actor: string, now: Date): void {
  if (request.requestedBy !== actor) {
    throw new Refused(
      "not_allowed",
      "Only the admin who asked for this restore can get its temporary password.",
    );
  }
  if (request.status !== "completed" || !request.decidedAt) {
    throw new Refused(
      "blocked",
      `This request is ${request.status}: nothing was restored, so there is no password.`,
    );
  }
  if (request.passwordIssuedAt) {
    throw new Refused(
      "already_issued",
      "The temporary password of this restore was already given out, and a password is shown only once: nobody else can collect it later.",
    );
  }
  if (now.getTime() - request.decidedAt.getTime() > PASSWORD_PICKUP_HOURS * HOUR_MS) {
    throw new Refused(
      "expired",
      `A temporary password is collected within ${PASSWORD_PICKUP_HOURS} hours of the restore, and that time has passed.`,
    );
  }
}

/** The account a request brought back: a re-creation made a new one (its id is in the result). */
function restoredAccountOf(request: RestoreRequest): string {
  const account = (request.result as { account?: { id?: unknown } } | null)?.account;
  return typeof account?.id === "string" && isUuid(account.id) ? account.id : request.accountId;
}

/**
 * Deciding is for the others, both ways: a requester can neither approve nor reject (withdraw)
 * their own request; it waits for another approver or expires by itself.
 */
function refuseOwnRequest(request: RestoreRequest, actor: string): void {
  if (request.requestedBy === actor) {
    throw new Refused(
      "own_request",
      "You asked for this restore: another approver must decide it. If nobody does, it expires by itself.",
    );
  }
}

async function lockPendingRequest(
  tx: Db,
  requestId: string,
  { lock } = { lock: true },
): Promise<RestoreRequest> {
  if (!isUuid(requestId)) throw new Refused("not_found", "No such request.");
  const query = tx
    .select()
    .from(restoreRequests)
    .where(and(eq(restoreRequests.id, requestId), eq(restoreRequests.kind, "replace")));
  const [request] = lock ? await query.for("update") : await query;
  if (!request) throw new Refused("not_found", `No request ${requestId}.`);
  if (request.status !== "pending") {
    const by = request.decidedBy ? ` by ${request.decidedBy}` : "";
    const when = request.decidedAt ? ` at ${request.decidedAt.toISOString()}` : "";
    throw new Refused(
      "not_pending",
      `This request is no longer pending: it was ${request.status}${by}${when}.`,
    );
  }
  return request;
}

function isPastExpiry(request: RestoreRequest, now: Date): boolean {
  return request.expiresAt !== null && request.expiresAt.getTime() <= now.getTime();
}

/** Thrown after the transaction that recorded the expiry has committed. */
function expiredRefusal(): Refused {
  return new Refused(
    "expired",
    "This request expired before anyone decided it. Ask again if it is still needed.",
  );
}

/** Expired, audited, and the ask's update and the requester's notice owed, in the caller's transaction. */
async function expireRequest(tx: Db, request: RestoreRequest, now: Date): Promise<RestoreRequest> {
  const [updated] = await tx
    .update(restoreRequests)
    .set({ status: "expired", decidedAt: now, decisionReason: "Nobody decided in time." })
    .where(eq(restoreRequests.id, request.id))
    .returning();
  await enqueueNotices(tx, decisionNotices(request.id), now);
  await recordAudit(tx, {
    at: now,
    actor: SYSTEM_ACTOR,
    action: "expire",
    directoryId: request.directoryId,
    accountIds: [request.accountId],
    requestId: request.id,
  });
  return updated as RestoreRequest;
}

type NewRequest = typeof restoreRequests.$inferInsert;

/**
 * Inserts the request, or finds the one already made with the same idempotency key. A concurrent
 * twin waits on the unique index until the first commits, then gets its answer.
 */
async function claimRequest(
  tx: Db,
  values: NewRequest,
): Promise<{ fresh: boolean; request: RestoreRequest }> {
  const inserted = await tx
    .insert(restoreRequests)
    .values(values)
    .onConflictDoNothing({ target: restoreRequests.idempotencyKey })
    .returning();
  if (inserted[0]) return { fresh: true, request: inserted[0] };
  const [existing] = await tx
    .select()
    .from(restoreRequests)
    .where(eq(restoreRequests.idempotencyKey, values.idempotencyKey as string));
  if (!existing) throw new Error("idempotency key conflict without a row");
  // A key answers again only the request it was made for: the same kind, account and person.
  // Anything else is a forged or confused key, and "already done" would hide that nothing was.
  if (
    existing.kind !== values.kind ||
    existing.accountId !== values.accountId ||
    existing.requestedBy !== values.requestedBy
  ) {
    throw new Refused(
      "invalid_input",
      "This form was already used for another request, so nothing was done. Start again from /restore-user.",
    );
  }
  return { fresh: false, request: existing };
}

function repeatOf(request: RestoreRequest): RestoreDone {
  if (!request.result) {
    throw new Refused("invalid_input", "That idempotency key belongs to a different kind of request.");
  }
  return {
    type: "restored",
    ...(request.result as unknown as RestoreRecord),
    temporaryPassword: null,
    repeated: true,
  };
}

function toJson(record: RestoreRecord): Record<string, unknown> {
  return JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
}

/** Every search and plan screen names directories: built and planned once (see preparedFor). */
const directoryNamesQuery = preparedFor((db) =>
  db.select({ id: directories.id, name: directories.name }).from(directories).prepare("directory_names"),
);

/** Remembers whether the provider acted during a unit of work, to word a later failure truthfully. */
class ProviderActed {
  private user: RestoredUser | null = null;
  readonly seen = (user: RestoredUser): void => {
    this.user = user;
  };
  async guard<T>(
    service: RestoreService,
    input: { actor: string; accountId: string; now: Date; connector: DirectoryConnector | null },
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const { connector } = input;
      if (!this.user || !connector || error instanceof Refused) throw error;
      throw await service.providerActedButNotRecorded({ ...input, connector }, this.user, error);
    }
  }
}
