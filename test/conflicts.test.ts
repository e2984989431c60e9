import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { isUniqueViolation } from "../src/db/errors.ts";
import { accountAddresses, accounts, seats } from "../src/db/schema.ts";
import { BUILTIN_DIRECTORY_ID } from "../src/mirror/builtin.ts";
import type { Conflict } from "../src/restore/plan-types.ts";
import { ok, refused } from "./support/outcomes.ts";
import { ADMIN, anAccount, useWorld } from "./support/world.ts";

const world = useWorld();

async function stored(id: string) {
  const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, id));
  if (!row) throw new Error(`no account ${id}`);
  return row;
}

async function activeAddressesOf(id: string): Promise<string[]> {
  const rows = await world.database.db
    .select()
    .from(accountAddresses)
    .where(and(eq(accountAddresses.accountId, id), eq(accountAddresses.active, true)));
  return rows.map((r) => r.address).sort();
}

function conflictOf<K extends Conflict["kind"]>(
  conflicts: Conflict[],
  kind: K,
): Extract<Conflict, { kind: K }> {
  const found = conflicts.find((c) => c.kind === kind);
  if (!found) throw new Error(`no ${kind} conflict in ${JSON.stringify(conflicts)}`);
  return found as Extract<Conflict, { kind: K }>;
}

/** Expects the promise to be refused by a unique index of the database. */
async function expectUniqueViolation(work: Promise<unknown>): Promise<void> {
  let error: unknown;
  try {
    await work;
  } catch (e) {
    error = e;
  }
  expect(error, "the database accepted it").toBeDefined();
  expect(isUniqueViolation(error)).toBe(true);
}

describe("user name taken by an active account", () => {
  it("lists the conflict with rename, replace and cancel, naming the active holder", async () => {
    const holder = await world.active({ userName: "alice@example.com", displayName: "Alice Newhire" });
    const alice = await world.deleted({ userName: "alice@example.com", displayName: "Alice Smith" });

    const plan = ok(await world.service.plan(ADMIN, alice.id));
    expect(plan.ready).toBe(false);
    expect(plan.conflicts.map((c) => c.kind)).toEqual(["userName"]);
    const conflict = conflictOf(plan.conflicts, "userName");
    expect(conflict.userName).toBe("alice@example.com");
    expect(conflict.holder.id).toBe(holder.id);
    expect(conflict.resolutions).toEqual(["rename", "replace", "cancel"]);
    expect(conflict.resolvedBy).toBeNull();
    expect(plan.blockers.join(" ")).toContain("Alice Newhire (active) has the user name alice@example.com");
  });

  it("refuses the restore with a sentence naming the active holder and changes nothing", async () => {
    const holder = await world.active({ userName: "alice@example.com", displayName: "Alice Newhire" });
    const alice = await world.deleted({ userName: "alice@example.com", displayName: "Alice Smith" });

    const refusal = refused(await world.service.restore(ADMIN, alice.id));
    expect(refusal.code).toBe("blocked");
    expect(refusal.message).toMatch(/^Alice Newhire \(active\) has the user name alice@example\.com: rename/);
    expect(refusal.message).toMatch(/replace the active one \(needs approval\)/);
    expect((await stored(alice.id)).status).toBe("deleted");
    expect((await stored(holder.id)).status).toBe("active");
  });

  it("refuses a replace outside an approval request", async () => {
    await world.active({ userName: "alice@example.com" });
    const alice = await world.deleted({ userName: "alice@example.com" });
    const refusal = refused(await world.service.restore(ADMIN, alice.id, { replace: true }));
    expect(refusal.code).toBe("needs_approval");
    expect((await stored(alice.id)).status).toBe("deleted");
  });

  it("restores under a free new user name and says it was renamed; the email follows the user name", async () => {
    const holder = await world.active({ userName: "alice@example.com", displayName: "Alice Newhire" });
    const alice = await world.deleted({
      userName: "alice@example.com",
      email: "alice@example.com",
      displayName: "Alice Smith",
    });

    const plan = ok(await world.service.plan(ADMIN, alice.id, { renameTo: "alice.smith@example.com" }));
    expect(plan.ready).toBe(true);
    expect(conflictOf(plan.conflicts, "userName").resolvedBy).toBe("rename");
    expect(plan.outcome.userName).toBe("alice.smith@example.com");
    expect(plan.outcome.email).toBe("alice.smith@example.com");

    const done = ok(await world.service.restore(ADMIN, alice.id, { renameTo: "alice.smith@example.com" }));
    expect(done.account.status).toBe("active");
    expect(done.account.userName).toBe("alice.smith@example.com");
    expect(done.account.email).toBe("alice.smith@example.com");
    expect(done.renamedFrom).toBe("alice@example.com");
    const row = await stored(alice.id);
    expect(row.userName).toBe("alice.smith@example.com");
    expect(row.email).toBe("alice.smith@example.com");
    expect(await activeAddressesOf(alice.id)).toEqual(["alice.smith@example.com"]);
    // The active holder keeps its name and address.
    expect((await stored(holder.id)).userName).toBe("alice@example.com");
    expect(await activeAddressesOf(holder.id)).toEqual(["alice@example.com"]);
  });

  it("keeps the email when it differed from the user name", async () => {
    await world.active({ userName: "asmith@example.com", email: "someone.else@example.com" });
    const alice = await world.deleted({ userName: "asmith@example.com", email: "alice.smith@example.org" });
    const done = ok(await world.service.restore(ADMIN, alice.id, { renameTo: "asmith2@example.com" }));
    expect(done.account.userName).toBe("asmith2@example.com");
    expect(done.account.email).toBe("alice.smith@example.org");
    expect(done.renamedFrom).toBe("asmith@example.com");
  });

  it("refuses a new user name that is taken, on the renameTo field", async () => {
    await world.active({ userName: "alice@example.com" });
    await world.active({ userName: "alice2@example.com", displayName: "Alice Two" });
    const alice = await world.deleted({ userName: "alice@example.com" });

    const plan = ok(await world.service.plan(ADMIN, alice.id, { renameTo: "Alice2@example.com" }));
    expect(plan.ready).toBe(false);
    expect(plan.choiceErrors).toEqual([
      {
        field: "renameTo",
        message: expect.stringContaining("taken by Alice Two"),
        said: { key: "choice.taken", values: { userName: "Alice2@example.com", holder: "Alice Two" } },
      },
    ]);

    const refusal = refused(await world.service.restore(ADMIN, alice.id, { renameTo: "alice2@example.com" }));
    expect(refusal.code).toBe("invalid_choice");
    expect(refusal.field).toBe("renameTo");
    expect(refusal.message).toContain("alice2@example.com is taken by Alice Two");
    expect((await stored(alice.id)).status).toBe("deleted");
  });

  it.each([
    ["a domain that is not the directory's", "alice@evil.com", /evil\.com is not a domain of this directory/],
    ["a subdomain that is not the directory's", "alice@mail.example.com", /not a domain of this directory/],
    ["no domain at all", "alice", /needs a domain/],
    ["a space", "alice smith@example.com", /use only letters, digits/],
    ["angle brackets", "alice<x>@example.com", /use only letters, digits/],
    ["a leading dot", ".alice@example.com", /cannot start or end with a dot/],
    ["a trailing dot", "alice.@example.com", /cannot start or end with a dot/],
    ["two dots in a row", "alice..smith@example.com", /two dots in a row/],
    ["its current name", "ALICE@example.com", /current user name/],
  ])("refuses a new user name with %s, on the renameTo field", async (_what, renameTo, message) => {
    await world.active({ userName: "alice@example.com" });
    const alice = await world.deleted({ userName: "alice@example.com" });
    const refusal = refused(await world.service.restore(ADMIN, alice.id, { renameTo }));
    expect(refusal.code).toBe("invalid_choice");
    expect(refusal.field).toBe("renameTo");
    expect(refusal.message).toMatch(message);
    expect((await stored(alice.id)).status).toBe("deleted");
  });

  it("accepts a new user name in the directory's other domain", async () => {
    await world.active({ userName: "alice@example.com" });
    const alice = await world.deleted({ userName: "alice@example.com" });
    const done = ok(await world.service.restore(ADMIN, alice.id, { renameTo: "alice@example.org" }));
    expect(done.account.userName).toBe("alice@example.org");
    expect(done.renamedFrom).toBe("alice@example.com");
  });
});

describe("alias (proxy address) taken by another account", () => {
  it("restores anyway, drops the taken alias from the restored account and lists it; the other account keeps it", async () => {
    const other = await world.active({
      userName: "robert@example.com",
      aliases: ["bob@example.com"],
    });
    const bob = await world.deleted({
      userName: "bsmith@example.com",
      aliases: ["bob@example.com", "b.smith@example.com"],
    });

    const plan = ok(await world.service.plan(ADMIN, bob.id));
    expect(plan.ready).toBe(true);
    const alias = conflictOf(plan.conflicts, "alias");
    expect(alias.dropped).toEqual([
      { address: "bob@example.com", holder: expect.objectContaining({ id: other.id }) },
    ]);
    expect(alias.resolvedBy).toBe("dropAliases");
    expect(plan.outcome.droppedAliases).toEqual(["bob@example.com"]);

    const done = ok(await world.service.restore(ADMIN, bob.id));
    expect(done.account.status).toBe("active");
    expect(done.droppedAliases).toEqual(["bob@example.com"]);
    expect((await stored(bob.id)).aliases).toEqual(["b.smith@example.com"]);
    expect(await activeAddressesOf(bob.id)).toEqual(["b.smith@example.com", "bsmith@example.com"]);
    expect((await stored(other.id)).aliases).toEqual(["bob@example.com"]);
    expect(await activeAddressesOf(other.id)).toEqual(["bob@example.com", "robert@example.com"]);
  });

  it("drops an alias that is another account's primary email", async () => {
    const other = await world.active({ userName: "carla@example.com" });
    const carl = await world.deleted({ userName: "carl@example.com", aliases: ["carla@example.com"] });
    const done = ok(await world.service.restore(ADMIN, carl.id));
    expect(done.droppedAliases).toEqual(["carla@example.com"]);
    expect(await activeAddressesOf(other.id)).toEqual(["carla@example.com"]);
    expect(await activeAddressesOf(carl.id)).toEqual(["carl@example.com"]);
  });
});

describe("email taken by another active account", () => {
  it("blocks until the admin restores without the email, then reports the dropped email", async () => {
    const holder = await world.active({
      userName: "jdoe@example.com",
      email: "jane.doe@example.com",
      displayName: "Jane Doe (new)",
    });
    const jane = await world.deleted({ userName: "jane@example.com", email: "jane.doe@example.com" });

    const plan = ok(await world.service.plan(ADMIN, jane.id));
    expect(plan.ready).toBe(false);
    expect(plan.conflicts.map((c) => c.kind)).toEqual(["email"]);
    const conflict = conflictOf(plan.conflicts, "email");
    expect(conflict.email).toBe("jane.doe@example.com");
    expect(conflict.holder.id).toBe(holder.id);
    expect(conflict.resolutions).toEqual(["dropEmail", "cancel"]);

    const refusal = refused(await world.service.restore(ADMIN, jane.id));
    expect(refusal.code).toBe("blocked");
    expect(refusal.message).toContain("Jane Doe (new) (active) has the email jane.doe@example.com");
    expect((await stored(jane.id)).status).toBe("deleted");

    const done = ok(await world.service.restore(ADMIN, jane.id, { dropEmail: true }));
    expect(done.account.status).toBe("active");
    expect(done.account.email).toBeNull();
    expect(done.droppedEmail).toBe("jane.doe@example.com");
    expect((await stored(jane.id)).email).toBeNull();
    expect(await activeAddressesOf(jane.id)).toEqual([]);
    expect((await stored(holder.id)).email).toBe("jane.doe@example.com");
    expect(await activeAddressesOf(holder.id)).toEqual(["jane.doe@example.com"]);
  });

  it("treats the email held as another account's alias as taken too", async () => {
    await world.active({ userName: "jdoe@example.com", aliases: ["jane.doe@example.com"] });
    const jane = await world.deleted({ userName: "jane@example.com", email: "jane.doe@example.com" });
    const refusal = refused(await world.service.restore(ADMIN, jane.id));
    expect(refusal.code).toBe("blocked");
    expect(refusal.plan?.conflicts.map((c) => c.kind)).toEqual(["email"]);
    expect(ok(await world.service.restore(ADMIN, jane.id, { dropEmail: true })).droppedEmail).toBe(
      "jane.doe@example.com",
    );
  });
});

describe("phone taken by another active account", () => {
  it("blocks until the admin restores without the phone, then reports the dropped phone", async () => {
    const holder = await world.active({
      userName: "pat@example.com",
      phone: "+15550100",
      displayName: "Pat",
    });
    const sam = await world.deleted({ userName: "sam@example.com", phone: "+15550100" });

    const plan = ok(await world.service.plan(ADMIN, sam.id));
    expect(plan.ready).toBe(false);
    const conflict = conflictOf(plan.conflicts, "phone");
    expect(conflict.phone).toBe("+15550100");
    expect(conflict.holder.id).toBe(holder.id);
    expect(conflict.resolutions).toEqual(["dropPhone", "cancel"]);

    const refusal = refused(await world.service.restore(ADMIN, sam.id));
    expect(refusal.code).toBe("blocked");
    expect(refusal.message).toContain("Pat (active) has the phone +15550100");
    expect((await stored(sam.id)).status).toBe("deleted");

    const done = ok(await world.service.restore(ADMIN, sam.id, { dropPhone: true }));
    expect(done.account.status).toBe("active");
    expect(done.droppedPhone).toBe("+15550100");
    expect((await stored(sam.id)).phone).toBeNull();
    expect((await stored(holder.id)).phone).toBe("+15550100");
  });

  it("keeps a phone nobody else has", async () => {
    const sam = await world.deleted({ userName: "sam@example.com", phone: "+15550101" });
    const done = ok(await world.service.restore(ADMIN, sam.id));
    expect(done.droppedPhone).toBeNull();
    expect((await stored(sam.id)).phone).toBe("+15550101");
  });
});

describe("no free seat", () => {
  it("blocks with seats used of total, and works once a seat is freed", async () => {
    await world.seatPlan("pro", 2);
    await world.active({ userName: "one@example.com", license: "pro" });
    const two = await world.active({ userName: "two@example.com", license: "pro" });
    await world.active({ userName: "basic@example.com", license: "basic" });
    const dave = await world.deleted({ userName: "dave@example.com", license: "pro" });

    const plan = ok(await world.service.plan(ADMIN, dave.id));
    expect(plan.ready).toBe(false);
    expect(plan.seats).toEqual({ license: "pro", used: 2, total: 2 });
    const conflict = conflictOf(plan.conflicts, "seat");
    expect(conflict).toMatchObject({ license: "pro", used: 2, total: 2, resolutions: ["cancel"] });

    const refusal = refused(await world.service.restore(ADMIN, dave.id));
    expect(refusal.code).toBe("blocked");
    expect(refusal.message).toContain("No free pro seat (2 of 2 used)");
    expect((await stored(dave.id)).status).toBe("deleted");

    // Someone else holding a seat is deleted meanwhile: the seat is free again.
    await world.database.db
      .update(accounts)
      .set({ status: "deleted", deletedAt: world.clock.now() })
      .where(eq(accounts.id, two.id));
    const done = ok(await world.service.restore(ADMIN, dave.id));
    expect(done.account.status).toBe("active");
    expect(done.account.license).toBe("pro");
    expect(ok(await world.service.plan(ADMIN, two.id)).seats).toEqual({ license: "pro", used: 2, total: 2 });
  });

  it("works once a seat is bought", async () => {
    await world.seatPlan("pro", 1);
    await world.active({ userName: "one@example.com", license: "pro" });
    const dave = await world.deleted({ userName: "dave@example.com", license: "pro" });
    expect(refused(await world.service.restore(ADMIN, dave.id)).message).toContain("(1 of 1 used)");
    await world.database.db
      .update(seats)
      .set({ total: 2 })
      .where(and(eq(seats.directoryId, BUILTIN_DIRECTORY_ID), eq(seats.license, "pro")));
    expect(ok(await world.service.restore(ADMIN, dave.id)).account.status).toBe("active");
  });

  it("the second of two restores into the last seat is blocked", async () => {
    await world.seatPlan("pro", 1);
    const first = await world.deleted({ userName: "first@example.com", license: "pro" });
    const second = await world.deleted({ userName: "second@example.com", license: "pro" });
    ok(await world.service.restore(ADMIN, first.id));
    const refusal = refused(await world.service.restore(ADMIN, second.id));
    expect(refusal.message).toContain("(1 of 1 used)");
  });
});

describe("department gone", () => {
  it("blocks until the admin picks a department that exists", async () => {
    await world.department("Engineering");
    await world.department("Finance");
    const erin = await world.deleted({ userName: "erin@example.com", department: "Sales" });

    const plan = ok(await world.service.plan(ADMIN, erin.id));
    expect(plan.ready).toBe(false);
    const conflict = conflictOf(plan.conflicts, "department");
    expect(conflict.department).toBe("Sales");
    expect(conflict.available).toEqual(["Engineering", "Finance"]);
    expect(conflict.resolutions).toEqual(["chooseDepartment"]);

    const refusal = refused(await world.service.restore(ADMIN, erin.id));
    expect(refusal.code).toBe("blocked");
    expect(refusal.message).toContain("The department Sales no longer exists: choose a department.");

    const unknown = refused(await world.service.restore(ADMIN, erin.id, { department: "Marketing" }));
    expect(unknown.code).toBe("invalid_choice");
    expect(unknown.field).toBe("department");
    expect(unknown.message).toContain("There is no department called Marketing.");
    expect((await stored(erin.id)).status).toBe("deleted");

    const done = ok(await world.service.restore(ADMIN, erin.id, { department: "Finance" }));
    expect(done.department).toBe("Finance");
    expect(done.account.department).toBe("Finance");
    expect((await stored(erin.id)).department).toBe("Finance");
  });

  it("keeps a department that still exists", async () => {
    await world.department("Engineering");
    const erin = await world.deleted({ userName: "erin@example.com", department: "Engineering" });
    const plan = ok(await world.service.plan(ADMIN, erin.id));
    expect(plan.conflicts).toEqual([]);
    expect(ok(await world.service.restore(ADMIN, erin.id)).account.department).toBe("Engineering");
  });
});

describe("several conflicts on one account", () => {
  it("lists them all in one plan and restores once every one is resolved together", async () => {
    await world.department("Engineering");
    await world.seatPlan("pro", 2);
    const nameHolder = await world.active({
      userName: "max@example.com",
      displayName: "Max New",
      license: "pro",
    });
    const otherHolder = await world.active({
      userName: "maxine@example.com",
      displayName: "Maxine",
      aliases: ["mx@example.com"],
      phone: "+15550199",
      license: "pro",
    });
    const max = await world.deleted({
      userName: "max@example.com",
      aliases: ["mx@example.com", "maximilian@example.com"],
      phone: "+15550199",
      department: "Research",
      license: "pro",
    });

    const plan = ok(await world.service.plan(ADMIN, max.id));
    expect(plan.ready).toBe(false);
    expect(plan.conflicts.map((c) => c.kind).sort()).toEqual(
      ["alias", "department", "phone", "seat", "userName"].sort(),
    );
    expect(plan.blockers).toHaveLength(4);
    expect(plan.blockers.join("\n")).toContain("Max New (active) has the user name max@example.com");
    expect(plan.blockers.join("\n")).toContain("Maxine (active) has the phone +15550199");
    expect(plan.blockers.join("\n")).toContain("No free pro seat (2 of 2 used)");
    expect(plan.blockers.join("\n")).toContain("The department Research no longer exists");

    const refusal = refused(await world.service.restore(ADMIN, max.id));
    expect(refusal.code).toBe("blocked");
    for (const blocker of plan.blockers) expect(refusal.message).toContain(blocker);

    const choices = { renameTo: "max.old@example.com", dropPhone: true, department: "Engineering" };
    // Everything chosen but the seat: still blocked by the seat alone.
    const partly = ok(await world.service.plan(ADMIN, max.id, choices));
    expect(partly.ready).toBe(false);
    expect(partly.blockers).toEqual([expect.stringContaining("No free pro seat")]);

    await world.database.db
      .update(seats)
      .set({ total: 3 })
      .where(and(eq(seats.directoryId, BUILTIN_DIRECTORY_ID), eq(seats.license, "pro")));
    const done = ok(await world.service.restore(ADMIN, max.id, choices));
    expect(done.account).toMatchObject({
      status: "active",
      userName: "max.old@example.com",
      email: "max.old@example.com",
      department: "Engineering",
      license: "pro",
    });
    expect(done.renamedFrom).toBe("max@example.com");
    expect(done.droppedAliases).toEqual(["mx@example.com"]);
    expect(done.droppedPhone).toBe("+15550199");
    const row = await stored(max.id);
    expect(row.aliases).toEqual(["maximilian@example.com"]);
    expect(row.phone).toBeNull();
    expect((await stored(nameHolder.id)).status).toBe("active");
    expect((await stored(otherHolder.id)).phone).toBe("+15550199");
    expect(await activeAddressesOf(otherHolder.id)).toEqual(["maxine@example.com", "mx@example.com"]);
  });
});

describe("the database's own uniqueness rules", () => {
  const insert = (overrides: Parameters<typeof anAccount>[0]) =>
    world.database.db.insert(accounts).values(anAccount(overrides)).returning();

  it("refuses two active accounts with the same user name, whatever the case", async () => {
    await insert({ userName: "dup@example.com", status: "active" });
    await expectUniqueViolation(insert({ userName: "Dup@Example.com", status: "active" }));
  });

  it("lets deleted accounts share a user name with each other and with an active one", async () => {
    await insert({ userName: "dup@example.com", status: "active" });
    await insert({ userName: "dup@example.com", status: "deleted" });
    await insert({ userName: "DUP@example.com", status: "deleted" });
    await insert({ userName: "dup@example.com", status: "purged" });
    const rows = await world.database.db.select().from(accounts);
    expect(rows).toHaveLength(4);
  });

  it("refuses two active accounts with the same phone, but deleted ones may share it", async () => {
    await insert({ userName: "p1@example.com", phone: "+15550123", status: "active" });
    await expectUniqueViolation(insert({ userName: "p2@example.com", phone: "+15550123", status: "active" }));
    await insert({ userName: "p3@example.com", phone: "+15550123", status: "deleted" });
    await insert({ userName: "p4@example.com", phone: "+15550123", status: "deleted" });
    expect(await world.database.db.select().from(accounts)).toHaveLength(3);
  });

  it("refuses an address for two active accounts, but inactive ones may share it", async () => {
    const [a] = await insert({ userName: "a@example.com", status: "active" });
    const [b] = await insert({ userName: "b@example.com", status: "active" });
    const [c] = await insert({ userName: "c@example.com", status: "deleted" });
    const [d] = await insert({ userName: "d@example.com", status: "deleted" });
    const row = (accountId: string, active: boolean) => ({
      accountId,
      directoryId: BUILTIN_DIRECTORY_ID,
      address: "shared@example.com",
      isPrimary: false,
      active,
    });
    await world.database.db.insert(accountAddresses).values(row(a?.id as string, true));
    await expectUniqueViolation(
      world.database.db.insert(accountAddresses).values(row(b?.id as string, true)),
    );
    await world.database.db.insert(accountAddresses).values(row(c?.id as string, false));
    await world.database.db.insert(accountAddresses).values(row(d?.id as string, false));
    expect(await world.database.db.select().from(accountAddresses)).toHaveLength(3);
  });

  it("refuses to make an account active while another active account holds its address", async () => {
    await world.active({ userName: "held@example.com" });
    const old = await world.deleted({ userName: "other@example.com", aliases: ["held@example.com"] });
    // The status trigger marks the deleted account's addresses active: the unique index says no.
    await expectUniqueViolation(
      world.database.db.update(accounts).set({ status: "active" }).where(eq(accounts.id, old.id)),
    );
    expect((await stored(old.id)).status).toBe("deleted");
  });
});
