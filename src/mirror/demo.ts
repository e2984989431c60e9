import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts } from "../db/schema.ts";
import { type ImportSummary, importAccounts } from "../import/import.ts";
import { parseImportFile } from "../import/import-file.ts";

/** The demo set: a built-in directory with every kind of conflict, and a re-create-only one. */
export const DEMO_FILES = ["accounts.json", "recreate-only.json"].map((f) =>
  fileURLToPath(new URL(`../../demo/${f}`, import.meta.url)),
);

/** Loads the demo set into an empty database; a database that holds accounts is left alone. */
export async function loadDemoIfEmpty(db: Db, now: Date): Promise<ImportSummary[]> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(accounts);
  if ((row?.n ?? 0) > 0) return [];
  const summaries: ImportSummary[] = [];
  for (const path of DEMO_FILES) {
    const parsed = parseImportFile(await readFile(path, "utf8"), "json", now);
    if (!parsed.ok) throw new Error(`demo file ${path} is invalid: ${parsed.problems[0]?.reason}`);
    summaries.push(await importAccounts(db, parsed.file, "demo", now));
  }
  return summaries;
}
