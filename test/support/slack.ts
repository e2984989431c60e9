import { createHmac } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { afterAll, afterEach, beforeEach, expect } from "vitest";
import type { SlackSettings } from "../../src/config.ts";
import { digestSettingsFrom } from "../../src/digest/settings.ts";
import { type ServerOptions, startServer } from "../../src/http.ts";
import type { Logger } from "../../src/log.ts";
import { AppMetrics } from "../../src/metrics/metrics.ts";
import { withMetrics } from "../../src/metrics/service.ts";
import { measuredSlackFetch } from "../../src/metrics/slack.ts";
import { readStateAtScrape } from "../../src/metrics/state.ts";
import { createOutboxSender, type OutboxSender } from "../../src/outbox/sender.ts";
import { createSlackApp } from "../../src/slack/app.ts";
import type { SlackDeps } from "../../src/slack/deps.ts";
import { outboxClient, SLACK_CALL_TIMEOUT_MS, slackTransport } from "../../src/slack/sender.ts";
import { ADMIN, ADMIN_2, ADMIN_APPROVER, APPROVER, APPROVER_2, STRANGER, type World } from "./world.ts";

export const SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
export const API = "http://slack.test";
export const ADMIN_CHANNEL = "CADMINS01";

/** One Web API call the app made, with its arguments decoded (views and blocks parsed). */
export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
}

export interface SlackHarness {
  /** Web API calls so far, in order. */
  calls: ApiCall[];
  /** What the app answered to each request (acks with a body: ephemeral replies, views, options). */
  responses: unknown[];
  /** Log lines the app wrote (to check that secrets never reach them). */
  logs: string[];
  /**
   * The app's Slack settings, read at each request. openFilledWithinMs is long here, so a new
   * modal opens filled however busy the machine; a test of the slow path sets it to 0.
   */
  settings: SlackSettings;
  /** Waits until `n` calls of `method` were made (the listeners go on after the ack). */
  waitFor(method: string, n?: number): Promise<ApiCall[]>;
  /** The server's base URL (http://127.0.0.1:PORT), for requests of other shapes. */
  base(): string;
  /** A plain GET to the app's server (health checks). */
  get(path: string): Promise<Response>;
  /** A signed POST to /slack/events; `body` is form-encoded. */
  post(
    body: string,
    options?: { timestamp?: number; signature?: string },
  ): Promise<{ status: number; text: string }>;
  command(user: string, text: string): Promise<{ status: number; text: string }>;
  interact(payload: Record<string, unknown>): Promise<{ status: number; text: string }>;
  event(event: Record<string, unknown>): Promise<{ status: number; text: string }>;
  /** This test's metrics, when the harness was asked for them (a new registry per test). */
  metrics: AppMetrics | null;
  /** Answers `method` with `reply(args)` as [HTTP status, body] for the rest of the test. */
  answer(method: string, reply: (args: Record<string, unknown>) => [number, unknown]): void;
}

export interface HarnessOptions {
  /** Record metrics as the app does and serve GET /metrics, with this token required (or none). */
  metrics?: { token: string | null };
  /** More for the app's listeners (user groups' roles), read when each test's app is made. */
  moreDeps?: () => Partial<SlackDeps>;
}

const DECODE_JSON = new Set(["view", "blocks"]);

/**
 * The real app behind the real HTTP receiver on a free port, with nock answering Slack's Web API
 * at API. Every call is recorded; views.open answers with a view id that later calls can use.
 * The outbox's sender runs beside it as in the app, woken by every change that owes a notice, so
 * approval messages, updates and requesters' notices arrive as they would.
 * `serverOptions` adds to the server's (providers' event endpoints, limits).
 */
export function useSlack(
  world: World,
  serverOptions: Partial<ServerOptions> = {},
  options: HarnessOptions = {},
): SlackHarness {
  const harness = {
    calls: [] as ApiCall[],
    responses: [] as unknown[],
    logs: [] as string[],
  } as SlackHarness;
  let server: Server | undefined;
  let sender: OutboxSender | undefined;
  let unsubscribe = () => {};
  let base = "";
  let views = 0;
  const answers = new Map<string, (args: Record<string, unknown>) => [number, unknown]>();

  beforeEach(async () => {
    answers.clear();
    harness.calls.length = 0;
    harness.responses.length = 0;
    harness.logs.length = 0;
    // Each test's first modal is V1.
    views = 0;
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1");
    nock(API)
      .persist()
      .post(/\/api\/.*/)
      .reply((uri, body) => {
        const method = uri.replace("/api/", "");
        const args = decode(body);
        harness.calls.push({ method, args });
        const answer = answers.get(method);
        if (answer) return answer(args);
        if (method === "views.open" || method === "views.update" || method === "views.push") {
          const id = method === "views.open" ? `V${++views}` : String(args.view_id);
          // Slack answers each view with its id and a hash of its state (views.update may send it back).
          return [200, { ok: true, view: { id, hash: `${id}.hash${views}`, ...(args.view as object) } }];
        }
        if (method === "chat.postMessage")
          return [200, { ok: true, channel: args.channel, ts: `1700000000.${++views}` }];
        return [200, { ok: true }];
      });
    const settings: SlackSettings = {
      botToken: "xoxb-test-token",
      signingSecret: SIGNING_SECRET,
      appToken: null,
      apiUrl: `${API}/api/`,
      adminChannelId: ADMIN_CHANNEL,
      openFilledWithinMs: 60_000,
    };
    harness.settings = settings;
    const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
      harness.logs.push(JSON.stringify({ level, message, ...fields }));
    };
    const log: Logger = { info: line("info"), warn: line("warn"), error: line("error") };
    // With metrics, wired as main.ts wires them: the service's results, Slack's side, the state.
    const metrics = options.metrics ? new AppMetrics() : null;
    harness.metrics = metrics;
    const service = metrics ? withMetrics(world.service, metrics) : world.service;
    if (metrics) {
      readStateAtScrape(
        metrics,
        { db: world.database.db, clock: world.clock, providers: [], digestChannel: ADMIN_CHANNEL },
        (what, error) => log.error(`metrics: could not read ${what}`, { error: String(error) }),
      );
    }
    const more = options.moreDeps?.() ?? {};
    const slack = createSlackApp(
      {
        service,
        clock: world.clock,
        settings,
        digest: digestSettingsFrom({}),
        log,
        ...(metrics ? { metrics } : {}),
        ...more,
      },
      { clientOptions: { retryConfig: { retries: 0 } } },
    );
    sender = createOutboxSender({
      db: world.database.db,
      clock: world.clock,
      log,
      owner: "harness",
      callTimeoutMs: SLACK_CALL_TIMEOUT_MS,
      transport: slackTransport({
        client: outboxClient(
          settings.botToken,
          settings.apiUrl,
          metrics ? { fetch: measuredSlackFetch(metrics, settings.apiUrl) } : {},
        ),
        service,
        clock: world.clock,
        adminChannelId: ADMIN_CHANNEL,
        // The app's own languages: the approval message in CHANNEL_LOCALE, DMs in the requester's.
        ...(more.locales ? { locales: more.locales } : {}),
      }),
    });
    const wake = sender.wake;
    unsubscribe = world.service.onNoticesWritten(() => wake());
    // A new app and server per test: its service sees this test's clock and data.
    server = await startServer({
      db: world.database.db,
      slack: slack.http && { receiver: slack.http, signingSecret: SIGNING_SECRET },
      port: 0,
      host: "127.0.0.1",
      log,
      ...(metrics && options.metrics ? { metrics: { metrics, token: options.metrics.token } } : {}),
      ...serverOptions,
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    unsubscribe();
    await sender?.stop();
    // Every test that drives the app is also an escaping test: nothing it made the app send to
    // Slack may hold markup that came from data (see injectedMarkup).
    const sent = [...harness.calls.map((c) => ({ method: c.method, ...c.args })), ...harness.responses];
    expect(injectedMarkup(sent)).toEqual([]);
    nock.cleanAll();
    await new Promise((resolve) => server?.close(resolve));
  });

  afterAll(() => {
    nock.enableNetConnect();
  });

  harness.base = () => base;
  harness.get = (path) => fetch(`${base}${path}`);
  harness.post = async (body, options = {}) => {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const signature =
      options.signature ??
      `v0=${createHmac("sha256", SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest("hex")}`;
    const response = await fetch(`${base}/slack/events`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": signature,
      },
      body,
    });
    const text = await response.text();
    if (text) harness.responses.push(parsedOrText(text));
    return { status: response.status, text };
  };
  harness.command = (user, text) =>
    harness.post(
      new URLSearchParams({
        command: "/restore-user",
        text,
        user_id: user,
        user_name: user.toLowerCase(),
        team_id: "T0TEAM",
        channel_id: "C0GENERAL",
        trigger_id: `trigger.${Math.random()}`,
        response_url: `${API}/commands/response`,
        token: "legacy",
      }).toString(),
    );
  harness.interact = (payload) =>
    harness.post(
      new URLSearchParams({ payload: JSON.stringify({ team: { id: "T0TEAM" }, ...payload }) }).toString(),
    );
  harness.event = async (event) => {
    const body = JSON.stringify({
      type: "event_callback",
      team_id: "T0TEAM",
      event_id: `Ev${Math.random()}`,
      event,
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac("sha256", SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest("hex")}`;
    const response = await fetch(`${base}/slack/events`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": signature,
      },
      body,
    });
    return { status: response.status, text: await response.text() };
  };
  harness.answer = (method, reply) => {
    answers.set(method, reply);
  };
  harness.waitFor = async (method, n = 1) => {
    // Generous: it returns as soon as the calls are there, and a loaded machine can be slow.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = harness.calls.filter((c) => c.method === method);
      if (found.length >= n) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `expected ${n} ${method} call(s), got ${found.length}: ${harness.calls.map((c) => c.method).join(", ")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return harness;
}

function decode(body: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> =
    typeof body === "string" ? Object.fromEntries(new URLSearchParams(body)) : { ...(body as object) };
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (DECODE_JSON.has(key) && typeof value === "string") fields[key] = JSON.parse(value);
  }
  return fields;
}

function parsedOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { text };
  }
}

/** The people of the test world: the only users the app itself mentions. */
const KNOWN_USERS = new Set([ADMIN, ADMIN_2, ADMIN_APPROVER, APPROVER, APPROVER_2, STRANGER]);

/**
 * Slack markup in what the app sent that the app did not put there: a `<…>` in mrkdwn (a message's
 * `text`, a mrkdwn text object) other than a mention of a known user, a channel, or a date. A name
 * like `<!channel>` or `<https://evil.example|Sign in>` from a directory must arrive escaped
 * (`&lt;!channel&gt;`). plain_text is shown as typed, so it is not walked.
 */
export function injectedMarkup(sent: unknown[]): string[] {
  const problems: string[] = [];
  const check = (text: string, where: string) => {
    for (const [tag] of text.matchAll(/<[^>]*>?/g)) {
      const user = /^<@([A-Z0-9]+)>$/.exec(tag);
      if (user && KNOWN_USERS.has(user[1] as string)) continue;
      if (/^<#[CG][A-Z0-9]+>$/.test(tag) || /^<!date\^\d+\^[^|>]*\|[^<>]*>$/.test(tag)) continue;
      problems.push(`${where}: ${tag}`);
    }
  };
  const walk = (value: unknown, where: string, messageText: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item, where, false);
      return;
    }
    if (typeof value !== "object" || value === null) return;
    const o = value as Record<string, unknown>;
    if (o.type === "mrkdwn" && typeof o.text === "string") check(o.text, where);
    else if (messageText && typeof o.text === "string") check(o.text, where);
    for (const [key, child] of Object.entries(o))
      if (key !== "text" || typeof child !== "string") walk(child, where, false);
  };
  for (const body of sent) {
    const method = (body as { method?: unknown }).method;
    // A message's top-level text is mrkdwn; so is an ack's (an ephemeral reply to a command).
    walk(
      body,
      typeof method === "string" ? method : "an ack",
      method === undefined || String(method).startsWith("chat."),
    );
  }
  return problems;
}
