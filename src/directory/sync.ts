/**
 * The mirror: a provider's deleted users copied into `accounts`, so search, plans and digests never
 * wait on the provider. A sync streams the provider's listing a page at a time (never the whole
 * bin in memory), upserts each page in one statement, and, for providers whose listing is the whole
 * bin, turns what the listing no longer shows into tombstones: it was restored elsewhere or purged.
 */
import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type AccountSnapshot, accounts, directories } from "../db/schema.ts";
import { recordAudit } from "../restore/audit.ts";
import { searchTextOf } from "../restore/names.ts";
import { DAY_MS } from "../restore/window.ts";
import { applyRetention } from "./builtin.ts";
import type { DeletedProviderUser, DirectoryConnector, ProviderUser } from "./port.ts";

export interface SyncResult {
  directoryId: string;
  pages: number;
  /** Deleted users the listing showed. */
  seen: number;
  /** Accounts the mirror no longer shows as restorable because the provider's bin dropped them. */
  gone: number;
  ms: number;
}

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

export function snapshotOfUser(u: ProviderUser): AccountSnapshot {
  return {
    userName: u.userName,
    email: u.email,
    aliases: u.aliases,
    phone: u.phone,
    displayName: u.displayName,
    givenName: u.givenName,
    familyName: u.familyName,
    department: u.department,
    license: u.license,
  };
}

/** The mirror's fields of a provider's user, as stored (addresses lower-cased, no duplicates). */
export function mirrorFields(u: ProviderUser) {
  const email = u.email?.trim() || null;
  const aliases = [...new Set(u.aliases.map((a) => a.trim().toLowerCase()))].filter(
    (a) => a && a !== email?.toLowerCase(),
  );
  const fields = {
    externalId: u.externalId,
    userName: u.userName,
    email,
    aliases,
    phone: u.phone?.trim() || null,
    displayName: u.displayName || u.userName,
    givenName: u.givenName,
    familyName: u.familyName,
    department: u.department,
    license: u.license,
  };
  return { ...fields, searchText: searchTextOf(fields) };
}

/**
 * Writes one page of deleted users into the mirror. A row that a restore made active after this
 * sync started is left alone: the listing was read before the restore and would undo it.
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
    const deletedAt = u.deletedAt ?? startedAt;
    return {
      ...mirrorFields(u),
      directoryId,
      status: u.status,
      deletedAt,
      deletedBy: u.deletedBy,
      deletionCompletesAt: u.status === "deleting" ? (u.deletionCompletesAt ?? null) : null,
      purgeAfter: retentionDays === null ? null : new Date(deletedAt.getTime() + retentionDays * DAY_MS),
      snapshot: snapshotOfUser(u),
      syncedAt: startedAt,
      createdAt: startedAt,
      updatedAt: startedAt,
      // Which rows carried no deletion time: they keep the one the mirror first saw.
      deletedAtKnown: u.deletedAt !== null,
    };
  });
  const known = new Set(rows.filter((r) => r.deletedAtKnown).map((r) => r.externalId));
  const ex = (column: string) => sql.raw(`excluded.${column}`);
  await db
    .insert(accounts)
    .values(rows.map(({ deletedAtKnown: _, ...row }) => row))
    .onConflictDoUpdate({
      target: [accounts.directoryId, accounts.externalId],
      set: {
        userName: ex("user_name"),
        email: ex("email"),
        aliases: ex("aliases"),
        phone: ex("phone"),
        displayName: ex("display_name"),
        givenName: ex("given_name"),
        familyName: ex("family_name"),
        department: ex("department"),
        license: ex("license"),
        status: ex("status"),
        deletedBy: sql`coalesce(excluded.deleted_by, ${accounts.deletedBy})`,
        // Without a deletion time from the provider, the first sighting stands (and so does the window).
        deletedAt: known.size === rows.length ? ex("deleted_at") : sqlKeepFirstSeen("deleted_at", known),
        purgeAfter: known.size === rows.length ? ex("purge_after") : sqlKeepFirstSeen("purge_after", known),
        deletionCompletesAt: ex("deletion_completes_at"),
        purgedAt: null,
        recreatedAs: sql`case when ${accounts.status} = 'active' then null else ${accounts.recreatedAs} end`,
        snapshot: ex("snapshot"),
        searchText: ex("search_text"),
        syncedAt: ex("synced_at"),
        updatedAt: ex("updated_at"),
      },
      setWhere: or(sql`${accounts.status} <> 'active'`, lt(accounts.updatedAt, startedAt)),
    });
}

/** excluded.<column> for users the provider gave a deletion time, the stored value (if any) for the rest. */
function sqlKeepFirstSeen(column: string, known: Set<string>) {
  const ids = [...known];
  return sql`case when excluded.external_id = any(${ids}::text[]) or ${sql.raw(`accounts.${column}`)} is null
    or ${accounts.status} in ('active', 'purged')
    then ${sql.raw(`excluded.${column}`)} else ${sql.raw(`accounts.${column}`)} end`;
}

/**
 * One full sync of a provider's bin into the mirror. Returns counts for the log and the CLI.
 * The caller claims the run (job_runs) so that several copies of the app sync once.
 */
export async function syncDirectory(
  db: Db,
  connector: DirectoryConnector,
  now: () => Date,
  actor = "sync",
): Promise<SyncResult> {
  const started = performance.now();
  const startedAt = now();
  await ensureProviderDirectory(db, connector);
  const directoryId = connector.kind;
  const retention = connector.profile.retentionDays;
  let pages = 0;
  let seen = 0;
  for await (const page of connector.listDeleted()) {
    pages++;
    seen += page.length;
    await upsertDeleted(db, directoryId, retention, page, startedAt);
  }
  let gone = 0;
  if (connector.profile.capabilities.listsWholeBin) {
    gone = await markGone(db, connector, startedAt, actor);
  }
  await recordAudit(db, {
    at: now(),
    actor,
    action: "sync",
    directoryId,
    details: { provider: connector.name, pages, seen, gone },
  });
  return { directoryId, pages, seen, gone, ms: performance.now() - started };
}

/** Deleted accounts the whole-bin listing did not show: tombstones, like a purge, a page at a time. */
async function markGone(db: Db, connector: DirectoryConnector, startedAt: Date, actor: string) {
  let gone = 0;
  for (;;) {
    const ids = await db.transaction(async (tx) => {
      const due = await tx
        .select({ id: accounts.id, userName: accounts.userName, status: accounts.status })
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
      if (due.length === 0) return [];
      const ids = due.map((a) => a.id);
      await tx
        .update(accounts)
        .set({
          status: "purged",
          purgedAt: startedAt,
          snapshot: null,
          passwordHash: null,
          version: sql`${accounts.version} + 1`,
          updatedAt: startedAt,
        })
        .where(inArray(accounts.id, ids));
      await recordAudit(
        tx,
        ...due.map((a) => ({
          at: startedAt,
          actor,
          action: "purge" as const,
          directoryId: connector.kind,
          accountIds: [a.id],
          before: { id: a.id, userName: a.userName, status: a.status },
          after: { id: a.id, userName: a.userName, status: "purged" },
          details: { reason: `no longer in ${connector.name}'s deleted users (restored there, or purged)` },
        })),
      );
      return ids;
    });
    gone += ids.length;
    if (ids.length < 500) return gone;
  }
}
