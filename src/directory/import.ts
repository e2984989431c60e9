import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { constraintOf, isUniqueViolation } from "../db/errors.ts";
import { type Account, accounts, departments, directories, seats } from "../db/schema.ts";
import { recordAudit } from "../restore/audit.ts";
import { insertAddresses, snapshotOf } from "../restore/execute.ts";
import { searchTextOf } from "../restore/names.ts";
import { DAY_MS } from "../restore/window.ts";
import { applyRetention, BUILTIN_DIRECTORY_ID, RECREATE_FOLLOW_UP } from "./builtin.ts";
import type { ImportedAccount, ImportFile } from "./import-file.ts";

export interface ImportSummary {
  directoryId: string;
  inserted: number;
  /** Already there from an earlier import of the same file: left as they are. */
  skipped: number;
  /** Rows refused by the database's own rules (an active user name, address or phone taken). */
  rejected: { line: number; reason: string }[];
}

/** Without an id in the file, the same person deleted at the same moment is the same account. */
function externalIdOf(a: ImportedAccount): string {
  return a.externalId ?? `import:${a.userName.toLowerCase()}:${a.deletedAt?.toISOString() ?? "active"}`;
}

/**
 * Loads a validated file into a built-in directory, all or nothing. Re-importing the same file
 * changes nothing. The active accounts' departments exist; a deleted account's department that no
 * one uses any more is "gone", unless the file lists departments itself.
 */
export async function importAccounts(
  db: Db,
  file: ImportFile,
  actor: string,
  now: Date,
): Promise<ImportSummary> {
  const directoryId = file.directory?.id ?? BUILTIN_DIRECTORY_ID;
  return db.transaction(async (tx) => {
    if (file.directory) {
      const d = file.directory;
      const followUp = d.followUp.length > 0 ? d.followUp : RECREATE_FOLLOW_UP;
      await tx
        .insert(directories)
        .values({
          id: d.id,
          name: d.name,
          kind: "builtin",
          retentionDays: d.retentionDays,
          capabilities: {
            canRestore: d.canRestore,
            batchRestore: true,
            hasDeletingState: true,
            setsPassword: true,
          },
          followUp,
        })
        .onConflictDoUpdate({
          target: directories.id,
          set: { name: d.name, retentionDays: d.retentionDays, followUp },
        });
      // A changed retention moves the windows of accounts already deleted.
      await applyRetention(tx, d.id);
    }
    const [directory] = await tx
      .select()
      .from(directories)
      .where(eq(directories.id, directoryId))
      .for("update");
    if (!directory) throw new Error(`directory ${directoryId} is missing`);

    const domains = file.domains ?? domainsOf(file.accounts);
    const merged = [...new Set([...directory.domains, ...domains])].sort();
    await tx.update(directories).set({ domains: merged }).where(eq(directories.id, directoryId));

    const departmentNames =
      file.departments ??
      file.accounts.filter((a) => a.status === "active" && a.department).map((a) => a.department as string);
    const uniqueDepartments = [...new Set(departmentNames)];
    if (uniqueDepartments.length > 0) {
      await tx
        .insert(departments)
        .values(uniqueDepartments.map((name) => ({ directoryId, name })))
        .onConflictDoNothing();
    }
    for (const s of file.seats) {
      await tx
        .insert(seats)
        .values({ directoryId, license: s.license, total: s.total })
        .onConflictDoUpdate({ target: [seats.directoryId, seats.license], set: { total: s.total } });
    }

    const ids = file.accounts.map(externalIdOf);
    const existing = new Set<string>();
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await tx
        .select({ externalId: accounts.externalId })
        .from(accounts)
        .where(
          and(eq(accounts.directoryId, directoryId), inArray(accounts.externalId, ids.slice(i, i + 1000))),
        );
      for (const r of rows) existing.add(r.externalId);
    }

    const rejected: ImportSummary["rejected"] = [];
    let inserted = 0;
    for (const a of file.accounts) {
      const externalId = externalIdOf(a);
      if (existing.has(externalId)) continue;
      const values = {
        directoryId,
        externalId,
        userName: a.userName,
        email: a.email,
        aliases: a.aliases,
        phone: a.phone,
        displayName: a.displayName,
        givenName: a.givenName,
        familyName: a.familyName,
        department: a.department,
        license: a.license,
        status: a.status,
        deletedAt: a.deletedAt,
        deletedBy: a.deletedBy,
        deletionCompletesAt: a.status === "deleting" ? a.deletionCompletesAt : null,
        purgeAfter:
          a.deletedAt && directory.retentionDays !== null
            ? new Date(a.deletedAt.getTime() + directory.retentionDays * DAY_MS)
            : null,
        createdAt: now,
        updatedAt: now,
      };
      const searchText = searchTextOf(values);
      // A savepoint per row: a clash with an account already in the database names its line.
      try {
        await tx.transaction(async (sp) => {
          const [row] = await sp
            .insert(accounts)
            .values({
              ...values,
              searchText,
              snapshot: a.status === "active" ? null : snapshotOf(values as Account),
            })
            .returning();
          await insertAddresses(sp, row as Account);
        });
        inserted++;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        rejected.push({ line: a.line, reason: clashReason(error, a) });
      }
    }
    if (rejected.length > 0) {
      // All or nothing: roll the whole import back and report every clash.
      throw new ImportRejected(rejected);
    }
    await recordAudit(tx, {
      at: now,
      actor,
      action: "import",
      directoryId,
      details: { inserted, skipped: existing.size, total: file.accounts.length },
    });
    await tx.execute(sql`analyze accounts`);
    return { directoryId, inserted, skipped: existing.size, rejected };
  });
}

export class ImportRejected extends Error {
  constructor(readonly problems: { line: number; reason: string }[]) {
    super(`${problems.length} rows clash with accounts already in the directory`);
  }
}

function domainsOf(rows: ImportedAccount[]): string[] {
  const found = new Set<string>();
  for (const a of rows) {
    const at = a.userName.lastIndexOf("@");
    if (at > 0) found.add(a.userName.slice(at + 1).toLowerCase());
  }
  return [...found];
}

function clashReason(error: unknown, a: ImportedAccount): string {
  // The constraint only: drizzle's error message is the whole query, which names every column.
  const detail = constraintOf(error);
  if (detail.includes("user_name")) return `an active account already has the user name ${a.userName}`;
  if (detail.includes("phone")) return `an active account already has the phone ${a.phone}`;
  if (detail.includes("addresses"))
    return `an active account already has the address ${a.email ?? a.aliases.join(", ")}`;
  return "it clashes with an account already in the directory";
}
