/**
 * The conflict table as pure rules: decidePlan with facts written by hand, no database. The same
 * rules against a real database (where the facts come from queries and the indexes) are in
 * conflicts.test.ts and the providers' plan tests.
 */
import { describe, expect, it } from "vitest";
import type { Account, Directory } from "../src/db/schema.ts";
import type { DirectoryCapabilities } from "../src/providers/capabilities.ts";
import { type ActiveHolders, decidePlan, type PlanFacts, wantedKeys } from "../src/restore/plan-rules.ts";
import type { AccountSummary, Conflict, RestoreChoices } from "../src/restore/plan-types.ts";
import { DAY_MS } from "../src/restore/window.ts";

const NOW = new Date("2026-03-10T12:00:00Z");

function aDirectory(
  capabilities: Partial<DirectoryCapabilities> = {},
  over: Partial<Directory> = {},
): Directory {
  return {
    id: "builtin",
    name: "Built-in directory",
    kind: "builtin",
    retentionDays: 30,
    capabilities: {
      canRestore: true,
      batchRestore: true,
      hasDeletingState: true,
      setsPassword: true,
      ...capabilities,
    },
    followUp: ["Add them back to groups."],
    domains: ["example.com", "example.org"],
    createdAt: NOW,
    ...over,
  };
}

let ids = 0;
function anAccount(over: Partial<Account> = {}): Account {
  ids += 1;
  return {
    id: `00000000-0000-4000-8000-${String(ids).padStart(12, "0")}`,
    directoryId: "builtin",
    externalId: `ext-${ids}`,
    userName: "alice@example.com",
    email: "alice@example.com",
    aliases: [],
    phone: null,
    displayName: "Alice Smith",
    givenName: "Alice",
    familyName: "Smith",
    department: null,
    license: null,
    status: "deleted",
    deletedAt: new Date(NOW.getTime() - 2 * DAY_MS),
    deletedBy: "U0ADMIN",
    deletionCompletesAt: null,
    purgeAfter: new Date(NOW.getTime() + 28 * DAY_MS),
    purgedAt: null,
    recreatedAs: null,
    snapshot: null,
    passwordHash: null,
    mustChangePassword: false,
    searchText: "",
    nameText: "",
    syncedAt: null,
    version: 1,
    createdAt: NOW,
    updatedAt: NOW,
    ...over,
  };
}

function aHolder(over: Partial<AccountSummary> = {}): AccountSummary {
  ids += 1;
  return {
    id: `11111111-0000-4000-8000-${String(ids).padStart(12, "0")}`,
    directoryId: "builtin",
    userName: "alice@example.com",
    displayName: "Alice Newhire",
    email: null,
    department: null,
    license: null,
    status: "active",
    ...over,
  };
}

function facts(
  over: {
    byUserName?: Record<string, AccountSummary>;
    byAddress?: Record<string, AccountSummary>;
    byPhone?: AccountSummary | null;
    departments?: string[];
    seatsTotal?: number | null;
    seatsUsed?: number;
  } = {},
): PlanFacts {
  const holders: ActiveHolders = {
    byUserName: new Map(Object.entries(over.byUserName ?? {})),
    byAddress: new Map(Object.entries(over.byAddress ?? {})),
    byPhone: over.byPhone ?? null,
  };
  return {
    holders,
    context: {
      departments: over.departments ?? [],
      seatsTotal: over.seatsTotal ?? null,
      seatsUsed: over.seatsUsed ?? 0,
    },
  };
}

function plan(
  account: Account,
  f: PlanFacts = facts(),
  choices: RestoreChoices = {},
  directory = aDirectory(),
) {
  return decidePlan(account, directory, choices, f, NOW);
}

function conflictOf<K extends Conflict["kind"]>(
  conflicts: Conflict[],
  kind: K,
): Extract<Conflict, { kind: K }> {
  const found = conflicts.find((c) => c.kind === kind);
  if (!found) throw new Error(`no ${kind} conflict in ${JSON.stringify(conflicts)}`);
  return found as Extract<Conflict, { kind: K }>;
}

describe("no conflict", () => {
  it("is ready, restores as it was and needs no approval", () => {
    const p = plan(anAccount({ aliases: ["a.smith@example.com"], phone: "+15550100", department: "Sales" }));
    expect(p.ready).toBe(true);
    expect(p.blockers).toEqual([]);
    expect(p.conflicts).toEqual([]);
    expect(p.action).toBe("restore");
    expect(p.needsApproval).toBe(false);
    expect(p.outcome).toEqual({
      userName: "alice@example.com",
      email: "alice@example.com",
      aliases: ["a.smith@example.com"],
      droppedAliases: [],
      phone: "+15550100",
      department: "Sales",
      license: null,
    });
    expect(p.followUp).toEqual(["Add them back to groups."]);
  });

  it("re-creates where the directory cannot restore", () => {
    expect(plan(anAccount(), facts(), {}, aDirectory({ canRestore: false })).action).toBe("recreate");
  });
});

describe("user name", () => {
  const held = () => facts({ byUserName: { "alice@example.com": aHolder() } });

  it("taken: blocks with rename, replace and cancel, naming the holder", () => {
    const p = plan(
      anAccount({ userName: "Alice@Example.com" }),
      facts({ byUserName: { "alice@example.com": aHolder() } }),
    );
    const c = conflictOf(p.conflicts, "userName");
    expect(c.resolutions).toEqual(["rename", "replace", "cancel"]);
    expect(c.resolvedBy).toBeNull();
    expect(p.ready).toBe(false);
    expect(p.blockers[0]).toContain("Alice Newhire (active) has the user name Alice@Example.com");
  });

  it("rename settles it; the email follows the user name when they were the same", () => {
    const p = plan(anAccount(), held(), { renameTo: "alice.smith@example.com" });
    expect(conflictOf(p.conflicts, "userName").resolvedBy).toBe("rename");
    expect(p.outcome.userName).toBe("alice.smith@example.com");
    expect(p.outcome.email).toBe("alice.smith@example.com");
    expect(p.ready).toBe(true);
  });

  it("rename keeps an email that differed from the user name", () => {
    const p = plan(anAccount({ userName: "asmith", email: "alice@example.com" }), facts(), {
      renameTo: "asmith2",
    });
    expect(p.outcome).toMatchObject({ userName: "asmith2", email: "alice@example.com" });
  });

  it("a new user name that is taken, the current one, or outside the domains is refused on renameTo", () => {
    const taken = plan(
      anAccount(),
      facts({
        byUserName: { "alice@example.com": aHolder(), "al@example.com": aHolder({ displayName: "Al" }) },
      }),
      {
        renameTo: "al@example.com",
      },
    );
    expect(taken.choiceErrors).toEqual([
      {
        field: "renameTo",
        message: "al@example.com is taken by Al: choose another user name.",
        // The same, for a reader of another language: the key, and the names as typed.
        said: { key: "choice.taken", values: { userName: "al@example.com", holder: "Al" } },
      },
    ]);
    const same = plan(anAccount(), held(), { renameTo: "ALICE@example.com" });
    expect(same.choiceErrors[0]?.message).toBe("That is the account's current user name: type a new one.");
    const elsewhere = plan(anAccount(), held(), { renameTo: "alice@elsewhere.test" });
    expect(elsewhere.choiceErrors.map((e) => e.field)).toEqual(["renameTo"]);
    expect(elsewhere.ready).toBe(false);
  });

  it("asks the database about the new user name only when it is valid", () => {
    const d = aDirectory();
    expect(wantedKeys(anAccount(), d, { renameTo: "al@example.com" }, NOW).ask.userNames).toEqual([
      "alice@example.com",
      "al@example.com",
    ]);
    expect(wantedKeys(anAccount(), d, { renameTo: "alice@elsewhere.test" }, NOW).ask.userNames).toEqual([
      "alice@example.com",
    ]);
  });

  it("replace settles it with approval, and frees the holder's addresses, phone and seat", () => {
    const holder = aHolder({ license: "E3" });
    const p = plan(
      anAccount({ phone: "+15550100", license: "E3" }),
      facts({
        byUserName: { "alice@example.com": holder },
        byAddress: { "alice@example.com": holder },
        byPhone: holder,
        seatsTotal: 1,
        seatsUsed: 1,
      }),
      { replace: true },
    );
    expect(conflictOf(p.conflicts, "userName").resolvedBy).toBe("replace");
    expect(p.conflicts.map((c) => c.kind)).toEqual(["userName"]);
    expect(p.replaces?.id).toBe(holder.id);
    expect(p.needsApproval).toBe(true);
    expect(p.seats).toEqual({ license: "E3", used: 0, total: 1 });
    expect(p.ready).toBe(true);
  });

  it("replace with nothing to replace, or with a rename, is refused", () => {
    expect(plan(anAccount(), facts(), { replace: true }).choiceErrors).toEqual([
      {
        field: "replace",
        message: "No active account uses alice@example.com: there is nothing to replace.",
        said: { key: "choice.nothingToReplace", values: { userName: "alice@example.com" } },
      },
    ]);
    const both = plan(anAccount(), held(), { replace: true, renameTo: "al@example.com" });
    expect(both.choiceErrors.map((e) => e.message)).toContain("Choose rename or replace, not both.");
    expect(both.replaces).toBeNull();
  });

  it("a directory that cannot rename or free a user name offers neither", () => {
    const okta = aDirectory({ resolves: [], replaceFreesUserName: false }, { name: "Okta" });
    const p = plan(anAccount(), held(), { renameTo: "al@example.com", replace: true }, okta);
    expect(conflictOf(p.conflicts, "userName").resolutions).toEqual(["cancel"]);
    expect(p.choiceErrors.map((e) => e.field)).toEqual(["renameTo", "replace", "replace"]);
    expect(p.blockers.at(-3)).toContain("Okta cannot take a new user name as it restores an account");
  });

  it("the same account holding the sign-in address is one user name conflict, not two", () => {
    const holder = aHolder({ email: "alice@example.com" });
    const p = plan(
      anAccount(),
      facts({ byUserName: { "alice@example.com": holder }, byAddress: { "alice@example.com": holder } }),
    );
    expect(p.conflicts.map((c) => c.kind)).toEqual(["userName"]);
  });
});

describe("addresses", () => {
  it("an email held by another account blocks until restored without it", () => {
    const account = anAccount({ userName: "asmith" });
    const f = facts({ byAddress: { "alice@example.com": aHolder({ userName: "bob", displayName: "Bob" }) } });
    const blocked = plan(account, f);
    expect(conflictOf(blocked.conflicts, "email")).toMatchObject({
      resolutions: ["dropEmail", "cancel"],
      resolvedBy: null,
    });
    expect(blocked.blockers).toEqual([
      "Bob (active) has the email alice@example.com: restore without the email, or change bob's email first.",
    ]);
    const dropped = plan(account, f, { dropEmail: true });
    expect(dropped.ready).toBe(true);
    expect(dropped.outcome.email).toBeNull();
  });

  it("dropEmail goes ahead without the email even with no holder known (the provider reported one)", () => {
    expect(plan(anAccount(), facts(), { dropEmail: true }).outcome.email).toBeNull();
  });

  it("an email is no conflict where the directory lets two users share it (Okta)", () => {
    const f = facts({ byAddress: { "alice@example.com": aHolder({ userName: "bob" }) } });
    expect(plan(anAccount({ userName: "asmith" }), f, {}, aDirectory({ unique: [] })).conflicts).toEqual([]);
  });

  it("aliases held by others are dropped and listed, the rest kept", () => {
    const p = plan(
      anAccount({ aliases: ["A.Smith@example.com", "ali@example.com"] }),
      facts({ byAddress: { "a.smith@example.com": aHolder({ displayName: "Adam" }) } }),
    );
    const c = conflictOf(p.conflicts, "alias");
    expect(c.dropped.map((d) => d.address)).toEqual(["a.smith@example.com"]);
    expect(c.resolvedBy).toBe("dropAliases");
    expect(p.outcome.aliases).toEqual(["ali@example.com"]);
    expect(p.outcome.droppedAliases).toEqual(["a.smith@example.com"]);
    expect(p.ready).toBe(true);
  });

  it("aliases block where the directory cannot drop them (Google)", () => {
    const google = aDirectory({ resolves: [] }, { name: "Google" });
    const p = plan(
      anAccount({ aliases: ["ali@example.com"] }),
      facts({ byAddress: { "ali@example.com": aHolder({ displayName: "Al" }) } }),
      {},
      google,
    );
    expect(conflictOf(p.conflicts, "alias")).toMatchObject({ resolutions: ["cancel"], resolvedBy: null });
    expect(p.blockers).toEqual([
      "ali@example.com belongs to Al (active): remove the alias from the active account first.",
    ]);
  });
});

describe("phone", () => {
  const account = () => anAccount({ phone: "+15550100" });
  const f = () => facts({ byPhone: aHolder({ userName: "bob", displayName: "Bob" }) });

  it("held by another account blocks until restored without it", () => {
    expect(conflictOf(plan(account(), f()).conflicts, "phone").resolutions).toEqual(["dropPhone", "cancel"]);
    const dropped = plan(account(), f(), { dropPhone: true });
    expect(dropped.ready).toBe(true);
    expect(dropped.outcome.phone).toBeNull();
  });

  it("is no conflict where phones are not unique (Entra), and cannot be dropped where not offered", () => {
    expect(plan(account(), f(), {}, aDirectory({ unique: ["email", "alias"] })).conflicts).toEqual([]);
    const p = plan(account(), f(), { dropPhone: true }, aDirectory({ resolves: [] }, { name: "Google" }));
    expect(conflictOf(p.conflicts, "phone").resolutions).toEqual(["cancel"]);
    expect(p.choiceErrors.map((e) => e.field)).toEqual(["dropPhone"]);
    expect(p.outcome.phone).toBe("+15550100");
  });
});

describe("seats", () => {
  it("no free seat blocks with used of total; a free one is shown", () => {
    const full = plan(anAccount({ license: "E3" }), facts({ seatsTotal: 5, seatsUsed: 5 }));
    expect(conflictOf(full.conflicts, "seat")).toMatchObject({ used: 5, total: 5, resolutions: ["cancel"] });
    expect(full.blockers).toEqual(["No free E3 seat (5 of 5 used): free or buy a seat, then try again."]);
    const free = plan(anAccount({ license: "E3" }), facts({ seatsTotal: 5, seatsUsed: 4 }));
    expect(free.seats).toEqual({ license: "E3", used: 4, total: 5 });
    expect(free.ready).toBe(true);
  });

  it("a licence without a seat plan is not counted", () => {
    expect(plan(anAccount({ license: "E3" }), facts({ seatsTotal: null, seatsUsed: 99 })).seats).toBeNull();
  });
});

describe("department", () => {
  const known = () => facts({ departments: ["Engineering", "Sales"] });

  it("gone: blocks until one that exists is chosen", () => {
    const account = anAccount({ department: "Marketing" });
    const gone = plan(account, known());
    expect(conflictOf(gone.conflicts, "department")).toMatchObject({
      available: ["Engineering", "Sales"],
      resolvedBy: null,
    });
    expect(gone.blockers).toEqual(["The department Marketing no longer exists: choose a department."]);
    const wrong = plan(account, known(), { department: "Legal" });
    expect(wrong.choiceErrors).toEqual([
      {
        field: "department",
        message: "There is no department called Legal.",
        said: { key: "choice.noDepartment", values: { department: "Legal" } },
      },
    ]);
    const chosen = plan(account, known(), { department: " Sales " });
    expect(chosen.ready).toBe(true);
    expect(chosen.outcome.department).toBe("Sales");
  });

  it("is free text where the directory lists none: a chosen one is taken", () => {
    const p = plan(anAccount({ department: "Marketing" }), facts(), { department: "Growth" });
    expect(p.conflicts).toEqual([]);
    expect(p.outcome.department).toBe("Growth");
  });

  it("one that still exists is kept", () => {
    expect(plan(anAccount({ department: "Sales" }), known()).outcome.department).toBe("Sales");
  });
});

describe("the window", () => {
  it("an expired account is not checked at all and says why", () => {
    const account = anAccount({ purgeAfter: new Date(NOW.getTime() - DAY_MS), phone: "+15550100" });
    expect(wantedKeys(account, aDirectory(), {}, NOW).checkable).toBe(false);
    const p = plan(account, facts({ byPhone: aHolder() }));
    expect(p.conflicts).toEqual([]);
    expect(p.ready).toBe(false);
    expect(p.blockers[0]).toMatch(/^Cannot be restored: the restore window ended/);
  });

  it("an account still being deleted is checked but not ready", () => {
    const account = anAccount({ status: "deleting", deletionCompletesAt: new Date(NOW.getTime() + DAY_MS) });
    const p = plan(account, facts({ byUserName: { "alice@example.com": aHolder() } }));
    expect(p.restorability.state).toBe("deleting");
    expect(p.conflicts.map((c) => c.kind)).toEqual(["userName"]);
    expect(p.blockers[0]).toMatch(/^Deletion still in progress/);
  });
});

describe("several conflicts at once", () => {
  it("lists them in table order, blockers after the window, choice errors last", () => {
    const p = plan(
      anAccount({ aliases: ["ali@example.com"], phone: "+15550100", license: "E3", department: "Marketing" }),
      facts({
        byUserName: { "alice@example.com": aHolder() },
        byAddress: { "ali@example.com": aHolder({ displayName: "Al" }) },
        byPhone: aHolder({ displayName: "Bob" }),
        seatsTotal: 1,
        seatsUsed: 1,
        departments: ["Sales"],
      }),
      { department: "Legal" },
    );
    expect(p.conflicts.map((c) => c.kind)).toEqual(["userName", "alias", "phone", "seat", "department"]);
    expect(p.blockers).toHaveLength(5);
    expect(p.blockers.at(-1)).toBe("There is no department called Legal.");
  });
});
