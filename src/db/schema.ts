import { sql } from "drizzle-orm";
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { DirectoryCapabilities } from "../providers/capabilities.ts";

const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const accountStatus = pgEnum("account_status", ["active", "deleting", "deleted", "purged"]);
export const requestStatus = pgEnum("request_status", [
  "pending", // waiting for approvals
  "completed", // the restore ran
  "rejected",
  "expired",
  "failed", // the re-check at approval found the world changed; nothing was touched
]);

export const directories = pgTable("directories", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  kind: text("kind").notNull(),
  /** null: deleted accounts never expire (Okta's deactivated users). */
  retentionDays: integer("retention_days"),
  capabilities: jsonb("capabilities").$type<DirectoryCapabilities>().notNull(),
  /** The checklist an admin works through after a restore: what does not come back. */
  followUp: jsonb("follow_up").$type<string[]>().notNull().default([]),
  /** Domains a user name may use (verified domains). Empty: user names have no domain. */
  domains: text("domains").array().notNull().default(sql`'{}'::text[]`),
  createdAt: at("created_at").notNull().defaultNow(),
});

export const departments = pgTable(
  "departments",
  {
    directoryId: text("directory_id")
      .notNull()
      .references(() => directories.id),
    name: text("name").notNull(),
  },
  (t) => [primaryKey({ columns: [t.directoryId, t.name] })],
);

/** Seats per plan: `total` licences of `license`; used = active accounts holding it. */
export const seats = pgTable(
  "seats",
  {
    directoryId: text("directory_id")
      .notNull()
      .references(() => directories.id),
    license: text("license").notNull(),
    total: integer("total").notNull(),
  },
  (t) => [primaryKey({ columns: [t.directoryId, t.license] })],
);

/** Enough of an account to create it again where a directory cannot restore. */
export interface AccountSnapshot {
  userName: string;
  email: string | null;
  aliases: string[];
  phone: string | null;
  displayName: string;
  givenName: string | null;
  familyName: string | null;
  department: string | null;
  license: string | null;
}

export const accounts = pgTable(
  "accounts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    // No foreign key (0014): statement triggers check an insert's directories once, not a row at
    // a time, and refuse deleting a directory that still has accounts, as the key did.
    directoryId: text("directory_id").notNull(),
    /** The account's id in its directory (Graph object id, Google user id, …). */
    externalId: text("external_id").notNull(),
    userName: text("user_name").notNull(),
    email: text("email"),
    aliases: text("aliases").array().notNull().default(sql`'{}'::text[]`),
    phone: text("phone"),
    displayName: text("display_name").notNull(),
    givenName: text("given_name"),
    familyName: text("family_name"),
    department: text("department"),
    license: text("license"),
    status: accountStatus("status").notNull(),
    deletedAt: at("deleted_at"),
    deletedBy: text("deleted_by"),
    /** For `deleting`: when the directory finishes the deletion and a restore becomes possible. */
    deletionCompletesAt: at("deletion_completes_at"),
    /** End of the restore window: deletedAt + the directory's retention. null while active or without a window. */
    purgeAfter: at("purge_after"),
    purgedAt: at("purged_at"),
    /** Set when a directory that cannot restore re-created this account as a new one. */
    recreatedAs: uuid("recreated_as"),
    snapshot: jsonb("snapshot").$type<AccountSnapshot>(),
    passwordHash: text("password_hash"),
    mustChangePassword: boolean("must_change_password").notNull().default(false),
    /** Lower-cased names and addresses in one string, for substring search. Written by the service. */
    searchText: text("search_text").notNull().default(""),
    /**
     * Lower-cased names only, for typo-tolerant search. Kept apart from the addresses because
     * every address shares the domain's trigrams: a fuzzy match over them matches everyone.
     */
    nameText: text("name_text")
      .notNull()
      .generatedAlwaysAs(
        sql`lower(display_name || ' ' || coalesce(given_name, '') || ' ' || coalesce(family_name, ''))`,
      ),
    /**
     * When a provider's listing last showed this account in its bin. A sync that lists the whole
     * bin marks what it did not see as gone; null for the built-in directory.
     */
    syncedAt: at("synced_at"),
    /** Bumped on every change, so an approval can tell that an account changed since it was requested. */
    version: integer("version").notNull().default(1),
    createdAt: at("created_at").notNull().defaultNow(),
    updatedAt: at("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("accounts_external_id").on(t.directoryId, t.externalId),
    // Two active accounts never share a user name (nor, in the built-in directory, a phone): the
    // database says so, not only the code.
    uniqueIndex("accounts_active_user_name")
      .on(t.directoryId, sql`lower(${t.userName})`)
      .where(sql`status = 'active'`),
    // Phones only in the built-in directory: providers keep their own rules (Okta and Entra let
    // two users share a phone), and the mirror must be able to hold what they hold.
    uniqueIndex("accounts_active_phone")
      .on(t.directoryId, t.phone)
      .where(sql`status = 'active' and directory_id = 'builtin'`),
    index("accounts_active_phone_lookup").on(t.directoryId, t.phone).where(sql`status = 'active'`),
    // Type-ahead over accounts that are not active only: the indexes stay a fraction of the table.
    index("accounts_inactive_search")
      .using("gin", t.searchText.op("gin_trgm_ops"))
      .where(sql`status <> 'active'`),
    index("accounts_inactive_names")
      .using("gin", t.nameText.op("gin_trgm_ops"))
      .where(sql`status <> 'active'`),
    index("accounts_inactive_purge_after").on(t.purgeAfter).where(sql`status <> 'active'`),
    // An admin names an account by user name, email or directory id, in any directory.
    index("accounts_user_name").on(sql`lower(${t.userName})`),
    index("accounts_email").on(sql`lower(${t.email})`),
    index("accounts_external_id_lookup").on(t.externalId),
    // Seats used = active accounts holding the licence: counted from the index alone.
    index("accounts_active_license").on(t.directoryId, t.license).where(sql`status = 'active'`),
  ],
);

/**
 * Every address an account answers to (primary email and aliases), one row each, lower-cased.
 * `active` follows the account's status (a trigger keeps it so), and a partial unique index
 * makes an address belong to at most one active account.
 */
export const accountAddresses = pgTable(
  "account_addresses",
  {
    // No foreign key (0012): only our code writes addresses, of the account it just wrote, and
    // statement triggers on accounts drop an account's addresses with it (DELETE, TRUNCATE).
    accountId: uuid("account_id").notNull(),
    directoryId: text("directory_id").notNull(),
    address: text("address").notNull(),
    isPrimary: boolean("is_primary").notNull(),
    active: boolean("active").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.address] }),
    // Every lookup by address asks for the active holder (clash checks, holders, plans): this
    // index serves them all. An account's own addresses are found by the primary key.
    uniqueIndex("account_addresses_active").on(t.directoryId, t.address).where(sql`active`),
  ],
);

export interface RestoreChoicesRecord {
  renameTo?: string;
  replace?: boolean;
  department?: string;
  dropEmail?: boolean;
  dropPhone?: boolean;
}

export const restoreRequests = pgTable(
  "restore_requests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** A repeated request with the same key does the work once and gets the first answer. */
    idempotencyKey: text("idempotency_key"),
    kind: text("kind").$type<"restore" | "replace">().notNull(),
    directoryId: text("directory_id")
      .notNull()
      .references(() => directories.id),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id),
    /** The active account a replace would remove, and its version when the request was made. */
    replacesAccountId: uuid("replaces_account_id").references(() => accounts.id),
    replacesVersion: integer("replaces_version"),
    requestedBy: text("requested_by").notNull(),
    reason: text("reason"),
    choices: jsonb("choices").$type<RestoreChoicesRecord>().notNull(),
    status: requestStatus("status").notNull(),
    approvalsNeeded: integer("approvals_needed").notNull().default(0),
    expiresAt: at("expires_at"),
    /** Both accounts as they were when the request was made, for the approver to see. */
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    /** What happened, without secrets: the outcome a repeated request gets back. */
    result: jsonb("result").$type<Record<string, unknown>>(),
    /**
     * When the temporary password of this restore reached its requester: at once for a restore
     * done in the requester's own click, on the requester's button after an approved replace.
     * Set once; a second pick-up is refused.
     */
    passwordIssuedAt: at("password_issued_at"),
    /** When the approvers were reminded of it (once). */
    remindedAt: at("reminded_at"),
    /** Where the approval message was posted, so a decision or expiry can update it in place. */
    approvalMessage: jsonb("approval_message").$type<{ channel: string; ts: string }>(),
    decidedAt: at("decided_at"),
    decidedBy: text("decided_by"),
    decisionReason: text("decision_reason"),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("restore_requests_idempotency").on(t.idempotencyKey),
    index("restore_requests_pending").on(t.expiresAt).where(sql`status = 'pending'`),
  ],
);

export const approvals = pgTable(
  "approvals",
  {
    requestId: uuid("request_id")
      .notNull()
      .references(() => restoreRequests.id),
    approver: text("approver").notNull(),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.approver] })],
);

/** Append-only: a trigger refuses UPDATE and DELETE. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: at("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    directoryId: text("directory_id"),
    accountIds: uuid("account_ids").array().notNull().default(sql`'{}'::uuid[]`),
    requestId: uuid("request_id"),
    before: jsonb("before"),
    after: jsonb("after"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("audit_events_at").on(t.at)],
);

/**
 * Scheduled work, claimed once across every copy of the app: one row per job and run (a day's
 * digest for a channel, a housekeeping slot). A claim is a lease: the holder renews it as it
 * goes; when it lapses (the holder died), another copy takes over and resumes from `progress`.
 */
export const jobRuns = pgTable(
  "job_runs",
  {
    job: text("job").notNull(),
    runKey: text("run_key").notNull(),
    status: text("status").$type<"running" | "done">().notNull(),
    leaseOwner: text("lease_owner"),
    leaseUntil: at("lease_until"),
    /** What the run must do, fixed by its first holder so a successor does the same. */
    payload: jsonb("payload"),
    /** How far it got: a successor starts from here. */
    progress: jsonb("progress").$type<Record<string, unknown>>().notNull().default({}),
    startedAt: at("started_at").notNull(),
    finishedAt: at("finished_at"),
  },
  (t) => [primaryKey({ columns: [t.job, t.runKey] }), index("job_runs_finished").on(t.job, t.finishedAt)],
);

/**
 * What the app owes people in Slack, written in the same transaction as the change that owes it
 * (a decision, an expiry, a reminder, a day's digest) and delivered afterwards by a sender, with
 * retries. One row is one Slack call. Rows of one `chain` (a request, a day's digest) are sent in
 * order: a row waits until every earlier row of its chain is settled. A row being sent is held
 * under a lease (claimed_by, claimed_until); a sender whose lease lapsed sends nothing more.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** The notice's kind, also inside `notice` (kept apart for logs and queries). */
    kind: text("kind").notNull(),
    /** Rows of a chain are sent one after the other, in id order. */
    chain: text("chain").notNull(),
    /** Set where a notice must be written once only (a digest's messages): a repeat is ignored. */
    key: text("key"),
    /** What is owed, as data (ids and snapshots); the Slack layer renders it at send time. */
    notice: jsonb("notice").$type<Record<string, unknown>>().notNull(),
    status: text("status").$type<"pending" | "delivered" | "failed">().notNull().default("pending"),
    /** Calls made so far (counted when claimed). */
    attempts: integer("attempts").notNull().default(0),
    /** Not sent before this (a retry's backoff, Slack's Retry-After). */
    availableAt: at("available_at").notNull(),
    claimedBy: text("claimed_by"),
    claimedUntil: at("claimed_until"),
    /** What Slack answered that later rows need (a post's channel and ts). */
    result: jsonb("result").$type<Record<string, unknown>>(),
    /** The last failure, described by its cause (never the message sent). */
    lastError: text("last_error"),
    createdAt: at("created_at").notNull(),
    /** When it was delivered or given up. */
    settledAt: at("settled_at"),
  },
  (t) => [
    uniqueIndex("outbox_key").on(t.key),
    index("outbox_pending").on(t.availableAt).where(sql`status = 'pending'`),
    index("outbox_pending_chain").on(t.chain, t.id).where(sql`status = 'pending'`),
    index("outbox_settled").on(t.settledAt).where(sql`status <> 'pending'`),
  ],
);

/**
 * The last known members of each Slack user group named in RESTORE_ADMINS or RESTORE_APPROVERS,
 * as the app read them (at start, from events, at each refresh). The CLI, which cannot ask Slack,
 * honours a group's members only from here.
 */
export const roleMemberships = pgTable("role_memberships", {
  /** The user group's id (S…). */
  groupId: text("group_id").primaryKey(),
  /** Its members' Slack user ids. */
  userIds: text("user_ids").array().notNull(),
  /** When Slack last told us (a read, or an event). */
  readAt: at("read_at").notNull(),
});

export type Directory = typeof directories.$inferSelect;
export type Account = typeof accounts.$inferSelect;
export type NewAccount = typeof accounts.$inferInsert;
export type RestoreRequest = typeof restoreRequests.$inferSelect;
export type AuditEvent = typeof auditEvents.$inferSelect;
export type JobRun = typeof jobRuns.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
export type RoleMembership = typeof roleMemberships.$inferSelect;
