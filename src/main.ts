import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { type Core, openCore } from "./app.ts";
import { systemClock } from "./clock.ts";
import {
  type Config,
  ConfigError,
  loadConfig,
  missingSlackSettings,
  type SlackSettings,
  slackSettings,
} from "./config.ts";
import { FolderInUse } from "./db/owner.ts";
import { DatabaseUnavailable } from "./db/unavailable.ts";
import { digestSettingsFrom } from "./digest/settings.ts";
import { startServer } from "./http.ts";
import { errorFields, log } from "./log.ts";
import { AppMetrics } from "./metrics/metrics.ts";
import { measuredConnector } from "./metrics/providers.ts";
import { withMetrics } from "./metrics/service.ts";
import { measuredSlackFetch } from "./metrics/slack.ts";
import { readStateAtScrape } from "./metrics/state.ts";
import { loadDemoIfEmpty } from "./mirror/demo.ts";
import { providersFrom } from "./providers/providers.ts";
import { describeProblems } from "./providers/registry.ts";
import { GroupRoles } from "./roles/group-roles.ts";
import { startScheduler } from "./schedule/scheduler.ts";
import { createSlackApp } from "./slack/app.ts";
import { slackLocales } from "./slack/locales.ts";
import { outboxClient, SLACK_CALL_TIMEOUT_MS, slackTransport } from "./slack/sender.ts";
import { groupMembersReader } from "./slack/user-groups.ts";

/** SIGTERM to exit: what is under way gets this long to finish, the rest is left to its leases. */
const STOP_DEADLINE_MS = 8_000;
/** If closing hangs even so, the process exits anyway after this. */
const STOP_HARD_LIMIT_MS = 10_000;

async function main(): Promise<void> {
  // Every setting is checked before anything starts, and every problem is named at once.
  const problems: string[] = [];
  const attempt = <T>(parse: () => T): T | null => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
      return null;
    }
  };
  const config = attempt(() => loadConfig());
  const digest = attempt(() => digestSettingsFrom(process.env));
  const slack = config ? attempt(() => slackSettings(config)) : null;
  const providers = providersFrom(process.env, systemClock, log);
  if (providers.problems.length > 0) problems.push(describeProblems(providers.problems));
  if (!config || !digest || problems.length > 0) {
    process.stderr.write(`${problems.join("\n")}\n`);
    process.exit(2);
  }
  // One registry for this app; each edge records into it (metrics/).
  const metrics = new AppMetrics();
  const connectors = providers.connectors.map((c) => measuredConnector(c, metrics));
  const core = await openCore(config, systemClock, connectors, log, "app");
  const service = withMetrics(core.service, metrics);
  const onTakeover = (job: string) => metrics.leaseTakenOver(job);
  readStateAtScrape(
    metrics,
    {
      db: core.database.db,
      clock: core.clock,
      providers: core.connectors.map((c) => c.kind),
      digestChannel: slack ? (digest.channelId ?? slack.adminChannelId) : null,
    },
    (what, error) => log.warn(`metrics: could not read ${what}`, errorFields(error)),
  );
  log.info("database ready", { kind: core.database.kind, location: core.database.location });
  for (const c of core.connectors) log.info("directory connected", { directory: c.kind, provider: c.name });
  if (config.DEMO_DATA) {
    for (const loaded of await loadDemoIfEmpty(core.database.db, core.clock.now())) {
      log.info("demo data loaded", { directory: loaded.directoryId, accounts: loaded.inserted });
      metrics.imported(loaded.directoryId, {
        inserted: loaded.inserted,
        skipped: loaded.skipped,
        rejected: loaded.rejected.length,
      });
    }
  }
  const roles = await startGroupRoles(config, slack, core);
  // One cache of users' languages for the app's answers and the outbox's messages alike.
  const locales = slack
    ? slackLocales({
        client: outboxClient(slack.botToken, slack.apiUrl),
        defaultLocale: config.DEFAULT_LOCALE,
        channelLocale: config.CHANNEL_LOCALE ?? null,
      })
    : undefined;
  const bolt = slack
    ? createSlackApp({
        service,
        clock: core.clock,
        settings: slack,
        digest,
        log,
        metrics,
        roles,
        ...(locales ? { locales } : {}),
      })
    : null;
  const server = await startServer({
    db: core.database.db,
    slack:
      bolt?.http && slack?.signingSecret ? { receiver: bolt.http, signingSecret: slack.signingSecret } : null,
    metrics: { metrics, token: config.METRICS_TOKEN ?? null },
    port: config.PORT,
    host: config.HOST,
    connectors: core.connectors,
    now: () => core.clock.now(),
    ...(roles ? { roles: () => roles.state() } : {}),
    limits: {
      keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_SECONDS * 1000,
      maxConnections: config.HTTP_MAX_CONNECTIONS,
    },
  });
  const address = server.address();
  log.info("listening", {
    port: typeof address === "object" && address ? address.port : config.PORT,
    host: typeof address === "object" && address ? address.address : config.HOST,
  });
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

  // Scheduled work (the daily digest, expiry, purges, reminders, the outbox's sender), each on
  // its own timer, claimed once across copies.
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const scheduler = startScheduler({
    clock: core.clock,
    log,
    digest: slack
      ? {
          db: core.database.db,
          clock: core.clock,
          log,
          settings: digest,
          owner,
          channel: digest.channelId ?? slack.adminChannelId,
          onTakeover,
          locales: { defaultLocale: config.DEFAULT_LOCALE, channelLocale: config.CHANNEL_LOCALE ?? null },
        }
      : null,
    housekeeping: {
      db: core.database.db,
      clock: core.clock,
      service,
      owner,
      reminderHours: config.APPROVAL_REMINDER_HOURS,
      onTakeover,
    },
    sync: {
      db: core.database.db,
      clock: core.clock,
      owner,
      connectors: core.connectors,
      log,
      everyMs: config.SYNC_INTERVAL_MINUTES * 60_000,
      onTakeover,
    },
    outbox: slack
      ? {
          db: core.database.db,
          clock: core.clock,
          log,
          owner,
          callTimeoutMs: SLACK_CALL_TIMEOUT_MS,
          transport: slackTransport({
            client: outboxClient(slack.botToken, slack.apiUrl, {
              fetch: measuredSlackFetch(metrics, slack.apiUrl),
            }),
            service,
            clock: core.clock,
            adminChannelId: slack.adminChannelId,
            paceMs: 1100,
            ...(locales ? { locales } : {}),
          }),
        }
      : null,
  });
  // A decision, an expiry or a request owes a notice: sent now, not at the outbox's next look.
  service.onNoticesWritten(() => scheduler.wakeOutbox());
  // Events keep user groups current; this bounds what a missed event can leave behind.
  const refreshing = roles?.startRefreshing(config.ROLE_REFRESH_MINUTES * 60_000);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    setTimeout(() => {
      log.error("stopping took too long: exiting anyway", { afterMs: STOP_HARD_LIMIT_MS });
      process.exit(1);
    }, STOP_HARD_LIMIT_MS).unref();
    server.close();
    if (!(await scheduler.stop(STOP_DEADLINE_MS))) {
      log.warn("scheduled work still running at the stop deadline: left to its leases", {
        deadlineMs: STOP_DEADLINE_MS,
      });
    }
    await refreshing?.stop();
    if (bolt?.socket) await bolt.app.stop().catch(() => {});
    // Commands served on the socket are ended, the embedded database closed, its folder let go.
    try {
      await core.database.close();
    } catch (error) {
      log.error("the database did not close cleanly", errorFields(error));
      process.exit(1);
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

/**
 * User groups named in RESTORE_ADMINS or RESTORE_APPROVERS: their members read from Slack before
 * anything is served. If Slack cannot be asked, the plain user ids alone hold roles (never more).
 */
async function startGroupRoles(
  config: Config,
  slack: SlackSettings | null,
  core: Core,
): Promise<GroupRoles | null> {
  const configured = { admins: config.RESTORE_ADMINS, approvers: config.RESTORE_APPROVERS };
  const roles = new GroupRoles({
    configured,
    readMembers: slack
      ? groupMembersReader(outboxClient(slack.botToken, slack.apiUrl))
      : async () => {
          throw new Error("Slack is not configured (SLACK_BOT_TOKEN)");
        },
    db: core.database.db,
    clock: core.clock,
    log,
    usePolicy: (policy) => core.service.usePolicy(policy),
  });
  if (roles.groups.length === 0) return null;
  // When some group cannot be read, refresh() has warned, naming it.
  if ((await roles.refresh()) === "fresh") log.info("user groups read", { groups: roles.groups });
  return roles;
}

// The last guard: a promise some library let go of must not end a server that faces the
// internet (Node's default for an unhandled rejection is to exit). It is logged, as its cause.
process.on("unhandledRejection", (error) => {
  log.error("a promise failed with nobody waiting for it", errorFields(error));
});

main().catch((error: unknown) => {
  // A database that is not there, or a folder another process holds: one line saying what to do.
  if (error instanceof DatabaseUnavailable || error instanceof FolderInUse) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  log.error("restore-user could not start", errorFields(error));
  process.exit(1);
});
