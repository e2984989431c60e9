import { createVerify, generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { storedEnglish } from "../../src/i18n/stored.ts";
import { GOOGLE_ORGUNIT_SCOPE, GOOGLE_SCOPE, googleModule } from "../../src/providers/google.ts";
import { type DeletedProviderUser, ProviderError, type RestoreInput } from "../../src/providers/port.ts";
import {
  ALICE_ID,
  activeAlicia,
  BOB_ID,
  CAROL_ID,
  deletedAlice,
  deletedBob,
  deletedCarol,
  emptyUsersPage,
  errors,
  orgUnitsAll,
  orgUnitsNone,
  restoredAlice,
  tokenAnswer,
  tokenErrors,
  usersPage,
} from "../fixtures/google.ts";
import { quietDeps } from "./support.ts";

// A key made for this run only: no key is ever committed.
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PEM = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
/** As a one-line .env file holds it. */
const PEM_ESCAPED = PEM.replace(/\n/g, "\\n");
const PEM_BODY = PEM.split("\n")[1] ?? "";

const API = "https://admin.googleapis.com";
const USERS = "/admin/directory/v1/users";
const ORG_UNITS = "/admin/directory/v1/customer/my_customer/orgunits";
const TOKEN_HOST = "https://oauth2.googleapis.com";
const SA = "restore-user@acme-it.iam.gserviceaccount.com";
const ADMIN = "it-admin@example.com";
const NOW = new Date("2026-11-24T10:00:00Z");

const ENV = {
  GOOGLE_SERVICE_ACCOUNT_EMAIL: SA,
  GOOGLE_PRIVATE_KEY: PEM_ESCAPED,
  GOOGLE_ADMIN_EMAIL: ADMIN,
};

function build(env: Record<string, string> = {}) {
  const quiet = quietDeps(() => NOW);
  const connector = googleModule.create(googleModule.settings.parse({ ...ENV, ...env }), quiet.deps);
  return { connector, ...quiet };
}

/** The token endpoint, answering `token`; records the assertions it receives. */
function tokenEndpoint(token: string, assertions: string[] = [], host = TOKEN_HOST, path = "/token") {
  return nock(host)
    .post(path, (body: Record<string, string>) => {
      if (body.grant_type !== "urn:ietf:params:oauth:grant-type:jwt-bearer") return false;
      assertions.push(body.assertion ?? "");
      return true;
    })
    .reply(200, tokenAnswer(token));
}

/** The token endpoint, answering `answer` only to an assertion asking for `scope`. */
function tokenForScope(scope: string, status: number, answer: object) {
  return nock(TOKEN_HOST)
    .post("/token", (body: Record<string, string>) => decodeJwt(body.assertion ?? "").claims.scope === scope)
    .reply(status, answer);
}

const api = (token = "ya29.access-1") => nock(API, { reqheaders: { authorization: `Bearer ${token}` } });

const listQuery = (pageToken?: string) => ({
  customer: "my_customer",
  showDeleted: "true",
  maxResults: "500",
  ...(pageToken ? { pageToken } : {}),
});

function snapshotOf(user: typeof deletedAlice | typeof deletedBob) {
  return {
    externalId: user.id,
    userName: user.primaryEmail,
    email: user.primaryEmail,
    aliases: [],
    phone: null,
    displayName: "x",
    givenName: null,
    familyName: null,
    department: user.orgUnitPath,
    license: null,
  };
}

function restoreInput(over: Partial<RestoreInput> = {}): RestoreInput {
  return {
    externalId: ALICE_ID,
    user: { ...snapshotOf(deletedAlice), aliases: ["a.martin@example.com"] },
    newUserName: null,
    dropAliases: [],
    dropEmail: false,
    newEmail: null,
    dropPhone: false,
    department: null,
    license: null,
    temporaryPassword: null,
    ...over,
  };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

function decodeJwt(jwt: string) {
  const [header, claims, signature] = jwt.split(".");
  return {
    header: JSON.parse(Buffer.from(header ?? "", "base64url").toString()),
    claims: JSON.parse(Buffer.from(claims ?? "", "base64url").toString()),
    verified: createVerify("RSA-SHA256")
      .update(`${header}.${claims}`)
      .verify(publicKey, signature ?? "", "base64url"),
  };
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe("Google Workspace settings", () => {
  it("reads the service account, the escaped key and the admin, with Google's public URLs by default", () => {
    const settings = googleModule.settings.parse(ENV);
    expect(settings).toMatchObject({
      serviceAccountEmail: SA,
      adminEmail: ADMIN,
      customerId: "my_customer",
      apiUrl: "https://admin.googleapis.com",
      tokenUrl: "https://oauth2.googleapis.com/token",
    });
    expect(settings.privateKey.asymmetricKeyType).toBe("rsa");
    // A dump of the settings never shows the key.
    expect(JSON.stringify(settings)).not.toContain(PEM_BODY.slice(0, 20));
    expect(googleModule.required).toEqual([
      "GOOGLE_SERVICE_ACCOUNT_EMAIL",
      "GOOGLE_PRIVATE_KEY",
      "GOOGLE_ADMIN_EMAIL",
    ]);
    expect(googleModule.optional).toEqual(["GOOGLE_CUSTOMER_ID", "GOOGLE_API_URL", "GOOGLE_TOKEN_URL"]);
  });

  it("accepts a key with real newlines and treats empty optional variables as unset", () => {
    const settings = googleModule.settings.parse({
      ...ENV,
      GOOGLE_PRIVATE_KEY: PEM,
      GOOGLE_CUSTOMER_ID: "",
      GOOGLE_API_URL: "",
    });
    expect(settings.customerId).toBe("my_customer");
    expect(settings.apiUrl).toBe("https://admin.googleapis.com");
  });

  it("names each missing required variable", () => {
    const result = googleModule.settings.safeParse({ GOOGLE_SERVICE_ACCOUNT_EMAIL: SA });
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    expect(issues).toEqual([
      expect.stringMatching(/^GOOGLE_PRIVATE_KEY: is required/),
      expect.stringMatching(/^GOOGLE_ADMIN_EMAIL: is required/),
    ]);
  });

  it("refuses a broken key without ever echoing it, and a bad customer ID or URL", () => {
    const broken = PEM_ESCAPED.replace(PEM_BODY.slice(0, 40), "not-a-key");
    const result = googleModule.settings.safeParse({
      ...ENV,
      GOOGLE_PRIVATE_KEY: broken,
      GOOGLE_CUSTOMER_ID: "example.com",
      GOOGLE_TOKEN_URL: "ftp://oauth2.example",
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join(".")) ?? [];
    expect(paths).toEqual(["GOOGLE_PRIVATE_KEY", "GOOGLE_CUSTOMER_ID", "GOOGLE_TOKEN_URL"]);
    expect(JSON.stringify(result.error)).not.toContain(PEM_BODY.slice(40, 70));
    expect(result.error?.issues[0]?.message).toMatch(/PEM/);
  });

  it("uses overridden API and token URLs, the JWT audience following the token URL", async () => {
    const assertions: string[] = [];
    tokenEndpoint("ya29.proxy", assertions, "http://google.test:8080", "/oauth/token");
    nock("http://google.test:8080", { reqheaders: { authorization: "Bearer ya29.proxy" } })
      .get("/proxy/admin/directory/v1/users")
      .query({ ...listQuery(), customer: "C03az79cb" })
      .reply(200, emptyUsersPage);
    const { connector } = build({
      GOOGLE_API_URL: "http://google.test:8080/proxy/",
      GOOGLE_TOKEN_URL: "http://google.test:8080/oauth/token",
      GOOGLE_CUSTOMER_ID: "C03az79cb",
    });
    const pages: unknown[] = [];
    for await (const page of connector.listDeleted()) pages.push(page);
    expect(pages).toEqual([]);
    expect(decodeJwt(assertions[0] ?? "").claims.aud).toBe("http://google.test:8080/oauth/token");
  });
});

describe("Google Workspace profile", () => {
  it("restores one user at a time for 20 days, resolving no conflict itself", () => {
    const { connector } = build();
    expect(connector.kind).toBe("google");
    expect(connector.name).toBe("Google Workspace");
    expect(connector.profile.retentionDays).toBe(20);
    expect(connector.profile.capabilities).toEqual({
      canRestore: true,
      batchRestore: false,
      hasDeletingState: false,
      setsPassword: false,
      resolves: [],
      unique: ["email", "alias"],
      listsWholeBin: true,
      note: null,
    });
    expect(connector.profile.followUp.map(storedEnglish).join(" ")).toMatch(/suspended/);
    expect(connector.profile.followUp.map(storedEnglish).join(" ")).toMatch(/licence/);
  });
});

describe("Google Workspace auth", () => {
  it("signs an RS256 JWT as the service account acting for the admin, and reuses the token", async () => {
    const assertions: string[] = [];
    tokenEndpoint("ya29.access-1", assertions);
    api().get(USERS).query(listQuery()).reply(200, emptyUsersPage);
    api().get(`${USERS}/nobody%40example.com`).reply(404, errors.notFound);
    const { connector } = build();
    for await (const _ of connector.listDeleted()) {
      // empty bin
    }
    expect(
      await connector.findActive({ userNames: ["nobody@example.com"], addresses: [], phones: [] }),
    ).toEqual([]);
    expect(assertions).toHaveLength(1);
    const jwt = decodeJwt(assertions[0] ?? "");
    expect(jwt.verified).toBe(true);
    expect(jwt.header).toEqual({ alg: "RS256", typ: "JWT" });
    const iat = NOW.getTime() / 1000;
    expect(jwt.claims).toEqual({
      iss: SA,
      sub: ADMIN,
      scope: GOOGLE_SCOPE,
      aud: "https://oauth2.googleapis.com/token",
      iat,
      exp: iat + 3600,
    });
  });

  it("fetches a new token once when Google says the token expired (401), then succeeds", async () => {
    tokenEndpoint("ya29.access-1");
    tokenEndpoint("ya29.access-2");
    api("ya29.access-1").get(USERS).query(listQuery()).reply(401, errors.authError);
    api("ya29.access-2")
      .get(USERS)
      .query(listQuery())
      .reply(200, usersPage([deletedBob]));
    const { connector } = build();
    const pages: string[][] = [];
    for await (const page of connector.listDeleted()) pages.push(page.map((u) => u.userName));
    expect(pages).toEqual([["bob@example.com"]]);
  });

  it("says plainly that domain-wide delegation is missing, without retrying or leaking the assertion", async () => {
    const assertions: string[] = [];
    nock(TOKEN_HOST)
      .post("/token", (body: Record<string, string>) => {
        assertions.push(body.assertion ?? "");
        return true;
      })
      .reply(401, tokenErrors.unauthorizedClient);
    const { connector, waits, warnings } = build();
    const error = await failure(
      connector.findActive({ userNames: ["x@example.com"], addresses: [], phones: [] }),
    );
    expect(error.message).toMatch(
      /^Google Workspace: refused a token .*domain-wide delegation.*\(unauthorized_client\)$/,
    );
    expect(error.message).toContain(GOOGLE_SCOPE);
    expect(error.transient).toBe(false);
    expect(waits).toEqual([]);
    const seen = JSON.stringify({ message: error.message, details: error.details, warnings });
    expect(seen).not.toContain(assertions[0]?.split(".")[2] ?? "no-assertion");
    expect(seen).not.toContain(PEM_BODY.slice(0, 30));
  });

  it("explains a refused grant (bad key, admin or clock)", async () => {
    nock(TOKEN_HOST).post("/token").reply(400, tokenErrors.invalidGrant);
    const { connector } = build();
    const error = await failure(connector.removeActive(BOB_ID));
    expect(error.code).toBe("invalid_grant");
    expect(error.message).toMatch(/Invalid JWT Signature.*GOOGLE_ADMIN_EMAIL.*clock/);
  });
});

describe("Google Workspace deleted users", () => {
  it("follows nextPageToken to the end, yielding each page before asking for the next", async () => {
    tokenEndpoint("ya29.access-1");
    const first = api()
      .get(USERS)
      .query(listQuery())
      .reply(200, usersPage([deletedAlice], "page-2"));
    const second = api()
      .get(USERS)
      .query(listQuery("page-2"))
      .reply(200, usersPage([deletedBob], "page-3"));
    const third = api()
      .get(USERS)
      .query(listQuery("page-3"))
      .reply(200, usersPage([deletedCarol]));
    const { connector } = build();
    const pages = connector.listDeleted()[Symbol.asyncIterator]();

    const ids = (r: IteratorResult<DeletedProviderUser[]>) =>
      r.done ? null : r.value.map((u) => u.externalId);

    expect(ids(await pages.next())).toEqual([ALICE_ID]);
    expect(first.isDone()).toBe(true);
    expect(second.isDone()).toBe(false);

    expect(ids(await pages.next())).toEqual([BOB_ID]);
    expect(third.isDone()).toBe(false);

    expect(ids(await pages.next())).toEqual([CAROL_ID]);
    expect((await pages.next()).done).toBe(true);
  });

  it("maps Google's user to ours: aliases, primary phone, org unit as department, deletion time", async () => {
    tokenEndpoint("ya29.access-1");
    api()
      .get(USERS)
      .query(listQuery())
      .reply(200, usersPage([deletedAlice, deletedBob]));
    const { connector } = build();
    const all = [];
    for await (const page of connector.listDeleted()) all.push(...page);
    expect(all[0]).toEqual({
      externalId: ALICE_ID,
      userName: "alice.martin@example.com",
      email: "alice.martin@example.com",
      aliases: ["a.martin@example.com", "alice.martin@example.com.test-google-a.com"],
      phone: "+1 555 0199",
      displayName: "Alice Martin",
      givenName: "Alice",
      familyName: "Martin",
      department: "/Sales",
      license: null,
      status: "deleted",
      deletedAt: new Date("2026-11-20T09:15:00.000Z"),
      deletedBy: null,
    });
    expect(all[1]).toMatchObject({ displayName: "Bob Ng", aliases: [], phone: null, department: "/" });
  });

  it("waits out a 429's Retry-After while listing, then goes on", async () => {
    tokenEndpoint("ya29.access-1");
    api().get(USERS).query(listQuery()).reply(429, errors.rateLimit, { "retry-after": "3" });
    api()
      .get(USERS)
      .query(listQuery())
      .reply(200, usersPage([deletedBob]));
    const { connector, waits, warnings } = build();
    const ids: string[] = [];
    for await (const page of connector.listDeleted()) ids.push(...page.map((u) => u.externalId));
    expect(ids).toEqual([BOB_ID]);
    expect(waits).toEqual([3000]);
    expect(warnings[0]?.fields).toMatchObject({ provider: "Google Workspace", code: "rateLimitExceeded" });
    expect(JSON.stringify(warnings)).not.toContain("ya29.");
  });

  it("retries Google's 403 userRateLimitExceeded with backoff, as Google asks", async () => {
    tokenEndpoint("ya29.access-1");
    api().get(USERS).query(listQuery()).reply(403, errors.userRateLimit);
    api().get(USERS).query(listQuery()).reply(200, emptyUsersPage);
    const { connector, waits } = build();
    for await (const _ of connector.listDeleted()) {
      // empty
    }
    expect(waits).toEqual([500]);
  });

  it("gives up within the bound when Google is down, naming Google and saying to try later", async () => {
    tokenEndpoint("ya29.access-1");
    api().get(USERS).query(listQuery()).times(4).reply(503, errors.backendError);
    const { connector, waits, warnings } = build();
    const error = await failure(
      (async () => {
        for await (const _ of connector.listDeleted()) {
          // never reached
        }
      })(),
    );
    expect(error.message).toMatch(
      /^Google Workspace: is not available right now; gave up after 4 tries \(backendError\)$/,
    );
    expect(error.transient).toBe(true);
    expect(waits).toEqual([500, 1000, 2000]);
    expect(JSON.stringify(warnings)).not.toContain("ya29.");
  });
});

describe("Google Workspace restore", () => {
  it("undeletes by the immutable id into the user's org unit, then reads the user back", async () => {
    tokenEndpoint("ya29.access-1");
    api()
      .post(`${USERS}/${ALICE_ID}/undelete`, (body) => JSON.stringify(body) === '{"orgUnitPath":"/Sales"}')
      .matchHeader("content-type", "application/json")
      .reply(204);
    api().get(`${USERS}/${ALICE_ID}`).reply(200, restoredAlice());
    const { connector } = build();
    const restored = await connector.restore(restoreInput());
    expect(restored).toEqual({
      externalId: ALICE_ID,
      userName: "alice.martin@example.com",
      email: "alice.martin@example.com",
      aliases: ["a.martin@example.com", "alice.martin@example.com.test-google-a.com"],
      phone: "+1 555 0199",
      displayName: "Alice Martin",
      givenName: "Alice",
      familyName: "Martin",
      department: "/Sales",
      license: null,
    });
  });

  it("restores into the org unit the admin chose, or the top level when none is known", async () => {
    tokenEndpoint("ya29.access-1");
    api().post(`${USERS}/${ALICE_ID}/undelete`, { orgUnitPath: "/Sales/EMEA" }).reply(200, "");
    api().get(`${USERS}/${ALICE_ID}`).reply(200, restoredAlice("/Sales/EMEA"));
    api().post(`${USERS}/${BOB_ID}/undelete`, { orgUnitPath: "/" }).reply(204);
    api()
      .get(`${USERS}/${BOB_ID}`)
      .reply(200, { ...deletedBob, deletionTime: undefined });
    const { connector } = build();
    expect((await connector.restore(restoreInput({ department: "/Sales/EMEA" }))).department).toBe(
      "/Sales/EMEA",
    );
    const bob = restoreInput({ externalId: BOB_ID, user: { ...snapshotOf(deletedBob), department: null } });
    expect((await connector.restore(bob)).userName).toBe("bob@example.com");
  });

  it("reports the restore as done when only reading the user back fails", async () => {
    tokenEndpoint("ya29.access-1");
    api().post(`${USERS}/${ALICE_ID}/undelete`).reply(204);
    api().get(`${USERS}/${ALICE_ID}`).reply(404, errors.notFound);
    const { connector, warnings } = build();
    const restored = await connector.restore(restoreInput());
    expect(restored).toMatchObject({
      externalId: ALICE_ID,
      userName: "alice.martin@example.com",
      department: "/Sales",
    });
    expect(warnings).toEqual([
      {
        message: "restored user could not be read back; using the snapshot",
        fields: { provider: "Google Workspace", externalId: ALICE_ID, code: "notFound" },
      },
    ]);
  });

  it("refuses a rename or dropped address before calling Google, which cannot do either", async () => {
    const { connector } = build();
    const rename = await failure(connector.restore(restoreInput({ newUserName: "alice.m@example.com" })));
    expect(rename.code).toBe("not_supported");
    expect(rename.message).toMatch(/cannot rename/);
    const drop = await failure(connector.restore(restoreInput({ dropAliases: ["a.martin@example.com"] })));
    expect(drop.message).toMatch(/free the address/);
  });

  const conflicts: [string, number, object, string, RegExp][] = [
    ["user name taken (409 duplicate)", 409, errors.duplicate, "userName", /rename or remove it first/],
    ["alias taken (409 duplicate, alias)", 409, errors.aliasDuplicate, "alias", /alias .* another user/],
    ["gone from the bin (404 notFound)", 404, errors.notFound, "expired", /no longer among .* 20 days/],
    ["org unit gone (400 INVALID_OU_ID)", 400, errors.invalidOu, "department", /organizational unit/],
    ["no licence left (412)", 412, errors.userLimit, "seat", /licence/],
  ];
  for (const [what, status, body, conflict, message] of conflicts) {
    it(`maps Google's refusal to our conflict: ${what} → ${conflict}`, async () => {
      tokenEndpoint("ya29.access-1");
      api().post(`${USERS}/${ALICE_ID}/undelete`).reply(status, body);
      const { connector, waits } = build();
      const error = await failure(connector.restore(restoreInput()));
      expect(error.conflict).toBe(conflict);
      expect(error.status).toBe(status);
      expect(error.message).toMatch(/^Google Workspace: /);
      expect(error.message).toMatch(message);
      expect(error.transient).toBe(false);
      expect(waits).toEqual([]);
    });
  }

  it("passes other refusals on in Google's words, and says what a 403 needs", async () => {
    tokenEndpoint("ya29.access-1");
    api().post(`${USERS}/${ALICE_ID}/undelete`).reply(400, errors.notDeleted);
    api().post(`${USERS}/${ALICE_ID}/undelete`).reply(403, errors.forbidden);
    const { connector } = build();
    const invalid = await failure(connector.restore(restoreInput()));
    expect(invalid.message).toBe("Google Workspace: refused the request: Invalid Input: userKey (invalid)");
    expect(invalid.conflict).toBeNull();
    const forbidden = await failure(connector.restore(restoreInput()));
    expect(forbidden.code).toBe("forbidden");
    expect(forbidden.message).toContain(`${ADMIN} must be a super admin`);
    expect(forbidden.transient).toBe(false);
  });

  it("does not re-create: Google restores", async () => {
    const { connector } = build();
    const error = await failure(connector.recreate(restoreInput()));
    expect(error.code).toBe("not_supported");
  });
});

describe("Google Workspace active users", () => {
  it("looks each name and address up once, 404 meaning free, and returns each holder once", async () => {
    tokenEndpoint("ya29.access-1");
    api().get(`${USERS}/alice.martin%40example.com`).reply(404, errors.notFound);
    api().get(`${USERS}/a.martin%40example.com`).reply(200, activeAlicia);
    api().get(`${USERS}/alicia.martin%40example.com`).reply(200, activeAlicia);
    const { connector } = build();
    const found = await connector.findActive({
      userNames: ["Alice.Martin@example.com"],
      addresses: ["alice.martin@example.com", "a.martin@example.com", "alicia.martin@example.com"],
      phones: ["+1 555 0199"],
    });
    expect(found).toEqual([
      {
        externalId: "109876543210987654321",
        userName: "alicia.martin@example.com",
        email: "alicia.martin@example.com",
        aliases: ["a.martin@example.com"],
        phone: null,
        displayName: "Alicia Martin",
        givenName: "Alicia",
        familyName: "Martin",
        department: "/Marketing",
        license: null,
      },
    ]);
  });

  it("deletes the active user by id for an approved replace, and takes an already gone user as done", async () => {
    tokenEndpoint("ya29.access-1");
    api().delete(`${USERS}/109876543210987654321`).reply(204);
    api().delete(`${USERS}/${BOB_ID}`).reply(404, errors.notFound);
    const { connector } = build();
    await expect(connector.removeActive("109876543210987654321")).resolves.toBeUndefined();
    await expect(connector.removeActive(BOB_ID)).resolves.toBeUndefined();
  });

  it("a refused delete is an error the admin can read", async () => {
    tokenEndpoint("ya29.access-1");
    api().delete(`${USERS}/${BOB_ID}`).reply(403, errors.forbidden);
    const { connector } = build();
    const error = await failure(connector.removeActive(BOB_ID));
    expect(error.message).toMatch(/^Google Workspace: refused: .* \(forbidden\)$/);
  });
});

describe("Google Workspace secrets", () => {
  it("never puts the key, the assertion or an access token in warnings or errors", async () => {
    const assertions: string[] = [];
    tokenEndpoint("ya29.secret-access", assertions);
    api("ya29.secret-access").post(`${USERS}/${ALICE_ID}/undelete`).times(4).reply(503, errors.backendError);
    // Google echoing a token back must not reach the admin either.
    api("ya29.secret-access")
      .delete(`${USERS}/${BOB_ID}`)
      .reply(400, {
        error: { code: 400, message: "Bad token ya29.secret-access", errors: [{ reason: "badRequest" }] },
      });
    const { connector, warnings } = build();
    const down = await failure(connector.restore(restoreInput()));
    const echoed = await failure(connector.removeActive(BOB_ID));
    const seen = JSON.stringify([down.message, down.details, echoed.message, echoed.details, warnings]);
    expect(warnings.length).toBe(3);
    expect(seen).not.toContain("ya29.secret-access");
    expect(seen).not.toContain(PEM_BODY.slice(0, 30));
    expect(seen).not.toContain(assertions[0] ?? "no-assertion");
    expect(echoed.message).toContain("[token]");
  });
});

describe("Google Workspace org units", () => {
  it("lists every org unit path with the top one, asked with a token for the org unit scope only", async () => {
    const assertions: string[] = [];
    nock(TOKEN_HOST)
      .post("/token", (body: Record<string, string>) => {
        assertions.push(body.assertion ?? "");
        return true;
      })
      .reply(200, tokenAnswer("ya29.orgunits-1", GOOGLE_ORGUNIT_SCOPE));
    api("ya29.orgunits-1").get(ORG_UNITS).query({ type: "all" }).reply(200, orgUnitsAll);
    const { connector } = build();
    expect(await connector.listDepartments?.()).toEqual([
      "/",
      "/Engineering",
      "/Sales",
      "/Sales/EMEA",
      "/Support",
    ]);
    expect(assertions.map((a) => decodeJwt(a).claims.scope)).toEqual([GOOGLE_ORGUNIT_SCOPE]);
    expect(decodeJwt(assertions[0] ?? "").verified).toBe(true);
  });

  it("a domain with no unit below the top one has the top one only; another customer id is asked for", async () => {
    tokenEndpoint("ya29.orgunits-1");
    api("ya29.orgunits-1")
      .get("/admin/directory/v1/customer/C03az79cb/orgunits")
      .query({ type: "all" })
      .reply(200, orgUnitsNone);
    const { connector } = build({ GOOGLE_CUSTOMER_ID: "C03az79cb" });
    expect(await connector.listDepartments?.()).toEqual(["/"]);
  });

  it("without the org unit scope granted, the list fails naming the scope while users still work", async () => {
    tokenForScope(GOOGLE_ORGUNIT_SCOPE, 401, tokenErrors.unauthorizedClient);
    tokenForScope(GOOGLE_SCOPE, 200, tokenAnswer("ya29.users-1"));
    api("ya29.users-1").get(`${USERS}/bob%40example.com`).reply(404, errors.notFound);
    const { connector, waits } = build();
    const error = await failure(connector.listDepartments?.() ?? Promise.resolve());
    expect(error.code).toBe("unauthorized_client");
    expect(error.message).toContain(GOOGLE_ORGUNIT_SCOPE);
    expect(error.nextStep).toMatch(/^In the Google Admin console \(.*Domain-wide delegation\), give/);
    expect(error.nextStep).toContain(GOOGLE_ORGUNIT_SCOPE);
    expect(waits).toEqual([]);
    expect(await connector.findActive({ userNames: ["bob@example.com"], addresses: [], phones: [] })).toEqual(
      [],
    );
  });

  it("an admin who may not read org units gets the org unit scope and the admin to check", async () => {
    tokenEndpoint("ya29.orgunits-1");
    api("ya29.orgunits-1").get(ORG_UNITS).query({ type: "all" }).reply(403, errors.forbidden);
    const { connector } = build();
    const error = await failure(connector.listDepartments?.() ?? Promise.resolve());
    expect(error.status).toBe(403);
    expect(error.nextStep).toContain(GOOGLE_ORGUNIT_SCOPE);
    expect(error.nextStep).toContain(`${ADMIN} (GOOGLE_ADMIN_EMAIL) is a super admin`);
  });
});

describe("Google Workspace reading a user by id", () => {
  it("returns the active user, mapped as everywhere else", async () => {
    tokenEndpoint("ya29.access-1");
    api().get(`${USERS}/${ALICE_ID}`).reply(200, restoredAlice("/Sales/EMEA"));
    const { connector } = build();
    expect(await connector.readActive?.(ALICE_ID)).toMatchObject({
      externalId: ALICE_ID,
      userName: "alice.martin@example.com",
      aliases: ["a.martin@example.com", "alice.martin@example.com.test-google-a.com"],
      department: "/Sales/EMEA",
    });
  });

  it("a suspended user is still active: it keeps its address and aliases in Google", async () => {
    tokenEndpoint("ya29.access-1");
    const { deletionTime: _, ...suspendedCarol } = deletedCarol;
    api().get(`${USERS}/${CAROL_ID}`).reply(200, suspendedCarol);
    const { connector } = build();
    expect(await connector.readActive?.(CAROL_ID)).toMatchObject({
      externalId: CAROL_ID,
      aliases: ["support@example.com"],
    });
  });

  it("no user (404), or one only in the bin, is null", async () => {
    tokenEndpoint("ya29.access-1");
    api().get(`${USERS}/${BOB_ID}`).reply(404, errors.notFound);
    api().get(`${USERS}/${ALICE_ID}`).reply(200, deletedAlice);
    const { connector } = build();
    expect(await connector.readActive?.(BOB_ID)).toBeNull();
    expect(await connector.readActive?.(ALICE_ID)).toBeNull();
  });

  it("any other refusal is an error with its next step, not a null", async () => {
    tokenEndpoint("ya29.access-1");
    api().get(`${USERS}/${BOB_ID}`).reply(403, errors.forbidden);
    const { connector } = build();
    const error = await failure(connector.readActive?.(BOB_ID) ?? Promise.resolve());
    expect(error.code).toBe("forbidden");
    expect(error.nextStep).toContain(GOOGLE_SCOPE);
  });
});

describe("Google Workspace errors end in a next step", () => {
  type Case = {
    what: string;
    reply: [number, object, Record<string, string>?];
    code: string;
    conflict?: string;
    next: RegExp;
  };
  // The undelete's answers: each error Google sends, as the admin reads it after a restore.
  const undelete: Case[] = [
    {
      what: "user name taken",
      reply: [409, errors.duplicate],
      code: "duplicate",
      conflict: "userName",
      next: /^Choose replace in the plan .* Google Admin console; then restore again\.$/,
    },
    {
      what: "alias taken",
      reply: [409, errors.aliasDuplicate],
      code: "duplicate",
      conflict: "alias",
      next: /^Remove the alias from the user or group holding it in the Google Admin console/,
    },
    {
      what: "gone from the bin",
      reply: [404, errors.notFound],
      code: "notFound",
      conflict: "expired",
      next: /^Sync Google Workspace \(restore-user sync google\).*create the user again/,
    },
    {
      what: "org unit gone (INVALID_OU_ID)",
      reply: [400, errors.invalidOu],
      code: "invalid",
      conflict: "department",
      next: /^Choose an org unit that exists in the plan .*--department.*\/Sales/,
    },
    {
      what: "org unit gone (Invalid Ou Id)",
      reply: [400, errors.invalidOuId],
      code: "invalid",
      conflict: "department",
      next: /^Choose an org unit that exists in the plan/,
    },
    {
      what: "no licence left",
      reply: [412, errors.userLimit],
      code: "conditionNotMet",
      conflict: "seat",
      next: /^Free a licence or buy more in the Google Admin console \(Billing > Subscriptions\)/,
    },
    {
      what: "not allowed",
      reply: [403, errors.forbidden],
      code: "forbidden",
      next: new RegExp(
        `Domain-wide delegation\\), give the service account's client ID the scope ${GOOGLE_SCOPE}, and make sure ${ADMIN} \\(GOOGLE_ADMIN_EMAIL\\) is a super admin`,
      ),
    },
    {
      what: "daily quota used up",
      reply: [403, errors.dailyLimit],
      code: "dailyLimitExceeded",
      next: /^Try again after the daily quota resets, or ask for a higher Admin SDK API quota/,
    },
    {
      what: "other invalid input",
      reply: [400, errors.notDeleted],
      code: "invalid",
      next: /^Google's words say what it refused: .*restore-user sync google/,
    },
    {
      what: "token refused twice",
      reply: [401, errors.authError],
      code: "authError",
      next: new RegExp(`scope ${GOOGLE_SCOPE} if it was removed, and check that ${ADMIN}`),
    },
  ];
  it.each(undelete)("undelete: $what → $code with its next step", async ({ reply, code, conflict, next }) => {
    tokenEndpoint("ya29.access-1");
    if (reply[0] === 401) tokenEndpoint("ya29.access-1"); // a 401 fetches a token once more
    api()
      .post(`${USERS}/${ALICE_ID}/undelete`)
      .times(reply[0] === 401 ? 2 : 1)
      .reply(...reply);
    const { connector } = build();
    const error = await failure(connector.restore(restoreInput()));
    expect(error.code).toBe(code);
    expect(error.conflict).toBe(conflict ?? null);
    expect(error.nextStep).toMatch(next);
    expect(error.transient).toBe(false);
  });

  // Errors retried first: the next step is read after the last try.
  const retried: Case[] = [
    {
      what: "Google down",
      reply: [503, errors.backendError],
      code: "backendError",
      next: /^Try again in a few minutes; .*Google Workspace Status Dashboard\.$/,
    },
    {
      what: "rate limited",
      reply: [429, errors.rateLimit],
      code: "rateLimitExceeded",
      next: /^Try again in a minute; .*Admin SDK API > Quotas/,
    },
    {
      what: "per-user rate limited",
      reply: [403, errors.userRateLimit],
      code: "userRateLimitExceeded",
      next: /^Try again in a minute; .*Admin SDK API > Quotas/,
    },
    {
      what: "too many at once",
      reply: [403, errors.quotaExceeded],
      code: "quotaExceeded",
      next: /^Try again in a minute/,
    },
  ];
  it.each(retried)("listing: $what → $code, retried, then its next step", async ({ reply, code, next }) => {
    tokenEndpoint("ya29.access-1");
    api()
      .get(USERS)
      .query(listQuery())
      .times(4)
      .reply(...reply);
    const { connector, waits } = build();
    const error = await failure(
      (async () => {
        for await (const _ of connector.listDeleted()) {
          // never reached
        }
      })(),
    );
    expect(error.code).toBe(code);
    expect(error.transient).toBe(true);
    expect(waits).toHaveLength(3);
    expect(error.nextStep).toMatch(next);
  });

  it("a pause Google asks for beyond what we wait is the next step, in minutes", async () => {
    tokenEndpoint("ya29.access-1");
    api().get(USERS).query(listQuery()).reply(429, errors.rateLimit, { "retry-after": "600" });
    const { connector, waits } = build();
    const error = await failure(
      (async () => {
        for await (const _ of connector.listDeleted()) {
          // never reached
        }
      })(),
    );
    expect(waits).toEqual([]);
    expect(error.nextStep).toBe("Google asked for a pause of 10 minute(s): try again after it.");
  });

  const token: { what: string; status: number; body: object; code: string; next: RegExp }[] = [
    {
      what: "scope not delegated",
      status: 401,
      body: tokenErrors.unauthorizedClient,
      code: "unauthorized_client",
      next: new RegExp(
        `Domain-wide delegation\\), give the service account's client ID the scope ${GOOGLE_SCOPE} \\(the client ID is the service account's Unique ID`,
      ),
    },
    {
      what: "bad key, admin or clock",
      status: 400,
      body: tokenErrors.invalidGrant,
      code: "invalid_grant",
      next: new RegExp(
        `GOOGLE_PRIVATE_KEY come from the same active key .*GOOGLE_ADMIN_EMAIL \\(${ADMIN}\\) .*clock`,
      ),
    },
    {
      what: "key deleted",
      status: 401,
      body: tokenErrors.invalidClient,
      code: "invalid_client",
      next: /^Check the service account's key in Google Cloud \(IAM & Admin > Service accounts > Keys\)/,
    },
  ];
  it.each(token)("token endpoint: $what → $code with its next step", async ({ status, body, code, next }) => {
    nock(TOKEN_HOST).post("/token").reply(status, body);
    const { connector } = build();
    const error = await failure(connector.removeActive(BOB_ID));
    expect(error.code).toBe(code);
    expect(error.nextStep).toMatch(next);
  });

  it("our own refusals say what to do instead", async () => {
    const { connector } = build();
    const rename = await failure(connector.restore(restoreInput({ newUserName: "alice.m@example.com" })));
    expect(rename.nextStep).toMatch(
      /^Rename or delete the user holding the name in the Google Admin console/,
    );
    const drop = await failure(connector.restore(restoreInput({ dropEmail: true })));
    expect(drop.nextStep).toMatch(/^Remove the address from the user or group holding it/);
    const recreate = await failure(connector.recreate(restoreInput()));
    expect(recreate.nextStep).toMatch(/^Restore the user instead/);
  });

  it("an answer in a shape we do not know, or a paging loop, says what to do", async () => {
    tokenEndpoint("ya29.access-1");
    api().get(`${USERS}/${BOB_ID}`).reply(200, { kind: "admin#directory#user" });
    api()
      .get(USERS)
      .query(listQuery())
      .reply(200, usersPage([deletedBob], "again"));
    api()
      .get(USERS)
      .query(listQuery("again"))
      .reply(200, usersPage([deletedBob], "again"));
    const { connector } = build();
    const shape = await failure(connector.readActive?.(BOB_ID) ?? Promise.resolve());
    expect(shape.code).toBe("unexpected_answer");
    expect(shape.nextStep).toMatch(/^Try again; if it happens again, report it with the app's log/);
    const loop = await failure(
      (async () => {
        for await (const _ of connector.listDeleted()) {
          // the first page, then the loop
        }
      })(),
    );
    expect(loop.code).toBe("paging_loop");
    expect(loop.nextStep).toMatch(/^Sync again in a few minutes/);
  });
});
