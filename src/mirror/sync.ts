/**
 * The mirror: a provider's deleted users copied into `accounts`, so search, plans and digests never
 * wait on the provider. A sync streams the provider's listing a page at a time (never the whole
 * bin in memory), upserts each page in one statement, and, for providers whose listing is the whole
 * bin, turns what the listing no longer shows into tombstones: it was restored elsewhere or purged.
 */
import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { mirrorFields, snapshotOf } from "../accounts/rows.ts";
import type { Db } from "../db/client.ts";
import { accounts, departments, directories } from "../db/schema.ts";
import { log as defaultLog, type Logger } from "../log.ts";
import { type DeletedProviderUser, type DirectoryConnector, ProviderError } from "../providers/port.ts";
import { recordAudit } from "../restore/audit.ts";
import { tombstone } from "../restore/purge.ts";
import { applyRetention } from "./builtin.ts";

export interface SyncResult {
  directoryId: string;
  pages: number;
  /** Deleted users the listing showed. */
  seen: number;
  /** Accounts the mirror no longer shows as restorable because the provider's bin dropped them. */
  gone: number;
  /**
   * Departments mirrored from the provider's list; null when it keeps none (departments are free
   * text) or the list could not be read this time (the last list read is kept).
   */
  departments: number | null;
  ms: number;
}

export class SyncStopped extends Error {}

/** Also called when the service registers a connector at start: the directory row says what it can do. */
export async function ensureProviderDirectory(db: Db, connector: DirectoryConnector): Promise<void> {
  const { profile } = connector;
  await db.transaction(async (tx) => {
    const [existing] = await tx
      .select()
      .from(directories)
      .where(eq(directories.id, connector.kind))
      .for("update");
    const values = {
      name: connector.name,
      kind: connector.kind,
      retentionDays: profile.retentionDays,
      capabilities: profile.capabilities,
      followUp: profile.followUp,
    };
    if (!existing) {
      await tx.insert(directories).values({ id: connector.kind, ...values });
      return;
    }
    await tx.update(directories).set(values).where(eq(directories.id, connector.kind));
    if (existing.retentionDays !== profile.retentionDays) await applyRetention(tx, connector.kind);
  });
}

/**
 * Writes one page of deleted users into the mirror, in one statement with one parameter: the page
 * as JSON, unpacked by the server (a thousand rows as bound parameters would cost more to build
 * than to write). A user the provider gives no deletion time keeps the one the mirror first saw.
 * A row that a restore made active after this sync started is left alone: the listing was read
 * before the restore and would undo it.
 */
export async function upsertDeleted(
  db: Db,
  directoryId: string,
  retentionDays: number | null,
  page: DeletedProviderUser[],
  startedAt: Date,
): Promise<void> {
  if (page.length === 0) return;
  // A listing can repeat a user across pages while the bin changes under it: last one wins.
  const byId = new Map(page.map((u) => [u.externalId, u]));
  const rows = [...byId.values()].map((u) => {
    const f = mirrorFields(u);
    return {
      external_id: f.externalId,
      user_name: f.userName,
      email: f.email,
      aliases: f.aliases,
      phone: f.phone,
      display_name: f.displayName,
      given_name: f.givenName,
      family_name: f.familyName,
      department: f.department,
      license: f.license,
      status: u.status,
      deleted_at: u.deletedAt?.toISOString() ?? null,
      deleted_by: u.deletedBy,
      deletion_completes_at: u.status === "deleting" ? (u.deletionCompletesAt?.toISOString() ?? null) : null,
      snapshot: snapshotOf(u),
      search_text: f.searchText,
    };
  });
  const at = startedAt.toISOString();
  await db.execute(sql`
    insert into accounts as a (directory_id, external_id, user_name, email, aliases, phone, display_name,
      given_name, family_name, department, license, status, deleted_at, deleted_by, deletion_completes_at,
      purge_after, snapshot, search_text, synced_at, created_at, updated_at)
    select ${directoryId}, r.external_id, r.user_name, r.email, coalesce(r.aliases, '{}'), r.phone,
      r.display_name, r.given_name, r.family_name, r.department, r.license, r.status::account_status,
      d.deleted_at, r.deleted_by, r.deletion_completes_at,
      d.deleted_at + make_interval(days => ${retentionDays}::int),
      r.snapshot, r.search_text, ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(external_id text, user_name text,
      email text, aliases text[], phone text, display_name text, given_name text, family_name text,
      department text, license text, status text, deleted_at timestamptz, deleted_by text,
      deletion_completes_at timestamptz, snapshot jsonb, search_text text)
    cross join lateral (
      select coalesce(r.deleted_at, (
        select x.deleted_at from accounts x
        where x.directory_id = ${directoryId} and x.external_id = r.external_id
          and x.status in ('deleted', 'deleting')
      ), ${at}::timestamptz) as deleted_at
    ) d
    on conflict (directory_id, external_id) do update set
      user_name = excluded.user_name, email = excluded.email, aliases = excluded.aliases,
      phone = excluded.phone, display_name = excluded.display_name, given_name = excluded.given_name,
      family_name = excluded.family_name, department = excluded.department, license = excluded.license,
      status = excluded.status, deleted_at = excluded.deleted_at,
      deleted_by = coalesce(excluded.deleted_by, a.deleted_by),
      deletion_completes_at = excluded.deletion_completes_at, purge_after = excluded.purge_after,
      purged_at = null,
      recreated_as = case when a.status = 'active' then null else a.recreated_as end,
      snapshot = excluded.snapshot, search_text = excluded.search_text, synced_at = excluded.synced_at,
      updated_at = excluded.updated_at
    where a.status <> 'active' or a.updated_at < ${at}::timestamptz`);
}

/**
 * One full sync of a provider's bin into the mirror. Returns counts for the log and the CLI.
 * The caller claims the run (job_runs) so that several copies of the app sync once.
 */
export async function syncDirectory(
  db: Db,
  connector: DirectoryConnector,
  now: () => Date,
  options: {
    actor?: string;
    /** After each page; false stops the sync (the scheduler lost its claim to another copy). */
    onPage?: (progress: { pages: number; seen: number }) => Promise<boolean>;
    /** Where a department list that could not be read is said (the sync goes on without it). */
    log?: Logger;
  } = {},
): Promise<SyncResult> {
  const actor = options.actor ?? "sync";
  const started = performance.now();
  const startedAt = now();
  await ensureProviderDirectory(db, connector);
  const directoryId = connector.kind;
  const retention = connector.profile.retentionDays;
  let pages = 0;
  let seen = 0;
  // The next page is fetched while this one is written: two pages in memory at most.
  const pagesOf = connector.listDeleted()[Symbol.asyncIterator]();
  let next = pagesOf.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) break;
      next = pagesOf.next();
      next.catch(() => {}); // awaited on the next turn; a write failing first must not leave it unhandled
      const page = current.value;
      pages++;
      seen += page.length;
      await upsertDeleted(db, directoryId, retention, page, startedAt);
      if (options.onPage && !(await options.onPage({ pages, seen }))) {
        throw new SyncStopped(
          `${connector.name} sync stopped after ${pages} pages: another copy took it over`,
        );
      }
    }
  } catch (error) {
    await pagesOf.return?.();
    throw error;
  }
  let gone = 0;
  if (connector.profile.capabilities.listsWholeBin) {
    gone = await markGone(db, connector, startedAt, actor);
  }
  const mirroredDepartments = await syncDepartments(db, connector, options.log ?? defaultLog);
  await recordAudit(db, {
    at: now(),
    actor,
    action: "sync",
    directoryId,
    details: { provider: connector.name, pages, seen, gone, departments: mirroredDepartments },
  });
  return {
    directoryId,
    pages,
    seen,
    gone,
    departments: mirroredDepartments,
    ms: performance.now() - started,
  };
}

/**
 * The provider's list of departments (Google's org unit paths) becomes the directory's rows in
 * `departments`, so plans say when an account's department is gone and offer the others. One
 * delete and one insert, in a transaction: a plan reads the old list or the new one, never none.
 * A list that cannot be read (the scope not granted, the provider down) does not fail the sync:
 * it is logged with the provider's next step, and the last list read stays (none: free text).
 */
async function syncDepartments(db: Db, connector: DirectoryConnector, log: Logger): Promise<number | null> {
  if (!connector.listDepartments) return null;
  let names: string[];
  try {
    names = [...new Set((await connector.listDepartments()).map((n) => n.trim()).filter(Boolean))];
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    log.warn("departments could not be listed; the sync went on without them", {
      provider: connector.name,
      code: error.code,
      status: error.status,
      error: error.message,
      nextStep: error.nextStep,
    });
    return null;
  }
  const directoryId = connector.kind;
  const list = JSON.stringify(names);
  await db.transaction(async (tx) => {
    await tx.execute(sql`
      delete from ${departments}
      where ${departments.directoryId} = ${directoryId}
        and not (${departments.name} = any (select jsonb_array_elements_text(${list}::jsonb)))`);
    await tx.execute(sql`
      insert into ${departments} (directory_id, name)
      select ${directoryId}, n from jsonb_array_elements_text(${list}::jsonb) as n
      on conflict do nothing`);
  });
  return names.length;
}

/** Deleted accounts the whole-bin listing did not show: tombstones, like a purge, a page at a time. */
async function markGone(db: Db, connector: DirectoryConnector, startedAt: Date, actor: string) {
  const reason = `no longer in ${connector.name}'s deleted users (restored there, or purged)`;
  let gone = 0;
  for (;;) {
    const count = await db.transaction(async (tx) => {
      const due = await tx
        .select()
        .from(accounts)
        .where(
          and(
            eq(accounts.directoryId, connector.kind),
            inArray(accounts.status, ["deleted", "deleting"]),
            or(isNull(accounts.syncedAt), lt(accounts.syncedAt, startedAt)),
          ),
        )
        .limit(500)
        .for("update", { skipLocked: true });
      if (due.length > 0) await tombstone(tx, due, actor, startedAt, { reason });
      return due.length;
    });
    gone += count;
    if (count < 500) return gone;
  }
}
