import { and, asc, desc, gte, inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type Account, type AuditEvent, auditEvents } from "../db/schema.ts";

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
  | "sync"; // a provider's deleted users copied into the mirror

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
