import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { type Database, openDatabase } from "../../src/db/client.ts";

/** The real server when TEST_DATABASE_URL is set (CI sets it); embedded PGlite otherwise. */
export const serverUrl = process.env.TEST_DATABASE_URL;

/**
 * A database of its own for one test file: a fresh database on the server (dropped at close), or
 * an in-memory PGlite. Files run in parallel without seeing each other.
 */
export async function openTestDatabase(): Promise<Database> {
  if (!serverUrl) return openDatabase({ dataDir: "memory://" });
  const name = `restore_user_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), maxConnections: 25 });
  return {
    ...database,
    close: async () => {
      await database.close();
      const cleanup = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

/** Empties every table between tests (TRUNCATE is allowed on the append-only audit table). */
export async function truncateAll(database: Database): Promise<void> {
  await database.db.execute(
    sql`truncate account_addresses, approvals, audit_events, restore_requests, accounts, departments, seats, directories, job_runs, outbox, role_memberships cascade`,
  );
}

/**
 * Where a separate process (the real CLI) should keep its data: a fresh database on the server,
 * or a fresh PGlite folder. `drop` removes it.
 */
export async function scratchDatabaseEnv(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (!serverUrl) {
    const dir = await mkdtemp(join(tmpdir(), "restore-user-cli-"));
    return {
      env: { DATA_DIR: dir, DATABASE_URL: "" },
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const name = `restore_user_cli_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    drop: async () => {
      const cleanup = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}
