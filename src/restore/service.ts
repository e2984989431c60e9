/**
 * The restore domain's front door, behind every interface (Slack, the CLI): who may do what is
 * checked here, the same for both, then each verb is handed to its use case — restore now or in a
 * batch (restore-now.ts), the approval lifecycle (approval.ts), the password pickup
 * (password-pickup.ts), a manual sync and the digest preview (manual.ts), import, purge, refresh.
 * Refusals come back as values. Knows nothing of Slack or the terminal.
 */

import { and, desc, eq } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { preparedFor } from "../db/prepared.ts";
import { type AuditEvent, directories, type RestoreRequest, restoreRequests } from "../db/schema.ts";
import type { Digest } from "../digest/build.ts";
import { said } from "../i18n/said.ts";
import {
  type ImportInput,
  type ImportOptions,
  type ImportSummary,
  importAccounts,
} from "../import/import.ts";
import type { Logger } from "../log.ts";
import { silentLog } from "../log.ts";
import type { SyncResult } from "../mirror/sync.ts";
import { enqueueNotices } from "../outbox/notices.ts";
import type { DirectoryConnector } from "../providers/port.ts";
import { type AccessPolicy, type Action, may } from "./access.ts";
import type { ApproveOutcome, ReplaceRequested } from "./approval.ts";
import * as approval from "./approval.ts";
import { type AttentionItem, needingAttention, readAudit, recentRestores } from "./audit.ts";
import { connectorOf, type RestoreOptions, type ServiceContext, type ServiceSettings } from "./context.ts";
import { DirectoryNames } from "./directory-names.ts";
import type { RestoreDone } from "./execute.ts";
import { loadDirectory } from "./execute.ts";
import { isUuid } from "./ids.ts";
import { idOf, resolveAccount } from "./lookup.ts";
import { previewDigest, syncNow } from "./manual.ts";
import { type Refusal, Refused, refusalsAsValues } from "./outcome.ts";
import { issueTemporaryPassword } from "./password-pickup.ts";
import { buildPlan } from "./plan.ts";
import type { AccountSummary, RestoreChoices, RestorePlan } from "./plan-types.ts";
import { askProvider } from "./provider-ask.ts";
import { ProviderChecks } from "./provider-check.ts";
import { purgeExpired } from "./purge.ts";
import { type Refreshed, refreshFromProvider } from "./refresh.ts";
import { type BatchItem, restoreBatch, restoreNow } from "./restore-now.ts";
import {
  type DeletedAccountView,
  type SearchFilters,
  type SearchResult,
  searchDeleted,
  toView,
} from "./search.ts";
import { ATTENTION_DAYS, DAY_MS } from "./window.ts";

export type { ApproveOutcome, ReplaceRequested } from "./approval.ts";
export type { RestoreOptions, ServiceSettings } from "./context.ts";
export { PASSWORD_PICKUP_HOURS } from "./password-pickup.ts";
export type { BatchItem } from "./restore-now.ts";

export class RestoreService {
  private readonly ctx: ServiceContext;
  private readonly noticeListeners = new Set<() => void>();
  /** Directory names for screens, read every 2 s at most. */
  private readonly directories: DirectoryNames;

  constructor(
    db: Db,
    clock: Clock,
    /** Swapped as user groups' members change (usePolicy); every check reads the current one. */
    private policy: AccessPolicy,
    settings: ServiceSettings,
    /** Provider connectors by directory id; directories without one live in our database. */
    connectors: ReadonlyMap<string, DirectoryConnector> = new Map(),
    log: Logger = silentLog,
  ) {
    this.ctx = {
      db,
      clock,
      log,
      settings,
      connectors,
      checks: new ProviderChecks(db, clock, log),
      noticesWritten: () => {
        for (const listener of this.noticeListeners) listener();
      },
    };
    this.directories = new DirectoryNames(async () => {
      const rows = await directoryNamesQuery(db).execute();
      return Object.fromEntries(rows.map((r) => [r.id, r.name]));
    });
  }

  /**
   * Called after a change that owes people notices has committed them to the outbox, so a
   * sender in this process delivers them at once rather than at its next look. Returns the way
   * to stop listening.
   */
  onNoticesWritten(listener: () => void): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  /** From now on, checks answer by this policy (a user group's members changed). */
  usePolicy(policy: AccessPolicy): void {
    this.policy = policy;
  }

  private allow(actor: string, action: Action): void {
    if (!may(this.policy, actor, action)) throw new Refused("not_allowed", said("refusal.notAllowed"));
  }

  /** `work` runs only for someone allowed `action`; refusals come back as values. */
  private as<T>(actor: string, action: Action, work: () => Promise<T>): Promise<T | Refusal> {
    return refusalsAsValues(async () => {
      this.allow(actor, action);
      return work();
    });
  }

  /** Whether someone may search and restore, and whether they may decide requests. */
  rolesOf(actor: string): { admin: boolean; approver: boolean } {
    return { admin: may(this.policy, actor, "restore"), approver: may(this.policy, actor, "decide") };
  }

  /** The connector of an account's directory, or null for the built-in directory. */
  connectorOf(directoryId: string): DirectoryConnector | null {
    return connectorOf(this.ctx, directoryId);
  }

  /**
   * Copies providers' deleted users into the mirror now (the scheduler also does, claimed once per
   * slot). One directory, or every configured provider.
   */
  sync(actor: string, directoryId?: string): Promise<SyncResult[] | Refusal> {
    return this.as(actor, "restore", () => syncNow(this.ctx, actor, directoryId));
  }

  /** Deleted, deleting and purged accounts matching the filters. */
  search(actor: string, filters: SearchFilters): Promise<SearchResult | Refusal> {
    return this.as(actor, "search", () => searchDeleted(this.ctx.db, filters, this.ctx.clock.now()));
  }

  /**
   * Finds an account by id, user name or email. Deleted ones come first; several deleted accounts
   * may share a user name (deleted at different times), and then the admin must pick by id.
   */
  findAccount(actor: string, ref: string): Promise<DeletedAccountView | Refusal> {
    return this.as(actor, "search", async () =>
      toView(await resolveAccount(this.ctx.db, ref), this.ctx.clock.now()),
    );
  }

  /** What a restore would do, with every conflict and the resolutions each allows. Changes nothing. */
  plan(actor: string, ref: string, choices: RestoreChoices = {}): Promise<RestorePlan | Refusal> {
    return this.as(actor, "search", async () => {
      const { db, clock } = this.ctx;
      const account = await resolveAccount(db, ref);
      const providerCheck = await askProvider(this.ctx, account, choices.renameTo);
      const directory = await loadDirectory(db, account.directoryId);
      const plan = await buildPlan(db, account, directory, choices, clock.now());
      return providerCheck ? { ...plan, providerCheck } : plan;
    });
  }

  /**
   * Restores one account now (or re-creates it where the directory cannot restore). Replace is not
   * done here: it goes through requestReplace and a second admin's approval.
   */
  restore(
    actor: string,
    ref: string,
    choices: RestoreChoices = {},
    options: RestoreOptions = {},
  ): Promise<RestoreDone | Refusal> {
    return this.as(actor, "restore", async () => {
      if (choices.replace) {
        throw new Refused("needs_approval", said("refusal.needsApproval"));
      }
      return restoreNow(this.ctx, actor, await idOf(this.ctx.db, ref), choices, options.idempotencyKey);
    });
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
      return new Refused("not_allowed", said("refusal.notAllowed")).toRefusal();
    return restoreBatch(this.ctx, actor, refs, choices, options.idempotencyKey);
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
    return this.as(actor, "restore", () =>
      approval.requestReplace(this.ctx, actor, ref, reason, choices, options),
    );
  }

  /**
   * An approver's yes. Never the requester; counted once per approver; when enough approvals are in,
   * everything is checked again and the replace runs, in the same transaction as the decision.
   */
  approve(actor: string, requestId: string): Promise<ApproveOutcome | Refusal> {
    return this.as(actor, "decide", () => approval.approve(this.ctx, actor, requestId));
  }

  /** An approver's no, with a reason the requester will read. */
  reject(
    actor: string,
    requestId: string,
    reason: string,
  ): Promise<{ type: "rejected"; request: RestoreRequest } | Refusal> {
    return this.as(actor, "decide", () => approval.reject(this.ctx, actor, requestId, reason));
  }

  /**
   * Whether `actor` may decide the request now (before a form asks them for a reason): the same
   * checks approve and reject make again, under a lock, when they act.
   */
  checkDecision(actor: string, requestId: string): Promise<RestoreRequest | Refusal> {
    return this.as(actor, "decide", () => approval.checkDecision(this.ctx, actor, requestId));
  }

  /** Replace requests, newest first. */
  listRequests(actor: string, filter: { pendingOnly?: boolean } = {}): Promise<RestoreRequest[] | Refusal> {
    return this.as(actor, "read", () =>
      this.ctx.db
        .select()
        .from(restoreRequests)
        .where(
          and(
            eq(restoreRequests.kind, "replace"),
            filter.pendingOnly ? eq(restoreRequests.status, "pending") : undefined,
          ),
        )
        .orderBy(desc(restoreRequests.createdAt))
        .limit(500),
    );
  }

  getRequest(actor: string, requestId: string): Promise<RestoreRequest | Refusal> {
    return this.as(actor, "read", async () => {
      if (!isUuid(requestId)) throw new Refused("not_found", said("refusal.noSuchRequest"));
      const [request] = await this.ctx.db
        .select()
        .from(restoreRequests)
        .where(eq(restoreRequests.id, requestId));
      if (!request) throw new Refused("not_found", said("refusal.noRequest", { id: requestId }));
      return request;
    });
  }

  /** Housekeeping: pending requests past their expiry become expired (the app acting, not a person). */
  expirePending(): Promise<RestoreRequest[]> {
    return approval.expirePending(this.ctx);
  }

  /** Housekeeping: reminders owed for requests pending longer than `hours`, once across copies. */
  remindersDue(hours: number): Promise<RestoreRequest[]> {
    return approval.remindersDue(this.ctx, hours);
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
    return this.as(actor, "read", () => previewDigest(this.ctx, settings, date));
  }

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
    return this.as(actor, "import", async () => {
      try {
        const summary = await importAccounts(this.ctx.db, input, actor, this.ctx.clock.now(), options);
        // It may have added a directory: screens name it now, not in two seconds.
        this.directories.forget();
        return summary;
      } catch (error) {
        // The clash check reads what was committed when each page was checked; a restore, sync
        // or another writer can take a name, address or phone after that and before the insert.
        if (isUniqueViolation(error)) {
          throw new Refused("race", said("refusal.race.import"));
        }
        throw error;
      }
    });
  }

  /** Accounts past their window become tombstones. */
  purge(actor: string): Promise<{ purged: { id: string; userName: string }[] } | Refusal> {
    return this.as(actor, "purge", async () => ({
      purged: await purgeExpired(this.ctx.db, actor, this.ctx.clock.now()),
    }));
  }

  /**
   * A new temporary password for the account a request restored, for its requester, once
   * (password-pickup.ts).
   */
  issueTemporaryPassword(
    actor: string,
    requestId: string,
  ): Promise<{ account: AccountSummary; temporaryPassword: string } | Refusal> {
    return this.as(actor, "restore", () => issueTemporaryPassword(this.ctx, actor, requestId));
  }

  /**
   * A click on a request decided meanwhile: its ask is brought up to date once more (normally
   * the decision's own notice did that already; updating twice is harmless), so no stale button
   * stays. For those who may decide.
   */
  async showDecided(actor: string, requestId: string): Promise<void> {
    if (!may(this.policy, actor, "decide") || !isUuid(requestId)) return;
    await enqueueNotices(this.ctx.db, [{ kind: "approval_changed", requestId }], this.ctx.clock.now());
    this.ctx.noticesWritten();
  }

  /** Remembers where a request's approval message is, so it can be updated in place later. */
  async recordApprovalMessage(requestId: string, message: { channel: string; ts: string }): Promise<void> {
    await this.ctx.db
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
    return this.as(actor, "read", () => recentRestores(this.ctx.db, limit));
  }

  /**
   * Reads a provider's account again, by id, and writes what the provider says: the way out of
   * "needs attention" after a restore the records could not follow (refresh.ts).
   */
  refresh(actor: string, ref: string): Promise<Refreshed | Refusal> {
    return this.as(actor, "restore", async () => {
      const { db, clock, log } = this.ctx;
      const account = await resolveAccount(db, ref);
      const connector = this.connectorOf(account.directoryId);
      if (!connector) {
        throw new Refused("invalid_input", said("refusal.refresh.builtIn", { userName: account.userName }));
      }
      return refreshFromProvider(db, connector, account, { actor, now: clock.now(), log });
    });
  }

  /** Restores a provider did that this app's records could not follow, for App Home. */
  needingAttention(actor: string): Promise<AttentionItem[] | Refusal> {
    return this.as(actor, "read", () =>
      needingAttention(this.ctx.db, new Date(this.ctx.clock.now().getTime() - ATTENTION_DAYS * DAY_MS)),
    );
  }

  audit(actor: string, since?: Date): Promise<AuditEvent[] | Refusal> {
    return this.as(actor, "read", () => readAudit(this.ctx.db, since));
  }
}

/** Every search and plan screen names directories: built and planned once (see preparedFor). */
const directoryNamesQuery = preparedFor((db) =>
  db.select({ id: directories.id, name: directories.name }).from(directories).prepare("directory_names"),
);
