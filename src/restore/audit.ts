import { and, asc, desc, eq, gte, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type Account, type AuditEvent, auditEvents } from "../db/schema.ts";
import { type Said, said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";

export type AuditAction =
  | "import"
  | "restore"
  | "recreate"
  | "replace_requested"
  | "replace" // the active account deleted so the requested one could take its place
  | "approve"
  | "approval_failed"
  | "reject"
  | "expire"
  | "purge"
  | "digest"
  | "password_reset"
  | "sync" // a provider's deleted users copied into the mirror
  | "needs_attention" // a provider acted and the mirror could not follow: both states, for a person
  | "refresh"; // an account read again from its provider and written as it says (the way out of the above)

export interface AuditInput {
  at: Date;
  actor: string;
  action: AuditAction;
  directoryId?: string | null;
  accountIds?: string[];
  requestId?: string | null;
  before?: unknown;
  after?: unknown;
  details?: Record<string, unknown>;
}

export async function recordAudit(db: Db, ...events: AuditInput[]): Promise<void> {
  if (events.length === 0) return;
  await db.insert(auditEvents).values(
    events.map((e) => ({
      at: e.at,
      actor: e.actor,
      action: e.action,
      directoryId: e.directoryId ?? null,
      accountIds: e.accountIds ?? [],
      requestId: e.requestId ?? null,
      before: e.before ?? null,
      after: e.after ?? null,
      details: e.details ?? {},
    })),
  );
}

/** The parts of an account an auditor needs to see change; never the password hash or search text. */
export function auditView(account: Account): Record<string, unknown> {
  return {
    id: account.id,
    externalId: account.externalId,
    userName: account.userName,
    email: account.email,
    aliases: account.aliases,
    phone: account.phone,
    displayName: account.displayName,
    department: account.department,
    license: account.license,
    status: account.status,
    deletedAt: account.deletedAt?.toISOString() ?? null,
    deletedBy: account.deletedBy,
  };
}

export async function readAudit(db: Db, since?: Date): Promise<AuditEvent[]> {
  return db
    .select()
    .from(auditEvents)
    .where(since ? and(gte(auditEvents.at, since)) : undefined)
    .orderBy(asc(auditEvents.at), asc(auditEvents.id));
}

/** The latest restores, re-creations and replacements, newest first. */
export async function recentRestores(db: Db, limit: number): Promise<AuditEvent[]> {
  return db
    .select()
    .from(auditEvents)
    .where(inArray(auditEvents.action, ["restore", "recreate", "replace"]))
    .orderBy(desc(auditEvents.id))
    .limit(limit);
}

/** A provider acted and the mirror could not follow: what a person has to look at. */
export interface AttentionItem {
  /** ISO */
  at: string;
  actor: string;
  userName: string;
  displayName: string;
  provider: string;
  /** What to do (English); `nextStepSaid` is the same, to be said in the reader's language. */
  nextStep: string;
  nextStepSaid?: Said;
}

const textOf = (o: Record<string, unknown>, key: string): string | null =>
  typeof o[key] === "string" ? (o[key] as string) : null;

/** The `needs_attention` events since `since`, newest first (the at index bounds the scan). */
export async function needingAttention(db: Db, since: Date, limit = 20): Promise<AttentionItem[]> {
  const rows = await db
    .select()
    .from(auditEvents)
    .where(
      and(
        gte(auditEvents.at, since),
        eq(auditEvents.action, "needs_attention"),
        // Settled by a later refresh of the same account.
        sql`not exists (select 1 from ${auditEvents} r where r.action = 'refresh'
          and r.at >= ${auditEvents.at} and r.account_ids && ${auditEvents.accountIds})`,
      ),
    )
    .orderBy(desc(auditEvents.at), desc(auditEvents.id))
    .limit(limit);
  return rows.map((e) => {
    const after = (e.after ?? {}) as Record<string, unknown>;
    const details = (e.details ?? {}) as Record<string, unknown>;
    const userName = textOf(after, "userName") ?? "an account";
    const provider = textOf(details, "provider") ?? "the provider";
    return {
      at: (e.at instanceof Date ? e.at : new Date(e.at)).toISOString(),
      actor: e.actor,
      userName,
      displayName: textOf(after, "displayName") ?? userName,
      provider,
      nextStep: textOf(details, "nextStep") ?? refreshStep(e.accountIds[0] ?? userName, provider),
      // Recorded in English; it is always the refresh step for this account, said again here.
      nextStepSaid: refreshStepSaid(e.accountIds[0] ?? userName, provider),
    };
  });
}

/** The way out of needs_attention, said the same everywhere. */
export function refreshStep(accountId: string, provider: string): string {
  return say(ENGLISH, refreshStepSaid(accountId, provider));
}

/** `refreshStep`, to be said in the reader's language (the command itself is the same in all). */
export function refreshStepSaid(accountId: string, provider: string): Said {
  return said("refusal.refreshStep", {
    command: `restore-user refresh ${accountId} --as <your Slack id>`,
    provider,
  });
}
