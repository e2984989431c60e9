/**
 * The HTTP front door on the real server: every request shape that once ended the process is
 * answered, and the process (its /healthz) is still there after each. Raw node:http requests, so
 * that HEAD, `OPTIONS *` and exact bodies can be sent.
 */
import { createHmac } from "node:crypto";
import { type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts } from "../src/db/schema.ts";
import { startServer } from "../src/http.ts";
import { type Logger, silentLog } from "../src/log.ts";
import { ensureProviderDirectory } from "../src/mirror/sync.ts";
import { larkModule } from "../src/providers/lark.ts";
import { quietDeps } from "./directory/support.ts";
import * as lark from "./fixtures/lark.ts";
import { SIGNING_SECRET, useSlack } from "./support/slack.ts";
import { ADMIN, useWorld } from "./support/world.ts";

const VERIFICATION_TOKEN = "v-verification-token-0001";
const connector = larkModule.create(
  larkModule.settings.parse({
    LARK_APP_ID: lark.APP_ID,
    LARK_APP_SECRET: lark.APP_SECRET,
    LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
  }),
  quietDeps().deps,
);
const world = useWorld();
const slack = useSlack(world, { connectors: [connector] });

/** In every request's headers and, where it fits, its body: it must never reach a log line. */
const MARKER = "MARKER-3f9c2a";
const FORM = "application/x-www-form-urlencoded";
const YEAR_S = 365 * 24 * 60 * 60;
const OPEN_ID = "ou_7dab8a3d3cdcc9da365777c7ad535d62";

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a connection of its own. */
function send(
  base: string,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, method, path, agent: false, headers: { "x-marker": MARKER, ...init.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

/** Slack's signature headers for `body`, `skew` seconds away from now. */
function signed(body: string, contentType: string | null, skew = 0): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000) + skew;
  const signature = createHmac("sha256", SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest("hex");
  return {
    ...(contentType ? { "content-type": contentType } : {}),
    "x-slack-request-timestamp": String(timestamp),
    "x-slack-signature": `v0=${signature}`,
  };
}

interface Row {
  name: string;
  method: string;
  path: string;
  body?: string | Buffer;
  /** Signed with this content type (null: none), `skew` seconds from now. */
  sign?: { type: string | null; skew?: number };
  headers?: Record<string, string>;
  status: number;
  allow?: string;
  /** The answer's body, where it says something. */
  answer?: string;
}

const command = new URLSearchParams({
  command: "/restore-user",
  text: "help",
  user_id: ADMIN,
  trigger_id: "t.1",
}).toString();
const larkEvent = (over: Parameters<typeof lark.deletedEvent>[0] = {}) =>
  JSON.stringify(lark.deletedEvent({ createTime: String(Date.now() - 60 * 60 * 1000), ...over }));
const twoMegabytes = Buffer.alloc(2 * 1024 * 1024, "a");

const rows: Row[] = [
  // Paths and methods that were handed to Bolt and ended the process.
  { name: "an unknown path", method: "GET", path: "/favicon.ico", status: 404 },
  { name: "GET on Slack's endpoint", method: "GET", path: "/slack/events", status: 405, allow: "POST" },
  { name: "HEAD on /healthz", method: "HEAD", path: "/healthz", status: 200 },
  { name: "a query on /healthz", method: "GET", path: "/healthz?x=1", status: 200 },
  { name: "a trailing slash on /readyz", method: "GET", path: "/readyz/", status: 200 },
  {
    name: "POST on /healthz",
    method: "POST",
    path: "/healthz",
    body: MARKER,
    status: 405,
    allow: "GET, HEAD",
  },
  { name: "OPTIONS *", method: "OPTIONS", path: "*", status: 404 },
  {
    name: "GET on Lark's endpoint",
    method: "GET",
    path: "/directories/lark/events",
    status: 405,
    allow: "POST",
  },
  {
    name: "GET with a query on Lark's endpoint",
    method: "GET",
    path: "/directories/lark/events?x=1",
    status: 405,
  },
  {
    name: "POST with a query on Lark's endpoint",
    method: "POST",
    path: "/directories/lark/events?x=1",
    body: JSON.stringify(lark.urlVerification()),
    headers: { "content-type": "application/json" },
    status: 200,
  },
  { name: "a provider that pushes nothing", method: "POST", path: "/directories/okta/events", status: 404 },
  { name: "a path that is not one", method: "GET", path: "//healthz", status: 404 },
  // Signed bodies Bolt cannot read.
  {
    name: "payload=null",
    method: "POST",
    path: "/slack/events",
    body: "payload=null",
    sign: { type: FORM },
    status: 400,
  },
  {
    name: "payload=[1]",
    method: "POST",
    path: "/slack/events",
    body: "payload=%5B1%5D",
    sign: { type: FORM },
    status: 400,
  },
  {
    name: "payload=5",
    method: "POST",
    path: "/slack/events",
    body: "payload=5",
    sign: { type: FORM },
    status: 400,
  },
  {
    name: "a payload that is not JSON",
    method: "POST",
    path: "/slack/events",
    body: `payload=${MARKER}`,
    sign: { type: FORM },
    status: 400,
  },
  {
    name: "a form that is neither a command nor a payload",
    method: "POST",
    path: "/slack/events",
    body: `note=${MARKER}`,
    sign: { type: FORM },
    status: 400,
  },
  {
    name: "a JSON null",
    method: "POST",
    path: "/slack/events",
    body: "null",
    sign: { type: "application/json" },
    status: 400,
  },
  {
    name: "a JSON array",
    method: "POST",
    path: "/slack/events",
    body: "[]",
    sign: { type: "application/json" },
    status: 400,
  },
  {
    name: "invalid JSON",
    method: "POST",
    path: "/slack/events",
    body: `{"${MARKER}"`,
    sign: { type: "application/json" },
    status: 400,
  },
  {
    name: "a plain-text body",
    method: "POST",
    path: "/slack/events",
    body: MARKER,
    sign: { type: "text/plain" },
    status: 400,
  },
  {
    name: "no content type",
    method: "POST",
    path: "/slack/events",
    body: command,
    sign: { type: null },
    status: 400,
  },
  // Signatures and the timestamp window, both ways.
  {
    name: "no signature headers",
    method: "POST",
    path: "/slack/events",
    body: command,
    headers: { "content-type": FORM },
    status: 401,
  },
  {
    name: "a wrong signature",
    method: "POST",
    path: "/slack/events",
    body: command,
    headers: { ...signed("other", FORM), "x-slack-signature": `v0=${"0".repeat(64)}` },
    status: 401,
  },
  {
    name: "a timestamp 10 minutes old",
    method: "POST",
    path: "/slack/events",
    body: command,
    sign: { type: FORM, skew: -600 },
    status: 401,
  },
  {
    name: "a timestamp 10 minutes ahead",
    method: "POST",
    path: "/slack/events",
    body: command,
    sign: { type: FORM, skew: 600 },
    status: 401,
  },
  {
    name: "a timestamp a year ahead",
    method: "POST",
    path: "/slack/events",
    body: command,
    sign: { type: FORM, skew: YEAR_S },
    status: 401,
  },
  // Bodies over 1 MB, on every POST route.
  {
    name: "2 MB to Slack's endpoint",
    method: "POST",
    path: "/slack/events",
    body: twoMegabytes,
    sign: { type: FORM },
    status: 413,
  },
  {
    name: "2 MB to Lark's endpoint",
    method: "POST",
    path: "/directories/lark/events",
    body: twoMegabytes,
    headers: { "content-type": "application/json" },
    status: 413,
  },
  // What Slack sends still works.
  {
    name: "a signed command",
    method: "POST",
    path: "/slack/events",
    body: command,
    sign: { type: FORM },
    status: 200,
  },
  {
    name: "a command with a charset in its content type",
    method: "POST",
    path: "/slack/events",
    body: command,
    sign: { type: `${FORM}; charset=utf-8` },
    status: 200,
  },
  {
    name: "Slack's SSL check (unsigned)",
    method: "POST",
    path: "/slack/events",
    body: "ssl_check=1&token=x",
    headers: { "content-type": FORM },
    status: 200,
    answer: "",
  },
  {
    name: "Slack's URL check",
    method: "POST",
    path: "/slack/events",
    body: JSON.stringify({ type: "url_verification", token: "x", challenge: "c-123" }),
    sign: { type: "application/json" },
    status: 200,
    answer: '{"challenge":"c-123"}',
  },
];

/** Signed, well-formed objects with Slack's types but not Slack's shapes: Bolt must not trip on them. */
const payload = (value: unknown) => `payload=${encodeURIComponent(JSON.stringify(value))}`;
const oddShapes: { name: string; body: string; type: string; status?: number }[] = [
  {
    name: "an event callback without an event",
    body: JSON.stringify({ type: "event_callback" }),
    type: "application/json",
  },
  {
    name: "an event that is null",
    body: JSON.stringify({ type: "event_callback", event: null, team_id: "T1" }),
    type: "application/json",
  },
  {
    name: "an event with no user",
    body: JSON.stringify({ type: "event_callback", event: { type: "app_home_opened", tab: "home" } }),
    type: "application/json",
    status: 200,
  },
  { name: "an empty object", body: "{}", type: "application/json" },
  { name: "block actions with no user", body: payload({ type: "block_actions" }), type: FORM },
  {
    name: "block actions with null actions",
    body: payload({ type: "block_actions", user: { id: ADMIN }, actions: null }),
    type: FORM,
  },
  {
    name: "an action with no value",
    body: payload({
      type: "block_actions",
      user: { id: ADMIN },
      actions: [{ action_id: "approve_request" }],
    }),
    type: FORM,
    status: 200,
  },
  {
    name: "a submission with a null view",
    body: payload({ type: "view_submission", user: { id: ADMIN }, view: null }),
    type: FORM,
  },
  {
    name: "a submission with no state",
    body: payload({
      type: "view_submission",
      user: { id: ADMIN },
      view: { callback_id: "restore_plan", id: "V1" },
    }),
    type: FORM,
  },
  {
    name: "a suggestion with no value",
    body: payload({ type: "block_suggestion", user: { id: ADMIN }, action_id: "account_lookup" }),
    type: FORM,
  },
  { name: "an unknown type", body: payload({ type: "shortcut", user: { id: ADMIN } }), type: FORM },
  {
    name: "a command with no user",
    body: new URLSearchParams({ command: "/restore-user", text: "help" }).toString(),
    type: FORM,
  },
  {
    name: "a command with no text",
    body: new URLSearchParams({ command: "/restore-user", user_id: ADMIN }).toString(),
    type: FORM,
  },
  {
    name: "another command",
    body: new URLSearchParams({ command: "/other", text: "x", user_id: ADMIN }).toString(),
    type: FORM,
  },
];

describe("signed bodies of odd shapes", () => {
  it.each(oddShapes)("$name: answered, and the app goes on", async ({ body, type, status = 400 }) => {
    const answer = await send(slack.base(), "POST", "/slack/events", { headers: signed(body, type), body });
    expect(answer.status).toBe(status);
    if (status === 400) expect(answer.body).toMatch(/bad request/);
    expect((await send(slack.base(), "GET", "/healthz")).status).toBe(200);
  });
});

describe("the front door answers every request and survives it", () => {
  it.each(rows)("$name → $status", async (row) => {
    const body = typeof row.body === "string" ? row.body : (row.body?.toString() ?? "");
    const headers = { ...row.headers, ...(row.sign ? signed(body, row.sign.type, row.sign.skew) : {}) };
    const answer = await send(slack.base(), row.method, row.path, { headers, body: row.body });
    expect(answer.status).toBe(row.status);
    if (row.allow) expect(answer.headers.allow).toBe(row.allow);
    if (row.answer !== undefined) expect(answer.body).toBe(row.answer);
    if (row.method === "HEAD") expect(answer.body).toBe("");
    if (answer.status === 404 || answer.status === 405 || answer.status === 413) {
      expect(answer.headers["content-type"]).toBe("application/json");
    }
    expect((await send(slack.base(), "GET", "/healthz")).status).toBe(200);
    expect(slack.logs.join("\n")).not.toContain(MARKER);
  });

  it("answers a 40 KB slash command and goes on serving", async () => {
    const answer = await slack.command(ADMIN, `${"lookup ".repeat(40_000 / 7)}${MARKER}`);
    expect(answer.status).toBe(200);
    expect((await slack.get("/healthz")).status).toBe(200);
    await slack.waitFor("views.open");
    expect(slack.logs.join("\n")).not.toContain(MARKER);
  });

  it("logs one line for an unknown path: method, path without its query, status", async () => {
    await send(slack.base(), "GET", `/nope?token=${MARKER}`);
    const lines = slack.logs.map((l) => JSON.parse(l)).filter((l) => l.message === "request");
    expect(lines).toEqual([
      expect.objectContaining({
        level: "warn",
        method: "GET",
        path: "/nope",
        status: 404,
        ms: expect.any(Number),
      }),
    ]);
    expect(slack.logs.join("\n")).not.toContain(MARKER);
  });

  it("keeps successful health checks out of the log", async () => {
    await send(slack.base(), "GET", "/healthz");
    await send(slack.base(), "GET", "/readyz");
    expect(slack.logs.filter((l) => l.includes('"message":"request"'))).toEqual([]);
  });

  it("logs why a signed request was refused, and nothing of it", async () => {
    await send(slack.base(), "POST", "/slack/events", {
      body: "payload=null",
      headers: signed("payload=null", FORM),
    });
    const line = slack.logs.map((l) => JSON.parse(l)).find((l) => l.message === "request");
    expect(line).toMatchObject({
      method: "POST",
      path: "/slack/events",
      status: 400,
      reason: "payload is not a JSON object",
    });
  });
});

describe("Lark's events through the front door", () => {
  const post = (body: string) =>
    send(slack.base(), "POST", "/directories/lark/events", {
      body,
      headers: { "content-type": "application/json" },
    });
  const mirrored = async () =>
    world.database.db
      .select()
      .from(accounts)
      .where(and(eq(accounts.directoryId, "lark"), eq(accounts.externalId, OPEN_ID)));

  it("refuses a verification token sent as an array", async () => {
    await ensureProviderDirectory(world.database.db, connector);
    expect((await post(larkEvent({ token: [VERIFICATION_TOKEN] }))).status).toBe(401);
    expect(await mirrored()).toEqual([]);
  });

  it.each([
    ["1970", "1000"],
    ["2100", String(Date.UTC(2100, 0, 1))],
    ["beyond any date", "1e20"],
  ])("refuses a deletion time in %s, storing nothing", async (_, createTime) => {
    await ensureProviderDirectory(world.database.db, connector);
    expect((await post(larkEvent({ createTime }))).status).toBe(400);
    expect(await mirrored()).toEqual([]);
    const line = slack.logs.map((l) => JSON.parse(l)).find((l) => l.message === "request");
    expect(line?.reason).toMatch(/^Lark: deletion time/);
  });

  it("stores a 900 KB display name cut to Lark's 255 characters", async () => {
    await ensureProviderDirectory(world.database.db, connector);
    const name = "Zhang San ".repeat(90_000);
    expect((await post(larkEvent({ object: { open_id: OPEN_ID, name } }))).status).toBe(200);
    const [row] = await mirrored();
    expect(row?.displayName).toBe(name.slice(0, 255).trim());
    expect(JSON.stringify(row?.snapshot).length).toBeLessThan(2000);
  });

  it("stores a deletion of an hour ago as it is", async () => {
    await ensureProviderDirectory(world.database.db, connector);
    const at = Date.now() - 60 * 60 * 1000;
    expect((await post(larkEvent({ createTime: String(at) }))).status).toBe(200);
    const [row] = await mirrored();
    expect(row).toMatchObject({ status: "deleted", displayName: "Zhang San" });
    expect(row?.deletedAt?.getTime()).toBe(at);
  });
});

describe("the server's own limits", () => {
  it("listens on the configured address", async () => {
    const server = await startServer({
      db: world.database.db,
      slack: null,
      port: 0,
      host: "127.0.0.1",
      log: silentLog,
    });
    try {
      expect((server.address() as AddressInfo).address).toBe("127.0.0.1");
    } finally {
      await close(server);
    }
  });

  it("closes a connection whose headers never finish, and goes on serving", { timeout: 20_000 }, async () => {
    const lines: string[] = [];
    const log: Logger = {
      info: () => {},
      warn: (m, f) => lines.push(JSON.stringify({ m, ...f })),
      error: () => {},
    };
    const server = await startServer({
      db: world.database.db,
      slack: null,
      port: 0,
      host: "127.0.0.1",
      log,
      limits: { headersTimeoutMs: 200, requestTimeoutMs: 1000 },
    });
    try {
      const { port } = server.address() as AddressInfo;
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => {});
      socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Marker: ${MARKER}\r\n`);
      let answered = "";
      socket.on("data", (chunk: Buffer) => {
        answered += chunk.toString();
      });
      const started = Date.now();
      await new Promise((resolve) => socket.on("close", resolve));
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      expect(answered).toMatch(/^HTTP\/1\.1 408 /);
      expect(lines.join("\n")).toMatch(/"status":408/);
      expect(lines.join("\n")).not.toContain(MARKER);
      expect((await send(`http://127.0.0.1:${port}`, "GET", "/healthz")).status).toBe(200);
    } finally {
      await close(server);
    }
  });
});

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
