import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/providers/port.ts";
import { CachedToken, loggablePath, ProviderHttp } from "../../src/providers/provider-http.ts";
import { quietDeps } from "./support.ts";

const BASE = "https://provider.test/api";

function client(over: Partial<ConstructorParameters<typeof ProviderHttp>[0]> = {}) {
  const { deps, waits, warnings } = quietDeps();
  const http = new ProviderHttp({
    provider: "Test IdP",
    baseUrl: BASE,
    authHeaders: async () => ({ authorization: "Bearer secret-token" }),
    errorOf: (a) =>
      new ProviderError("Test IdP", String((a.body as { code?: string })?.code ?? a.status), "refused", {
        status: a.status,
      }),
    deps,
    ...over,
  });
  return { http, waits, warnings };
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe("provider HTTP client", () => {
  it("sends the auth header and parses JSON", async () => {
    nock("https://provider.test", { reqheaders: { authorization: "Bearer secret-token" } })
      .get("/api/users")
      .query({ page: "2" })
      .reply(200, { users: [1, 2] });
    const { http } = client();
    const answer = await http.get<{ users: number[] }>("/users", { query: { page: 2 } });
    expect(answer.body.users).toEqual([1, 2]);
  });

  it("waits out a 429's Retry-After, then succeeds", async () => {
    nock("https://provider.test").get("/api/users").reply(429, {}, { "retry-after": "7" });
    nock("https://provider.test").get("/api/users").reply(200, { ok: true });
    const { http, waits, warnings } = client();
    expect((await http.get("/users")).body).toEqual({ ok: true });
    expect(waits).toEqual([7000]);
    expect(JSON.stringify(warnings)).not.toContain("secret-token");
  });

  it("retries a 503 with growing backoff and gives up within the bound, saying so", async () => {
    nock("https://provider.test").get("/api/users").times(4).reply(503, { code: "ServiceUnavailable" });
    const { http, waits } = client();
    const error = await http.get("/users").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toMatch(
      /Test IdP: .*gave up after 4 tries.*\(ServiceUnavailable\)/,
    );
    expect((error as ProviderError).transient).toBe(true);
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it("does not wait longer than the bound: a Retry-After of an hour fails at once", async () => {
    nock("https://provider.test").get("/api/users").reply(429, {}, { "retry-after": "3600" });
    const { http, waits } = client();
    const error = await http.get("/users").catch((e: unknown) => e);
    expect((error as ProviderError).nextStep).toBe(
      "Test IdP asked for a pause of 60 minute(s): try again after it.",
    );
    expect(waits).toEqual([]);
  });

  it("fetches a new token once on a 401 and does not retry a second 401", async () => {
    let fetched = 0;
    const token = new CachedToken(
      async () => ({ token: `t${++fetched}`, expiresInSeconds: 3600 }),
      () => new Date(),
    );
    const { http } = client({
      authHeaders: async () => ({ authorization: `Bearer ${await token.get()}` }),
      onUnauthorized: () => token.invalidate(),
    });
    nock("https://provider.test", { reqheaders: { authorization: "Bearer t1" } })
      .get("/api/me")
      .reply(401, {});
    nock("https://provider.test", { reqheaders: { authorization: "Bearer t2" } })
      .get("/api/me")
      .reply(200, { me: 1 });
    expect((await http.get("/me")).body).toEqual({ me: 1 });
    nock("https://provider.test").get("/api/me").times(2).reply(401, { code: "InvalidAuthenticationToken" });
    await expect(http.get("/me")).rejects.toThrow(/InvalidAuthenticationToken/);
    expect(fetched).toBe(3);
  });

  it("names the provider when it cannot be reached", async () => {
    nock("https://provider.test").get("/api/users").times(4).replyWithError({ code: "ECONNREFUSED" });
    const { http } = client();
    await expect(http.get("/users")).rejects.toThrow(
      /^Test IdP: could not be reached \(ECONNREFUSED\).*\(unreachable\)$/,
    );
  });

  it("a client error is not retried", async () => {
    nock("https://provider.test").post("/api/users", { a: 1 }).reply(400, { code: "BadRequest" });
    const { http, waits } = client();
    await expect(http.post("/users", { json: { a: 1 } })).rejects.toThrow("Test IdP: refused (BadRequest)");
    expect(waits).toEqual([]);
  });
});

describe("cached token", () => {
  it("fetches once for concurrent callers and again shortly before it expires", async () => {
    let now = new Date("2026-11-24T10:00:00Z");
    let fetched = 0;
    const token = new CachedToken(
      async () => ({ token: `t${++fetched}`, expiresInSeconds: 3600 }),
      () => now,
    );
    expect(await Promise.all([token.get(), token.get()])).toEqual(["t1", "t1"]);
    now = new Date("2026-11-24T10:58:00Z");
    expect(await token.get()).toBe("t1");
    now = new Date("2026-11-24T10:59:30Z");
    expect(await token.get()).toBe("t2");
  });
});

describe("the retry log line", () => {
  it("never carries a user name that sits in the path", () => {
    expect(loggablePath("/api/v1/users/ada.lovelace%40example.com")).toBe("/api/v1/users/{user}");
    expect(loggablePath("/admin/directory/v1/users/ada@example.com/undelete")).toBe(
      "/admin/directory/v1/users/{user}/undelete",
    );
    expect(loggablePath("/v1.0/users/2ef6b2e4-6ab0-4a6b-8bcd-9a1c2d3e4f50")).toBe(
      "/v1.0/users/2ef6b2e4-6ab0-4a6b-8bcd-9a1c2d3e4f50",
    );
  });
});
