/**
 * The app's embedded database served to commands on a Unix socket, while the app keeps using it
 * in-process: neither side's work ends up in the other's transaction, commands take turns, and a
 * command that vanishes mid-transaction leaves nothing behind. Always PGlite (this is its server).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type SocketServer, serveOverSocket } from "../src/db/socket-server.ts";

let dir: string;
let pg: PGlite;
let server: SocketServer;
const clients: postgres.Sql[] = [];

/** A command's connection, as the CLI opens it through the app. */
function command(): postgres.Sql {
  const sql = postgres({
    path: server.path,
    max: 1,
    prepare: false,
    onnotice: () => {},
    connect_timeout: 10,
  });
  clients.push(sql);
  return sql;
}

const names = async () =>
  (await pg.query<{ name: string }>("select name from t order by name")).rows.map((r) => r.name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "restore-user-socket-"));
  pg = await PGlite.create("memory://");
  await pg.exec("create table t (name text primary key)");
  server = await serveOverSocket(pg, join(dir, ".s.PGSQL.5432"), { turnWaitMs: 1_000 });
});

beforeEach(async () => {
  await pg.exec("truncate t");
});

// The app serves one command at a time: each test's commands leave before the next test's come.
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end({ timeout: 1 })));
});

afterAll(async () => {
  await server.close();
  await pg.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the app's database, served to commands", () => {
  it("keeps a write the app made while a command's transaction was open when that transaction rolls back", async () => {
    const sql = command();
    let appWrote = false;
    const rolledBack = sql
      .begin(async (tx) => {
        await tx`insert into t values ('from the command')`;
        // The app writes while the command's transaction is open.
        const write = pg.query("insert into t values ('from the app')").then(() => {
          appWrote = true;
        });
        await new Promise((r) => setTimeout(r, 100));
        await tx`insert into t values ('also from the command')`;
        void write;
        throw new Error("the command gives up");
      })
      .catch((error: Error) => error.message);
    expect(await rolledBack).toBe("the command gives up");
    // The app's write waited for the command's transaction, then landed on its own.
    await expect.poll(() => appWrote).toBe(true);
    expect(await names()).toEqual(["from the app"]);
  });

  it("keeps a command's committed write when the app's transaction rolls back meanwhile", async () => {
    const sql = command();
    const appTransaction = pg
      .transaction(async (tx) => {
        await tx.query("insert into t values ('from the app')");
        await new Promise((r) => setTimeout(r, 100));
        await tx.rollback();
      })
      .catch(() => {});
    await sql`insert into t values ('from the command')`;
    await appTransaction;
    expect(await names()).toEqual(["from the command"]);
  });

  it("answers each side its own results when both ask at once", async () => {
    const sql = command();
    const asked = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? sql`select ${i}::int as n`.then((rows) => rows[0]?.n)
        : pg.query<{ n: number }>("select $1::int as n", [i]).then((r) => r.rows[0]?.n),
    );
    expect(await Promise.all(asked)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it("serves a second command when the first is done, and tells one that waited too long that it is busy", async () => {
    const first = command();
    await first`select 1`;
    const second = command();
    const refused = await second`select 2`.catch((error: Error & { code?: string }) => error);
    expect(refused).toMatchObject({ code: "53300" });
    expect((refused as Error).message).toMatch(
      /busy with another restore-user command \(waited 1 s\); try again when it finishes/,
    );
    await first.end();
    const third = command();
    expect(await third`select 3 as n`).toEqual([{ n: 3 }]);
    await third.end();
  });

  it("rolls back the transaction of a command that vanished, and the app carries on", async () => {
    const sql = command();
    await sql`begin`;
    await sql`insert into t values ('half done')`;
    await sql.end({ timeout: 0 });
    await expect.poll(() => names()).toEqual([]);
    expect(pg.isInTransaction()).toBe(false);
    await pg.query("insert into t values ('the app, after')");
    expect(await names()).toEqual(["the app, after"]);
  });
});
