import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Db } from "./client.ts";

/**
 * A query built once per database handle and prepared on the server, for the few that run on
 * every keystroke or screen: drizzle otherwise builds the SQL again each time and Postgres parses
 * and plans it again (1.4 ms of planning for type-ahead's, more than running it). Values go in
 * through `sql.placeholder`. Keyed weakly, so a transaction's handle takes its statement with it.
 */
export function preparedFor<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let query = built.get(db);
    if (query === undefined) {
      query = build(db);
      built.set(db, query);
    }
    return query;
  };
}

const dialect = new PgDialect();

/**
 * Runs a statement prepared on the server where the driver can (postgres-js on a server), for one
 * run many times in a row with large values. `name` only asks drizzle to prepare: postgres-js
 * names the statement itself and keeps it per connection, keyed by its text. Unnamed,
 * postgres-js first asks the server to describe each statement that has parameters, in a round
 * trip of its own, and sends the values only when the answer has been read: another statement
 * cannot be queued behind it, and the server waits while this process is busy. PGlite runs it
 * as any other.
 */
export function executePrepared(db: Db, name: string, query: SQL): Promise<unknown> {
  return db._.session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false).execute();
}
