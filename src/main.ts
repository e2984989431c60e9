import { createServer, type Server } from "node:http";
import { sql } from "drizzle-orm";
import { type Core, openCore } from "./app.ts";
import { systemClock } from "./clock.ts";
import { type Config, ConfigError, loadConfig, missingSlackSettings } from "./config.ts";
import { loadDemoIfEmpty } from "./directory/demo.ts";
import { errorFields, log } from "./log.ts";

/** /healthz: the process is up. /readyz: the database answers. */
function startHttp(core: Core, port: number): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      return;
    }
    if (req.method === "GET" && req.url === "/readyz") {
      try {
        await core.database.db.execute(sql`select 1`);
        res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true,"database":"up"}');
      } catch (error) {
        log.error("readiness check failed", errorFields(error));
        res.writeHead(503, { "content-type": "application/json" }).end('{"ok":false,"database":"down"}');
      }
      return;
    }
    res.writeHead(404, { "content-type": "application/json" }).end('{"ok":false,"error":"not found"}');
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => resolve(server));
  });
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const core = await openCore(config, systemClock);
  log.info("database ready", { kind: core.database.kind, location: core.database.location });
  if (config.DEMO_DATA) {
    for (const loaded of await loadDemoIfEmpty(core.database.db, core.clock.now())) {
      log.info("demo data loaded", { directory: loaded.directoryId, accounts: loaded.inserted });
    }
  }
  const server = await startHttp(core, config.PORT);
  const address = server.address();
  log.info("listening", { port: typeof address === "object" && address ? address.port : config.PORT });

  const missing = missingSlackSettings(config);
  if (missing.length > 0) {
    log.warn(
      `Slack is not connected yet. Set ${missing.map((m) => m.split(" ")[0]).join(", ")} and restart; the CLI works meanwhile.`,
      { missing },
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    server.close();
    await core.database.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  log.error("restore-user could not start", errorFields(error));
  process.exit(1);
});
