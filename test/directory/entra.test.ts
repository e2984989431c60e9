import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { storedEnglish } from "../../src/i18n/stored.ts";
import { conflictFilters, entraModule, originalUserName } from "../../src/providers/entra.ts";
import type { ProviderUser, RestoreInput } from "../../src/providers/port.ts";
import { ProviderError } from "../../src/providers/port.ts";
import { providerFailure } from "../../src/restore/provider-call.ts";
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
    newEmail: null,
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
    expect(dir.profile.followUp.map(storedEnglish).join(" ")).toMatch(/Reset the user's password/);
    expect(dir.profile.followUp.map(storedEnglish).join(" ")).toMatch(/licence/);
  });

  it("says the mailbox comes back with the user inside the window, and where the mail alone comes back", () => {
    const { dir } = connector();
    const note = storedEnglish(dir.profile.capabilities.note ?? "");
    expect(note).toMatch(/mailbox back with them within the 30 days/);
    expect(note).toMatch(
      /Past them, or when only the mail is needed, restore the mailbox in Exchange Online/,
    );
    const followUp = dir.profile.followUp.map(storedEnglish);
    expect(followUp).toContain(
      "The mailbox comes back with the user: give it some time to reappear in Outlook and the Exchange admin center before you look into it.",
    );
    // Only the mail: the soft-deleted mailbox, copied into a mailbox that exists.
    expect(followUp.find((f) => f.startsWith("If only the mail is wanted"))).toMatch(
      /Get-Mailbox -SoftDeletedMailbox <name> .*New-MailboxRestoreRequest -SourceMailbox <its ExchangeGuid> -TargetMailbox <mailbox> -AllowLegacyDNMismatch/,
    );
    // Past the window: only an inactive mailbox (one on hold) is left.
    expect(followUp.find((f) => f.startsWith("Past the 30 days"))).toMatch(
      /mailbox that was on hold .*Get-Mailbox -InactiveMailboxOnly <name> .*New-MailboxRestoreRequest/,
    );
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

  it("says the user is gone when it is no longer in the deleted items (404), and where the mail may be", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().post(restorePath).reply(404, fx.notFound);
    const { dir } = connector();
    const error = await failure(dir.restore(restoreInput()));
    expect(error.conflict).toBe("expired");
    expect(error.message).toBe(
      "Microsoft Entra ID: this user is no longer among the deleted users: it was purged, or restored already (Request_ResourceNotFound)",
    );
    expect(error.nextStep).toMatch(
      /^Past the 30 days only a mailbox that was on hold is left: .*-InactiveMailboxOnly/,
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

describe("Microsoft Entra ID: a chosen department", () => {
  const userPath = `/v1.0/users/${fx.ALICE_ID}`;

  it("sets a chosen department after the restore, with a PATCH of exactly that, and returns it", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().post(restorePath).reply(200, fx.restoredAlice);
    let sent: unknown;
    graph()
      .patch(userPath, (body) => {
        sent = body;
        return true;
      })
      .reply(204);
    const { dir } = connector();
    const user = await dir.restore(restoreInput({ department: "Sales" }));
    expect(sent).toEqual({ department: "Sales" });
    expect(user).toEqual({ ...aliceSnapshot, department: "Sales" });
  });

  it("sends nothing more when the department is the one the user had: the restore brings it back", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().post(restorePath).reply(200, fx.restoredAlice);
    const { dir } = connector();
    // No PATCH is set up: nock refuses any request that is not, and afterEach finds none pending.
    expect((await dir.restore(restoreInput({ department: "Finance" }))).department).toBe("Finance");
  });

  it("still reports the restore when Entra refuses the department, with the department Entra has", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().post(restorePath).reply(200, fx.restoredAlice);
    graph().patch(userPath).reply(403, fx.forbidden);
    const { dir, warnings } = connector();
    const user = await dir.restore(restoreInput({ department: "Sales" }));
    expect(user).toEqual(aliceSnapshot);
    expect(warnings).toEqual([
      {
        message: "restored Entra user, but could not set the chosen department",
        fields: { provider: "Microsoft Entra ID", code: "Authorization_RequestDenied" },
      },
    ]);
  });

  it("reports the restore, not a failure, when Graph's answer cannot be read", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().post(restorePath).reply(200, "<html>restored</html>");
    const { dir, warnings } = connector();
    const user = await dir.restore(
      restoreInput({ newUserName: "alice.martin@contoso.com", dropAliases: ["a.martin@contoso.com"] }),
    );
    expect(user).toEqual({ ...aliceSnapshot, userName: "alice.martin@contoso.com", aliases: [] });
    expect(warnings.map((w) => w.message)).toEqual([
      "restored Entra user, but the answer had an unexpected shape",
    ]);
  });
});

describe("Microsoft Entra ID: an active user by id", () => {
  const bobPath = `/v1.0/users/${fx.BOB_ID}`;

  it("reads the user by id with the connector's $select", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    let selected = "";
    graph()
      .get(bobPath)
      .query((q) => {
        selected = String(q.$select);
        return true;
      })
      .reply(200, fx.activeBob);
    const { dir } = connector();
    expect(await dir.readActive?.(fx.BOB_ID)).toEqual({
      externalId: fx.BOB_ID,
      userName: "bob@contoso.com",
      email: "bob@contoso.com",
      aliases: ["bob.kim@contoso.com"],
      phone: "+1 425 555 0111",
      displayName: "Bob Kim",
      givenName: "Bob",
      familyName: "Kim",
      department: "Sales",
      license: "c7df2760-2c81-4ef7-b578-5b5392b571df",
    });
    expect(selected.split(",")).toEqual(
      expect.arrayContaining([
        "userPrincipalName",
        "mail",
        "proxyAddresses",
        "department",
        "assignedLicenses",
      ]),
    );
  });

  it("answers null when Entra has no active user with the id (404 Request_ResourceNotFound)", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().get(bobPath).query(true).reply(404, fx.notFound);
    const { dir, waits } = connector();
    expect(await dir.readActive?.(fx.BOB_ID)).toBeNull();
    expect(waits).toEqual([]);
  });

  it("says why and what to grant when the lookup is refused", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().get(bobPath).query(true).reply(403, fx.forbidden);
    const { dir } = connector();
    const error = await failure(dir.readActive?.(fx.BOB_ID) ?? Promise.resolve());
    expect(error.code).toBe("Authorization_RequestDenied");
    expect(error.nextStep).toMatch(/User\.Read\.All/);
  });
});

describe("Microsoft Entra ID: every mapped error ends in a next step", () => {
  const PERMISSIONS =
    "In Microsoft Entra admin center > App registrations > this app > API permissions, add the Microsoft Graph " +
    "application permissions User.Read.All, User.DeleteRestore.All (and User.ReadUpdate.All to set a department), " +
    "grant admin consent, then try again.";

  it.each([
    [
      "user name conflict",
      400,
      fx.upnConflict,
      "Request_BadRequest",
      "Choose a new user name in the plan (rename), or replace the active user who has it.",
    ],
    [
      "proxy address conflict",
      400,
      fx.proxyConflict,
      "Request_BadRequest",
      "Restore without the addresses another object holds (the plan's drop the aliases): Entra removes them from this user.",
    ],
    [
      "email conflict",
      400,
      fx.mailConflict,
      "Request_BadRequest",
      "Change the email address of the object that holds it in the Microsoft Entra admin center, then try again.",
    ],
    [
      "conflict on another property",
      400,
      fx.onPremisesConflict,
      "Request_BadRequest",
      "Find the object that holds this user's name or address in the Microsoft Entra admin center, free it, then try again.",
    ],
    ["missing permission", 403, fx.forbidden, "Authorization_RequestDenied", PERMISSIONS],
    [
      "user name outside the tenant's domains",
      400,
      fx.badDomain,
      "Request_BadRequest",
      "Choose a user name in one of the tenant's verified domains (Microsoft Entra admin center > Domain names).",
    ],
    [
      "other refusal",
      400,
      fx.badRequest,
      "Request_BadRequest",
      "Correct what Microsoft Entra ID names in its admin center, or choose differently in the plan, then try again.",
    ],
    [
      "user gone from the deleted items",
      404,
      fx.notFound,
      "Request_ResourceNotFound",
      "Past the 30 days only a mailbox that was on hold is left: in Exchange Online PowerShell, Get-Mailbox -InactiveMailboxOnly <name> shows its ExchangeGuid, then New-MailboxRestoreRequest -SourceMailbox <its ExchangeGuid> -TargetMailbox <mailbox> -AllowLegacyDNMismatch copies it into a mailbox.",
    ],
  ] as const)("restore: %s (%i)", async (_what, status, body, code, nextStep) => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().post(restorePath).reply(status, body);
    const { dir } = connector();
    const error = await failure(dir.restore(restoreInput()));
    expect(error.code).toBe(code);
    expect(error.nextStep).toBe(nextStep);
    // As the admin reads it: what happened, what it means, what to do.
    expect(providerFailure(error, "Nothing was restored.")).toBe(
      `${error.message}. Nothing was restored. ${nextStep}`,
    );
  });

  it("an active user that is already gone (404 on delete)", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().delete(`/v1.0/users/${fx.BOB_ID}`).reply(404, fx.notFound);
    const { dir } = connector();
    const error = await failure(dir.removeActive(fx.BOB_ID));
    expect(error.code).toBe("Request_ResourceNotFound");
    expect(error.nextStep).toBe("Sync the directory so it follows Entra, then plan again.");
  });

  it("a fresh token refused too (401 twice)", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1, fx.ACCESS_TOKEN_2]);
    graph(fx.ACCESS_TOKEN_1).delete(`/v1.0/users/${fx.BOB_ID}`).reply(401, fx.tokenExpired);
    graph(fx.ACCESS_TOKEN_2).delete(`/v1.0/users/${fx.BOB_ID}`).reply(401, fx.tokenExpired);
    const { dir } = connector();
    const error = await failure(dir.removeActive(fx.BOB_ID));
    expect(error.code).toBe("InvalidAuthenticationToken");
    expect(error.nextStep).toBe(
      "Check that ENTRA_GRAPH_URL and ENTRA_LOGIN_URL are the same cloud and that the app registration is in this tenant, then restart.",
    );
  });

  it.each([
    [429, fx.throttled, "TooManyRequests", { "retry-after": "3600" }, /asked for a pause of 60 minute\(s\)/],
    [503, fx.unavailable, "serviceNotAvailable", {}, /^Try again in a few minutes/],
  ] as const)(
    "Graph throttling or down (%i): the retries' own next step",
    async (status, body, code, headers, next) => {
      tokenEndpoint([fx.ACCESS_TOKEN_1]);
      graph().post(restorePath).times(4).optionally().reply(status, body, headers);
      const { dir } = connector();
      const error = await failure(dir.restore(restoreInput()));
      expect(error.code).toBe(code);
      expect(error.transient).toBe(true);
      expect(error.nextStep).toMatch(next);
      nock.cleanAll();
    },
  );

  const APP = "Microsoft Entra admin center > App registrations > this app";
  it.each([
    [
      "unknown tenant",
      400,
      fx.tokenUnknownTenant,
      "AADSTS90002",
      `Set ENTRA_TENANT_ID to the Directory (tenant) ID on the Overview page of ${APP}, then restart.`,
    ],
    [
      "tenant that is not a name",
      400,
      fx.tokenTenantNotValid,
      "AADSTS900023",
      `Set ENTRA_TENANT_ID to the Directory (tenant) ID on the Overview page of ${APP}, then restart.`,
    ],
    [
      "unknown app",
      400,
      fx.tokenUnknownApp,
      "AADSTS700016",
      `Set ENTRA_CLIENT_ID to the Application (client) ID on the Overview page of ${APP}, in this tenant, then restart.`,
    ],
    [
      "expired secret",
      401,
      fx.tokenSecretExpired,
      "AADSTS7000222",
      `Create a new client secret in ${APP} > Certificates & secrets, set ENTRA_CLIENT_SECRET to its Value, then restart.`,
    ],
    [
      "wrong secret",
      401,
      fx.tokenInvalidSecret,
      "AADSTS7000215",
      `Set ENTRA_CLIENT_SECRET to the secret's Value (not its Secret ID) from ${APP} > Certificates & secrets, then restart.`,
    ],
    [
      "app refused",
      400,
      fx.tokenAppDisabled,
      "AADSTS7000112",
      `Check that ENTRA_CLIENT_ID is the Application (client) ID of an app registration enabled in this tenant (${APP}), then restart.`,
    ],
    [
      "other token refusal",
      400,
      fx.tokenBadScope,
      "AADSTS70011",
      `Check ENTRA_TENANT_ID, ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET against ${APP}, then restart.`,
    ],
  ] as const)("token: %s", async (_what, status, body, code, nextStep) => {
    nock(LOGIN).post(TOKEN_PATH).reply(status, body);
    const { dir } = connector();
    const error = await failure(dir.removeActive(fx.BOB_ID));
    expect(error.code).toBe(code);
    expect(error.nextStep).toBe(nextStep);
    expect(error.transient).toBe(false);
  });

  it("answers Graph cannot have sent, and a re-creation", async () => {
    tokenEndpoint([fx.ACCESS_TOKEN_1]);
    graph().get(DELETED_PATH).query(true).reply(200, { items: [] });
    const { dir } = connector();
    const shape = await failure(dir.listDeleted()[Symbol.asyncIterator]().next());
    expect(shape.code).toBe("unexpected_answer");
    expect(shape.nextStep).toMatch(/^Check that ENTRA_GRAPH_URL is Microsoft Graph's host/);
    const recreate = await failure(dir.recreate(restoreInput()));
    expect(recreate.nextStep).toBe("Restore the user instead, within the 30 days.");
  });
});
