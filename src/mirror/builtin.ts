import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { directories } from "../db/schema.ts";
import type { MessageKey } from "../i18n/catalog.ts";
import type { DirectoryCapabilities } from "../providers/capabilities.ts";

export const BUILTIN_DIRECTORY_ID = "builtin";

const BUILTIN_CAPABILITIES: DirectoryCapabilities = {
  canRestore: true,
  batchRestore: true,
  hasDeletingState: true,
  setsPassword: true,
};

/** What a restore does not bring back, from the providers' own help articles (Lark's list): catalog keys, said in the reader's language. */
export const BUILTIN_FOLLOW_UP: MessageKey[] = [
  "followUp.builtin.password",
  "followUp.builtin.roles",
  "followUp.builtin.department",
  "followUp.builtin.handedOver",
  "followUp.builtin.calendars",
];

/** Re-create-only directories (Secure Exchanges, JumpCloud) follow up with the licence. */
export const RECREATE_FOLLOW_UP: MessageKey[] = [
  "followUp.recreate.newAccount",
  "followUp.recreate.licence",
  "followUp.recreate.groups",
];

export interface BuiltinSettings {
  retentionDays: number;
  /** Allowed user name domains; empty keeps what the directory has (learned from imports). */
  domains: string[];
}

/**
 * The built-in directory always exists. Its retention follows RETENTION_DAYS: when that changes,
 * the windows of accounts already deleted move with it, so every screen tells the same truth.
 */
export async function ensureBuiltinDirectory(db: Db, settings: BuiltinSettings): Promise<void> {
  await db.transaction(async (tx) => {
    const [existing] = await tx
      .select()
      .from(directories)
      .where(eq(directories.id, BUILTIN_DIRECTORY_ID))
      .for("update");
    if (!existing) {
      await tx.insert(directories).values({
        id: BUILTIN_DIRECTORY_ID,
        name: "Built-in directory",
        kind: "builtin",
        retentionDays: settings.retentionDays,
        capabilities: BUILTIN_CAPABILITIES,
        followUp: BUILTIN_FOLLOW_UP,
        domains: settings.domains,
      });
      return;
    }
    const domains = settings.domains.length > 0 ? settings.domains : existing.domains;
    await tx
      .update(directories)
      .set({ retentionDays: settings.retentionDays, domains })
      .where(eq(directories.id, BUILTIN_DIRECTORY_ID));
    if (existing.retentionDays !== settings.retentionDays) {
      await applyRetention(tx, BUILTIN_DIRECTORY_ID);
    }
  });
}

/** Recomputes the end of the window of every account that is deleted but not purged. */
export async function applyRetention(db: Db, directoryId: string): Promise<void> {
  await db.execute(
    sql`update accounts a set purge_after = case when d.retention_days is null then null
          else a.deleted_at + make_interval(days => d.retention_days) end
        from directories d
        where d.id = a.directory_id and a.directory_id = ${directoryId}
          and a.status in ('deleting', 'deleted') and a.deleted_at is not null`,
  );
}
