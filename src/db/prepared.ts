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
