import { fileURLToPath } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { claimFolder, type FolderLock, type Role, socketPathFor } from "./owner.ts";
import * as schema from "./schema.ts";
import { type SocketServer, serveOverSocket, TURN_WAIT_MS } from "./socket-server.ts";
import { CONNECT_TIMEOUT_S, unopenable, unreachable } from "./unavailable.ts";

/** One type for both drivers; a transaction is one too, so functions take either. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The rows of a raw `db.execute`: postgres-js hands back the rows themselves, PGlite an object holding them. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

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
  /**
   * Who opens a PGlite folder. The app holds it and serves it to commands on a Unix socket; a
   * command ("cli", the default) works through a running app, or holds the folder itself.
   */
  role?: Role;
}

/** Opens the database and applies pending migrations before anything else touches it. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.url) return openServer(options.url, options.maxConnections ?? 10);
  const dataDir = options.dataDir ?? "./data";
  if (dataDir.startsWith("memory://")) return openEmbedded(dataDir, null);
  const claim = await claimFolder(dataDir, options.role ?? "cli");
  if (claim.kind === "served") return openThroughApp(dataDir, claim.socket, claim.holder.pid);
  try {
    return await openEmbedded(dataDir, claim.lock, options.role === "app");
  } catch (error) {
    await claim.lock.release();
    throw error;
  }
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

/** This process holds the folder: PGlite in-process, and for the app, served to commands. */
async function openEmbedded(dataDir: string, lock: FolderLock | null, serve = false): Promise<Database> {
  // Loaded here, not at the top: PGlite's code alone adds ~50 MB to a process's resident memory,
  // which a process on a Postgres server (the app, a CLI import) never needs.
  const [{ PGlite }, { pg_trgm }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all(
    [
      import("@electric-sql/pglite"),
      import("@electric-sql/pglite/contrib/pg_trgm"),
      import("drizzle-orm/pglite"),
      import("drizzle-orm/pglite/migrator"),
    ],
  );
  let client: PGlite;
  try {
    client = await PGlite.create(dataDir, { extensions: { pg_trgm } });
  } catch (error) {
    throw unopenable(dataDir, error);
  }
  let server: SocketServer | null = null;
  try {
    const db = drizzlePglite(client, { schema });
    await migratePglite(db, { migrationsFolder });
    await client.exec(`set pg_trgm.word_similarity_threshold = ${WORD_SIMILARITY_THRESHOLD}`);
    if (serve && lock) {
      server = await serveOverSocket(client, socketPathFor(dataDir));
      await lock.announce(server.path);
    }
    return {
      db: db as unknown as Db,
      kind: "pglite",
      location: dataDir,
      // Commands first (an open transaction of theirs is rolled back), then PGlite, then the lock.
      close: async () => {
        await server?.close();
        await client.close();
        await lock?.release();
      },
    };
  } catch (error) {
    await server?.close();
    await client.close().catch(() => {});
    throw error;
  }
}

/**
 * The app holds the folder: this command works through the app's socket, on one connection
 * (the app serves one command at a time). The app has applied the migrations; running them
 * again finds nothing to do, unless this command is newer than the app.
 */
async function openThroughApp(dataDir: string, socket: string, pid: number): Promise<Database> {
  const location = `${dataDir} (through restore-user's app, pid ${pid})`;
  const client = postgres({
    path: socket,
    max: 1,
    // Named statements would outlive this command in the app's one session.
    prepare: false,
    onnotice: () => {},
    // Longer than the app lets a command wait for the one before it, which then says it is busy.
    connect_timeout: TURN_WAIT_MS / 1000 + CONNECT_TIMEOUT_S,
  });
  const db = drizzlePostgres(client, { schema });
  try {
    await migratePostgres(db, { migrationsFolder });
  } catch (error) {
    await client.end({ timeout: 1 }).catch(() => {});
    throw unreachable(error, location, TURN_WAIT_MS / 1000 + CONNECT_TIMEOUT_S) ?? error;
  }
  return {
    db: db as unknown as Db,
    kind: "pglite",
    location,
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
