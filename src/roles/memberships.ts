import { inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { roleMemberships } from "../db/schema.ts";

/** A user group's members as Slack last told the app, and when. */
export interface StoredMembership {
  userIds: string[];
  readAt: Date;
}

/** Keeps a user group's members as just read (one statement; the newest reading wins). */
export async function storeMembership(db: Db, groupId: string, userIds: Iterable<string>, readAt: Date) {
  const ids = [...new Set(userIds)].sort();
  await db
    .insert(roleMemberships)
    .values({ groupId, userIds: ids, readAt })
    .onConflictDoUpdate({
      target: roleMemberships.groupId,
      set: { userIds: ids, readAt },
      // Another copy of the app may have stored a later reading meanwhile.
      setWhere: sql`${roleMemberships.readAt} <= excluded.read_at`,
    });
}

/** The last known members of these user groups; a group never read is absent. */
export async function storedMemberships(
  db: Db,
  groupIds: readonly string[],
): Promise<Map<string, StoredMembership>> {
  if (groupIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(roleMemberships)
    .where(inArray(roleMemberships.groupId, [...groupIds]));
  return new Map(rows.map((r) => [r.groupId, { userIds: r.userIds, readAt: r.readAt }]));
}
