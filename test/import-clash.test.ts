import { describe, expect, it } from "vitest";
import { ImportRejected, importAccounts } from "../src/directory/import.ts";
import { type ImportFile, parseImportFile } from "../src/directory/import-file.ts";
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
