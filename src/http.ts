import { createServer, type Server } from "node:http";
import type { HTTPReceiver } from "@slack/bolt";
import { sql } from "drizzle-orm";
import type { Db } from "./db/client.ts";
import { errorFields, log } from "./log.ts";

/**
 * The one HTTP server: /healthz (the process is up), /readyz (the database answers), and in
 * Slack's HTTP mode everything else goes to Bolt's receiver (POST /slack/events), which checks
 * the signature before it reads anything.
 */
export function startServer(options: { db: Db; slack: HTTPReceiver | null; port: number }): Promise<Server> {
  const json = (res: import("node:http").ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const server = createServer(async (req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      json(res, 200, { ok: true });
      return;
    }
    if (req.method === "GET" && req.url === "/readyz") {
      try {
        await options.db.execute(sql`select 1`);
        json(res, 200, { ok: true, database: "up" });
      } catch (error) {
        log.error("readiness check failed", errorFields(error));
        json(res, 503, { ok: false, database: "down" });
      }
      return;
    }
    if (options.slack) {
      options.slack.requestListener(req, res);
      return;
    }
    json(res, 404, { ok: false, error: "not found" });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, () => resolve(server));
  });
}
