import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { conflictFilters, entraModule, originalUserName } from "../../src/directory/entra.ts";
import type { ProviderUser, RestoreInput } from "../../src/directory/port.ts";
import { ProviderError } from "../../src/directory/port.ts";
import * as fx from "../fixtures/entra.ts";
import { quietDeps } from "./support.ts";

const GRAPH = "https://graph.microsoft.com";
const LOGIN = "https://login.microsoftonline.com";
const TOKEN_PATH = `/${fx.TENANT_ID}/oauth2/v2.0/token`;
const DELETED_PATH = "/v1.0/directory/deletedItems/microsoft.graph.user";

const ENV = {
  ENTRA_TENANT_ID: fx.TENANT_ID,
  ENTRA_CLIENT_ID: fx.CLIENT_ID,
  ENTRA_CLIENT_SECRET: fx.CLIENT_SECRET,
};

function connector(env: Record<string, string> = {}) {
  const { deps, waits, warnings } = quietDeps();
  const dir = entraModule.create(entraModule.settings.parse({ ...ENV, ...env }), deps);
  return { dir, waits, warnings };
}

/** Token requests as the identity platform sees them (form fields), one answer per token. */
function tokenEndpoint(tokens: string[], base = LOGIN, path = TOKEN_PATH) {
  const forms: Record<string, string>[] = [];
  const scope = nock(base);
  for (const token of tokens) {
    scope.post(path).reply(200, (_uri, body) => {
      forms.push(Object.fromEntries(new URLSearchParams(String(body))));
      return fx.tokenResponse(token);
    });
  }
  return forms;
}

function graph(token = fx.ACCESS_TOKEN_1, base = GRAPH) {
  return nock(base, { reqheaders: { authorization: `Bearer ${token}` } });
}

const aliceSnapshot: ProviderUser = {
  externalId: fx.ALICE_ID,
  userName: "alice@contoso.com",
  email: "alice@contoso.com",
  aliases: ["a.martin@contoso.com"],
  phone: "+1 425 555 0109",
  displayName: "Alice Martin",
  givenName: "Alice",
  familyName: "Martin",
  department: "Finance",
  license: "c7df2760-2c81-4ef7-b578-5b5392b571df",
};

function restoreInput(over: Partial<RestoreInput> = {}): RestoreInput {
  return {
    externalId: fx.ALICE_ID,
    user: aliceSnapshot,
    newUserName: null,
    dropAliases: [],
    dropEmail: false,
    dropPhone: false,
    department: null,
    license: null,
    temporaryPassword: null,
    ...over,
  };
}

const restorePath = `/v1.0/directory/deletedItems/${fx.ALICE_ID}/restore`;

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe("Microsoft Entra ID: settings", () => {
  /** As the registry says them: "<variable>: <message>". */
  function problems(env: Record<string, string>): string[] {
    const result = entraModule.settings.safeParse(env);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  }

  it("names each missing required variable", () => {
    expect(problems({ ENTRA_TENANT_ID: fx.TENANT_ID })).toEqual([
      "ENTRA_CLIENT_ID: is required: the app registration's application (client) id",
      "ENTRA_CLIENT_SECRET: is required: a client secret of the app registration",
    ]);
  });

  it("treats a blank variable as missing and rejects a client id that is not a GUID", () => {
    expect(problems({ ...ENV, ENTRA_CLIENT_SECRET: "  " })).toEqual([
      "ENTRA_CLIENT_SECRET: is required: a client secret of the app registration",
    ]);
    expect(problems({ ...ENV, ENTRA_CLIENT_ID: "my-app" })).toEqual([
      "ENTRA_CLIENT_ID: must be the application (client) id, a GUID",
    ]);
  });

  it("defaults to the public cloud and lets a national cloud override both base URLs", () => {
    expect(entraModule.settings.parse(ENV)).toMatchObject({ graphUrl: GRAPH, loginUrl: LOGIN });
    expect(entraModule.settings.parse({ ...ENV, ENTRA_GRAPH_URL: "" })).toMatchObject({ graphUrl: GRAPH });
    const gov = entraModule.settings.parse({
      ...ENV,
      ENTRA_GRAPH_URL: "https://graph.microsoft.us/",
      ENTRA_LOGIN_URL: "https://login.microsoftonline.us",
    });
    expect(gov).toMatchObject({
      graphUrl: "https://graph.microsoft.us",
      loginUrl: "https://login.microsoftonline.us",
    });
    expect(problems({ ...ENV, ENTRA_GRAPH_URL: "graph.microsoft.us" })).toEqual([
      "ENTRA_GRAPH_URL: must be an http(s) URL, e.g. https://graph.microsoft.com",
    ]);
  });

  it("declares its variables for the config screen", () => {
    expect(entraModule).toMatchObject({
      kind: "entra",
      name: "Microsoft Entra ID",
      required: ["ENTRA_TENANT_ID", "ENTRA_CLIENT_ID", "ENTRA_CLIENT_SECRET"],
      optional: ["ENTRA_GRAPH_URL", "ENTRA_LOGIN_URL"],
    });
  });

  it("talks to the overridden hosts, with the token scope following the Graph host", async () => {
    const forms = tokenEndpoint([fx.ACCESS_TOKEN_1], "https://login.microsoftonline.us");
    graph(fx.ACCESS_TOKEN_1, "https://graph.microsoft.us")
      .get(DELETED_PATH)
      .query(true)
      .reply(200, { value: [] });
    const { dir } = connector({
      ENTRA_GRAPH_URL: "https://graph.microsoft.us",
      ENTRA_LOGIN_URL: "https://login.microsoftonline.us",
    });
    const pages = [];
    for await (const page of dir.listDeleted()) pages.push(page);
    expect(pages).toEqual([[]]);
    expect(forms[0]?.scope).toBe("https://graph.microsoft.us/.default");
  });
});

describe("Microsoft Entra ID: the profile", () => {
  it("says what Entra can settle itself and what the admin must still do", () => {
    const { dir } = connector();
    expect(dir.profile.retentionDays).toBe(30);
    expect(dir.profile.capabilities).toMatchObject({
      canRestore: true,
      batchRestore: true,
      hasDeletingState: false,
      setsPassword: false,
      resolves: ["rename", "dropAliases"],
      listsWholeBin: true,
    });
    expect(dir.profile.followUp.join(" ")).toMatch(/Reset the user's password/);
    expect(dir.profile.followUp.join(" ")).toMatch(/licence/);
  });
});

describe("Microsoft Entra ID: deleted users", () => {
  it("gets a token with the client credentials and yields each page as it arrives", async () => {
    const forms = tokenEndpoint([fx.ACCESS_TOKEN_1]);
    const next = `${GRAPH}${DELETED_PATH}?$select=id&$top=999&$skiptoken=RFNwdAIAAQAAAD8`;
    let selected: Record<string, unknown> = {};
    graph()
      .get(DELETED_PATH)
      .query((q) => {
        selected = q;
        return true;
      })
      .reply(200, fx.deletedUsersPage1(next));
    graph()
      .get(DELETED_PATH)
      .query({ $select: "id", $top: "999", $skiptoken: "RFNwdAIAAQAAAD8" })
      .reply(200, fx.deletedUsersPage2);

    const { dir } = connector();
    const pages = dir.listDeleted()[Symbol.asyncIterator]();
    const first = await pages.next();
    // The second page has not been asked for yet: the sync holds one page at a time.
    expect(nock.pendingMocks()).toHaveLength(1);
    expect(first.done).toBe(false);
    expect(first.value).toEqual([
      {
        externalId: fx.ALICE_ID,
        userName: "alice@contoso.com",
        email: "alice@contoso.com",
        aliases: ["a.martin@contoso.com"],
        phone: "+1 425 555 0109",
        displayName: "Alice Martin",
        givenName: "Alice",
        familyName: "Martin",
        department: "Finance",
        license: "c7df2760-2c81-4ef7-b578-5b5392b571df",
        status: "deleted",
        deletedAt: new Date("2026-11-10T08:30:00Z"),
        deletedBy: null,
      },
      {
        externalId: fx.BOB_ID,
        userName: "bob@contoso.com",
        email: null,
        aliases: [],
        phone: "+1 425 555 0111",
        displayName: "Bob Kim",
        givenName: "Bob",
        familyName: "Kim",
        department: null,
        license: null,
        status: "deleted",
        deletedAt: new Date("2026-11-20T17:05:12Z"),
        deletedBy: null,
      },
    ]);
    const second = await pages.next();
    expect(second.value).toEqual([
      expect.objectContaining({
        externalId: fx.CAROL_ID,
        userName: "carol.o'neil@contoso.com",
        email: "carol.o'neil@contoso.com",
        aliases: ["carol@contoso.onmicrosoft.com"],
        license: "6fd2c87f-b296-42f0-b197-1e91e994b900",
      }),
    ]);
    expect((await pages.next()).done).toBe(true);

    expect(selected).toMatchObject({ $top: "999" });
    expect(String(selected.$select).split(",")).toEqual(
      expect.arrayContaining(["userPrincipalName", "proxyAddresses", "assignedLicenses", "deletedDateTime"]),
    );
    expect(forms).toEqual([
      {
        client_id: fx.CLIENT_ID,
        client_secret: fx.CLIENT_SECRET,
        scope: "https://graph.microsoft.com/.default",
        grant_type: "client_credentials",
      },
    ]);
  });

  it("does not send the access token to a next link on another host", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph()
      .get(DELETED_PATH)
      .query(true)
      .reply(200, fx.deletedUsersPage1("https://evil.example/v1.0/users?$skiptoken=x"));
    const { dir } = connector();
    const pages = dir.listDeleted()[Symbol.asyncIterator]();
    expect((await pages.next()).value).toHaveLength(2);
    const error = await failure(pages.next());
    expect(error.message).toMatch(/next page link to another host \(evil\.example\)/);
  });

  it("recovers the original user name from the id-prefixed one", () => {
    expect(originalUserName(fx.ALICE_ID, "2ef6b2e46ab04a6b8bcd9a1c2d3e4f50alice@contoso.com")).toBe(
      "alice@contoso.com",
    );
    expect(originalUserName(fx.ALICE_ID, "alice@contoso.com")).toBe("alice@contoso.com");
  });
});

describe("Microsoft Entra ID: restore", () => {
  it("restores with no body when nothing conflicts, and maps the restored user", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    let sent: unknown = "unset";
    let contentType: unknown;
    graph()
      .post(restorePath)
      .reply(function (_uri, body) {
        sent = body;
        contentType = this.req.headers["content-type"];
        return [200, fx.restoredAlice];
      });
    const { dir } = connector();
    const user = await dir.restore(restoreInput());
    expect(sent).toBe("");
    expect(contentType).toBeUndefined();
    // The restore answers with default properties only: aliases, department, licence come from the snapshot.
    expect(user).toEqual(aliceSnapshot);
  });

  it("renames on restore with newUserPrincipalName", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    let sent: unknown;
    graph()
      .post(restorePath, (body) => {
        sent = body;
        return true;
      })
      .reply(200, fx.restoredAliceRenamed);
    const { dir } = connector();
    const user = await dir.restore(restoreInput({ newUserName: "alice.martin@contoso.com" }));
    expect(sent).toEqual({ newUserPrincipalName: "alice.martin@contoso.com" });
    expect(user.userName).toBe("alice.martin@contoso.com");
  });

  it("asks Entra to drop conflicting proxy addresses, and leaves them off the result", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    let sent: unknown;
    graph()
      .post(restorePath, (body) => {
        sent = body;
        return true;
      })
      .reply(200, fx.restoredAlice);
    const { dir } = connector();
    const user = await dir.restore(
      restoreInput({ dropAliases: ["A.Martin@contoso.com"], newUserName: "alice2@contoso.com" }),
    );
    expect(sent).toEqual({ autoReconcileProxyConflict: true, newUserPrincipalName: "alice2@contoso.com" });
    expect(user.aliases).toEqual([]);
  });

  it.each([
    ["user name", fx.upnConflict, "userName", /another active user already has this user name/],
    ["proxy address", fx.proxyConflict, "alias", /proxy addresses/],
    ["email", fx.mailConflict, "email", /this user's email address/],
  ] as const)("maps a %s conflict (ObjectConflict) to our kind", async (_what, body, kind, message) => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().post(restorePath).reply(400, body);
    const { dir, waits } = connector();
    const error = await failure(dir.restore(restoreInput()));
    expect(error.conflict).toBe(kind);
    expect(error.code).toBe("Request_BadRequest");
    expect(error.status).toBe(400);
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^Microsoft Entra ID: /);
    expect(waits).toEqual([]);
  });

  it("says the user is gone when it is no longer in the deleted items (404)", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().post(restorePath).reply(404, fx.notFound);
    const { dir } = connector();
    const error = await failure(dir.restore(restoreInput()));
    expect(error.conflict).toBe("expired");
    expect(error.message).toBe(
      "Microsoft Entra ID: this user is no longer among the deleted users: it was purged, or restored already (Request_ResourceNotFound)",
    );
  });

  it("names the missing permission on 403", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().post(restorePath).reply(403, fx.forbidden);
    const { dir } = connector();
    const error = await failure(dir.restore(restoreInput()));
    expect(error.code).toBe("Authorization_RequestDenied");
    expect(error.message).toMatch(/User\.DeleteRestore\.All/);
    expect(error.conflict).toBeNull();
  });

  it("passes on Graph's own words for other refusals", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().post(restorePath).reply(400, fx.badDomain);
    const { dir } = connector();
    const error = await failure(dir.restore(restoreInput({ newUserName: "alice@fabrikam.com" })));
    expect(error.message).toMatch(/domain portion of the userPrincipalName property is invalid/);
    expect(error.conflict).toBeNull();
  });

  it("does not re-create: Entra restores", async () => {
    const { dir } = connector();
    const error = await failure(dir.recreate(restoreInput()));
    expect(error.code).toBe("not_supported");
  });
});

describe("Microsoft Entra ID: active users", () => {
  it("looks up user names and addresses in one filter, quotes escaped", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    let filter = "";
    graph()
      .get("/v1.0/users")
      .query((q) => {
        filter = String(q.$filter);
        return true;
      })
      .reply(200, fx.activeUsers);
    const { dir } = connector();
    const users = await dir.findActive({
      userNames: ["alice@contoso.com"],
      addresses: ["carol.o'neil@contoso.com"],
      phones: ["+1 425 555 0109"],
    });
    expect(filter).toBe(
      "userPrincipalName eq 'alice@contoso.com' or userPrincipalName eq 'carol.o''neil@contoso.com' or " +
        "mail eq 'carol.o''neil@contoso.com' or proxyAddresses/any(p:p eq 'smtp:carol.o''neil@contoso.com')",
    );
    expect(users).toEqual([
      expect.objectContaining({
        externalId: "5b9c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4",
        userName: "alice@contoso.com",
        department: "Legal",
      }),
    ]);
  });

  it("splits a long lookup into requests of at most 15 clauses and lists each user once", async () => {
    const keys = {
      userNames: ["alice@contoso.com"],
      addresses: Array.from({ length: 6 }, (_, i) => `a${i}@contoso.com`),
      phones: [],
    };
    const filters = conflictFilters(keys);
    expect(filters.map((f) => f.split(" or ").length)).toEqual([15, 4]);
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().get("/v1.0/users").query(true).times(2).reply(200, fx.activeUsers);
    const { dir } = connector();
    expect(await dir.findActive(keys)).toHaveLength(1);
  });

  it("asks nothing when there is nothing to look up", async () => {
    const { dir } = connector();
    expect(await dir.findActive({ userNames: [], addresses: [], phones: ["+1 425 555 0109"] })).toEqual([]);
  });

  it("deletes the active user of an approved replace", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().delete("/v1.0/users/5b9c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4").reply(204);
    const { dir } = connector();
    await expect(dir.removeActive("5b9c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4")).resolves.toBeUndefined();
  });
});

describe("Microsoft Entra ID: when Graph pushes back", () => {
  it("waits out a 429's Retry-After, then succeeds", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().post(restorePath).reply(429, fx.throttled, { "retry-after": "7" });
    graph().post(restorePath).reply(200, fx.restoredAlice);
    const { dir, waits, warnings } = connector();
    expect((await dir.restore(restoreInput())).userName).toBe("alice@contoso.com");
    expect(waits).toEqual([7000]);
    expect(warnings[0]?.fields).toMatchObject({ provider: "Microsoft Entra ID", code: "TooManyRequests" });
  });

  it("fetches a new token once when Graph says the token expired", async () => {
    const forms = tokenEndpoint([fx.ACCESS_TOKEN_1, fx.ACCESS_TOKEN_2]);
    graph(fx.ACCESS_TOKEN_1).delete(`/v1.0/users/${fx.BOB_ID}`).reply(401, fx.tokenExpired);
    graph(fx.ACCESS_TOKEN_2).delete(`/v1.0/users/${fx.BOB_ID}`).reply(204);
    const { dir } = connector();
    await dir.removeActive(fx.BOB_ID);
    expect(forms).toHaveLength(2);
  });

  it("gives up within the bound when Graph is down, naming the provider", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().get(DELETED_PATH).query(true).times(4).reply(503, fx.unavailable);
    const { dir, waits } = connector();
    const error = await failure(dir.listDeleted()[Symbol.asyncIterator]().next());
    expect(error.message).toMatch(/^Microsoft Entra ID: is unavailable; gave up after 4 tries/);
    expect(error.transient).toBe(true);
    expect(error.code).toBe("serviceNotAvailable");
    expect(waits).toEqual([500, 1000, 2000]);
  });
});

describe("Microsoft Entra ID: secrets", () => {
  it("says the client secret was refused without repeating it", async () => {
    nock(LOGIN).post(TOKEN_PATH).reply(401, fx.tokenInvalidSecret);
    const { dir, warnings } = connector();
    const error = await failure(dir.removeActive(fx.BOB_ID));
    expect(error.message).toBe(
      "Microsoft Entra ID: refused the client secret: check ENTRA_CLIENT_SECRET (AADSTS7000215)",
    );
    expect(error.transient).toBe(false);
    expect(JSON.stringify([error.message, error.stack, warnings])).not.toContain(fx.CLIENT_SECRET);
  });

  it("says the tenant is unknown", async () => {
    nock(LOGIN).post(TOKEN_PATH).reply(400, fx.tokenUnknownTenant);
    const { dir } = connector();
    const error = await failure(
      dir.findActive({ userNames: ["bob@contoso.com"], addresses: [], phones: [] }),
    );
    expect(error.message).toMatch(/does not know this tenant: check ENTRA_TENANT_ID \(AADSTS90002\)/);
  });

  it("reports a refused token re-fetch as itself, not as an unreachable host", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    nock(LOGIN).post(TOKEN_PATH).reply(401, fx.tokenInvalidSecret);
    graph(fx.ACCESS_TOKEN_1).delete(`/v1.0/users/${fx.BOB_ID}`).reply(401, fx.tokenExpired);
    const { dir } = connector();
    const error = await failure(dir.removeActive(fx.BOB_ID));
    expect(error.code).toBe("AADSTS7000215");
    expect(error.message).not.toMatch(/could not be reached/);
  });

  it("keeps the secret and the access token out of warnings and errors when everything fails", async () => {
    nock(LOGIN).post(TOKEN_PATH).times(4).reply(500, fx.unavailable);
    const first = connector();
    const tokenError = await failure(first.dir.removeActive(fx.BOB_ID));
    expect(tokenError.transient).toBe(true);
    expect(first.warnings).toHaveLength(3);

    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().post(restorePath).times(4).reply(502, "<html>Bad gateway</html>");
    const second = connector();
    const graphError = await failure(
      second.dir.restore(restoreInput({ temporaryPassword: "Tmp-Pa55word!" })),
    );
    expect(graphError.code).toBe("HTTP 502");

    const everything = JSON.stringify([
      tokenError.message,
      tokenError.stack,
      graphError.message,
      graphError.stack,
      first.warnings,
      second.warnings,
    ]);
    for (const secret of [fx.CLIENT_SECRET, fx.ACCESS_TOKEN_1, "Tmp-Pa55word!"]) {
      expect(everything).not.toContain(secret);
    }
  });
});
