import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts, departments, directories, seats } from "../db/schema.ts";
import { applyRetention, BUILTIN_DIRECTORY_ID, RECREATE_FOLLOW_UP } from "../mirror/builtin.ts";
import { recordAudit } from "../restore/audit.ts";
import { CsvImportReader } from "./import-csv.ts";
import type { ImportedAccount, ImportFile, ImportProblem } from "./import-file.ts";
import {
  IMPORT_PAGE_ROWS,
  loadPage,
  type PreparedPage,
  plannerCounts,
  preparePage,
  refreshStatistics,
} from "./import-load.ts";

export interface ImportOptions {
  /**
   * After each page: rows loaded (written, or already there) while there is no problem, out of
   * `total` when the file was read whole (null for a stream), and rows checked so far.
   */
  onPage?: (loaded: number, total: number | null, validated: number) => void;
}

export interface ImportSummary {
  directoryId: string;
  inserted: number;
  /** Already there from an earlier import of the same file: left as they are. */
  skipped: number;
  /** Rows refused by the database's own rules (an active user name, address or phone taken). */
  rejected: { line: number; reason: string }[];
}

/** What an import loads: a file read whole (JSON, or a CSV in memory) or a CSV read as a stream. */
export type ImportInput = ImportFile | CsvImportReader;

/**
 * Loads a file into a built-in directory, all or nothing, a page of rows a statement. Re-importing
 * the same file changes nothing. Departments exist when the file lists them (JSON `departments`)
 * or the directory already has a list; otherwise they are free text.
 *
 * A streamed CSV is loaded while it is read, into this one transaction, and any bad row anywhere
 * rolls it all back, with every bad line reported (ImportRejected). Loading as we go, rather than
 * checking the whole file in a first pass and loading in a second, reads and parses it once and
 * holds the same: the current page and what later rows are checked against.
 */
export async function importAccounts(
  db: Db,
  input: ImportInput,
  actor: string,
  now: Date,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const streamed = input instanceof CsvImportReader;
  const file: Omit<ImportFile, "accounts"> = streamed
    ? { directory: null, domains: null, departments: null, seats: [] }
    : input;
  const pages = streamed ? input.pages() : pagesOf(input.accounts);
  const problems: readonly ImportProblem[] = streamed ? input.problems : [];
  const total = streamed ? null : input.accounts.length;
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

    // Departments exist only where someone said which: the file's list, or a directory that
    // already has one (then the active accounts' departments join it). Otherwise they stay free
    // text, and no deleted account's department is "gone".
    const [declared] = await tx
      .select({ name: departments.name })
      .from(departments)
      .where(eq(departments.directoryId, directoryId))
      .limit(1);
    for (const s of file.seats) {
      await tx
        .insert(seats)
        .values({ directoryId, license: s.license, total: s.total })
        .onConflictDoUpdate({ target: [seats.directoryId, seats.license], set: { total: s.total } });
    }

    // A page a statement: clashes with active accounts, and the insert when there is none. After
    // the first clash nothing more is written, but every page is still checked so all are reported.
    // An empty directory (the first import, the demo, every test fixture) has nothing to clash
    // with: its pages are inserts only, planned without the accounts' statistics.
    const [held] = await tx
      .select({ one: sql`1` })
      .from(accounts)
      .where(eq(accounts.directoryId, directoryId))
      .limit(1);
    const target = { directoryId, retentionDays: directory.retentionDays, now, heldAccounts: !!held };
    // The pages' prepared statement planned for each page's values and the statistics of the
    // moment, as an unprepared one would be (see loadPage).
    if (target.heldAccounts) await tx.execute(sql`set local plan_cache_mode = force_custom_plan`);
    const rejected: ImportSummary["rejected"] = [];
    const domains = new Set(file.domains ?? []);
    const departmentNames = new Set(file.departments ?? []);
    let rows = 0;
    let inserted = 0;
    // Pipelined: while the server runs one page's statement, the next page is read, checked and
    // turned into JSON here (Node and the server backend each keep a core busy), and its statement
    // is sent (prepared, see loadPage) as soon as it is ready, so the server starts it when the
    // last one ends instead of waiting a page's reading and a round trip. The older statement
    // ends before the page after is read: at most two pages are held. Reads and statements in
    // flight are awaited, or caught, before the transaction ends.
    const reader = pages[Symbol.asyncIterator]();
    const prepareNext = async (): Promise<PreparedPage | null> => {
      const next = await reader.next();
      if (next.done) return null;
      // What the page adds to the directory is noted now, so that only its JSON is held while
      // it waits (an import that fails later drops these with everything else).
      if (!file.domains) for (const domain of domainsOf(next.value)) domains.add(domain);
      if (!file.departments && declared) {
        for (const a of next.value)
          if (a.status === "active" && a.department) departmentNames.add(a.department);
      }
      return preparePage(next.value, target);
    };
    const inFlight: { rows: number; loading: ReturnType<typeof loadPage> }[] = [];
    const settleOldest = async () => {
      const oldest = inFlight.shift();
      if (!oldest) return;
      const loaded = await oldest.loading;
      rows += oldest.rows;
      rejected.push(...loaded.clashes);
      inserted += loaded.inserted;
      options.onPage?.(rows, total, streamed ? input.rowsRead : rows);
    };
    // The planner's row counts go stale as the table grows in this transaction, and a clash check
    // planned for a near-empty table loops over every account. They are taken again before a
    // page would be planned with a table twice the size they count: after the first pages into
    // a small directory, seldom or never into one that holds many accounts already. (Into an
    // empty directory nothing is checked, and the closing refresh is enough.)
    const counted = target.heldAccounts ? await plannerCounts(tx, directoryId) : { table: 0, directory: 0 };
    let countedInserted = 0;
    const stale = (pending: number) =>
      counted.table + inserted + pending >= 2 * (counted.table + countedInserted) + IMPORT_PAGE_ROWS;
    const refreshIfStale = async () => {
      if (!target.heldAccounts || rejected.length > 0) return;
      if (!stale(inFlight.reduce((sum, f) => sum + f.rows, 0))) return;
      while (inFlight.length > 0) await settleOldest();
      if (rejected.length > 0 || !stale(0)) return;
      await refreshStatistics(tx, true);
      countedInserted = inserted;
    };
    let ahead = prepareNext();
    ahead.catch(() => {}); // a failed read surfaces where it is awaited, below
    try {
      for (let page = await ahead; page !== null; page = await ahead) {
        await refreshIfStale();
        // The statement first: its JSON goes out on the socket before the next page's reading
        // takes the event loop. After the first clash nothing more is written.
        const loading = loadPage(tx, page, target, rejected.length === 0);
        loading.catch(() => {}); // a failed statement surfaces where it is awaited
        inFlight.push({ rows: page.rows, loading });
        // Queued behind the one before: that one ends before the next page is read.
        if (inFlight.length > 1) await settleOldest();
        ahead = prepareNext();
        ahead.catch(() => {});
      }
      while (inFlight.length > 0) await settleOldest();
    } catch (err) {
      // Let a read and statements in flight finish (the file closed, the connection idle) before
      // the transaction rolls back; the first failure is the one reported.
      await ahead.catch(() => null);
      await reader.return?.(undefined);
      await Promise.allSettled(inFlight.map((f) => f.loading));
      throw err;
    }
    if (problems.length > 0 || rejected.length > 0) {
      // All or nothing: roll the whole import back and report every bad line, top to bottom.
      throw new ImportRejected([...problems, ...rejected].sort((a, b) => a.line - b.line));
    }

    const merged = [...new Set([...directory.domains, ...domains])].sort();
    await tx.update(directories).set({ domains: merged }).where(eq(directories.id, directoryId));
    if (departmentNames.size > 0) {
      await tx
        .insert(departments)
        .values([...departmentNames].map((name) => ({ directoryId, name })))
        .onConflictDoNothing();
    }
    // Search plans after the import count the new rows too. Rows adding less than a fifth to
    // what the statistics already counted in the directory change its plans little and are left
    // to autovacuum: a full ANALYZE of a million accounts is a second of a 100,000-row import.
    if (inserted > 0 && inserted * 5 >= counted.directory) await refreshStatistics(tx);
    const skipped = rows - inserted;
    await recordAudit(tx, {
      at: now,
      actor,
      action: "import",
      directoryId,
      details: { inserted, skipped, total: rows },
    });
    return { directoryId, inserted, skipped, rejected };
  });
}

/** Every bad line of a file, found by reading it or by the directory's clash check: nothing was imported. */
export class ImportRejected extends Error {
  constructor(readonly problems: { line: number; reason: string }[]) {
    super(`${problems.length} problems in the file: nothing was imported`);
  }
}

async function* pagesOf(accounts: readonly ImportedAccount[]): AsyncGenerator<ImportedAccount[]> {
  for (let i = 0; i < accounts.length; i += IMPORT_PAGE_ROWS) yield accounts.slice(i, i + IMPORT_PAGE_ROWS);
}

function domainsOf(rows: readonly ImportedAccount[]): string[] {
  const found = new Set<string>();
  for (const a of rows) {
    const at = a.userName.lastIndexOf("@");
    if (at > 0) found.add(a.userName.slice(at + 1).toLowerCase());
  }
  return [...found];
}
