/**
 * The restore plan's rules as pure functions: given the account, its directory, the admin's choices
 * and the facts gathered from the database (plan.ts), decide the conflicts, the choices' errors and
 * the outcome. One function per conflict kind, in the order the plan lists them: user name,
 * addresses (email, aliases), phone, seats, department. No I/O, so the whole conflict table is
 * tested without a database (test/plan-rules.test.ts), beside the database tests of the same rules.
 */
import type { Account, Directory } from "../db/schema.ts";
import { type Said, said, saidList, say } from "../i18n/said.ts";
import { storedEnglish, storedSaid } from "../i18n/stored.ts";
import { ENGLISH } from "../i18n/translator.ts";
import type { ConflictResolution, UniqueKey } from "../providers/capabilities.ts";
import { normalizeAddress, userNameProblem } from "./names.ts";
import type { AccountSummary, ChoiceError, Conflict, RestoreChoices, RestorePlan } from "./plan-types.ts";
import { summarize } from "./plan-types.ts";
import { type Restorability, restorability } from "./window.ts";

/** The active accounts that hold what the restore would take, as the database answered. */
export interface ActiveHolders {
  /** By lower-cased user name. */
  byUserName: Map<string, AccountSummary>;
  byPhone: AccountSummary | null;
  /** By lower-cased address (primary email or alias). */
  byAddress: Map<string, AccountSummary>;
}

/** The directory's departments and, for the account's licence, its seats. */
export interface DirectoryContext {
  departments: string[];
  seatsTotal: number | null;
  seatsUsed: number;
}

/** Everything the rules compare with; `context` is null when nothing was checked (see `wantedKeys`). */
export interface PlanFacts {
  holders: ActiveHolders;
  context: DirectoryContext | null;
}

export const NO_FACTS: PlanFacts = {
  holders: { byUserName: new Map(), byPhone: null, byAddress: new Map() },
  context: null,
};

const sameText = (a: string | null | undefined, b: string | null | undefined) =>
  a != null && b != null && a.toLowerCase() === b.toLowerCase();

/** What the directory can settle at restore time, and what it keeps unique. */
interface Rules {
  directory: Directory;
  /** Providers settle fewer conflicts at restore time than the built-in directory (Google: none). */
  can: (r: ConflictResolution) => boolean;
  /** A key the directory lets two active users share is no conflict (Okta: emails; Entra: phones). */
  unique: (k: UniqueKey) => boolean;
  canReplace: boolean;
}

function rulesOf(directory: Directory): Rules {
  return {
    directory,
    can: (r) => directory.capabilities.resolves?.includes(r) ?? true,
    unique: (k) => directory.capabilities.unique?.includes(k) ?? true,
    canReplace: directory.capabilities.replaceFreesUserName !== false,
  };
}

/** A choice's error, in English for `--json` and the logs, and as a Said for the reader's language. */
function choiceError(field: ChoiceError["field"], message: Said): ChoiceError {
  return { field, message: say(ENGLISH, message), said: message };
}

/** Choices the directory cannot carry out, or that contradict each other, before any lookup. */
function choiceProblems(account: Account, rules: Rules, choices: RestoreChoices): ChoiceError[] {
  const { directory, can } = rules;
  const errors: ChoiceError[] = [];
  const renameTo = choices.renameTo?.trim() || undefined;
  const named = { directory: directory.name };
  if (renameTo && !can("rename")) {
    errors.push(choiceError("renameTo", said("choice.cannotRename", named)));
  }
  if (choices.dropEmail && !can("dropEmail")) {
    errors.push(choiceError("dropEmail", said("choice.cannotDropEmail", named)));
  }
  if (choices.replace && !rules.canReplace) {
    errors.push(choiceError("replace", said("choice.replaceKeepsName", named)));
  }
  if (choices.dropPhone && !can("dropPhone")) {
    errors.push(choiceError("dropPhone", said("choice.cannotDropPhone", named)));
  }
  if (renameTo && choices.replace) {
    errors.push(choiceError("replace", said("choice.renameOrReplace")));
  }
  if (renameTo) {
    const problem = sameText(renameTo, account.userName)
      ? said("choice.sameUserName")
      : userNameProblem(renameTo, directory.domains);
    if (problem) errors.push(choiceError("renameTo", problem));
  }
  return errors;
}

/** What the restore would take, so what the facts must be gathered for. */
export interface WantedKeys {
  /** false for tombstones and finished cases: nothing left to check, no facts needed. */
  checkable: boolean;
  renameTo: string | undefined;
  /** A valid new user name, to be checked too. */
  renameChecks: boolean;
  /** The sign-in address follows the user name when they were the same (Entra ID's UPN and mail). */
  emailFollowsUserName: boolean;
  email: string | null;
  aliases: string[];
  /** The questions for the database: who holds these user names, this phone, these addresses. */
  ask: { userNames: string[]; phone: string | null; addresses: string[] };
  choiceErrors: ChoiceError[];
  window: Restorability;
}

export function wantedKeys(
  account: Account,
  directory: Directory,
  choices: RestoreChoices,
  now: Date,
): WantedKeys {
  const window = restorability(account, now);
  const choiceErrors = choiceProblems(account, rulesOf(directory), choices);
  const renameTo = choices.renameTo?.trim() || undefined;
  const emailFollowsUserName = sameText(account.email, account.userName);
  const renameChecks = Boolean(renameTo) && !choiceErrors.some((e) => e.field === "renameTo");
  const email = account.email
    ? normalizeAddress(emailFollowsUserName && renameTo ? renameTo : account.email)
    : null;
  const aliases = [...new Set(account.aliases.map(normalizeAddress))].filter((a) => a !== email);
  return {
    checkable: window.state === "deleted" || window.state === "deleting",
    renameTo,
    renameChecks,
    emailFollowsUserName,
    email,
    aliases,
    ask: {
      userNames: renameChecks && renameTo ? [account.userName, renameTo] : [account.userName],
      phone: account.phone,
      addresses: [email, ...aliases].filter((a): a is string => a !== null),
    },
    choiceErrors,
    window,
  };
}

/** A decision on one conflict kind: the conflicts it found and the choices it refused. */
interface Decision {
  conflicts: Conflict[];
  errors: ChoiceError[];
}

/** The account's user name held by an active account: rename, replace (approved) or cancel. */
function decideUserName(
  account: Account,
  rules: Rules,
  choices: RestoreChoices,
  w: WantedKeys,
  holders: ActiveHolders,
): Decision & { holder: AccountSummary | null; replaced: AccountSummary | null } {
  const { can, canReplace } = rules;
  const { renameTo } = w;
  const conflicts: Conflict[] = [];
  const errors: ChoiceError[] = [];
  const holder = holders.byUserName.get(account.userName.toLowerCase()) ?? null;
  if (holder) {
    conflicts.push({
      kind: "userName",
      userName: account.userName,
      holder: summarize(holder),
      resolutions: [
        ...(can("rename") ? ["rename" as const] : []),
        ...(canReplace ? ["replace" as const] : []),
        "cancel",
      ],
      resolvedBy: renameTo && can("rename") ? "rename" : choices.replace ? "replace" : null,
    });
  }
  if (w.checkable && renameTo && w.renameChecks) {
    const taken = holders.byUserName.get(renameTo.toLowerCase());
    if (taken) {
      errors.push(
        choiceError("renameTo", said("choice.taken", { userName: renameTo, holder: taken.displayName })),
      );
    }
  }
  if (w.checkable && choices.replace && !holder) {
    errors.push(choiceError("replace", said("choice.nothingToReplace", { userName: account.userName })));
  }
  return { conflicts, errors, holder, replaced: choices.replace && !renameTo ? holder : null };
}

/**
 * The email and aliases held by other active accounts (the replaced one gives its up): the email
 * can be left out where the directory can; aliases are dropped where it can, else they block.
 */
function decideAddresses(
  rules: Rules,
  choices: RestoreChoices,
  w: WantedKeys,
  holders: ActiveHolders,
  userNameHolder: AccountSummary | null,
  replaced: AccountSummary | null,
): Decision & { email: string | null; aliases: string[]; droppedAliases: string[] } {
  const { can, unique } = rules;
  const conflicts: Conflict[] = [];
  let email = w.email;
  let aliases = w.aliases;
  const droppedAliases: string[] = [];
  if (w.checkable) {
    const others = new Map([...holders.byAddress].filter(([, holder]) => holder.id !== replaced?.id));
    const emailHolder = email ? others.get(email) : undefined;
    // A user name conflict already covers the same account holding the same sign-in address.
    const coveredByUserName = w.emailFollowsUserName && !w.renameTo && emailHolder?.id === userNameHolder?.id;
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
      const holder = unique("alias") ? others.get(address) : undefined;
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
    // Also without a holder the mirror knows of: the provider may have reported one it could not
    // show (a group holding the address), and the admin chose to go on without it.
    if (choices.dropEmail && can("dropEmail")) email = null;
  }
  return { conflicts, errors: [], email, aliases, droppedAliases };
}

/** The phone held by another active account (not the replaced one), where phones are unique. */
function decidePhone(
  account: Account,
  rules: Rules,
  choices: RestoreChoices,
  w: WantedKeys,
  holders: ActiveHolders,
  replaced: AccountSummary | null,
): Decision & { phone: string | null } {
  const { can, unique } = rules;
  const conflicts: Conflict[] = [];
  let phone = account.phone;
  if (w.checkable && phone && unique("phone")) {
    const holder = holders.byPhone && holders.byPhone.id !== replaced?.id ? holders.byPhone : null;
    if (holder) {
      conflicts.push({
        kind: "phone",
        phone,
        holder: summarize(holder),
        resolutions: can("dropPhone") ? ["dropPhone", "cancel"] : ["cancel"],
        resolvedBy: choices.dropPhone && can("dropPhone") ? "dropPhone" : null,
      });
    }
  }
  // As for the email: the provider may know a holder the mirror does not.
  if (w.checkable && choices.dropPhone && can("dropPhone")) phone = null;
  return { conflicts, errors: [], phone };
}

/** No free seat of the account's licence, where the directory counts them; a replace frees one. */
function decideSeats(
  account: Account,
  w: WantedKeys,
  context: DirectoryContext | null,
  replaced: AccountSummary | null,
): Decision & { seats: RestorePlan["seats"] } {
  if (!w.checkable || !account.license || context?.seatsTotal == null) {
    return { conflicts: [], errors: [], seats: null };
  }
  const used = context.seatsUsed - (replaced?.license === account.license ? 1 : 0);
  const total = context.seatsTotal;
  const conflicts: Conflict[] =
    used >= total
      ? [{ kind: "seat", license: account.license, used, total, resolutions: ["cancel"], resolvedBy: null }]
      : [];
  return { conflicts, errors: [], seats: { license: account.license, used, total } };
}

/**
 * A department is "gone" only where the directory says which exist: a built-in directory whose
 * import listed them (JSON `departments`), or a provider's mirrored list. Otherwise (a CSV import,
 * a provider that lists none) departments are free text, and a chosen one is taken.
 */
function decideDepartment(
  account: Account,
  choices: RestoreChoices,
  w: WantedKeys,
  context: DirectoryContext | null,
): Decision & { department: string | null } {
  const conflicts: Conflict[] = [];
  const errors: ChoiceError[] = [];
  let department = account.department;
  const knowsDepartments = (context?.departments.length ?? 0) > 0;
  if (!knowsDepartments && choices.department?.trim()) department = choices.department.trim();
  if (w.checkable && knowsDepartments && (account.department || choices.department)) {
    const available = context?.departments ?? [];
    const chosen = choices.department?.trim();
    if (chosen && !available.includes(chosen)) {
      errors.push(choiceError("department", said("choice.noDepartment", { department: chosen })));
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
  return { conflicts, errors, department };
}

/**
 * Everything a restore of `account` would run into, given the admin's choices and the facts the
 * database gave for `wantedKeys(account, directory, choices, now).ask`. Pure.
 */
export function decidePlan(
  account: Account,
  directory: Directory,
  choices: RestoreChoices,
  facts: PlanFacts,
  now: Date,
): RestorePlan {
  const rules = rulesOf(directory);
  const w = wantedKeys(account, directory, choices, now);
  const { holders, context } = w.checkable ? facts : NO_FACTS;
  const userName = decideUserName(account, rules, choices, w, holders);
  const { replaced } = userName;
  const addresses = decideAddresses(rules, choices, w, holders, userName.holder, replaced);
  const phone = decidePhone(account, rules, choices, w, holders, replaced);
  const seats = decideSeats(account, w, context, replaced);
  const department = decideDepartment(account, choices, w, context);
  const decisions = [userName, addresses, phone, seats, department];
  const conflicts = decisions.flatMap((d) => d.conflicts);
  const choiceErrors = [...w.choiceErrors, ...decisions.flatMap((d) => d.errors)];

  const blockersSaid: Said[] = [];
  const windowBlocker = blockerOfWindow(w.window);
  if (windowBlocker) blockersSaid.push(windowBlocker);
  for (const c of conflicts) {
    if (c.resolvedBy === null) blockersSaid.push(blockerOf(c));
  }
  blockersSaid.push(...choiceErrors.map((e) => e.said ?? said("refusal.blocked", { reasons: e.message })));
  const blockers = blockersSaid.map((b) => say(ENGLISH, b));

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
      note: directory.capabilities.note ? storedEnglish(directory.capabilities.note) : null,
      ...(directory.capabilities.note ? { noteSaid: storedSaid(directory.capabilities.note) } : {}),
    },
    action: directory.capabilities.canRestore ? "restore" : "recreate",
    restorability: w.window,
    conflicts,
    choiceErrors,
    outcome: {
      userName: w.renameTo ?? account.userName,
      email: addresses.email,
      aliases: addresses.aliases,
      droppedAliases: addresses.droppedAliases,
      phone: phone.phone,
      department: department.department,
      license: account.license,
    },
    replaces: replaced ? summarize(replaced) : null,
    needsApproval: replaced !== null,
    seats: seats.seats,
    blockers,
    blockersSaid,
    ready: blockers.length === 0,
    followUp: directory.followUp.map(storedEnglish),
    followUpSaid: directory.followUp.map(storedSaid),
  };
}

/** Why the account's window stops a restore now, or null when it is restorable. */
function blockerOfWindow(r: Restorability): Said | null {
  switch (r.state) {
    case "deleted":
      return null;
    case "active":
      return said("blocker.window.active");
    case "deleting":
      return said("blocker.window.deleting", { time: r.restorableFrom });
    case "expired":
      return said("blocker.window.expired", { time: r.expiredAt });
    case "purged":
      return said("blocker.window.purged");
    case "recreated":
      return said("blocker.window.recreated");
  }
}

function blockerOf(c: Conflict): Said {
  switch (c.kind) {
    case "userName": {
      const rename = c.resolutions.includes("rename");
      const replace = c.resolutions.includes("replace");
      const key =
        rename && replace
          ? "blocker.userName.any"
          : rename
            ? "blocker.userName.rename"
            : replace
              ? "blocker.userName.replace"
              : "blocker.userName.cancel";
      return said(key, { holder: c.holder.displayName, userName: c.userName });
    }
    case "email":
      return said(c.resolutions.includes("dropEmail") ? "blocker.email.drop" : "blocker.email.change", {
        holder: c.holder.displayName,
        email: c.email,
        holderUserName: c.holder.userName,
      });
    case "phone":
      return said(c.resolutions.includes("dropPhone") ? "blocker.phone.drop" : "blocker.phone.change", {
        holder: c.holder.displayName,
        phone: c.phone,
        holderUserName: c.holder.userName,
      });
    case "seat":
      return said("blocker.seat", { license: c.license, used: c.used, total: c.total });
    case "department":
      return said("blocker.department", { department: c.department });
    case "alias":
      // Only unresolved where the directory cannot drop aliases at restore time (Google).
      return said("blocker.alias", {
        held: saidList(
          c.dropped.map((d) =>
            said("blocker.alias.held", { address: d.address, holder: d.holder.displayName }),
          ),
          "; ",
        ),
      });
  }
}
