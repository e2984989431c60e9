/**
 * The one HTTP front door: /healthz (the process is up), /readyz (the database answers), /metrics
 * (Prometheus), Slack's POST /slack/events (HTTP mode) and providers' POST /directories/<kind>/events. Every request is
 * answered (404 or 405 for anything else) and none can end the process: each is handled inside one
 * try/catch, and malformed connections are answered by the clientError handler.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { Duplex } from "node:stream";
import { sql } from "drizzle-orm";
import type { Db } from "./db/client.ts";
import { type Exchange, json, refuse } from "./http/exchange.ts";
import { type MetricsEndpoint, serveMetrics } from "./http/metrics.ts";
import { providerEvents } from "./http/provider-events.ts";
import { type SlackEndpoint, slackEvents } from "./http/slack.ts";
import { log as defaultLog, errorFields, type Logger } from "./log.ts";
import type { DirectoryConnector } from "./providers/port.ts";

export type { MetricsEndpoint } from "./http/metrics.ts";
export type { SlackEndpoint } from "./http/slack.ts";

/** Node's own protections against slow and piled-up connections. */
export interface ServerLimits {
  /** A request's headers must arrive within this (slowloris; also a connection that sends nothing). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  // Slack and load balancers send a request in milliseconds; these only bound the stuck and the hostile.
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 500,
};

/** Slack sends about 15 headers, a load balancer adds a few; Node's default allows 2000. */
const MAX_HEADERS = 100;
/** Node's default, stated: an 8 KB Slack header block fits twice. */
const MAX_HEADER_BYTES = 16 * 1024;
/** Unknown paths can be anything; their log line keeps this much. */
const MAX_LOGGED_PATH = 200;

export interface ServerOptions {
  db: Db;
  /** HTTP mode: Bolt's receiver behind POST /slack/events, and the secret that signs its requests. */
  slack: SlackEndpoint | null;
  port: number;
  /** The bind address (HOST); unset, every interface (IPv6 and IPv4). */
  host?: string;
  /** GET /metrics, when given; otherwise the path is unknown (404). */
  metrics?: MetricsEndpoint | null;
  /** Providers that push deletions (Lark) post them to /directories/<kind>/events. */
  connectors?: readonly DirectoryConnector[];
  /** The clock for Slack's timestamp window and the providers' deletion times. */
  now?: () => Date;
  log?: Logger;
  limits?: Partial<ServerLimits>;
  /** With user groups in the roles: "stale" on /readyz while their members could not be read. */
  roles?: () => "fresh" | "stale";
}

type Handler = (ex: Exchange) => Promise<void> | void;

interface Route {
  /** GET handlers answer HEAD too (Node leaves the body out). */
  methods: Partial<Record<"GET" | "POST", Handler>>;
  /** Successful answers are not logged (health checks). */
  quiet?: boolean;
}

export function startServer(options: ServerOptions): Promise<Server> {
  const log = options.log ?? defaultLog;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const routes = routesOf(options, log);
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node enforces both timeouts on this tick (30 s by default, which would triple a 10 s limit).
      connectionsCheckingInterval: Math.max(10, Math.min(1000, limits.headersTimeoutMs / 2)),
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    (req, res) => {
      handle(req, res, routes, log).catch(() => res.destroy());
    },
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = MAX_HEADERS;
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(error, socket, log),
  );
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

function routesOf(options: ServerOptions, log: Logger): Map<string, Route> {
  const routes = new Map<string, Route>();
  const health: Route = { methods: { GET: (ex) => json(ex.res, 200, { ok: true }) }, quiet: true };
  const ready: Route = {
    methods: { GET: (ex) => readiness(ex, options.db, READINESS_TIMEOUT_MS, options.roles) },
    quiet: true,
  };
  for (const path of ["/healthz", "/healthz/"]) routes.set(path, health);
  for (const path of ["/readyz", "/readyz/"]) routes.set(path, ready);
  const metrics = options.metrics;
  if (metrics) {
    // Quiet: Prometheus scrapes every few seconds; a refused scrape (401) is still logged.
    const scrape: Route = { methods: { GET: (ex) => serveMetrics(ex, metrics) }, quiet: true };
    for (const path of ["/metrics", "/metrics/"]) routes.set(path, scrape);
  }
  const now = options.now ?? (() => new Date());
  const slack = options.slack;
  if (slack) routes.set("/slack/events", { methods: { POST: (ex) => slackEvents(ex, slack, now) } });
  for (const connector of options.connectors ?? []) {
    if (!connector.readEvent) continue;
    const deps = { db: options.db, now, log };
    routes.set(`/directories/${connector.kind}/events`, {
      methods: { POST: (ex) => providerEvents(ex, connector, deps) },
    });
  }
  return routes;
}

/** A readiness probe answers within this, whatever the database does. */
export const READINESS_TIMEOUT_MS = 2_000;

async function readiness(
  ex: Exchange,
  db: Db,
  timeoutMs: number,
  roles?: () => "fresh" | "stale",
): Promise<void> {
  // Stale roles do not take the app out of service: plain user ids still work, and no more than them.
  const extra = roles ? { roles: roles() } : {};
  const check = db.execute(sql`select 1`).then(() => "up" as const);
  // Abandoned after the timeout: its late failure must not surface as an unhandled rejection.
  check.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"timeout">((resolve) => {
    timer = setTimeout(resolve, timeoutMs, "timeout");
  });
  try {
    const state = await Promise.race([check, late]);
    if (state === "up") return json(ex.res, 200, { ok: true, database: "up", ...extra });
    ex.reason = `the database did not answer within ${timeoutMs / 1000} s`;
    json(ex.res, 503, { ok: false, database: "timeout", ...extra });
  } catch (error) {
    ex.reason = "the database did not answer";
    ex.fields = errorFields(error);
    json(ex.res, 503, { ok: false, database: "down", ...extra });
  } finally {
    clearTimeout(timer);
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: Map<string, Route>, log: Logger) {
  const started = performance.now();
  const ex: Exchange = { req, res, path: (req.url ?? "/").split("?")[0] ?? "/" };
  const route = routes.get(ex.path);
  res.once("close", () => logRequest(ex, route, Math.round(performance.now() - started), log));
  try {
    if (!route) return refuse(ex, 404, "not found", "no such path");
    const method = req.method === "HEAD" ? "GET" : req.method;
    const handler = route.methods[method as keyof Route["methods"]];
    if (handler) return await handler(ex);
    const allow = Object.keys(route.methods).flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m]));
    ex.reason = "method not allowed";
    json(res, 405, { ok: false, error: "method not allowed" }, { allow: allow.join(", ") });
  } catch (error) {
    ex.reason ??= "the request failed";
    ex.fields = errorFields(error);
    if (res.headersSent) res.destroy();
    else json(res, 500, { ok: false, error: "internal error" });
  }
}

/**
 * One line per request: method, path without its query, status, duration, and why it was refused.
 * Successful health checks are left out: a load balancer asks every few seconds, which would bury
 * everything else; a failing one is logged like any failure.
 */
function logRequest(ex: Exchange, route: Route | undefined, ms: number, log: Logger): void {
  const status = ex.res.statusCode;
  if (route?.quiet && status < 400) return;
  const path = ex.path.length > MAX_LOGGED_PATH ? `${ex.path.slice(0, MAX_LOGGED_PATH)}…` : ex.path;
  const fields = {
    method: ex.req.method,
    path,
    status,
    ms,
    ...(ex.res.writableFinished ? {} : { aborted: true }),
    ...(ex.reason ? { reason: ex.reason } : {}),
    ...ex.fields,
  };
  if (status >= 500) log.error("request", fields);
  else if (status >= 400) log.warn("request", fields);
  else log.info("request", fields);
}

/**
 * A connection Node could not read a request from (bad syntax, headers too large, too slow): it
 * gets the status Node would send, then is closed. Without this handler Node would do the same
 * silently; with it the refusal is logged, without the request's bytes.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, log: Logger): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
  log.warn("request", { status, reason: error.code ?? "unreadable request" });
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!inFlight?.headersSent) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
  }
  socket.destroy();
}
