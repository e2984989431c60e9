import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accountAddresses, accounts, auditEvents } from "../src/db/schema.ts";
import type { DeletedAccountView, SearchFilters } from "../src/restore/search.ts";
import { DAY_MS, describeDaysLeft, HOUR_MS, restorability } from "../src/restore/window.ts";
import { ok, refused } from "./support/outcomes.ts";
import { ADMIN, ADMIN_2, APPROVER, NOW, STRANGER, useWorld } from "./support/world.ts";

const world = useWorld();

async function stored(id: string) {
  const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, id));
  if (!row) throw new Error(`no account ${id}`);
  return row;
}

async function search(filters: SearchFilters): Promise<DeletedAccountView[]> {
  return ok(await world.service.search(ADMIN, filters)).items;
}

const names = (items: DeletedAccountView[]) => items.map((i) => i.userName);

/** A deleted account whose window ends `msLeft` from now. */
function deletedWithLeft(msLeft: number, overrides: Parameters<typeof world.deleted>[0] = {}) {
  return world.deleted({ ...overrides, purgeAfter: new Date(NOW.getTime() + msLeft) });
}

describe("days left", () => {
  it.each([
    [23, "expires today", 0],
    [1, "expires today", 0],
    [24, "1 day left", 1],
    [47, "1 day left", 1],
    [48, "2 days left", 2],
    [12 * 24 + 5, "12 days left", 12],
  ])("with %i hours left it says %s", async (hoursLeft, words, days) => {
    const account = await deletedWithLeft(hoursLeft * HOUR_MS, { userName: "left@example.com" });
    expect(restorability(account, world.clock.now())).toMatchObject({ state: "deleted", daysLeft: days });
    expect(describeDaysLeft(days)).toBe(words);
    // Everywhere the account appears.
    const view = ok(await world.service.findAccount(ADMIN, account.id));
    expect(view.window).toBe(words);
    expect(names(await search({}))).toEqual(["left@example.com"]);
    expect((await search({}))[0]?.window).toBe(words);
    const plan = ok(await world.service.plan(ADMIN, account.id));
    expect(plan.restorability).toMatchObject({ state: "deleted", daysLeft: days });
  });

  it("counts down as time passes: 12 days left, then 1 day, then today, then gone", async () => {
    const account = await world.deleted({ userName: "count@example.com", daysAgo: 18 });
    const window = async () => ok(await world.service.findAccount(ADMIN, account.id)).window;
    expect(await window()).toBe("12 days left");
    world.clock.advance(11 * DAY_MS);
    expect(await window()).toBe("1 day left");
    world.clock.advance(HOUR_MS);
    expect(await window()).toBe("expires today");
    world.clock.advance(23 * HOUR_MS);
    expect(await window()).toMatch(/^cannot be restored: the restore window ended/);
    expect(refused(await world.service.restore(ADMIN, account.id)).code).toBe("blocked");
  });

  it("shows no countdown where the directory keeps deleted accounts without a limit", async () => {
    await world.database.db.execute(
      sql`insert into directories (id, name, kind, retention_days, capabilities)
          values ('okta', 'Okta', 'builtin', null,
            '{"canRestore": true, "batchRestore": true, "hasDeletingState": false, "setsPassword": true}')`,
    );
    const account = await world.deleted({
      directoryId: "okta",
      userName: "forever@example.com",
      purgeAfter: null,
    });
    expect(restorability(account, world.clock.now())).toEqual({
      state: "deleted",
      expiresAt: null,
      daysLeft: null,
    });
    const view = ok(await world.service.findAccount(ADMIN, account.id));
    expect(view.window).toBe("restorable, no time limit");
    expect(view.window).not.toMatch(/days? left|expires/);

    world.clock.advance(1000 * DAY_MS);
    expect(ok(await world.service.purge(ADMIN)).purged).toEqual([]);
    expect(ok(await world.service.restore(ADMIN, account.id)).account.status).toBe("active");
  });
});

describe("search", () => {
  async function people() {
    const john = await world.deleted({
      userName: "john.smith@example.com",
      displayName: "John Smith",
      givenName: "John",
      familyName: "Smith",
      daysAgo: 10,
    });
    const alice = await world.deleted({
      userName: "alice.jones@example.com",
      displayName: "Alice Jones",
      givenName: "Alice",
      familyName: "Jones",
      aliases: ["ajones@example.org"],
      department: "Finance",
      daysAgo: 20,
      deletedBy: ADMIN,
    });
    const alan = await world.deleted({
      userName: "alan.smith@example.com",
      displayName: "Alan Smith",
      givenName: "Alan",
      familyName: "Smith",
      department: "Engineering",
      daysAgo: 2,
    });
    return { john, alice, alan };
  }

  it("finds John Smith despite a typo in each name", async () => {
    const { john } = await people();
    const items = await search({ query: "Jonh Smiht" });
    expect(items[0]?.id).toBe(john.id);
  });

  it("finds Alice with a letter missing", async () => {
    const { alice } = await people();
    const items = await search({ query: "alce" });
    expect(items.map((i) => i.id)).toContain(alice.id);
    expect(items[0]?.id).toBe(alice.id);
  });

  it("finds by a prefix of the name", async () => {
    const { alice } = await people();
    const items = await search({ query: "ali" });
    expect(items.map((i) => i.id)).toEqual([alice.id]);
  });

  it("finds by the exact email and by an alias, whatever the case", async () => {
    const { alice, alan } = await people();
    expect((await search({ query: "alan.smith@example.com" }))[0]?.id).toBe(alan.id);
    expect((await search({ query: "ALAN.SMITH@example.com" }))[0]?.id).toBe(alan.id);
    expect((await search({ query: "ajones@example.org" }))[0]?.id).toBe(alice.id);
  });

  it("puts the best match first", async () => {
    const { john, alan } = await people();
    expect((await search({ query: "alan smith" }))[0]?.id).toBe(alan.id);
    expect((await search({ query: "john smith" }))[0]?.id).toBe(john.id);
    expect((await search({ query: "smith" })).map((i) => i.id).sort()).toEqual([alan.id, john.id].sort());
  });

  it("without a query, lists what can be restored, soonest expiry first", async () => {
    await people();
    await deletedWithLeft(3 * HOUR_MS, { userName: "urgent@example.com" });
    expect(names(await search({}))).toEqual([
      "urgent@example.com",
      "alice.jones@example.com",
      "john.smith@example.com",
      "alan.smith@example.com",
    ]);
  });

  it("filters by days to expiry, department and who deleted", async () => {
    await people();
    await deletedWithLeft(7 * DAY_MS + 23 * HOUR_MS, { userName: "seven@example.com" });
    await deletedWithLeft(8 * DAY_MS, { userName: "eight@example.com" });
    expect(names(await search({ expiringWithinDays: 10 }))).toEqual([
      "seven@example.com",
      "eight@example.com",
      "alice.jones@example.com",
    ]);
    expect(names(await search({ expiringWithinDays: 7 }))).toEqual(["seven@example.com"]);
    expect(names(await search({ department: "finance" }))).toEqual(["alice.jones@example.com"]);
    expect(names(await search({ department: "Engineering", query: "smith" }))).toEqual([
      "alan.smith@example.com",
    ]);
    expect(names(await search({ deletedBy: ADMIN }))).toEqual(["alice.jones@example.com"]);
    expect(names(await search({ deletedBy: ADMIN, query: "smith" }))).toEqual([]);
  });

  it("never lists active accounts", async () => {
    const other = await world.active({ userName: "john.smith2@example.com", displayName: "John Smith" });
    const { john } = await people();
    const found = (await search({ query: "john smith" })).map((i) => i.id);
    expect(found[0]).toBe(john.id);
    expect(found).not.toContain(other.id);
    expect((await search({})).every((i) => i.status !== "active")).toBe(true);
    const exact = (await search({ query: "john.smith2@example.com" })).map((i) => i.id);
    expect(exact).not.toContain(other.id);
    expect(exact[0]).toBe(john.id);
  });

  it("lists purged tombstones last, saying they cannot be restored", async () => {
    const purged = await world.deleted({
      userName: "smith.old@example.com",
      displayName: "Old Smith",
      daysAgo: 40,
    });
    ok(await world.service.purge(ADMIN));
    const { john, alan } = await people();
    const items = await search({ query: "smith" });
    expect(
      items
        .map((i) => i.id)
        .slice(0, 2)
        .sort(),
    ).toEqual([alan.id, john.id].sort());
    expect(items.at(-1)?.id).toBe(purged.id);
    expect(items.at(-1)?.window).toBe("cannot be restored: purged");
    expect(items.at(-1)?.status).toBe("purged");
    // A bare listing is what can still be restored.
    expect(names(await search({}))).not.toContain("smith.old@example.com");
  });

  it("treats % and _ in the query as the characters themselves", async () => {
    await people();
    await world.deleted({ userName: "jo_nas@example.com", displayName: "Jo_nas" });
    await world.deleted({ userName: "pct@example.com", displayName: "100% Sure" });
    expect(names(await search({ query: "%" }))).toEqual(["pct@example.com"]);
    expect(names(await search({ query: "_" }))).toEqual(["jo_nas@example.com"]);
    // "o_n" as a LIKE pattern would match "John"; it must only match "jo_nas".
    expect(names(await search({ query: "o_n" }))).toEqual(["jo_nas@example.com"]);
  });

  it("returns at most `limit` and says when there are more", async () => {
    for (let i = 0; i < 5; i++)
      await world.deleted({ userName: `batch${i}@example.com`, displayName: `Batch ${i}` });
    const page = ok(await world.service.search(ADMIN, { limit: 3 }));
    expect(page.items).toHaveLength(3);
    expect(page.hasMore).toBe(true);
    const withQuery = ok(await world.service.search(ADMIN, { query: "batch", limit: 3 }));
    expect(withQuery.items).toHaveLength(3);
    expect(withQuery.hasMore).toBe(true);
    const all = ok(await world.service.search(ADMIN, { query: "batch", limit: 5 }));
    expect(all.items).toHaveLength(5);
    expect(all.hasMore).toBe(false);
  });

  it("is refused to anyone but an admin, saying nothing about accounts", async () => {
    await people();
    for (const actor of [STRANGER, APPROVER]) {
      const refusal = refused(await world.service.search(actor, { query: "smith" }));
      expect(refusal.code).toBe("not_allowed");
      expect(JSON.stringify(refusal)).not.toMatch(/smith/i);
    }
  });
});

describe("purge", () => {
  it("turns accounts past their window into tombstones, audited, never restorable; the rest stays", async () => {
    const gone = await world.deleted({
      userName: "gone@example.com",
      displayName: "Gone Person",
      givenName: "Gone",
      familyName: "Person",
      aliases: ["g.person@example.com"],
      phone: "+15550142",
      department: "Sales",
      license: "pro",
      daysAgo: 31,
    });
    const kept = await world.deleted({
      userName: "kept@example.com",
      displayName: "Kept Person",
      phone: "+15550143",
      department: "Sales",
      daysAgo: 29,
    });
    const active = await world.active({ userName: "active@example.com" });

    const result = ok(await world.service.purge(ADMIN));
    expect(result.purged).toEqual([{ id: gone.id, userName: "gone@example.com" }]);

    const tomb = await stored(gone.id);
    expect(tomb).toMatchObject({
      status: "purged",
      userName: "gone@example.com",
      aliases: [],
      phone: null,
      givenName: null,
      familyName: null,
      department: null,
      license: null,
      snapshot: null,
      passwordHash: null,
    });
    expect(tomb.displayName).not.toContain("Gone Person");
    expect(tomb.searchText).not.toContain("gone person");
    expect(tomb.purgedAt?.toISOString()).toBe(NOW.toISOString());
    expect(
      await world.database.db.select().from(accountAddresses).where(eq(accountAddresses.accountId, gone.id)),
    ).toEqual([]);

    const events = await world.database.db.select().from(auditEvents).where(eq(auditEvents.action, "purge"));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: ADMIN, accountIds: [gone.id] });
    expect(events[0]?.after).toMatchObject({ status: "purged", userName: "gone@example.com" });

    const refusal = refused(await world.service.restore(ADMIN, gone.id));
    expect(refusal.code).toBe("blocked");
    expect(refusal.message).toMatch(/purged/);
    expect(ok(await world.service.findAccount(ADMIN, gone.id)).window).toBe("cannot be restored: purged");

    expect(await stored(kept.id)).toEqual(kept);
    expect(await stored(active.id)).toEqual(active);

    const again = ok(await world.service.purge(ADMIN));
    expect(again.purged).toEqual([]);
    expect(
      await world.database.db.select().from(auditEvents).where(eq(auditEvents.action, "purge")),
    ).toHaveLength(1);
    expect(await stored(gone.id)).toEqual(tomb);
  });

  it("purges an account the moment its window ends, not before", async () => {
    const account = await deletedWithLeft(HOUR_MS, { userName: "edge@example.com" });
    expect(ok(await world.service.purge(ADMIN)).purged).toEqual([]);
    world.clock.advance(HOUR_MS - 1);
    expect(ok(await world.service.purge(ADMIN)).purged).toEqual([]);
    world.clock.advance(1);
    expect(ok(await world.service.purge(ADMIN)).purged.map((p) => p.id)).toEqual([account.id]);
  });

  it("is the system's or an admin's job, nobody else's", async () => {
    await world.deleted({ userName: "gone@example.com", daysAgo: 31 });
    expect(refused(await world.service.purge(STRANGER)).code).toBe("not_allowed");
    expect(refused(await world.service.purge(APPROVER)).code).toBe("not_allowed");
    expect(ok(await world.service.purge("system")).purged).toHaveLength(1);
  });
});

describe("the audit trail", () => {
  it("refuses UPDATE and DELETE, even in raw SQL", async () => {
    const account = await world.deleted({ userName: "audited@example.com" });
    ok(await world.service.restore(ADMIN, account.id));
    await expect(world.database.db.execute(sql`update audit_events set actor = 'x'`)).rejects.toThrow();
    await expect(world.database.db.execute(sql`delete from audit_events`)).rejects.toThrow();
    const error = await world.database.db.execute(sql`delete from audit_events`).catch((e: unknown) => e);
    expect(String((error as { cause?: unknown }).cause ?? error)).toMatch(/append-only/);
    const events = await world.database.db.select().from(auditEvents);
    expect(events).toHaveLength(1);
    expect(events[0]?.actor).toBe(ADMIN);
  });

  it("reads events since a moment, oldest first", async () => {
    const one = await world.deleted({ userName: "one@example.com" });
    const two = await world.deleted({ userName: "two@example.com" });
    const three = await world.deleted({ userName: "three@example.com" });
    ok(await world.service.restore(ADMIN, one.id));
    world.clock.advance(HOUR_MS);
    ok(await world.service.restore(ADMIN_2, two.id));
    world.clock.advance(HOUR_MS);
    ok(await world.service.restore(ADMIN, three.id));

    const all = ok(await world.service.audit(ADMIN));
    expect(all.map((e) => e.accountIds[0])).toEqual([one.id, two.id, three.id]);
    const since = ok(await world.service.audit(ADMIN, new Date(NOW.getTime() + 30 * 60_000)));
    expect(since.map((e) => e.accountIds[0])).toEqual([two.id, three.id]);
    const exactly = ok(await world.service.audit(APPROVER, new Date(NOW.getTime() + 2 * HOUR_MS)));
    expect(exactly.map((e) => e.actor)).toEqual([ADMIN]);
    expect(ok(await world.service.audit(ADMIN, new Date(NOW.getTime() + 3 * HOUR_MS)))).toEqual([]);
    expect(refused(await world.service.audit(STRANGER)).code).toBe("not_allowed");
  });
});
