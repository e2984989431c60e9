/**
 * Building a restore plan: gather the facts (who holds the names, addresses and phone the restore
 * would take; the directory's departments and seats) in two round trips, then decide with the pure
 * rules in plan-rules.ts. The restore calls it again inside its transaction, so what is checked is
 * what is done. Also the plan after a provider refused with a conflict of its own.
 */

import { and, count, eq, inArray, sql } from "drizzle-orm";
import { unionAll } from "drizzle-orm/pg-core";
import type { Db } from "../db/client.ts";
import {
  type Account,
  accountAddresses,
  accounts,
  type Directory,
  departments,
  seats,
} from "../db/schema.ts";
import { type Said, said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";
import type { ConflictResolution } from "../providers/capabilities.ts";
import { type ActiveHolders, type DirectoryContext, decidePlan, NO_FACTS, wantedKeys } from "./plan-rules.ts";
import type { AccountSummary, ConflictKind, RestoreChoices, RestorePlan } from "./plan-types.ts";

/**
 * Everything a restore of `account` would run into, given the admin's choices so far. Read-only.
 * Everything the plan compares with comes in two round trips: the restore re-plans inside its
 * transaction, so each query here is paid twice on the way to a restored account.
 */
export async function buildPlan(
  db: Db,
  account: Account,
  directory: Directory,
  choices: RestoreChoices,
  now: Date,
): Promise<RestorePlan> {
  const wanted = wantedKeys(account, directory, choices, now);
  const facts = wanted.checkable
    ? await Promise.all([
        activeHolders(db, account.directoryId, wanted.ask),
        directoryContext(db, account.directoryId, account.license),
      ]).then(([holders, context]) => ({ holders, context }))
    : NO_FACTS;
  return decidePlan(account, directory, choices, facts, now);
}

const summaryColumns = {
  id: accounts.id,
  directoryId: accounts.directoryId,
  userName: accounts.userName,
  displayName: accounts.displayName,
  email: accounts.email,
  department: accounts.department,
  license: accounts.license,
  status: accounts.status,
};

/** The active accounts that hold any of these user names, this phone or these addresses: one query. */
async function activeHolders(
  db: Db,
  directoryId: string,
  wanted: { userNames: string[]; phone: string | null; addresses: string[] },
): Promise<ActiveHolders> {
  const active = and(eq(accounts.directoryId, directoryId), eq(accounts.status, "active"));
  const byName = db
    .select({
      kind: sql<string>`'user'`.as("kind"),
      key: sql<string>`lower(${accounts.userName})`.as("key"),
      ...summaryColumns,
    })
    .from(accounts)
    .where(
      and(
        active,
        inArray(
          sql`lower(${accounts.userName})`,
          wanted.userNames.map((u) => u.toLowerCase()),
        ),
      ),
    );
  // The union's parts join different tables but return the same columns.
  const more: (typeof byName)[] = [];
  if (wanted.phone) {
    more.push(
      db
        .select({
          kind: sql<string>`'phone'`.as("kind"),
          key: sql<string>`${accounts.phone}`.as("key"),
          ...summaryColumns,
        })
        .from(accounts)
        .where(and(active, eq(accounts.phone, wanted.phone))),
    );
  }
  if (wanted.addresses.length > 0) {
    more.push(
      db
        .select({
          kind: sql<string>`'address'`.as("kind"),
          key: sql<string>`${accountAddresses.address}`.as("key"),
          ...summaryColumns,
        })
        .from(accounts)
        .innerJoin(accountAddresses, eq(accountAddresses.accountId, accounts.id))
        .where(
          and(
            eq(accountAddresses.directoryId, directoryId),
            eq(accountAddresses.active, true),
            inArray(accountAddresses.address, wanted.addresses),
          ),
        ),
    );
  }
  const rows = more.length > 0 ? await unionAll(byName, ...(more as [typeof byName])) : await byName;
  const holders: ActiveHolders = { byUserName: new Map(), byPhone: null, byAddress: new Map() };
  for (const { kind, key, ...summary } of rows) {
    if (kind === "user") holders.byUserName.set(key, summary);
    else if (kind === "phone") holders.byPhone = summary;
    else holders.byAddress.set(key, summary);
  }
  return holders;
}

/** The directory's departments and, for a licence, its seats: one query, two with a seat plan. */
async function directoryContext(
  db: Db,
  directoryId: string,
  license: string | null,
): Promise<DirectoryContext> {
  const [row] = await db
    .select({
      departments: sql<
        string[] | null
      >`(select array_agg(${departments.name} order by ${departments.name}) from ${departments} where ${departments.directoryId} = ${directoryId})`,
      seatsTotal: license
        ? sql<
            number | null
          >`(select ${seats.total} from ${seats} where ${seats.directoryId} = ${directoryId} and ${seats.license} = ${license})`
        : sql<null>`null::int`,
    })
    .from(sql`(select 1) as one`);
  const seatsTotal = row?.seatsTotal ?? null;
  let seatsUsed = 0;
  if (license && seatsTotal !== null) {
    // Only a licence with a seat plan is counted (from the partial index of active holders).
    const [used] = await db
      .select({ n: count() })
      .from(accounts)
      .where(
        and(
          eq(accounts.directoryId, directoryId),
          eq(accounts.status, "active"),
          eq(accounts.license, license),
        ),
      );
    seatsUsed = used?.n ?? 0;
  }
  return { departments: row?.departments ?? [], seatsTotal, seatsUsed };
}

/**
 * The plan after the provider refused the restore with a conflict of its own: a holder our check
 * could not see (a group or contact holding an address, a user created a moment ago). It is shown
 * as the same conflict, with the resolutions the directory has, so the admin chooses as for any
 * other; replace is not offered, as there is no known account to replace.
 */
export function withProviderConflict(
  plan: RestorePlan,
  kind: ConflictKind | "deleting" | "expired",
  message: Said,
  capabilities: Directory["capabilities"],
  /** The directory's departments, for a department the provider says is gone. */
  departments: string[] = [],
): RestorePlan {
  const can = (r: ConflictResolution) => capabilities.resolves?.includes(r) ?? true;
  const unseen = said("plan.holder.unseen", { directory: plan.directory.name });
  const someone: AccountSummary = {
    id: "",
    directoryId: plan.directory.id,
    userName: "?",
    displayName: say(ENGLISH, unseen),
    displayNameSaid: unseen,
    email: null,
    department: null,
    license: null,
    status: "active",
  };
  const conflicts = [...plan.conflicts];
  const o = plan.outcome;
  if (kind === "userName") {
    conflicts.push({
      kind,
      userName: o.userName,
      holder: someone,
      resolutions: can("rename") ? ["rename", "cancel"] : ["cancel"],
      resolvedBy: null,
    });
  } else if (kind === "email" && o.email) {
    conflicts.push({
      kind,
      email: o.email,
      holder: someone,
      resolutions: can("dropEmail") ? ["dropEmail", "cancel"] : ["cancel"],
      resolvedBy: null,
    });
  } else if (kind === "phone" && o.phone) {
    conflicts.push({
      kind,
      phone: o.phone,
      holder: someone,
      resolutions: can("dropPhone") ? ["dropPhone", "cancel"] : ["cancel"],
      resolvedBy: null,
    });
  } else if (kind === "department" && o.department) {
    // The provider says the department (Google's org unit) is gone, though our list still had it.
    conflicts.push({
      kind,
      department: o.department,
      available: departments.filter((d) => d !== o.department),
      resolutions: ["chooseDepartment"],
      resolvedBy: null,
    });
  }
  return {
    ...plan,
    conflicts,
    blockers: [...plan.blockers, say(ENGLISH, message)],
    blockersSaid: [...(plan.blockersSaid ?? []), message],
    ready: false,
  };
}
