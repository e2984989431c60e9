import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { rowsOf } from "../src/db/client.ts";
import { ImportRejected, importAccounts } from "../src/import/import.ts";
import { type ImportFile, parseImportFile } from "../src/import/import-file.ts";
import { isRefusal } from "../src/restore/outcome.ts";
import { ADMIN, NOW, useWorld } from "./support/world.ts";

const world = useWorld();

function file(accounts: Record<string, string>[]): ImportFile {
  const parsed = parseImportFile(JSON.stringify(accounts), "json", NOW);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.file;
}

const active = (userName: string, phone: string) => ({
  user_name: userName,
  email: userName,
  display_name: userName,
  phone,
  status: "active",
});

async function rejection(accounts: Record<string, string>[]): Promise<string[]> {
  const error = await importAccounts(world.database.db, file(accounts), ADMIN, NOW).catch((e: unknown) => e);
  if (!(error instanceof ImportRejected)) throw new Error(`expected a rejection, got ${String(error)}`);
  return error.problems.map((p) => p.reason);
}

describe("an import that clashes with an active account", () => {
  it("names what clashes: the phone, the address or the user name", async () => {
    await importAccounts(world.database.db, file([active("ada@example.com", "+15550001111")]), ADMIN, NOW);
    expect(await rejection([active("bob@example.com", "+15550001111")])).toEqual([
      "an active account already has the phone +15550001111",
    ]);
    expect(
      await rejection([{ ...active("cy@example.com", "+15550002222"), email: "ada@example.com" }]),
    ).toEqual(["an active account already has the address ada@example.com"]);
    expect(
      await rejection([
        { ...active("ada@example.com", "+15550003333"), email: "ada2@example.com", external_id: "ada-2" },
      ]),
    ).toEqual(["an active account already has the user name ada@example.com"]);
  });
});

describe("an account removed from the directory's table", () => {
  it("takes its addresses with it, whether deleted or its table emptied: they clash no more", async () => {
    const db = world.database.db;
    const ada = { ...active("ada@example.com", "+15550001111"), aliases: "ada.l@example.com" };
    await importAccounts(db, file([ada]), ADMIN, NOW);
    const newcomer = { ...active("cy@example.com", "+15550002222"), email: "ada.l@example.com" };
    expect(await rejection([newcomer])).toEqual([
      "an active account already has the address ada.l@example.com",
    ]);

    await db.execute(sql`delete from accounts where user_name = 'ada@example.com'`);
    expect((await importAccounts(db, file([newcomer]), ADMIN, NOW)).inserted).toBe(1);
    expect(await rejection([{ ...ada, external_id: "ada-2" }])).toEqual([
      "an active account already has the address ada.l@example.com",
    ]);

    await db.execute(sql`truncate accounts cascade`);
    expect((await importAccounts(db, file([{ ...ada, external_id: "ada-2" }]), ADMIN, NOW)).inserted).toBe(1);
  });
});

describe("an import that another change overtakes", () => {
  it("says another change took a name while importing, imports nothing, and asks to run it again", async () => {
    const db = world.database.db;
    // Another writer (a restore, a sync, a second app) takes bob's user name after the import's
    // clash check has passed and before its insert: stood in for by a trigger on that very insert.
    await db.execute(sql`create function take_bob() returns trigger language plpgsql as $$
      begin
        if pg_trigger_depth() = 1 then
          insert into accounts (directory_id, external_id, user_name, email, display_name, status)
          values ('builtin', 'elsewhere:bob', 'bob@example.com', 'bob@example.com', 'Bob Elsewhere', 'active');
        end if;
        return null;
      end $$`);
    await db.execute(
      sql`create trigger take_bob before insert on accounts for each statement execute function take_bob()`,
    );
    try {
      const outcome = await world.service.importAccounts(
        ADMIN,
        file([active("ann@example.com", "+15550004444"), active("bob@example.com", "+15550005555")]),
      );
      expect(isRefusal(outcome) && outcome).toMatchObject({
        code: "race",
        message:
          "Another change took a user name, address or phone in this file while it was importing; nothing was imported; run the import again.",
      });
    } finally {
      await db.execute(sql`drop trigger take_bob on accounts`);
      await db.execute(sql`drop function take_bob()`);
    }
    const rows = await db.execute(sql`select count(*)::int as n from accounts`);
    expect(Number(rowsOf<{ n: number }>(rows)[0]?.n)).toBe(0);
  });
});
