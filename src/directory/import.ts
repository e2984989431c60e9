import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { departments, directories, seats } from "../db/schema.ts";
import { recordAudit } from "../restore/audit.ts";
import { applyRetention, BUILTIN_DIRECTORY_ID, RECREATE_FOLLOW_UP } from "./builtin.ts";
import type { ImportedAccount, ImportFile } from "./import-file.ts";
import { clashesOf, IMPORT_PAGE_ROWS, refreshStatistics, writePage } from "./import-load.ts";

export interface ImportOptions {
  /** After each page: rows checked and, while there is no clash, written (or already there). */
  onPage?: (done: number, total: number) => void;
}

export interface ImportSummary {
  directoryId: string;
  inserted: number;
  /** Already there from an earlier import of the same file: left as they are. */
  skipped: number;
  /** Rows refused by the database's own rules (an active user name, address or phone taken). */
  rejected: { line: number; reason: string }[];
}

/**
 * Loads a validated file into a built-in directory, all or nothing, a page of rows a statement.
 * Re-importing the same file changes nothing. Departments exist when the file lists them (JSON
 * `departments`) or the directory already has a list; otherwise they are free text.
 */
export async function importAccounts(
  db: Db,
  file: ImportFile,
  actor: string,
  now: Date,
  options: ImportOptions = {},
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

    // Departments exist only where someone said which: the file's list, or a directory that
    // already has one (then the active accounts' departments join it). Otherwise they stay free
    // text, and no deleted account's department is "gone".
    const [declared] = await tx
      .select({ name: departments.name })
      .from(departments)
      .where(eq(departments.directoryId, directoryId))
      .limit(1);
    const departmentNames =
      file.departments ??
      (declared
        ? file.accounts
            .filter((a) => a.status === "active" && a.department)
            .map((a) => a.department as string)
        : []);
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

    // A page a statement: clashes with active accounts first, then the insert. After the first
    // clash nothing more is written, but every page is still checked so all clashes are reported.
    const target = { directoryId, retentionDays: directory.retentionDays, now };
    const rejected: ImportSummary["rejected"] = [];
    let inserted = 0;
    let analyzedAt = 0;
    for (let i = 0; i < file.accounts.length; i += IMPORT_PAGE_ROWS) {
      const page = file.accounts.slice(i, i + IMPORT_PAGE_ROWS);
      rejected.push(...(await clashesOf(tx, page, target)));
      if (rejected.length === 0) inserted += await writePage(tx, page, target);
      options.onPage?.(i + page.length, file.accounts.length);
      if (rejected.length > 0) continue;
      // The planner's row counts are stale while the tables grow in this transaction: a clash
      // check planned for an empty table loops over every account. Each doubling re-counts.
      if (inserted >= 2 * analyzedAt + IMPORT_PAGE_ROWS) {
        await refreshStatistics(tx);
        analyzedAt = inserted;
      }
    }
    if (rejected.length > 0) {
      // All or nothing: roll the whole import back and report every clash.
      throw new ImportRejected(rejected);
    }
    // Search plans after the import count the new rows too.
    if (inserted > analyzedAt) await refreshStatistics(tx);
    const skipped = file.accounts.length - inserted;
    await recordAudit(tx, {
      at: now,
      actor,
      action: "import",
      directoryId,
      details: { inserted, skipped, total: file.accounts.length },
    });
    return { directoryId, inserted, skipped, rejected };
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
