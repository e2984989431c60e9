/** An account named the way people name it: an id, a user name, an email or a provider's id. */

import { eq, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type Account, accounts } from "../db/schema.ts";
import { said, saidList } from "../i18n/said.ts";
import { isUuid } from "./ids.ts";
import { Refused } from "./outcome.ts";

/** An id is used as it is (the restore's lock finds it or says there is none); names are looked up. */
export async function idOf(db: Db, ref: string): Promise<string> {
  const key = ref.trim();
  return isUuid(key) ? key : (await resolveAccount(db, key)).id;
}

/**
 * Finds an account by id, user name, email or provider id. Deleted ones come first; several deleted
 * accounts may share a user name (deleted at different times), and then the admin must pick by id.
 */
export async function resolveAccount(db: Db, ref: string): Promise<Account> {
  const key = ref.trim();
  const byId = isUuid(key);
  const lower = key.toLowerCase();
  const matches = await db
    .select()
    .from(accounts)
    .where(
      byId
        ? eq(accounts.id, key)
        : or(
            sql`lower(${accounts.userName}) = ${lower}`,
            sql`lower(${accounts.email}) = ${lower}`,
            eq(accounts.externalId, key),
          ),
    )
    .limit(20);
  if (matches.length === 0) throw new Refused("not_found", said("refusal.noAccount", { ref }));
  // Active accounts only matter when nothing else matches; tombstones and re-created ones last.
  const rank = (a: Account) =>
    a.status === "active" ? 3 : a.status === "purged" ? 2 : a.recreatedAs ? 1 : 0;
  const best = Math.min(...matches.map(rank));
  const candidates = matches.filter((a) => rank(a) === best);
  if (candidates.length > 1) {
    const list = candidates.map((a) =>
      said("refusal.ambiguous.candidate", {
        id: a.id,
        userName: a.userName,
        deletedAt: a.deletedAt?.toISOString() ?? "?",
      }),
    );
    throw new Refused(
      "ambiguous",
      said("refusal.ambiguous", { ref, count: candidates.length, candidates: saidList(list, "; ") }),
    );
  }
  return candidates[0] as Account;
}
