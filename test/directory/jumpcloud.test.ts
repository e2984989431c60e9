import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { said } from "../../src/i18n/said.ts";
import { storedEnglish } from "../../src/i18n/stored.ts";
import { translator } from "../../src/i18n/translator.ts";
import { jumpcloudModule, parseSearchAfter } from "../../src/providers/jumpcloud.ts";
import type {
  DeletedProviderUser,
  DirectoryConnector,
  ProviderUser,
  RestoreInput,
} from "../../src/providers/port.ts";
import { ProviderError } from "../../src/providers/port.ts";
import { Refused, refusalText } from "../../src/restore/outcome.ts";
import { providerFailure, providerFailureSaid } from "../../src/restore/provider-call.ts";
import { escapeMrkdwn } from "../../src/slack/blocks/mrkdwn.ts";
import {
  activeSystemUser,
  badRequest,
  conflict409,
  conflict409Email,
  createdSystemUser,
  emailTaken,
  failedUserDeleteEvent,
  forbidden,
  insightsHeaders,
  malformedOrgId,
  notFound,
  ORG_ID,
  orgIdNotFound,
  passwordRefused,
  paymentRequired,
  readSystemUser,
  serviceUnavailable,
  suspendedSystemUser,
  systemUsersList,
  tooManyRequests,
  unauthorized,
  userDeleteEvent,
  userDeleteEvent3,
  userDeleteEventWithChanges,
  usernameTaken,
} from "../fixtures/jumpcloud.ts";
import { quietDeps } from "./support.ts";

const API_KEY = "jc-api-key-0123456789abcdef";
const PASSWORD = "Tmp-Pa55word!xyz";
const INSIGHTS = "https://api.jumpcloud.com";
const CONSOLE = "https://console.jumpcloud.com";
const EVENTS = "/insights/directory/v1/events";

function connector(env: Record<string, string> = {}) {
  const quiet = quietDeps();
  const settings = jumpcloudModule.settings.parse({ JUMPCLOUD_API_KEY: API_KEY, ...env });
  return { jc: jumpcloudModule.create(settings, quiet.deps), ...quiet };
}

/**
 * The first query, exactly: directory events of type user_delete since 90 days before "now"
 * (2026-11-24T10:00:00Z), `search_term.and` as the spec's TermConjunction object (as JumpCloud's
 * PowerShell SDK sends it), not the prose's array.
 */
const firstQuery = {
  service: ["directory"],
  start_time: "2026-08-26T10:00:00Z",
  sort: "ASC",
  limit: 1000,
  search_term: { and: { event_type: "user_delete" } },
};

const snapshot: ProviderUser = {
  externalId: "5c86b7149fdce00001d38014",
  userName: "ada.lovelace",
  email: "ada.lovelace@example.com",
  aliases: [],
  phone: null,
  displayName: "Ada Lovelace",
  givenName: "Ada",
  familyName: "Lovelace",
  department: null,
  license: null,
};

function input(over: Partial<RestoreInput> = {}): RestoreInput {
  return {
    externalId: snapshot.externalId,
    user: snapshot,
    newUserName: null,
    dropAliases: [],
    dropEmail: false,
    newEmail: null,
    dropPhone: false,
    department: null,
    license: null,
    temporaryPassword: PASSWORD,
    ...over,
  };
}

async function caught(run: () => Promise<unknown>): Promise<ProviderError> {
  const error = await run().then(
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

describe("JumpCloud profile", () => {
  it("says plainly that it re-creates rather than restores, for 90 days of Directory Insights", () => {
    const { jc } = connector();
    expect(jc.kind).toBe("jumpcloud");
    expect(jc.name).toBe("JumpCloud");
    expect(jc.profile.capabilities).toMatchObject({
      canRestore: false,
      batchRestore: false,
      hasDeletingState: false,
      setsPassword: true,
      resolves: ["rename"],
      listsWholeBin: false,
    });
    expect(storedEnglish(jc.profile.capabilities.note ?? "")).toMatch(/re-creates the user as a new account/);
    expect(jc.profile.retentionDays).toBe(90);
    expect(jc.profile.followUp.map(storedEnglish).join(" ")).toMatch(/groups/);
    expect(jc.profile.followUp.map(storedEnglish).join(" ")).toMatch(/devices/);
  });
});

describe("JumpCloud listDeleted (Directory Insights user_delete events)", () => {
  it("follows X-Search_after page by page, yielding each page as it arrives", async () => {
    // A single-tenant admin: the API key alone, no x-org-id (the v1 spec: not needed).
    const first = nock(INSIGHTS, {
      reqheaders: { "x-api-key": API_KEY, "content-type": "application/json" },
      badheaders: ["x-org-id"],
    })
      .post(EVENTS, firstQuery)
      .reply(
        200,
        [userDeleteEvent, failedUserDeleteEvent],
        insightsHeaders(2, 2, [1763652363218, "DZrPyW8B"]),
      );
    // The header's timestamp goes back as a string: the spec's `search_after: string[]`.
    const second = nock(INSIGHTS, { badheaders: ["x-org-id"] })
      .post(EVENTS, { ...firstQuery, search_after: ["1763652363218", "DZrPyW8B"] })
      .reply(
        200,
        [userDeleteEventWithChanges, userDeleteEvent3],
        insightsHeaders(2, 2, [1763800000000, "Xk2"]),
      );
    const third = nock(INSIGHTS)
      .post(EVENTS, { ...firstQuery, search_after: ["1763800000000", "Xk2"] })
      .reply(200, [], insightsHeaders(0, 2, [1763800000000, "Xk2"]));

    const { jc } = connector();
    const pages = jc.listDeleted()[Symbol.asyncIterator]();

    const page1 = await pages.next();
    expect(first.isDone()).toBe(true);
    expect(second.isDone()).toBe(false);
    // The failed deletion is not a deleted user.
    expect(page1.value).toEqual([
      {
        ...snapshot,
        status: "deleted",
        deletedAt: new Date("2026-11-20T15:26:03.218Z"),
        deletedBy: "it.admin@example.com",
      } satisfies DeletedProviderUser,
    ]);

    const page2 = await pages.next();
    expect(second.isDone()).toBe(true);
    expect(third.isDone()).toBe(false);
    expect(
      (page2.value as DeletedProviderUser[]).map((u) => [u.userName, u.email, u.displayName, u.deletedBy]),
    ).toEqual([
      ["grace.hopper", "grace.hopper@example.com", "Grace Hopper", "ops.bot"],
      ["alan.turing", "alan.turing@example.com", "Alan Turing", "it.admin@example.com"],
    ]);

    expect((await pages.next()).done).toBe(true);
    expect(third.isDone()).toBe(true);
  });

  it("stops at a page shorter than X-Limit even though X-Search_after is always sent", async () => {
    nock(INSIGHTS)
      .post(EVENTS, firstQuery)
      .reply(200, [userDeleteEvent], insightsHeaders(1, 1000, [1763652363218, "DZrPyW8B"]));
    const { jc } = connector();
    const pages: DeletedProviderUser[][] = [];
    for await (const page of jc.listDeleted()) pages.push(page);
    expect(pages.map((p) => p.map((u) => u.externalId))).toEqual([["5c86b7149fdce00001d38014"]]);
  });

  it("sends x-org-id for a multi-tenant administrator and uses an overridden Insights URL (EU)", async () => {
    nock("https://api.eu.jumpcloud.com", { reqheaders: { "x-api-key": API_KEY, "x-org-id": ORG_ID } })
      .post(EVENTS, firstQuery)
      .reply(200, [], insightsHeaders(0, 1000, []));
    const { jc } = connector({
      JUMPCLOUD_INSIGHTS_URL: "https://api.eu.jumpcloud.com/",
      JUMPCLOUD_ORG_ID: ORG_ID,
    });
    const pages: DeletedProviderUser[][] = [];
    for await (const page of jc.listDeleted()) pages.push(page);
    expect(pages).toEqual([]);
  });

  it("sends a multi-tenant administrator's x-org-id to the console API too", async () => {
    const scope = nock(CONSOLE, { reqheaders: { "x-api-key": API_KEY, "x-org-id": ORG_ID } })
      .get("/api/systemusers")
      .query({ filter: "username:$eq:ada.lovelace", limit: "100" })
      .reply(200, systemUsersList([]));
    const { jc } = connector({ JUMPCLOUD_ORG_ID: ORG_ID });
    expect(await jc.findActive({ userNames: ["ada.lovelace"], addresses: [], phones: [] })).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it("reads X-Search_after as the spec's strings, whatever mix of numbers and strings it holds", () => {
    expect(parseSearchAfter('[1576181718000, "DZrPyW8BNsa9iKWoOm7h"]')).toEqual([
      "1576181718000",
      "DZrPyW8BNsa9iKWoOm7h",
    ]);
    expect(parseSearchAfter('["1576181718000", "DZrPyW8B"]')).toEqual(["1576181718000", "DZrPyW8B"]);
    // Not a cursor: nothing to continue from.
    for (const bad of [null, "", "[]", "not json", '{"a":1}', "[null]", '[{"a":1}]']) {
      expect(parseSearchAfter(bad)).toBeNull();
    }
  });

  it("waits out a 429's Retry-After, then goes on", async () => {
    nock(INSIGHTS)
      .post(EVENTS, firstQuery)
      .reply(429, { message: "Too Many Requests" }, { "Retry-After": "3" });
    nock(INSIGHTS)
      .post(EVENTS, firstQuery)
      .reply(200, [userDeleteEvent], insightsHeaders(1, 1000, [1, "a"]));
    const { jc, waits, warnings } = connector();
    const pages: DeletedProviderUser[][] = [];
    for await (const page of jc.listDeleted()) pages.push(page);
    expect(pages.flat().map((u) => u.userName)).toEqual(["ada.lovelace"]);
    expect(waits).toEqual([3000]);
    expect(warnings.map((w) => w.fields?.code)).toEqual(["throttled"]);
  });

  it("gives up on a JumpCloud that stays down, saying it is JumpCloud and to try later", async () => {
    nock(INSIGHTS).post(EVENTS, firstQuery).times(4).reply(503, serviceUnavailable);
    const { jc, waits } = connector();
    const error = await caught(async () => {
      for await (const _ of jc.listDeleted()) {
        // nothing arrives
      }
    });
    expect(error.message).toMatch(/^JumpCloud: is not answering properly; gave up after 4 tries/);
    expect(error.code).toBe("http_503");
    expect(error.transient).toBe(true);
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it("does not retry a refused API key, and says which variable to check", async () => {
    nock(INSIGHTS).post(EVENTS, firstQuery).reply(401, unauthorized);
    const { jc, waits } = connector();
    const error = await caught(async () => {
      for await (const _ of jc.listDeleted()) {
        // nothing arrives
      }
    });
    expect(error.message).toBe("JumpCloud: refused the API key (check JUMPCLOUD_API_KEY) (unauthorized)");
    expect(error.status).toBe(401);
    expect(error.transient).toBe(false);
    expect(waits).toEqual([]);
  });
});

describe("JumpCloud findActive", () => {
  it("looks each user name and address up with $eq filters and keeps exact matches once", async () => {
    const scope = nock(CONSOLE, { reqheaders: { "x-api-key": API_KEY }, badheaders: ["x-org-id"] })
      .get("/api/systemusers")
      .query({ filter: "username:$eq:ada.lovelace", limit: "100" })
      .reply(200, systemUsersList([activeSystemUser]))
      .get("/api/systemusers")
      .query({ filter: "email:$eq:ada.lovelace@example.com", limit: "100" })
      .reply(200, systemUsersList([]))
      .get("/api/systemusers")
      .query({ filter: "email:$eq:a.lovelace@example.com", limit: "100" })
      .reply(200, systemUsersList([activeSystemUser]));
    const { jc } = connector();
    const found = await jc.findActive({
      userNames: ["ada.lovelace"],
      addresses: ["ada.lovelace@example.com", "a.lovelace@example.com"],
      phones: ["+1 555 0100"],
    });
    expect(scope.isDone()).toBe(true);
    expect(found).toEqual([
      {
        externalId: "5d1e2f3a4b5c6d7e8f901234",
        userName: "ada.lovelace",
        email: "a.lovelace@example.com",
        aliases: [],
        phone: "+1 555 0100",
        displayName: "Ada King",
        givenName: "Ada",
        familyName: "King",
        department: "Engineering",
        license: null,
      },
    ]);
  });
});

describe("JumpCloud restore and re-creation", () => {
  it("cannot restore, and says that a restore re-creates the user", async () => {
    const { jc } = connector();
    const error = await caught(() => jc.restore(input()));
    expect(error.code).toBe("not_supported");
    expect(error.message).toMatch(/re-creates the user as a new account/);
  });

  it("re-creates the user from the snapshot with the temporary password, then expires it", async () => {
    const create = nock(CONSOLE, { reqheaders: { "x-api-key": API_KEY, "content-type": "application/json" } })
      .post("/api/systemusers", {
        username: "ada.lovelace",
        email: "ada.lovelace@example.com",
        firstname: "Ada",
        lastname: "Lovelace",
        displayname: "Ada Lovelace",
        password: PASSWORD,
        state: "ACTIVATED",
      })
      .reply(201, createdSystemUser);
    const expire = nock(CONSOLE, { reqheaders: { "x-api-key": API_KEY } })
      .post("/api/systemusers/65a1f0c2e4b0a1b2c3d4e5f6/expire")
      .reply(200, "");
    const { jc, warnings } = connector();
    const restored = await jc.recreate(input());
    expect(create.isDone() && expire.isDone()).toBe(true);
    // A new account: the new id, not the deleted one's.
    expect(restored.externalId).toBe("65a1f0c2e4b0a1b2c3d4e5f6");
    expect(restored).toMatchObject({ userName: "ada.lovelace", email: "ada.lovelace@example.com" });
    expect(JSON.stringify(warnings)).not.toContain(PASSWORD);
  });

  it("re-creates under a new user name when the plan renames", async () => {
    nock(CONSOLE)
      .post("/api/systemusers", (body) => body.username === "ada.lovelace2" && body.email === snapshot.email)
      .reply(201, { ...createdSystemUser, username: "ada.lovelace2" });
    nock(CONSOLE).post("/api/systemusers/65a1f0c2e4b0a1b2c3d4e5f6/expire").reply(200, "");
    const { jc } = connector({ JUMPCLOUD_API_URL: "https://console.jumpcloud.com/api/" });
    const restored = await jc.recreate(input({ newUserName: "ada.lovelace2" }));
    expect(restored.userName).toBe("ada.lovelace2");
  });

  it("a rename takes along an email that followed the user name: the new account gets the new one", async () => {
    nock(CONSOLE)
      .post(
        "/api/systemusers",
        (body) => body.username === "ada2@example.com" && body.email === "ada2@example.com",
      )
      .reply(201, { ...createdSystemUser, username: "ada2@example.com", email: "ada2@example.com" });
    nock(CONSOLE).post("/api/systemusers/65a1f0c2e4b0a1b2c3d4e5f6/expire").reply(200, "");
    const { jc } = connector({ JUMPCLOUD_API_URL: "https://console.jumpcloud.com/api/" });
    const restored = await jc.recreate(
      input({ newUserName: "ada2@example.com", dropEmail: true, newEmail: "ada2@example.com" }),
    );
    expect(restored).toMatchObject({ userName: "ada2@example.com", email: "ada2@example.com" });
  });

  it("without a temporary password, sends none and leaves JumpCloud to invite the user", async () => {
    nock(CONSOLE)
      .post("/api/systemusers", (body) => !("password" in body) && !("state" in body))
      .reply(201, createdSystemUser);
    const { jc } = connector();
    const restored = await jc.recreate(input({ temporaryPassword: null }));
    expect(restored.externalId).toBe("65a1f0c2e4b0a1b2c3d4e5f6");
  });

  it("keeps the new account when expiring the password fails, and warns without the password", async () => {
    nock(CONSOLE).post("/api/systemusers").reply(201, createdSystemUser);
    nock(CONSOLE).post("/api/systemusers/65a1f0c2e4b0a1b2c3d4e5f6/expire").reply(404, notFound);
    const { jc, warnings } = connector();
    const restored = await jc.recreate(input());
    expect(restored.externalId).toBe("65a1f0c2e4b0a1b2c3d4e5f6");
    expect(warnings).toEqual([
      {
        message: "JumpCloud re-created the user but did not expire the temporary password",
        fields: { provider: "JumpCloud", externalId: "65a1f0c2e4b0a1b2c3d4e5f6", code: "not_found" },
      },
    ]);
    expect(JSON.stringify(warnings)).not.toContain(PASSWORD);
  });

  it("maps a taken user name to our userName conflict", async () => {
    nock(CONSOLE).post("/api/systemusers").reply(400, usernameTaken);
    const { jc } = connector();
    const error = await caught(() => jc.recreate(input()));
    expect(error.conflict).toBe("userName");
    expect(error.code).toBe("username_taken");
    expect(error.message).toBe("JumpCloud: another user already has this user name (username_taken)");
    expect(error.transient).toBe(false);
  });

  it("maps a taken email (400) to our email conflict", async () => {
    nock(CONSOLE).post("/api/systemusers").reply(400, emailTaken);
    const { jc } = connector();
    const error = await caught(() => jc.recreate(input()));
    expect(error.conflict).toBe("email");
    expect(error.code).toBe("email_taken");
  });

  it("maps a 409 about the email to our email conflict", async () => {
    nock(CONSOLE).post("/api/systemusers").reply(409, conflict409Email);
    const { jc } = connector();
    const error = await caught(() => jc.recreate(input()));
    expect(error.conflict).toBe("email");
    expect(error.status).toBe(409);
  });

  it("refuses to re-create without an email (JumpCloud requires one), before calling JumpCloud", async () => {
    const { jc } = connector();
    const error = await caught(() => jc.recreate(input({ dropEmail: true })));
    expect(error.code).toBe("email_required");
    expect(error.conflict).toBe("email");
  });
});

describe("JumpCloud readActive", () => {
  const ID = "65a1f0c2e4b0a1b2c3d4e5f6";
  const ada: ProviderUser = {
    externalId: ID,
    userName: "ada.lovelace",
    email: "ada.lovelace@example.com",
    aliases: [],
    phone: "+44 20 7946 0018",
    displayName: "Ada Lovelace",
    givenName: "Ada",
    familyName: "Lovelace",
    department: "Research",
    license: null,
  };

  /** readActive is optional on the port; JumpCloud has it. */
  function read(jc: DirectoryConnector, id: string): Promise<ProviderUser | null> {
    if (!jc.readActive) throw new Error("the JumpCloud connector reads users by id");
    return jc.readActive(id);
  }

  it("reads the user by id from the console API and maps it like the others", async () => {
    const scope = nock(CONSOLE, { reqheaders: { "x-api-key": API_KEY }, badheaders: ["x-org-id"] })
      .get(`/api/systemusers/${ID}`)
      .reply(200, readSystemUser);
    const { jc } = connector();
    expect(await read(jc, ID)).toEqual(ada);
    expect(scope.isDone()).toBe(true);
  });

  it("returns a suspended user: JumpCloud still has the account, holding its name and email", async () => {
    nock(CONSOLE).get(`/api/systemusers/${ID}`).reply(200, suspendedSystemUser);
    const { jc } = connector();
    expect(await read(jc, ID)).toEqual(ada);
  });

  it("answers null for a user JumpCloud does not have (404): deleted or never there", async () => {
    nock(CONSOLE).get("/api/systemusers/5c86b7149fdce00001d38014").reply(404, notFound);
    const { jc } = connector();
    expect(await read(jc, "5c86b7149fdce00001d38014")).toBeNull();
  });

  it("sends an MSP admin's x-org-id, and an unknown organization is a setup fault, not a gone user", async () => {
    nock(CONSOLE, { reqheaders: { "x-org-id": ORG_ID } })
      .get(`/api/systemusers/${ID}`)
      .reply(404, orgIdNotFound);
    const { jc } = connector({ JUMPCLOUD_ORG_ID: ORG_ID });
    const error = await caught(() => read(jc, ID));
    expect(error.code).toBe("org_not_found");
    expect(error.nextStep).toMatch(/^Check that JUMPCLOUD_ORG_ID is the id of an organization/);
  });

  it("throws a refused API key with its next step rather than reading it as no user", async () => {
    nock(CONSOLE).get(`/api/systemusers/${ID}`).reply(401, unauthorized);
    const { jc } = connector();
    const error = await caught(() => read(jc, ID));
    expect(error.code).toBe("unauthorized");
    expect(error.nextStep).toMatch(/^Set JUMPCLOUD_API_KEY/);
  });

  it("throws, with a next step, when JumpCloud's answer has no id", async () => {
    const { _id, ...withoutId } = readSystemUser;
    nock(CONSOLE).get(`/api/systemusers/${ID}`).reply(200, withoutId);
    const { jc } = connector();
    const error = await caught(() => read(jc, ID));
    expect(error.code).toBe("bad_answer");
    expect(error.nextStep).toMatch(
      /^Look the user up in JumpCloud's Admin Portal \(User Management → Users\) and try again/,
    );
  });
});

/** Runs a sync to its end; the pages themselves do not matter here. */
async function drain(jc: DirectoryConnector): Promise<void> {
  for await (const _ of jc.listDeleted()) {
    // pages are not looked at
  }
}

/** One case per error code the connector maps: how JumpCloud answers, and what the admin reads next. */
interface ErrorCase {
  code: string;
  env?: Record<string, string>;
  answer: () => void;
  call: (jc: DirectoryConnector) => Promise<unknown>;
  message: RegExp;
  nextStep: RegExp;
  conflict?: string | null;
}

const recreate = (jc: DirectoryConnector) => jc.recreate(input());
const lookUp = (jc: DirectoryConnector) =>
  jc.findActive({ userNames: ["ada.lovelace"], addresses: [], phones: [] });
const onCreate =
  (status: number, body: object, headers: Record<string, string> = {}) =>
  () => {
    nock(CONSOLE).post("/api/systemusers").reply(status, body, headers);
  };
const onLookUp = (status: number, body: object) => () => {
  nock(CONSOLE).get("/api/systemusers").query(true).reply(status, body);
};
const onEvents =
  (status: number, body: object, times = 1, headers: Record<string, string> = {}) =>
  () => {
    nock(INSIGHTS).post(EVENTS, firstQuery).times(times).reply(status, body, headers);
  };

const errorCases: ErrorCase[] = [
  {
    code: "username_taken",
    answer: onCreate(400, usernameTaken),
    call: recreate,
    conflict: "userName",
    message: /another user already has this user name/,
    nextStep:
      /^Choose another user name for the re-created account in the plan, or replace the active user who holds it \(needs approval\)\.$/,
  },
  {
    code: "email_taken",
    answer: onCreate(409, conflict409Email),
    call: recreate,
    conflict: "email",
    message: /another user already has this email address/,
    nextStep:
      /^JumpCloud needs this email on the new account: change the email of the active user who holds it in JumpCloud's Admin Portal \(User Management → Users\), then plan the re-creation again\.$/,
  },
  {
    code: "conflict",
    answer: onCreate(409, conflict409),
    call: recreate,
    conflict: null,
    message: /conflict: Conflict/,
    nextStep:
      /^Find the active user .* in JumpCloud's Admin Portal \(User Management → Users\), change it there, then plan the re-creation again\.$/,
  },
  {
    code: "unauthorized",
    answer: onEvents(401, unauthorized),
    call: drain,
    message: /refused the API key \(check JUMPCLOUD_API_KEY\)/,
    nextStep:
      /^Set JUMPCLOUD_API_KEY to the current API key of an active JumpCloud administrator \(Admin Portal, your name at the top right → API Settings; .*\); a multi-tenant \(MSP\) administrator also sets JUMPCLOUD_ORG_ID\.$/,
  },
  {
    code: "unauthorized",
    env: { JUMPCLOUD_ORG_ID: ORG_ID },
    answer: onLookUp(401, unauthorized),
    call: lookUp,
    message: /refused the API key/,
    nextStep:
      /administrator of that organization .* check that JUMPCLOUD_ORG_ID is the id of an organization that administrator manages\.$/,
  },
  {
    code: "payment_required",
    answer: onCreate(402, paymentRequired),
    call: recreate,
    message: /subscription does not cover this/,
    nextStep:
      /^An administrator with billing access settles the organization's subscription in JumpCloud's Admin Portal; then try again\.$/,
  },
  {
    code: "forbidden",
    answer: onEvents(403, forbidden),
    call: drain,
    message: /may not read Directory Insights/,
    nextStep:
      /^Use the API key of an administrator with the Administrator or Administrator With Billing role \(Settings → Administrators in JumpCloud's Admin Portal\): .* refuses a Command Runner's\.$/,
  },
  {
    code: "forbidden",
    answer: onCreate(403, forbidden),
    call: recreate,
    message: /may not manage users/,
    nextStep: /Administrator or Administrator With Billing role/,
  },
  {
    code: "not_found",
    answer: onEvents(404, notFound),
    call: drain,
    message: /found no Directory Insights at this address/,
    nextStep:
      /^Set JUMPCLOUD_INSIGHTS_URL to your region's Directory Insights host \(https:\/\/api\.jumpcloud\.com, or https:\/\/api\.eu\.jumpcloud\.com for the EU data center\), then try again\.$/,
  },
  {
    code: "not_found",
    answer: onLookUp(404, notFound),
    call: lookUp,
    message: /not found: Not Found/,
    nextStep:
      /^Set JUMPCLOUD_API_URL to your region's console host \(https:\/\/console\.jumpcloud\.com, or https:\/\/console\.eu\.jumpcloud\.com for the EU data center\), then try again\.$/,
  },
  {
    code: "org_not_found",
    env: { JUMPCLOUD_ORG_ID: ORG_ID },
    answer: onLookUp(404, orgIdNotFound),
    call: lookUp,
    message: /no such organization: Organization ID Not Found/,
    nextStep: /^Check that JUMPCLOUD_ORG_ID is the id of an organization this administrator manages/,
  },
  {
    code: "org_id_invalid",
    env: { JUMPCLOUD_ORG_ID: "not-an-id" },
    answer: onEvents(400, malformedOrgId),
    call: drain,
    message: /refused the organization id: Malformed ID/,
    nextStep:
      /^Set JUMPCLOUD_ORG_ID to the organization's id exactly as the Multi-Tenant Portal shows it, or unset it for an administrator of a single organization\.$/,
  },
  {
    code: "throttled",
    answer: onEvents(429, tooManyRequests, 4),
    call: drain,
    message: /asked us to slow down; gave up after 4 tries/,
    nextStep:
      /^Try again in a few minutes: JumpCloud limits how many API requests an organization makes in a short time\.$/,
  },
  {
    code: "throttled",
    // A pause longer than the client waits: given up at once, with JumpCloud's own pause.
    answer: onCreate(429, tooManyRequests, { "Retry-After": "3600" }),
    call: recreate,
    message: /asked us to slow down/,
    nextStep: /^JumpCloud asked for a pause of 60 minute\(s\): try again after it\.$/,
  },
  {
    code: "http_503",
    answer: onEvents(503, serviceUnavailable, 4),
    call: drain,
    message: /is not answering properly; gave up after 4 tries/,
    nextStep:
      /^Try again in a few minutes; if it keeps failing, check JumpCloud's status at https:\/\/status\.jumpcloud\.com\.$/,
  },
  {
    code: "password_rejected",
    answer: onCreate(400, passwordRefused),
    call: recreate,
    message: /refused the temporary password: .*password requirements/,
    nextStep:
      /^Check the organization's Password Settings in JumpCloud's Admin Portal against the rule JumpCloud names above, then try again\.$/,
  },
  {
    code: "password_rejected",
    // An MSP admin's refusal that mentions the organization is still about the password.
    env: { JUMPCLOUD_ORG_ID: ORG_ID },
    answer: onCreate(400, passwordRefused),
    call: recreate,
    message: /refused the temporary password/,
    nextStep: /Password Settings/,
  },
  {
    code: "http_400",
    answer: onEvents(400, badRequest),
    call: drain,
    message: /refused: Bad Request: invalid request body/,
    nextStep:
      /^Directory Insights refused this app's query: report the message above to the app's maintainers; the accounts already synced are kept\.$/,
  },
  {
    code: "http_400",
    answer: onCreate(400, badRequest),
    call: recreate,
    message: /refused: Bad Request: invalid request body/,
    nextStep:
      /^Correct what JumpCloud names above, in the plan \(for example another user name\) or on the user in JumpCloud's Admin Portal, then try again\.$/,
  },
  {
    code: "no_cursor",
    answer: onEvents(200, [userDeleteEvent], 1, {
      "X-Result-Count": "1",
      "X-Limit": "1",
      "X-Request-Id": "f5b277fc-7b0b-4c1e-9bee-c5ea1d79302f",
    }),
    call: drain,
    message: /full page but no X-Search_after/,
    nextStep:
      /^Run the sync again later; the accounts already synced are kept\. If it repeats, give JumpCloud support the request id f5b277fc-7b0b-4c1e-9bee-c5ea1d79302f\.$/,
  },
  {
    code: "cursor_loop",
    answer: () => {
      nock(INSIGHTS)
        .post(EVENTS, firstQuery)
        .reply(200, [userDeleteEvent], insightsHeaders(1, 1, [1, "a"]));
      nock(INSIGHTS)
        .post(EVENTS, { ...firstQuery, search_after: ["1", "a"] })
        .reply(200, [userDeleteEvent3], insightsHeaders(1, 1, [1, "a"]));
    },
    call: drain,
    message: /the same page cursor twice/,
    nextStep:
      /^Run the sync again later; the accounts already synced are kept\. If it repeats, give JumpCloud support the request id f5b277fc/,
  },
  {
    code: "not_supported",
    answer: () => {},
    call: (jc) => jc.restore(input()),
    message: /re-creates the user as a new account/,
    nextStep: /^Re-create the user instead: a JumpCloud plan offers re-creation as a new account\.$/,
  },
  {
    code: "email_required",
    answer: () => {},
    call: (jc) => jc.recreate(input({ dropEmail: true })),
    conflict: "email",
    message: /the address cannot be left out/,
    nextStep:
      /^JumpCloud needs an email on every user: keep the email in the plan by changing the email of the active user who holds it/,
  },
  {
    code: "email_missing",
    answer: () => {},
    call: (jc) => jc.recreate(input({ user: { ...snapshot, email: null } })),
    conflict: null,
    message: /none is recorded/,
    nextStep:
      /^Create the user in JumpCloud's Admin Portal \(User Management → Users\) with an email address: Directory Insights recorded none for this account\.$/,
  },
  {
    code: "bad_answer",
    answer: onCreate(201, {}),
    call: recreate,
    message: /created the user but did not say its id/,
    nextStep:
      /^Look for the user in JumpCloud's Admin Portal \(User Management → Users\) before trying again: .* a second re-creation would clash with it\.$/,
  },
];

describe("JumpCloud errors: each ends in a next step the admin can act on", () => {
  it.each(errorCases)("$code: $message", async (c) => {
    c.answer();
    const { jc } = connector(c.env);
    const error = await caught(() => c.call(jc));
    expect(error.code).toBe(c.code);
    expect(error.message).toMatch(c.message);
    expect(error.nextStep).toMatch(c.nextStep);
    if (c.conflict !== undefined) expect(error.conflict).toBe(c.conflict);
    // What the admin reads: what happened, what it means, what to do; never the API key.
    const told = providerFailure(error, "Nothing was restored.");
    expect(told).toBe(`${error.message}. Nothing was restored. ${error.nextStep}`);
    expect(told).not.toContain(API_KEY);
  });

  it("tells the admin, in one message, what happened, that nothing was restored, and which role to use", async () => {
    nock(CONSOLE).post("/api/systemusers").reply(403, forbidden);
    const { jc } = connector();
    const error = await caught(() => jc.recreate(input()));
    expect(providerFailure(error, "Nothing was restored.")).toBe(
      "JumpCloud: the API key's administrator may not manage users (forbidden). Nothing was restored. " +
        "Use the API key of an administrator with the Administrator or Administrator With Billing role " +
        "(Settings → Administrators in JumpCloud's Admin Portal): JumpCloud applies an administrator's role " +
        "to their API key, and refuses a Command Runner's.",
    );
  });

  it("says our next step in the reader's language and JumpCloud's own words as it said them; the English message is unchanged", async () => {
    nock(CONSOLE).post("/api/systemusers").reply(400, { message: "Password needs *2* symbols & 3 digits" });
    const { jc } = connector();
    const error = await caught(() => jc.recreate(input()));
    const refused = new Refused(
      "provider",
      providerFailureSaid(error, said("refusal.outcome.nothingRestored")),
    );
    const english =
      "JumpCloud: refused the temporary password: Password needs *2* symbols & 3 digits (password_rejected). " +
      "Nothing was restored. Check the organization's Password Settings in JumpCloud's Admin Portal against " +
      "the rule JumpCloud names above, then try again.";
    expect(refused.toRefusal().message).toBe(english);
    expect(providerFailure(error, "Nothing was restored.")).toBe(english);
    const dutch = translator("nl-NL", "Europe/Amsterdam");
    expect(refusalText(refused.toRefusal(), dutch)).toBe(
      "JumpCloud: refused the temporary password: Password needs *2* symbols & 3 digits (password_rejected). " +
        "Er is niets hersteld. Vergelijk de Password Settings van de organisatie in de Admin Portal van " +
        "JumpCloud met de regel die JumpCloud hierboven noemt en probeer het opnieuw.",
    );
    // In Slack the provider's words are escaped, our own are not.
    const inSlack = refusalText(refused.toRefusal(), dutch, escapeMrkdwn);
    expect(inSlack).toContain("symbols &amp; 3 digits");
    expect(inSlack).toContain("Vergelijk de Password Settings");
  });
});

describe("JumpCloud removeActive", () => {
  it("deletes the active user, and an already-gone user is fine", async () => {
    const scope = nock(CONSOLE, { reqheaders: { "x-api-key": API_KEY } })
      .delete("/api/systemusers/5d1e2f3a4b5c6d7e8f901234")
      .reply(200, activeSystemUser)
      .delete("/api/systemusers/gone")
      .reply(404, notFound);
    const { jc } = connector();
    await jc.removeActive("5d1e2f3a4b5c6d7e8f901234");
    await jc.removeActive("gone");
    expect(scope.isDone()).toBe(true);
  });

  it("does not take an organization JumpCloud does not know for a user already gone", async () => {
    nock(CONSOLE, { reqheaders: { "x-org-id": ORG_ID } })
      .delete("/api/systemusers/5d1e2f3a4b5c6d7e8f901234")
      .reply(404, orgIdNotFound);
    const { jc } = connector({ JUMPCLOUD_ORG_ID: ORG_ID });
    const error = await caught(() => jc.removeActive("5d1e2f3a4b5c6d7e8f901234"));
    expect(error.code).toBe("org_not_found");
    expect(error.nextStep).toMatch(/JUMPCLOUD_ORG_ID/);
  });
});

describe("JumpCloud settings", () => {
  it("names the missing API key", () => {
    const parsed = jumpcloudModule.settings.safeParse({ JUMPCLOUD_ORG_ID: "org-42" });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain("JUMPCLOUD_API_KEY is required");
    expect(jumpcloudModule.required).toEqual(["JUMPCLOUD_API_KEY"]);
    expect(jumpcloudModule.optional).toEqual([
      "JUMPCLOUD_INSIGHTS_URL",
      "JUMPCLOUD_API_URL",
      "JUMPCLOUD_ORG_ID",
    ]);
  });

  it("defaults to JumpCloud's public cloud, and a base URL can be overridden", () => {
    expect(jumpcloudModule.settings.parse({ JUMPCLOUD_API_KEY: API_KEY })).toEqual({
      JUMPCLOUD_API_KEY: API_KEY,
      JUMPCLOUD_INSIGHTS_URL: "https://api.jumpcloud.com",
      JUMPCLOUD_API_URL: "https://console.jumpcloud.com",
      JUMPCLOUD_ORG_ID: null,
    });
    const eu = jumpcloudModule.settings.parse({
      JUMPCLOUD_API_KEY: API_KEY,
      JUMPCLOUD_API_URL: "https://console.eu.jumpcloud.com/",
    });
    expect(eu.JUMPCLOUD_API_URL).toBe("https://console.eu.jumpcloud.com");
    const bad = jumpcloudModule.settings.safeParse({
      JUMPCLOUD_API_KEY: API_KEY,
      JUMPCLOUD_API_URL: "console",
    });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain("must be an http(s) URL");
  });
});

describe("JumpCloud secrets", () => {
  it("never puts the API key or the temporary password in an error or a warning", async () => {
    // A provider that echoes what it was sent.
    nock(CONSOLE)
      .post("/api/systemusers")
      .reply(400, {
        code: 400,
        message: `Bad Request: password '${PASSWORD}' is too weak`,
        status: "BAD_REQUEST",
      });
    nock(INSIGHTS)
      .post(EVENTS)
      .times(4)
      .reply(500, { message: `internal error for key ${API_KEY}` });
    const { jc, warnings } = connector();

    const refused = await caught(() => jc.recreate(input()));
    expect(refused.message).toContain("is too weak");
    expect(refused.message).not.toContain(PASSWORD);

    const down = await caught(async () => {
      for await (const _ of jc.listDeleted()) {
        // nothing arrives
      }
    });
    for (const text of [
      refused.message,
      down.message,
      JSON.stringify(warnings),
      JSON.stringify(refused.details),
    ]) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(PASSWORD);
    }
  });

  it("keeps the API key out of an error a provider echoes it into", async () => {
    nock(CONSOLE)
      .get("/api/systemusers")
      .query(true)
      .reply(400, { code: 400, message: `invalid key ${API_KEY}`, status: "BAD_REQUEST" });
    const { jc } = connector();
    const error = await caught(() => jc.findActive({ userNames: ["x"], addresses: [], phones: [] }));
    expect(error.message).toBe("JumpCloud: refused: invalid key [redacted] (http_400)");
  });
});
