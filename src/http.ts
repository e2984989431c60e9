import { createServer, type Server } from "node:http";
import type { HTTPReceiver } from "@slack/bolt";
import { sql } from "drizzle-orm";
import type { Db } from "./db/client.ts";
import type { DirectoryConnector } from "./directory/port.ts";
import { upsertDeleted } from "./directory/sync.ts";
import { errorFields, log } from "./log.ts";

/** Events are small; anything bigger is not one. */
const MAX_EVENT_BYTES = 1024 * 1024;

function readBody(req: import("node:http").IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_EVENT_BYTES) {
        resolve(null);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * The one HTTP server: /healthz (the process is up), /readyz (the database answers), and in
 * Slack's HTTP mode everything else goes to Bolt's receiver (POST /slack/events), which checks
 * the signature before it reads anything.
 */
export function startServer(options: {
  db: Db;
  slack: HTTPReceiver | null;
  port: number;
  /** Providers that push deletions (Lark) post them to /directories/<kind>/events. */
  connectors?: readonly DirectoryConnector[];
  now?: () => Date;
}): Promise<Server> {
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
    const event = req.method === "POST" && req.url?.match(/^\/directories\/([a-z]+)\/events$/);
    const pushing = event ? options.connectors?.find((c) => c.kind === event[1] && c.readEvent) : undefined;
    if (pushing?.readEvent) {
      try {
        const rawBody = await readBody(req);
        if (rawBody === null) return json(res, 413, { ok: false, error: "too large" });
        const headers = Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]),
        );
        const read = pushing.readEvent({ rawBody, headers });
        if (read.kind === "challenge") return json(res, 200, { challenge: read.challenge });
        if (read.kind === "rejected") {
          log.warn("provider event rejected", { provider: pushing.name, reason: read.reason });
          return json(res, 401, { ok: false });
        }
        if (read.kind === "deleted") {
          const { retentionDays } = pushing.profile;
          await upsertDeleted(
            options.db,
            pushing.kind,
            retentionDays,
            [read.user],
            (options.now ?? (() => new Date()))(),
          );
          log.info("provider reported a deletion", {
            provider: pushing.name,
            externalId: read.user.externalId,
          });
        }
        return json(res, 200, { ok: true });
      } catch (error) {
        // The provider retries an event that was not acknowledged.
        log.error("provider event failed", { provider: pushing.name, ...errorFields(error) });
        return json(res, 500, { ok: false });
      }
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
