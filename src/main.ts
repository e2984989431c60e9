import { openCore } from "./app.ts";
import { systemClock } from "./clock.ts";
import {
  type Config,
  ConfigError,
  loadConfig,
  missingSlackSettings,
  type SlackSettings,
  slackSettings,
} from "./config.ts";
import { loadDemoIfEmpty } from "./directory/demo.ts";
import { startServer } from "./http.ts";
import { errorFields, log } from "./log.ts";
import { createSlackApp } from "./slack/app.ts";

async function main(): Promise<void> {
  let config: Config;
  let slack: SlackSettings | null;
  try {
    config = loadConfig();
    slack = slackSettings(config);
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
  const bolt = slack
    ? createSlackApp({ service: core.service, clock: core.clock, settings: slack, log })
    : null;
  const server = await startServer({ db: core.database.db, slack: bolt?.http ?? null, port: config.PORT });
  const address = server.address();
  log.info("listening", { port: typeof address === "object" && address ? address.port : config.PORT });
  if (bolt?.socket) {
    await bolt.app.start();
    log.info("slack connected", { mode: "socket" });
  } else if (bolt) {
    log.info("slack ready", { mode: "http", endpoint: "POST /slack/events" });
  } else {
    const missing = missingSlackSettings(config);
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
    if (bolt?.socket) await bolt.app.stop().catch(() => {});
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
