import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { Db } from "../src/db/client.ts";
import * as schema from "../src/db/schema.ts";

interface Captured {
  query: string;
  params: unknown[];
}

/**
 * Runs read-only `work` on a connection that records the SQL drizzle sends, then replays it in
 * one transaction under EXPLAIN (ANALYZE, BUFFERS): the plans of exactly what the code runs.
 * set_config calls (search's trigram threshold) are replayed as they are, so plans see them.
 */
export async function explainWork(url: string, work: (db: Db) => Promise<unknown>): Promise<string[]> {
  const captured: Captured[] = [];
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const db = drizzle(client, {
      schema,
      logger: { logQuery: (query, params) => captured.push({ query, params }) },
    }) as unknown as Db;
    await work(db);
    const lines: string[] = [];
    await client.begin(async (tx) => {
      for (const { query, params } of captured) {
        const values = params as postgres.ParameterOrJSON<never>[];
        if (/set_config\(/.test(query)) {
          await tx.unsafe(query, values);
          continue;
        }
        if (!/^\s*select/i.test(query)) continue;
        lines.push(`-- ${query.length > 300 ? `${query.slice(0, 300)}…` : query}`);
        if (params.length > 0) lines.push(`-- params: ${JSON.stringify(params)}`);
        const plan = await tx.unsafe(`explain (analyze, buffers) ${query}`, values);
        for (const row of plan) lines.push(String(row["QUERY PLAN"]));
        lines.push("");
      }
    });
    return lines;
  } finally {
    await client.end({ timeout: 5 });
  }
}
