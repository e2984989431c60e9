import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema.ts";
import { CONNECT_TIMEOUT_S, unreachable } from "./unavailable.ts";

/** One type for both drivers; a transaction is one too, so functions take either. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  /** "postgres" (a server) or "pglite" (embedded in this process). */
  kind: "postgres" | "pglite";
  /** Where it lives, without credentials, for start-up messages. */
  location: string;
  close(): Promise<void>;
}

/**
 * How much of a word's trigrams a name must share for search's typo-tolerant `<%` (pg_trgm's
 * default, 0.6, misses "alcie" for Alice). Set on every connection, so a search needs no
 * transaction to set it.
 */
export const WORD_SIMILARITY_THRESHOLD = "0.3";
const SEARCH_SETTINGS = { "pg_trgm.word_similarity_threshold": WORD_SIMILARITY_THRESHOLD };

export const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

export interface OpenOptions {
  /** A postgres:// URL; without one an embedded PGlite database is used. */
  url?: string;
  /** PGlite's folder (created if missing), or "memory://" for a throwaway database. */
  dataDir?: string;
  /** postgres-js pool size. */
  maxConnections?: number;
}

/** Opens the database and applies pending migrations before anything else touches it. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.url) return openServer(options.url, options.maxConnections ?? 10);
  const dataDir = options.dataDir ?? "./data";
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir, { extensions: { pg_trgm } });
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder });
  await client.exec(`set pg_trgm.word_similarity_threshold = ${WORD_SIMILARITY_THRESHOLD}`);
  return {
    db: db as unknown as Db,
    kind: "pglite",
    location: dataDir,
    close: () => client.close(),
  };
}

async function openServer(url: string, maxConnections: number): Promise<Database> {
  const location = redactUrl(url);
  try {
    await migrateServer(url);
  } catch (error) {
    throw unreachable(error, location) ?? error;
  }
  return { ...connectServer(url, maxConnections), kind: "postgres", location };
}

/** The app's pool on a Postgres server, without migrating (openDatabase migrates first). */
export function connectServer(url: string, maxConnections = 10): Pick<Database, "db" | "close"> {
  const client = postgres(url, {
    max: maxConnections,
    onnotice: () => {},
    connection: SEARCH_SETTINGS,
    // A server that accepts and never answers fails the connection, not the caller's patience.
    connect_timeout: CONNECT_TIMEOUT_S,
  });
  return {
    db: drizzlePostgres(client, { schema }) as unknown as Db,
    close: () => client.end({ timeout: 5 }),
  };
}

/** Several copies of the app may start at once: an advisory lock lets one migrate at a time. */
async function migrateServer(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: CONNECT_TIMEOUT_S });
  try {
    const db = drizzlePostgres(client, { schema });
    await db.execute(sql`select pg_advisory_lock(hashtext('restore-user:migrate'))`);
    try {
      await migratePostgres(db, { migrationsFolder });
    } finally {
      await db.execute(sql`select pg_advisory_unlock(hashtext('restore-user:migrate'))`);
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}
