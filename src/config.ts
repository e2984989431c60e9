import { z } from "zod";
import type { MessageKey } from "./i18n/catalog.ts";
import { type Said, said, saidList, say } from "./i18n/said.ts";
import { ENGLISH } from "./i18n/translator.ts";
import { SLACK_USER_GROUP_ID, SLACK_USER_ID } from "./restore/access.ts";

/**
 * Our words for a bad value, each also a catalog message (`config.problem.<name>`) so the CLI can
 * say it in its language; zod's own words stay English.
 */
const PROBLEMS = {
  slackIds: "each id must be a Slack user id (U012ABCDEF) or a user group id (S012ABCDEF)",
  wholeNumber: "must be a whole number",
  atLeastOne: "must be at least 1",
  postgresUrl: "must be a postgres:// URL",
  host: "must be an IP address or a host name, e.g. 127.0.0.1",
  secret: "must be at least 16 printable characters without spaces",
  botToken: "must be a bot token (xoxb-…)",
  signingSecret: "must be the app's signing secret",
  appToken: "must be an app-level token (xapp-…)",
  slackUrl: "must be an http(s) URL, e.g. https://slack.com/api/",
  channelId: "must be a Slack channel id, e.g. C012ABCDEF",
} as const;

/** Slack user ids (U…, W…) and user group ids (S…), mixed. */
const slackUserOrGroupIds = z
  .string()
  .default("")
  .transform((s) =>
    s
      .split(",")
      .map((id) => id.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z.string().refine((id) => SLACK_USER_ID.test(id) || SLACK_USER_GROUP_ID.test(id), PROBLEMS.slackIds),
    ),
  );

const positiveInt = (fallback: number) =>
  z.coerce
    .number({ error: PROBLEMS.wholeNumber })
    .int(PROBLEMS.wholeNumber)
    .positive(PROBLEMS.atLeastOne)
    .default(fallback);

/** Every setting the app reads, parsed once. Unknown variables are ignored; bad ones are named. */
export const configSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, PROBLEMS.postgresUrl)
    .optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /**
   * The address the HTTP server binds, e.g. 127.0.0.1 behind a proxy on the same machine. Unset:
   * every interface, IPv6 and IPv4 (Node's default, as before the setting existed).
   */
  HOST: z
    .union([z.ipv4(), z.ipv6(), z.hostname()], {
      error: PROBLEMS.host,
    })
    .optional(),
  /** Idle keep-alive connections close after this; behind a load balancer, above its idle timeout. */
  HTTP_KEEP_ALIVE_SECONDS: positiveInt(5),
  /** Connections open at once; more are refused until some close. */
  HTTP_MAX_CONNECTIONS: positiveInt(500),
  /** When set, GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,}$/, PROBLEMS.secret)
    .optional(),
  RESTORE_ADMINS: slackUserOrGroupIds,
  RESTORE_APPROVERS: slackUserOrGroupIds,
  /** User groups' members are read again this often, besides Slack's events (a safety net). */
  ROLE_REFRESH_MINUTES: positiveInt(10),
  RETENTION_DAYS: positiveInt(30),
  APPROVALS_REQUIRED: positiveInt(1),
  APPROVAL_TTL_HOURS: positiveInt(24),
  /** A request waiting this long gets one reminder in its approval message's thread. */
  APPROVAL_REMINDER_HOURS: positiveInt(4),
  /** Providers' deleted users are copied into the mirror this often (claimed once across copies). */
  SYNC_INTERVAL_MINUTES: positiveInt(15),
  /** Comma-separated domains a restored user name may use; empty: the ones the directory has. */
  ALLOWED_DOMAINS: z
    .string()
    .default("")
    .transform((s) =>
      s
        .split(",")
        .map((d) => d.trim().toLowerCase())
        .filter(Boolean),
    ),
  /** Load the demo data set into an empty built-in directory at start. */
  DEMO_DATA: z
    .enum(["true", "false", "1", "0", ""])
    .default("")
    .transform((v) => v === "true" || v === "1"),
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-/, PROBLEMS.botToken)
    .optional(),
  SLACK_SIGNING_SECRET: z
    .string()
    .regex(/^[0-9a-z]{8,}$/i, PROBLEMS.signingSecret)
    .optional(),
  /** Socket Mode (no public URL): an app-level token with connections:write. */
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, PROBLEMS.appToken)
    .optional(),
  /** The Web API base; GovSlack and local fakes need another one. */
  SLACK_API_URL: z
    .url({ protocol: /^https?$/, error: PROBLEMS.slackUrl })
    .default("https://slack.com/api/")
    .transform((u) => (u.endsWith("/") ? u : `${u}/`)),
  ADMIN_CHANNEL_ID: z
    .string()
    .regex(/^[CG][A-Z0-9]{2,}$/, PROBLEMS.channelId)
    .optional(),
  /**
   * The language for a Slack user whose own locale has no catalog (or cannot be read), e.g. `nl`.
   * Any value is accepted: one without a catalog means English, never a failed start.
   */
  DEFAULT_LOCALE: z.string().trim().default("en"),
  /** The language of channel messages (approval requests, the digest); unset: DEFAULT_LOCALE. */
  CHANNEL_LOCALE: z.string().trim().optional(),
});

export type Config = z.infer<typeof configSchema>;

/**
 * A setting that stops the start. `message` is English (the logs); `said` is the same for the
 * CLI's reader, in their language.
 */
export class ConfigError extends Error {
  constructor(readonly said: Said) {
    super(say(ENGLISH, said));
  }
}

/** One variable at fault: our words in the reader's language, zod's own as they are. */
export function configLine(variable: string, problem: string): Said {
  const ours = (Object.keys(PROBLEMS) as (keyof typeof PROBLEMS)[]).find(
    (name) => PROBLEMS[name] === problem,
  );
  const key: MessageKey | undefined = ours && `config.problem.${ours}`;
  return said("config.line", { variable, problem: key ? said(key) : problem });
}

/** `heading` over one line per variable at fault. */
export function configError(heading: MessageKey, lines: readonly Said[]): ConfigError {
  return new ConfigError(said(heading, { lines: saidList(lines, "\n") }));
}

/** Parses the environment; a bad value throws one message naming every variable at fault. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = configSchema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) =>
    configLine(issue.path.join(".") || "(environment)", issue.message),
  );
  throw configError("config.invalid", lines);
}

/** What the Slack app needs, once SLACK_BOT_TOKEN says it should run. */
export interface SlackSettings {
  botToken: string;
  /** HTTP mode (POST /slack/events) when set; Socket Mode uses appToken instead. */
  signingSecret: string | null;
  appToken: string | null;
  apiUrl: string;
  adminChannelId: string;
  /**
   * A new modal whose content comes within this many ms opens filled, in one views.open; slower
   * content opens a loading view first (default 1000: a trigger id lives 3 s; 0: always loading).
   */
  openFilledWithinMs?: number;
}

/**
 * null when Slack is not configured (no SLACK_BOT_TOKEN: the app runs for the CLI and health
 * checks only). Once the bot token is there, every other Slack setting must be too: a half
 * configured app would fail at the first click instead of at start.
 */
export function slackSettings(config: Config): SlackSettings | null {
  if (!config.SLACK_BOT_TOKEN) return null;
  const missing = missingSlackSettings(config);
  if (missing.length > 0) {
    throw configError(
      "config.slack.incomplete",
      missingSlackSettingsSaid(config).map((setting) => said("config.slack.missing", { setting })),
    );
  }
  return {
    botToken: config.SLACK_BOT_TOKEN,
    signingSecret: config.SLACK_SIGNING_SECRET ?? null,
    appToken: config.SLACK_APP_TOKEN ?? null,
    apiUrl: config.SLACK_API_URL,
    adminChannelId: config.ADMIN_CHANNEL_ID as string,
  };
}

/** The Slack settings still missing, in the order a new admin sets them. */
export function missingSlackSettings(config: Config): string[] {
  return missingSlackSettingsSaid(config).map((m) => say(ENGLISH, m));
}

/** `missingSlackSettings`, to be said in the reader's language. */
export function missingSlackSettingsSaid(config: Config): Said[] {
  const missing: Said[] = [];
  if (!config.SLACK_BOT_TOKEN) missing.push(said("config.slack.botToken"));
  if (!config.SLACK_SIGNING_SECRET && !config.SLACK_APP_TOKEN)
    missing.push(said("config.slack.signingSecret"));
  if (!config.ADMIN_CHANNEL_ID) missing.push(said("config.slack.adminChannel"));
  if (config.RESTORE_ADMINS.length === 0) missing.push(said("config.slack.admins"));
  if (config.RESTORE_APPROVERS.length === 0) missing.push(said("config.slack.approvers"));
  return missing;
}
