import { and, count, eq, inArray, sql } from "drizzle-orm";
import { unionAll } from "drizzle-orm/pg-core";
import type { Db } from "../db/client.ts";
import {
  type Account,
  accountAddresses,
  accounts,
  type Directory,
  departments,
  type RestoreChoicesRecord,
  seats,
} from "../db/schema.ts";
import type { ConflictResolution, UniqueKey } from "../providers/capabilities.ts";
import { normalizeAddress, userNameProblem } from "./names.ts";
import { describeRestorability, type Restorability, restorability } from "./window.ts";

/** What the admin chose for each conflict. Absent means "not chosen yet". */
export type RestoreChoices = RestoreChoicesRecord;

export interface AccountSummary {
  id: string;
  directoryId: string;
  userName: string;
  displayName: string;
  email: string | null;
  department: string | null;
  license: string | null;
  status: Account["status"];
}

/** One row of domain.md's conflict table, with the resolutions the admin may pick. */
export type Conflict =
  | {
      kind: "userName";
      userName: string;
      holder: AccountSummary;
      resolutions: ("rename" | "replace" | "cancel")[];
      resolvedBy: "rename" | "replace" | null;
    }
  | {
      kind: "alias";
      /** Addresses that now belong to other active accounts: the restore goes ahead without them. */
      dropped: { address: string; holder: AccountSummary }[];
      resolutions: ("dropAliases" | "cancel")[];
      resolvedBy: "dropAliases" | null;
    }
  | {
      kind: "email";
      email: string;
      holder: AccountSummary;
      resolutions: ("dropEmail" | "cancel")[];
      resolvedBy: "dropEmail" | null;
    }
  | {
      kind: "phone";
      phone: string;
      holder: AccountSummary;
      resolutions: ("dropPhone" | "cancel")[];
      resolvedBy: "dropPhone" | null;
    }
  | { kind: "seat"; license: string; used: number; total: number; resolutions: ["cancel"]; resolvedBy: null }
  | {
      kind: "department";
      department: string;
      available: string[];
      resolutions: ("chooseDepartment" | "cancel")[];
      resolvedBy: "chooseDepartment" | null;
    };

export type ConflictKind = Conflict["kind"];

export interface ChoiceError {
  field: keyof RestoreChoices;
  message: string;
}

export interface RestorePlan {
  account: AccountSummary & {
    aliases: string[];
    phone: string | null;
    deletedAt: Date | null;
    deletedBy: string | null;
  };
  directory: {
    id: string;
    name: string;
    kind: string;
    canRestore: boolean;
    batchRestore: boolean;
    /** What to know about this directory wherever it is named (Okta: no countdown). */
    note: string | null;
  };
  /** "recreate" where the directory cannot restore: a new account from the snapshot. */
  action: "restore" | "recreate";
  restorability: Restorability;
  conflicts: Conflict[];
  choiceErrors: ChoiceError[];
  /** The account as it will be after the restore, given the choices. */
  outcome: {
    userName: string;
    email: string | null;
    aliases: string[];
    droppedAliases: string[];
    phone: string | null;
    department: string | null;
    license: string | null;
  };
  /** The active account a replace would delete (softly, with its own full window). */
  replaces: AccountSummary | null;
  needsApproval: boolean;
  seats: { license: string; used: number; total: number } | null;
  /** Why it cannot go ahead as chosen, in sentences an admin can act on. Empty when ready. */
  blockers: string[];
  ready: boolean;
  followUp: string[];
  /**
   * For a provider's account: when its active users were last asked who holds these names (the
   * conflicts above come from that answer), or why they could not be asked. Absent: built-in.
   */
  providerCheck?: {
    provider: string;
    /** ISO; null when the provider could not be asked. */
    checkedAt: string | null;
    cached: boolean;
    /** What went wrong and what to do, when the provider could not be asked. */
    error: string | null;
  };
}

export function summarize(a: Pick<Account, keyof AccountSummary>): AccountSummary {
  return {
    id: a.id,
    directoryId: a.directoryId,
    userName: a.userName,
    displayName: a.displayName,
    email: a.email,
    department: a.department,
    license: a.license,
    status: a.status,
  };
}

const sameText = (a: string | null | undefined, b: string | null | undefined) =>
  a != null && b != null && a.toLowerCase() === b.toLowerCase();

/**
 * Everything a restore of `account` would run into, given the admin's choices so far. Read-only;
 * the restore calls it again inside its transaction, so what is checked is what is done.
 */
export async function buildPlan(
  db: Db,
  account: Account,
  directory: Directory,
  choices: RestoreChoices,
  now: Date,
): Promise<RestorePlan> {
  const window = restorability(account, now);
  const choiceErrors: ChoiceError[] = [];
  const conflicts: Conflict[] = [];
  const directoryId = account.directoryId;

  const renameTo = choices.renameTo?.trim() || undefined;
  // Providers settle fewer conflicts at restore time than the built-in directory (Google: none).
  const can = (r: ConflictResolution) => directory.capabilities.resolves?.includes(r) ?? true;
  // A key the directory lets two active users share is no conflict (Okta: emails; Entra: phones).
  const unique = (k: UniqueKey) => directory.capabilities.unique?.includes(k) ?? true;
  const cannot = (what: string) =>
    `${directory.name} cannot ${what} as it restores an account: free it in ${directory.name} first, or replace.`;
  if (renameTo && !can("rename")) {
    choiceErrors.push({ field: "renameTo", message: cannot("take a new user name") });
  }
  if (choices.dropEmail && !can("dropEmail")) {
    choiceErrors.push({ field: "dropEmail", message: cannot("leave out the email address") });
  }
  const canReplace = directory.capabilities.replaceFreesUserName !== false;
  if (choices.replace && !canReplace) {
    choiceErrors.push({
      field: "replace",
      message: `${directory.name} keeps the user name of a user it deactivates, so replacing cannot free it: rename the active user in ${directory.name} first.`,
    });
  }
  if (choices.dropPhone && !can("dropPhone")) {
    choiceErrors.push({ field: "dropPhone", message: cannot("leave out the phone number") });
  }
  if (renameTo && choices.replace) {
    choiceErrors.push({ field: "replace", message: "Choose rename or replace, not both." });
  }
  if (renameTo) {
    const problem = sameText(renameTo, account.userName)
      ? "That is the account's current user name: type a new one."
      : userNameProblem(renameTo, directory.domains);
    if (problem) choiceErrors.push({ field: "renameTo", message: problem });
  }

  // Tombstones and finished cases have nothing left to check.
  const checkable = window.state === "deleted" || window.state === "deleting";

  // The sign-in address follows the user name when they were the same (Entra ID's UPN and mail).
  const emailFollowsUserName = sameText(account.email, account.userName);
  const renameChecks = Boolean(renameTo) && !choiceErrors.some((e) => e.field === "renameTo");
  const wantedEmail = account.email
    ? normalizeAddress(emailFollowsUserName && renameTo ? renameTo : account.email)
    : null;
  const wantedAliases = [...new Set(account.aliases.map(normalizeAddress))].filter((a) => a !== wantedEmail);
  // Everything the plan compares with, in two round trips: the restore re-plans inside its
  // transaction, so each query here is paid twice on the way to a restored account.
  const [active, context] = checkable
    ? await Promise.all([
        activeHolders(db, directoryId, {
          userNames: renameChecks && renameTo ? [account.userName, renameTo] : [account.userName],
          phone: account.phone,
          addresses: [wantedEmail, ...wantedAliases].filter((a): a is string => a !== null),
        }),
        directoryContext(db, directoryId, account.license),
      ])
    : [EMPTY_HOLDERS, null];
  const originalHolder = active.byUserName.get(account.userName.toLowerCase()) ?? null;
  if (originalHolder) {
    conflicts.push({
      kind: "userName",
      userName: account.userName,
      holder: summarize(originalHolder),
      resolutions: [
        ...(can("rename") ? ["rename" as const] : []),
        ...(canReplace ? ["replace" as const] : []),
        "cancel",
      ],
      resolvedBy: renameTo && can("rename") ? "rename" : choices.replace ? "replace" : null,
    });
  }
  if (checkable && renameTo && renameChecks) {
    const taken = active.byUserName.get(renameTo.toLowerCase());
    if (taken) {
      choiceErrors.push({
        field: "renameTo",
        message: `${renameTo} is taken by ${taken.displayName}: choose another user name.`,
      });
    }
  }
  if (checkable && choices.replace && !originalHolder) {
    choiceErrors.push({
      field: "replace",
      message: `No active account uses ${account.userName}: there is nothing to replace.`,
    });
  }
  const replaced = choices.replace && !renameTo ? originalHolder : null;

  const userName = renameTo ?? account.userName;
  let email = wantedEmail;
  let aliases = wantedAliases;
  let phone = account.phone;
  let department = account.department;
  const droppedAliases: string[] = [];

  if (checkable) {
    // The replaced account gives up its addresses and phone with its place.
    const holders = new Map([...active.byAddress].filter(([, holder]) => holder.id !== replaced?.id));
    const emailHolder = email ? holders.get(email) : undefined;
    // A user name conflict already covers the same account holding the same sign-in address.
    const coveredByUserName = emailFollowsUserName && !renameTo && emailHolder?.id === originalHolder?.id;
    if (email && emailHolder && !coveredByUserName && unique("email")) {
      conflicts.push({
        kind: "email",
        email,
        holder: summarize(emailHolder),
        resolutions: can("dropEmail") ? ["dropEmail", "cancel"] : ["cancel"],
        resolvedBy: choices.dropEmail && can("dropEmail") ? "dropEmail" : null,
      });
    }
    const dropped = aliases.flatMap((address) => {
      const holder = unique("alias") ? holders.get(address) : undefined;
      return holder ? [{ address, holder: summarize(holder) }] : [];
    });
    if (dropped.length > 0) {
      if (can("dropAliases")) {
        conflicts.push({ kind: "alias", dropped, resolutions: ["dropAliases"], resolvedBy: "dropAliases" });
        droppedAliases.push(...dropped.map((d) => d.address));
        aliases = aliases.filter((a) => !droppedAliases.includes(a));
      } else {
        conflicts.push({ kind: "alias", dropped, resolutions: ["cancel"], resolvedBy: null });
      }
    }

    if (phone && unique("phone")) {
      const phoneHolder = active.byPhone && active.byPhone.id !== replaced?.id ? active.byPhone : null;
      if (phoneHolder) {
        conflicts.push({
          kind: "phone",
          phone,
          holder: summarize(phoneHolder),
          resolutions: can("dropPhone") ? ["dropPhone", "cancel"] : ["cancel"],
          resolvedBy: choices.dropPhone && can("dropPhone") ? "dropPhone" : null,
        });
      }
    }
  }
  // Also without a holder the mirror knows of: the provider may have reported one it could not
  // show (a group holding the address), and the admin chose to go on without it.
  if (checkable && choices.dropEmail && can("dropEmail")) email = null;
  if (checkable && choices.dropPhone && can("dropPhone")) phone = null;

  let seatInfo: RestorePlan["seats"] = null;
  if (checkable && account.license && context?.seatsTotal != null) {
    // A replace frees the replaced account's seat first.
    const used = context.seatsUsed - (replaced?.license === account.license ? 1 : 0);
    const total = context.seatsTotal;
    seatInfo = { license: account.license, used, total };
    if (used >= total) {
      conflicts.push({
        kind: "seat",
        license: account.license,
        used,
        total,
        resolutions: ["cancel"],
        resolvedBy: null,
      });
    }
  }

  // A department is "gone" only where the directory says which exist: a built-in directory whose
  // import listed them (JSON `departments`), or a provider's mirrored list. Otherwise (a CSV
  // import, a provider that lists none) departments are free text, and a chosen one is taken.
  const knowsDepartments = (context?.departments.length ?? 0) > 0;
  if (!knowsDepartments && choices.department?.trim()) department = choices.department.trim();
  if (checkable && knowsDepartments && (account.department || choices.department)) {
    const available = context?.departments ?? [];
    const chosen = choices.department?.trim();
    if (chosen && !available.includes(chosen)) {
      choiceErrors.push({ field: "department", message: `There is no department called ${chosen}.` });
    }
    if (account.department && !available.includes(account.department)) {
      conflicts.push({
        kind: "department",
        department: account.department,
        available,
        resolutions: ["chooseDepartment"],
        resolvedBy: chosen && available.includes(chosen) ? "chooseDepartment" : null,
      });
    }
    if (chosen && available.includes(chosen)) department = chosen;
  }

  const blockers: string[] = [];
  if (window.state !== "deleted") blockers.push(capitalize(describeRestorability(window)));
  for (const c of conflicts) {
    if (c.resolvedBy === null) blockers.push(blockerOf(c));
  }
  blockers.push(...choiceErrors.map((e) => e.message));

  return {
    account: {
      ...summarize(account),
      aliases: account.aliases,
      phone: account.phone,
      deletedAt: account.deletedAt,
      deletedBy: account.deletedBy,
    },
    directory: {
      id: directory.id,
      name: directory.name,
      kind: directory.kind,
      canRestore: directory.capabilities.canRestore,
      batchRestore: directory.capabilities.batchRestore,
      note: directory.capabilities.note ?? null,
    },
    action: directory.capabilities.canRestore ? "restore" : "recreate",
    restorability: window,
    conflicts,
    choiceErrors,
    outcome: {
      userName,
      email,
      aliases,
      droppedAliases,
      phone,
      department,
      license: account.license,
    },
    replaces: replaced ? summarize(replaced) : null,
    needsApproval: replaced !== null,
    seats: seatInfo,
    blockers,
    ready: blockers.length === 0,
    followUp: directory.followUp,
  };
}

function blockerOf(c: Conflict): string {
  switch (c.kind) {
    case "userName": {
      const ways = [
        ...(c.resolutions.includes("rename") ? ["rename the restored account"] : []),
        ...(c.resolutions.includes("replace") ? ["replace the active one (needs approval)"] : []),
      ];
      const last = "cancel and rename the active account first.";
      return `${c.holder.displayName} (active) has the user name ${c.userName}: ${ways.length > 0 ? `${ways.join(", ")}, or ${last}` : last}`;
    }
    case "email":
      return c.resolutions.includes("dropEmail")
        ? `${c.holder.displayName} (active) has the email ${c.email}: restore without the email, or change ${c.holder.userName}'s email first.`
        : `${c.holder.displayName} (active) has the email ${c.email}: change ${c.holder.userName}'s email first.`;
    case "phone":
      return c.resolutions.includes("dropPhone")
        ? `${c.holder.displayName} (active) has the phone ${c.phone}: restore without the phone, or change ${c.holder.userName}'s phone first.`
        : `${c.holder.displayName} (active) has the phone ${c.phone}: change ${c.holder.userName}'s phone first.`;
    case "seat":
      return `No free ${c.license} seat (${c.used} of ${c.total} used): free or buy a seat, then try again.`;
    case "department":
      return `The department ${c.department} no longer exists: choose a department.`;
    case "alias":
      // Only unresolved where the directory cannot drop aliases at restore time (Google).
      return `${c.dropped.map((d) => `${d.address} belongs to ${d.holder.displayName} (active)`).join("; ")}: remove the alias from the active account first.`;
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

interface ActiveHolders {
  /** By lower-cased user name. */
  byUserName: Map<string, AccountSummary>;
  byPhone: AccountSummary | null;
  /** By lower-cased address (primary email or alias). */
  byAddress: Map<string, AccountSummary>;
}

const EMPTY_HOLDERS: ActiveHolders = { byUserName: new Map(), byPhone: null, byAddress: new Map() };

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
): Promise<{ departments: string[]; seatsTotal: number | null; seatsUsed: number }> {
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
  message: string,
  capabilities: Directory["capabilities"],
  /** The directory's departments, for a department the provider says is gone. */
  departments: string[] = [],
): RestorePlan {
  const can = (r: ConflictResolution) => capabilities.resolves?.includes(r) ?? true;
  const someone: AccountSummary = {
    id: "",
    directoryId: plan.directory.id,
    userName: "?",
    displayName: `Another object in ${plan.directory.name}`,
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
  return { ...plan, conflicts, blockers: [...plan.blockers, message], ready: false };
}
