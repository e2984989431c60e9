import { asc, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { snapshotOf } from "../src/accounts/rows.ts";
import { rowsOf } from "../src/db/client.ts";
import { accounts } from "../src/db/schema.ts";
import { ImportRejected, importAccounts } from "../src/import/import.ts";
import { type ImportFile, parseImportFile } from "../src/import/import-file.ts";
import { IMPORT_PAGE_ROWS } from "../src/import/import-load.ts";
import { DAY_MS } from "../src/restore/window.ts";
import { ADMIN, NOW, RETENTION_DAYS, useWorld } from "./support/world.ts";

// The set-based load: pages of thousands of rows a statement, all or nothing, idempotent.
const world = useWorld();
/** 10,000 rows on a busy 2-core machine with PGlite: seconds, not the default 5. */
const SLOW = 60_000;
const HEADER =
  "user_name,email,aliases,display_name,phone,department,status,deleted_at,deleted_by,given_name,family_name,license";

/** `n` rows, alternately active and deleted, each with its own name, alias and phone. */
function csvOf(n: number, row: (i: number) => string = rowOf): string {
  return [HEADER, ...Array.from({ length: n }, (_, i) => row(i))].join("\n");
}

function rowOf(i: number): string {
  const name = `user${i}@example.com`;
  const deleted = i % 2 === 1;
  const phone = `+1555${String(i).padStart(7, "0")}`;
  return [
    name,
    name,
    `alias${i}@example.com`,
    `User Number${i}`,
    phone,
    `Dept ${i % 7}`,
    deleted ? "deleted" : "active",
    deleted ? "2026-11-20T10:00:00Z" : "",
    deleted ? "U0ADMIN2" : "",
    "",
    "",
    "",
  ].join(",");
}

function parsed(content: string): ImportFile {
  const result = parseImportFile(content, "csv", NOW);
  if (!result.ok) throw new Error(JSON.stringify(result.problems.slice(0, 3)));
  return result.file;
}

async function counts() {
  const result = await world.database.db.execute(sql`select
    (select count(*) from accounts)::int as accounts,
    (select count(*) from account_addresses)::int as addresses,
    (select count(*) from account_words)::int as words`);
  return rowsOf<{ accounts: number; addresses: number; words: number }>(result)[0];
}

describe("importing thousands of accounts", () => {
  it(
    "loads every row with its addresses and search words, and a second import changes nothing",
    async () => {
      const n = IMPORT_PAGE_ROWS * 2 + 17; // more than one page, and a partial last one
      const file = parsed(csvOf(n));
      const first = await importAccounts(world.database.db, file, ADMIN, NOW);
      expect(first).toMatchObject({ inserted: n, skipped: 0, rejected: [] });
      const after = await counts();
      expect(after).toMatchObject({ accounts: n, addresses: n * 2 });
      expect(after?.words).toBeGreaterThan(0);
      // Searches right after are planned for the rows now there, not for an empty table.
      const stats = await world.database.db.execute(
        sql`select reltuples::int as rows from pg_class where oid = 'accounts'::regclass`,
      );
      expect(rowsOf<{ rows: number }>(stats)[0]?.rows).toBe(n);

      // The deleted ones are found by name, with their window from the directory's retention.
      const found = await world.service.search(ADMIN, { query: "Number9999" });
      expect(JSON.stringify(found)).toContain("user9999@example.com");

      const again = await importAccounts(world.database.db, file, ADMIN, NOW);
      expect(again).toMatchObject({ inserted: 0, skipped: n, rejected: [] });
      expect(await counts()).toEqual(after);
    },
    SLOW,
  );

  it("keeps every field of the file, and a deleted account's snapshot for re-creating it", async () => {
    const file = parsed(
      [
        "user_name,email,aliases,display_name,given_name,family_name,phone,department,license,status,deleted_at,deleted_by,external_id,deletion_completes_at",
        "ada@example.com,ada@example.com,ada.l@example.com;countess@example.com,Ada Lovelace,Ada,Lovelace,+442079460001,Engineering,E3,active,,,,",
        'carol@example.com,carol@example.com,c@example.com,"Carol ""CJ"" Jones",Carol,Jones,,Sales,E5,deleted,2026-11-20T08:30:00Z,U0ADMIN1,ext-carol,',
        "dave@example.com,,,Dave,,,,,,deleting,2026-11-22T10:00:00Z,U0ADMIN2,,2026-11-24T10:00:00Z",
      ].join("\n"),
    );
    await importAccounts(world.database.db, file, ADMIN, NOW);
    const rows = await world.database.db.select().from(accounts).orderBy(asc(accounts.userName));
    const [, carol, dave] = file.accounts;
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      userName: "ada@example.com",
      email: "ada@example.com",
      aliases: ["ada.l@example.com", "countess@example.com"],
      displayName: "Ada Lovelace",
      givenName: "Ada",
      familyName: "Lovelace",
      phone: "+442079460001",
      department: "Engineering",
      license: "E3",
      status: "active",
      deletedAt: null,
      purgeAfter: null,
      snapshot: null,
    });
    const deletedAt = new Date("2026-11-20T08:30:00Z");
    expect(rows[1]).toMatchObject({
      externalId: "ext-carol",
      displayName: 'Carol "CJ" Jones',
      phone: null,
      status: "deleted",
      deletedAt,
      deletedBy: "U0ADMIN1",
      deletionCompletesAt: null,
      purgeAfter: new Date(deletedAt.getTime() + RETENTION_DAYS * DAY_MS),
    });
    // What a directory that cannot restore creates again: the account as the file had it.
    expect(rows[1]?.snapshot).toEqual(carol && snapshotOf(carol));
    expect(rows[2]).toMatchObject({
      email: null,
      aliases: [],
      givenName: null,
      status: "deleting",
      deletionCompletesAt: new Date("2026-11-24T10:00:00Z"),
    });
    expect(rows[2]?.snapshot).toEqual(dave && snapshotOf(dave));
  });

  it(
    "reports every clash with an active account already there by line, across pages, and imports nothing",
    async () => {
      await world.active({
        userName: "taken@example.com",
        email: "taken@example.com",
        phone: "+15559990000",
      });
      const far = IMPORT_PAGE_ROWS + 100; // on the second page
      const content = csvOf(far + 10, (i) => {
        if (i === 3) return "taken@example.com,new3@example.com,,Taken Name,,,active,,,,,";
        if (i === far) return `other@example.com,other@example.com,taken@example.com,Other,,,active,,,,,`;
        if (i === far + 5) return `phone@example.com,phone@example.com,,Phone,+15559990000,,active,,,,,`;
        return rowOf(i);
      });
      const error = await importAccounts(world.database.db, parsed(content), ADMIN, NOW).catch((e) => e);
      expect(error).toBeInstanceOf(ImportRejected);
      // Line 1 is the header: row i is on line i + 2.
      expect((error as ImportRejected).problems).toEqual([
        { line: 5, reason: "an active account already has the user name taken@example.com" },
        { line: far + 2, reason: "an active account already has the address taken@example.com" },
        { line: far + 7, reason: "an active account already has the phone +15559990000" },
      ]);
      expect((await counts())?.accounts).toBe(1);
    },
    SLOW,
  );

  it.each([
    ["an empty directory", 0],
    ["a directory holding an account", 1],
  ])(
    "reports a database error on a later page into %s, with the next page already sent, and imports nothing",
    async (_, held) => {
      // A rule the app does not know of, broken by one row of the second page: the third page's
      // statement is already queued behind it.
      const db = world.database.db;
      if (held) await world.active({ userName: "there@example.com", email: "there@example.com" });
      await db.execute(
        sql`alter table accounts add constraint accounts_test_refuses check (user_name <> 'user5003@example.com')`,
      );
      try {
        const file = parsed(csvOf(IMPORT_PAGE_ROWS * 2 + 17));
        const error = await importAccounts(db, file, ADMIN, NOW).catch((e: unknown) => e);
        expect(String((error as { cause?: unknown }).cause ?? error)).toContain("accounts_test_refuses");
        expect((await counts())?.accounts).toBe(held);
      } finally {
        await db.execute(sql`alter table accounts drop constraint accounts_test_refuses`);
      }
      // The connection is left as it was: the next import goes in whole.
      const again = await importAccounts(db, parsed(csvOf(IMPORT_PAGE_ROWS + 1)), ADMIN, NOW);
      expect(again).toMatchObject({ inserted: IMPORT_PAGE_ROWS + 1, rejected: [] });
    },
    SLOW,
  );

  it(
    "loads pages into a directory that already holds accounts, and finds a later page's clash with them by line",
    async () => {
      await world.active({ userName: "there@example.com", email: "there@example.com" });
      const n = IMPORT_PAGE_ROWS * 2 + 17;
      const first = await importAccounts(world.database.db, parsed(csvOf(n)), ADMIN, NOW);
      expect(first).toMatchObject({ inserted: n, skipped: 0, rejected: [] });
      expect(await counts()).toMatchObject({ accounts: n + 1, addresses: n * 2 + 1 });

      // A second file whose last page takes an address of an active account the first file's
      // first page wrote: found, by line, though that page's statement was sent while others ran.
      const second = csvOf(n, (i) =>
        i === n - 1
          ? "late@example.com,late@example.com,alias0@example.com,Late,,,active,,,,,"
          : rowOf(i).replaceAll("user", "next").replace("alias", "nalias").replace("+1555", "+1666"),
      );
      const error = await importAccounts(world.database.db, parsed(second), ADMIN, NOW).catch((e) => e);
      expect((error as ImportRejected).problems).toEqual([
        { line: n + 1, reason: "an active account already has the address alias0@example.com" },
      ]);
      expect((await counts())?.accounts).toBe(n + 1);
    },
    SLOW,
  );

  it(
    "refuses a file with one bad row among 10,000 good ones, naming its line, before writing anything",
    async () => {
      const content = csvOf(10_000, (i) => (i === 6_543 ? "broken@example.com,,,,,,active,,,,," : rowOf(i)));
      const result = parseImportFile(content, "csv", NOW);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.problems.map((p) => p.line)).toEqual([6_545]);
      expect((await counts())?.accounts).toBe(0);
    },
    SLOW,
  );

  it(
    "treats a CSV's departments as free text, but a JSON list of departments makes the others gone",
    async () => {
      // Row 1 is deleted in "Dept 1"; no active account in the file is in it.
      await importAccounts(
        world.database.db,
        parsed(csvOf(2, (i) => rowOf(i).replace("Dept 0", "Dept 9"))),
        ADMIN,
        NOW,
      );
      const free = await world.service.plan(ADMIN, "user1@example.com");
      expect(JSON.stringify(free)).not.toContain('"kind":"department"');

      const listed = parseImportFile(JSON.stringify({ departments: ["Dept 9"], accounts: [] }), "json", NOW);
      if (!listed.ok) throw new Error("the departments file is invalid");
      await importAccounts(world.database.db, listed.file, ADMIN, NOW);
      const gone = await world.service.plan(ADMIN, "user1@example.com");
      expect(JSON.stringify(gone)).toContain("The department Dept 1 no longer exists");
    },
    SLOW,
  );
});

describe("accounts belong to a directory that exists", () => {
  /** The SQLSTATE a statement failed with, or "ok". */
  const outcome = (work: Promise<unknown>) =>
    work.then(
      () => "ok",
      (error: { code?: string; cause?: { code?: string } }) => error.cause?.code ?? error.code,
    );

  it("refuses an account in a missing directory and removing a directory that has accounts; a cascading truncate empties both", async () => {
    const db = world.database.db;
    await importAccounts(db, parsed(csvOf(3)), ADMIN, NOW);
    expect(
      await outcome(
        db.execute(sql`insert into accounts (directory_id, external_id, user_name, display_name, status)
          values ('nowhere', 'x1', 'x1@example.com', 'X', 'active')`),
      ),
    ).toBe("23503");
    expect(await outcome(db.execute(sql`update accounts set directory_id = 'nowhere'`))).toBe("23503");
    expect(await outcome(db.execute(sql`delete from directories where id = 'builtin'`))).toBe("23503");
    expect(await outcome(db.execute(sql`update directories set id = 'elsewhere'`))).toBe("23503");
    expect((await counts())?.accounts).toBe(3);
    // Emptying the directories empties their accounts (with their words and addresses) too.
    expect(await outcome(db.execute(sql`truncate directories cascade`))).toBe("ok");
    expect(await counts()).toEqual({ accounts: 0, addresses: 0, words: 0 });
  });
});
