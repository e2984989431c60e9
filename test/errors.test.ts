import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/client.ts";
import { describeError, errorFields } from "../src/log.ts";
import { openTestDatabase, serverUrl } from "./support/database.ts";

// Errors reach logs and terminals: they must say what went wrong, never the rows it went wrong on.
const EMAIL = "alice.private@example.com";
const NAME = "Alice Private";

let database: Database;

beforeAll(async () => {
  database = await openTestDatabase();
  await database.db.execute(sql`create table people (email text unique, name text)`);
  await database.db.execute(sql`insert into people values (${EMAIL}, ${NAME})`);
});

afterAll(async () => {
  await database.close();
});

async function failure(query: ReturnType<typeof sql>): Promise<unknown> {
  try {
    await database.db.execute(query);
  } catch (error) {
    return error;
  }
  throw new Error("the query was expected to fail");
}

/** Everything a log line would hold, as one text. */
function logged(error: unknown): string {
  return JSON.stringify(errorFields(error));
}

describe(`a database error (${serverUrl ? "postgres-js" : "PGlite"}) is described by its cause`, () => {
  it("a unique violation reads as the constraint and SQLSTATE, without the row or the query", async () => {
    const error = await failure(sql`insert into people (email, name) values (${EMAIL}, ${NAME})`);
    expect(String((error as Error).message)).toContain(EMAIL); // what drizzle would have logged
    expect(describeError(error)).toBe(
      'duplicate key value violates unique constraint "people_email_key" (23505)',
    );
    for (const secret of [EMAIL, NAME, "insert into", "Failed query", "params", "Key (email)"]) {
      expect(logged(error)).not.toContain(secret);
    }
    const { stack } = errorFields(error) as { stack: string };
    expect(stack.split("\n")[0]).toMatch(
      /: duplicate key value violates unique constraint "people_email_key" \(23505\)$/,
    );
    expect(stack).toContain("errors.test.ts"); // still points at the code that ran the query
  });

  it("a refused value (SQLSTATE class 22) keeps the words and drops the value it quotes", async () => {
    const error = await failure(sql`select ${EMAIL}::uuid`);
    expect(describeError(error)).toBe("invalid input syntax for type uuid (22P02)");
    expect(logged(error)).not.toContain(EMAIL);
  });

  it("a missing table is named, the query's parameters are not", async () => {
    const error = await failure(sql`select * from no_such_table where email = ${EMAIL}`);
    expect(describeError(error)).toBe('relation "no_such_table" does not exist (42P01)');
    expect(logged(error)).not.toMatch(/select|alice/i);
  });
});

describe("other errors", () => {
  it("a refused connection reads as the connection error, once", async () => {
    const client = postgres("postgres://restore:s3cret@127.0.0.1:1/nowhere", {
      max: 1,
      connect_timeout: 30,
      onnotice: () => {},
    });
    try {
      const error = await drizzle(client)
        .execute(sql`select ${EMAIL}`)
        .catch((e: unknown) => e);
      expect(describeError(error)).toBe("connect ECONNREFUSED 127.0.0.1:1");
      expect(logged(error)).not.toMatch(/alice|s3cret|select/);
    } finally {
      await client.end({ timeout: 1 });
    }
  });

  it("a wrapper such as fetch's is followed by its cause", () => {
    const cause = Object.assign(new Error("getaddrinfo ENOTFOUND login.example"), { code: "ENOTFOUND" });
    expect(describeError(new TypeError("fetch failed", { cause }))).toBe(
      "fetch failed: getaddrinfo ENOTFOUND login.example",
    );
    expect(describeError("plain text")).toBe("plain text");
    expect(errorFields("plain text")).toEqual({ error: "plain text" });
  });
});
