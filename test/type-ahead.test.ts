import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { searchTextOf } from "../src/accounts/rows.ts";
import { rowsOf } from "../src/db/client.ts";
import { accounts } from "../src/db/schema.ts";
import type { DeletedAccountView } from "../src/restore/search.ts";
import { DAY_MS } from "../src/restore/window.ts";
import { ok } from "./support/outcomes.ts";
import { ADMIN, NOW, useWorld } from "./support/world.ts";

const world = useWorld();

async function search(query: string, limit = 20) {
  return ok(await world.service.search(ADMIN, { query, limit }));
}
const ids = (items: DeletedAccountView[]) => items.map((i) => i.id);

function maria() {
  return world.deleted({
    userName: "maria.lopez@example.com",
    displayName: "Maria Lopez",
    givenName: "Maria",
    familyName: "Lopez",
  });
}

describe("type-ahead by word prefix", () => {
  it("finds an account by the start of any of its names or addresses, and of a full name either way round", async () => {
    const m = await maria();
    const other = await world.deleted({ userName: "mario.lopes@example.com", displayName: "Mario Lopes" });
    for (const typed of ["lop", "Maria", "maria lo", "lopez maria", "maria.lo", "MARIA.LOPEZ@example.com"]) {
      expect(ids((await search(typed)).items), typed).toContain(m.id);
    }
    expect(ids((await search("maria lo")).items)).toEqual([m.id]);
    expect(ids((await search("mari")).items).sort()).toEqual([m.id, other.id].sort());
  });

  it("lists the exact word before longer ones, and restorable accounts before purged ones", async () => {
    const leeann = await world.deleted({ userName: "leeann@example.com", displayName: "Leeann Park" });
    const lee = await world.deleted({ userName: "s.lee@example.com", displayName: "Sam Lee" });
    expect(ids((await search("lee")).items)).toEqual([lee.id, leeann.id]);

    const old = await world.deleted({ userName: "lee.old@example.com", displayName: "Lee Old", daysAgo: 40 });
    ok(await world.service.purge(ADMIN));
    const items = (await search("lee")).items;
    expect(ids(items).slice(0, 2)).toEqual([lee.id, leeann.id]);
    expect(items.at(-1)).toMatchObject({ id: old.id, window: "cannot be restored: purged" });
  });

  it("answers a common prefix with one page and says there are more", async () => {
    for (let i = 0; i < 25; i++)
      await world.deleted({ displayName: `Mark Number${i}`, familyName: `Number${i}` });
    const page = await search("mar", 20);
    expect(page.items).toHaveLength(20);
    expect(page.hasMore).toBe(true);
    expect(page.items.every((i) => i.displayName.startsWith("Mark"))).toBe(true);
  });

  it("still finds a piece from inside a word and a misspelt name", async () => {
    const m = await maria();
    expect(ids((await search("opez")).items)).toEqual([m.id]);
    expect((await search("Mria Lopze")).items[0]?.id).toBe(m.id);
  });

  it("follows an account through deletion, rename, restore and purge", async () => {
    const db = world.database.db;
    const zoe = await world.active({ userName: "zq@example.com", displayName: "Zoe Quinn" });
    expect((await search("zoe")).items).toEqual([]);

    // Deleted in the directory: now listed.
    await db
      .update(accounts)
      .set({
        status: "deleted",
        deletedAt: NOW,
        purgeAfter: new Date(NOW.getTime() + 30 * DAY_MS),
        snapshot: null,
      })
      .where(eq(accounts.id, zoe.id));
    expect(ids((await search("zoe qu")).items)).toEqual([zoe.id]);

    // Renamed while deleted: found by the new name only.
    const renamed = { ...zoe, displayName: "Zoe Ramos", familyName: "Ramos" };
    await db
      .update(accounts)
      .set({ displayName: "Zoe Ramos", familyName: "Ramos", searchText: searchTextOf(renamed) })
      .where(eq(accounts.id, zoe.id));
    expect(ids((await search("ramos")).items)).toEqual([zoe.id]);
    expect((await search("quinn")).items).toEqual([]);

    // Restored: active again, no longer listed.
    ok(await world.service.restore(ADMIN, zoe.id));
    expect((await search("zoe")).items).toEqual([]);

    // Deleted long ago and purged: a tombstone found by its user name, not its former names.
    const gone = await world.deleted({ userName: "yq@example.com", displayName: "Yann Quist", daysAgo: 40 });
    ok(await world.service.purge(ADMIN));
    expect((await search("quist")).items).toEqual([]);
    expect((await search("yq")).items).toMatchObject([{ id: gone.id, status: "purged" }]);

    // Gone from the directory altogether.
    await db.delete(accounts).where(eq(accounts.id, gone.id));
    expect((await search("yq")).items).toEqual([]);
  });
});

describe("an account's words", () => {
  async function wordsOf(id?: string): Promise<number> {
    const result = await world.database.db.execute(
      id === undefined
        ? sql`select count(*)::int as n from account_words`
        : sql`select count(*)::int as n from account_words where account_id = ${id}`,
    );
    return Number(rowsOf<{ n: number }>(result)[0]?.n);
  }

  it("go with the account, whether it is deleted or its table emptied", async () => {
    const m = await maria();
    const other = await world.deleted({ userName: "mario.lopes@example.com", displayName: "Mario Lopes" });
    expect(await wordsOf(m.id)).toBeGreaterThan(0);
    await world.database.db.delete(accounts).where(eq(accounts.id, m.id));
    expect(await wordsOf(m.id)).toBe(0);
    expect(await wordsOf(other.id)).toBeGreaterThan(0);
    await world.database.db.execute(sql`truncate accounts cascade`);
    expect(await wordsOf()).toBe(0);
  });

  it("are emptied by a TRUNCATE that names both tables, as a reset or a seed does", async () => {
    await maria();
    await world.database.db.execute(sql`truncate account_words, account_addresses, accounts cascade`);
    expect(await wordsOf()).toBe(0);
  });
});

describe("misspelt names", () => {
  it("corrects each word against the names of listed accounts, however they came to be listed", async () => {
    const imported = await world.deleted({
      userName: "x.quintanilla@example.com",
      displayName: "Xiomara Quintanilla",
      givenName: "Xiomara",
      familyName: "Quintanilla",
    });
    for (const typed of ["Xiomraa Quintanlila", "quintanlila", "xiomraa.quintanilla", "quintanlila xi"]) {
      expect((await search(typed)).items[0]?.id, typed).toBe(imported.id);
    }

    // Deleted after it was created: its names join the vocabulary then.
    const later = await world.active({ userName: "ob@example.com", displayName: "Oluwaseun Bankole" });
    expect((await search("Oluwasuen Bankloe")).items).toEqual([]);
    await world.database.db
      .update(accounts)
      .set({ status: "deleted", deletedAt: NOW, purgeAfter: new Date(NOW.getTime() + 30 * DAY_MS) })
      .where(eq(accounts.id, later.id));
    expect(ids((await search("Oluwasuen Bankloe")).items)).toEqual([later.id]);
  });

  it("needs every word close to a name, and takes a short word as the start of one", async () => {
    const alan = await world.deleted({ displayName: "Alan Smith", givenName: "Alan", familyName: "Smith" });
    const albert = await world.deleted({
      displayName: "Albert Smith",
      givenName: "Albert",
      familyName: "Smith",
    });
    await world.deleted({ displayName: "Alice Jones", givenName: "Alice", familyName: "Jones" });
    await world.deleted({ displayName: "Bob Smith", givenName: "Bob", familyName: "Smith" });
    expect(ids((await search("al smiht")).items).sort()).toEqual([alan.id, albert.id].sort());
    expect(ids((await search("Alna Smiht")).items)[0]).toBe(alan.id);
    expect((await search("Alna Kowalczyk")).items).toEqual([]);
  });

  it("still allows a typo within one directory", async () => {
    const m = await maria();
    const found = ok(
      await world.service.search(ADMIN, { query: "Mria Lopze", directoryId: m.directoryId, limit: 20 }),
    );
    expect(found.items[0]?.id).toBe(m.id);
  });
});
