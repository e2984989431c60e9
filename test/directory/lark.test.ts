import { createCipheriv, createHash } from "node:crypto";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { storedEnglish } from "../../src/i18n/stored.ts";
import {
  deletedUserFromEvent,
  type LarkConnector,
  larkModule,
  readLarkEvent,
  verifyLarkSignature,
} from "../../src/providers/lark.ts";
import { ProviderError, type ProviderUser, type RestoreInput } from "../../src/providers/port.ts";
import { providerFailure } from "../../src/restore/provider-call.ts";
import {
  APP_ID,
  APP_SECRET,
  batchGetIdAnswer,
  batchUsersAnswer,
  deletedEvent,
  getUserAnswer,
  larkError,
  larkUser,
  missingScope,
  okAnswer,
  rateLimited,
  resignedUser,
  tokenAnswer,
  tokenInvalid,
  urlVerification,
} from "../fixtures/lark.ts";
import { quietDeps } from "./support.ts";

const API = "https://open.larksuite.com";
const TOKEN = "t-caecc734c2e3328a62489fe0648c4b98779515d3";
const OPEN_ID = "ou_7dab8a3d3cdcc9da365777c7ad535d62";
const DEPT = "od-4e6ac4d14bcd5071a37a39de902c7141";
const RESURRECT = `/open-apis/contact/v3/users/${OPEN_ID}/resurrect`;
const env = { LARK_APP_ID: APP_ID, LARK_APP_SECRET: APP_SECRET };

function connector(over: Record<string, string> = {}, now?: () => Date) {
  const q = quietDeps(now);
  const lark = larkModule.create(larkModule.settings.parse({ ...env, ...over }), q.deps) as LarkConnector;
  return { lark, ...q };
}

function expectToken(base = API, token = TOKEN) {
  return nock(base)
    .post("/open-apis/auth/v3/tenant_access_token/internal", { app_id: APP_ID, app_secret: APP_SECRET })
    .reply(200, tokenAnswer(token));
}

const snapshot: ProviderUser = {
  externalId: OPEN_ID,
  userName: "3e3cf96b",
  email: "zhangsan@example.com",
  aliases: [],
  phone: "+8613011111111",
  displayName: "Zhang San",
  givenName: null,
  familyName: null,
  department: DEPT,
  license: null,
};

function restoreInput(over: Partial<RestoreInput> = {}): RestoreInput {
  return {
    externalId: OPEN_ID,
    user: snapshot,
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

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe("Lark settings", () => {
  it("names a missing required variable", () => {
    const result = larkModule.settings.safeParse({ LARK_APP_ID: APP_ID });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual(["LARK_APP_SECRET"]);
    expect(larkModule.required).toEqual(["LARK_APP_ID", "LARK_APP_SECRET"]);
  });

  it("defaults to Lark's public cloud and can point at Feishu", async () => {
    expect(larkModule.settings.parse(env).LARK_API_URL).toBe("https://open.larksuite.com");
    expect(larkModule.settings.parse({ ...env, LARK_API_URL: "" }).LARK_API_URL).toBe(API);
    const feishu = "https://open.feishu.cn";
    expect(larkModule.settings.parse({ ...env, LARK_API_URL: `${feishu}/` }).LARK_API_URL).toBe(feishu);
    expect(larkModule.settings.safeParse({ ...env, LARK_API_URL: "open.feishu.cn" }).success).toBe(false);

    expectToken(feishu);
    nock(feishu)
      .delete(`/open-apis/contact/v3/users/${OPEN_ID}`)
      .query({ user_id_type: "open_id" })
      .reply(200, okAnswer);
    const { lark } = connector({ LARK_API_URL: feishu });
    await lark.removeActive(OPEN_ID);
  });

  it("declares what Lark can and cannot do", () => {
    const { lark } = connector();
    expect(lark.kind).toBe("lark");
    expect(lark.name).toBe("Lark");
    expect(lark.profile.retentionDays).toBe(30);
    expect(lark.profile.capabilities).toMatchObject({
      canRestore: true,
      batchRestore: false,
      hasDeletingState: true,
      setsPassword: false,
      resolves: ["chooseDepartment"],
      listsWholeBin: false,
    });
    expect(storedEnglish(lark.profile.capabilities.note ?? "")).toMatch(/no list of deleted members/);
    expect(lark.profile.followUp.map(storedEnglish).join(" ")).toMatch(/approval roles/);
    expect(lark.profile.followUp.map(storedEnglish).join(" ")).toMatch(/Third-party calendars/);
  });
});

describe("Lark deleted members", () => {
  it("has no bin to list: listDeleted yields nothing and calls nobody", async () => {
    const { lark } = connector();
    const pages: unknown[] = [];
    for await (const page of lark.listDeleted()) pages.push(page);
    expect(pages).toEqual([]);
  });

  it("reads a member-deleted event", () => {
    const user = deletedUserFromEvent(deletedEvent());
    expect(user).toEqual({
      externalId: OPEN_ID,
      userName: "3e3cf96b",
      email: "zhangsan@example.com",
      aliases: ["zhangsan@mail.example.com"],
      phone: "+8613011111111",
      displayName: "Zhang San",
      givenName: null,
      familyName: null,
      department: DEPT,
      license: null,
      status: "deleted",
      deletedAt: new Date(1732442400000),
      deletedBy: null,
      deletionCompletesAt: null,
    });
  });

  it("ignores other events and deleted events without an open_id", () => {
    const created = {
      ...deletedEvent(),
      header: { ...deletedEvent().header, event_type: "contact.user.created_v3" },
    };
    expect(deletedUserFromEvent(created)).toBeNull();
    expect(deletedUserFromEvent(deletedEvent({ object: { open_id: "" } }))).toBeNull();
    expect(deletedUserFromEvent(null)).toBeNull();
    const bare = deletedUserFromEvent(
      deletedEvent({ object: { user_id: undefined, name: "", email: undefined } }),
    );
    expect(bare).toMatchObject({ userName: OPEN_ID, displayName: "San Zhang", email: null });
  });
});

describe("Lark event endpoint helpers", () => {
  const verificationToken = "v-verification-token-0001";
  const encryptKey = "encrypt-key-0123456789";

  function encrypt(payload: unknown): string {
    const key = createHash("sha256").update(encryptKey).digest();
    const iv = Buffer.from("0123456789abcdef");
    const cipher = createCipheriv("aes-256-cbc", key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(payload)), cipher.final()]);
    return Buffer.concat([iv, data]).toString("base64");
  }

  function signed(rawBody: string) {
    const timestamp = "1732442400";
    const nonce = "13425";
    const signature = createHash("sha256")
      .update(timestamp + nonce + encryptKey + rawBody)
      .digest("hex");
    return {
      "X-Lark-Request-Timestamp": timestamp,
      "X-Lark-Request-Nonce": nonce,
      "X-Lark-Signature": signature,
    };
  }

  it("answers the url_verification challenge when the token matches", () => {
    const rawBody = JSON.stringify(urlVerification());
    expect(readLarkEvent({ rawBody, headers: {}, verificationToken })).toEqual({
      kind: "challenge",
      challenge: "ajls384kdjx98XX",
    });
    const forged = JSON.stringify(urlVerification("v-someone-else"));
    expect(readLarkEvent({ rawBody: forged, headers: {}, verificationToken })).toEqual({
      kind: "rejected",
      reason: "verification token does not match",
    });
  });

  it("reads a plain deleted event and refuses one with the wrong token", () => {
    const ok = readLarkEvent({ rawBody: JSON.stringify(deletedEvent()), headers: {}, verificationToken });
    expect(ok).toMatchObject({ kind: "deleted", eventId: "5e3702a84e847582be8db7fb73283c02" });
    expect(ok.kind === "deleted" && ok.user.externalId).toBe(OPEN_ID);
    const bad = readLarkEvent({
      rawBody: JSON.stringify(deletedEvent({ token: "v-forged" })),
      headers: {},
      verificationToken,
    });
    expect(bad.kind).toBe("rejected");
  });

  it("decrypts and checks the signature of an encrypted event", () => {
    const rawBody = JSON.stringify({ encrypt: encrypt(deletedEvent()) });
    const headers = signed(rawBody);
    expect(readLarkEvent({ rawBody, headers, verificationToken, encryptKey }).kind).toBe("deleted");
    expect(
      verifyLarkSignature({
        timestamp: headers["X-Lark-Request-Timestamp"],
        nonce: headers["X-Lark-Request-Nonce"],
        encryptKey,
        rawBody,
        signature: headers["X-Lark-Signature"],
      }),
    ).toBe(true);
    const tampered = { ...headers, "X-Lark-Signature": "0".repeat(64) };
    expect(readLarkEvent({ rawBody, headers: tampered, verificationToken, encryptKey })).toEqual({
      kind: "rejected",
      reason: "signature does not match",
    });
    expect(readLarkEvent({ rawBody, headers, verificationToken }).kind).toBe("rejected");
    const challenge = JSON.stringify({ encrypt: encrypt(urlVerification()) });
    expect(readLarkEvent({ rawBody: challenge, headers: {}, verificationToken, encryptKey })).toEqual({
      kind: "challenge",
      challenge: "ajls384kdjx98XX",
    });
  });

  it("ignores events it does not handle", () => {
    const other = {
      ...deletedEvent(),
      header: { ...deletedEvent().header, event_type: "im.message.receive_v1" },
    };
    expect(readLarkEvent({ rawBody: JSON.stringify(other), headers: {} })).toEqual({
      kind: "ignored",
      eventType: "im.message.receive_v1",
    });
    expect(readLarkEvent({ rawBody: "not json", headers: {} }).kind).toBe("rejected");
  });

  it("takes the verification token only as a string", () => {
    const read = (token: unknown) =>
      readLarkEvent({ rawBody: JSON.stringify(deletedEvent({ token })), headers: {}, verificationToken });
    expect(read([verificationToken])).toEqual({
      kind: "rejected",
      reason: "verification token is not a string",
    });
    expect(read({ toString: verificationToken })).toMatchObject({ kind: "rejected" });
    expect(read(null)).toMatchObject({ kind: "rejected" });
    expect(read(undefined)).toEqual({ kind: "rejected", reason: "verification token is missing" });
    const challenge = { ...urlVerification(), token: [verificationToken] };
    expect(readLarkEvent({ rawBody: JSON.stringify(challenge), headers: {}, verificationToken }).kind).toBe(
      "rejected",
    );
    expect(read(verificationToken).kind).toBe("deleted");
  });
});

describe("Lark's field limits", () => {
  it("cuts a name to Lark's 255 characters, and drops ids and addresses longer than Lark's", () => {
    const user = deletedUserFromEvent(
      deletedEvent({ object: { name: "名".repeat(300_000), email: `${"a".repeat(250)}@example.com` } }),
    );
    expect(user?.displayName).toBe("名".repeat(255));
    expect(user?.email).toBeNull();
    expect(user?.externalId).toBe(OPEN_ID);
    const emoji = deletedUserFromEvent(deletedEvent({ object: { name: `${"x".repeat(254)}😀` } }));
    expect(emoji?.displayName).toBe("x".repeat(254));
    expect(deletedUserFromEvent(deletedEvent({ object: { open_id: `ou_${"f".repeat(100)}` } }))).toBeNull();
    const longIds = deletedUserFromEvent(
      deletedEvent({ object: { user_id: "u".repeat(65), mobile: "+1".repeat(20), department_ids: "od-x" } }),
    );
    expect(longIds).toMatchObject({ userName: OPEN_ID, phone: null, department: null });
  });
});

describe("Lark restore", () => {
  it("resurrects the member into their department with their seat, then reads them back", async () => {
    expectToken();
    nock(API, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .post(RESURRECT, { departments: [{ department_id: DEPT }], subscription_ids: ["7079609167680782300"] })
      .query({ user_id_type: "open_id", department_id_type: "open_department_id" })
      .reply(200, okAnswer);
    nock(API, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get(`/open-apis/contact/v3/users/${OPEN_ID}`)
      .query({ user_id_type: "open_id", department_id_type: "open_department_id" })
      .reply(200, getUserAnswer());
    const { lark } = connector();
    const restored = await lark.restore(restoreInput({ license: "7079609167680782300" }));
    expect(restored).toMatchObject({
      externalId: OPEN_ID,
      userName: "3e3cf96b",
      email: "zhangsan@example.com",
      aliases: ["zhangsan@mail.example.com"],
      department: DEPT,
    });
  });

  it("restores into the department the admin chose", async () => {
    expectToken();
    nock(API)
      .post(RESURRECT, { departments: [{ department_id: "od-new" }] })
      .query(true)
      .reply(200, okAnswer);
    nock(API)
      .get(`/open-apis/contact/v3/users/${OPEN_ID}`)
      .query(true)
      .reply(200, getUserAnswer(larkUser({ department_ids: ["od-new"] })));
    const { lark } = connector();
    expect((await lark.restore(restoreInput({ department: "od-new" }))).department).toBe("od-new");
  });

  it("sends an empty body when no department or seat is known (Lark restores to the root department)", async () => {
    expectToken();
    nock(API)
      .post(RESURRECT, (body) => JSON.stringify(body) === "{}")
      .query(true)
      .reply(200, okAnswer);
    nock(API).get(`/open-apis/contact/v3/users/${OPEN_ID}`).query(true).reply(200, getUserAnswer());
    const { lark } = connector();
    await lark.restore(restoreInput({ user: { ...snapshot, department: null } }));
  });

  it("still reports success when the member cannot be read back", async () => {
    expectToken();
    nock(API).post(RESURRECT).query(true).reply(200, okAnswer);
    nock(API)
      .get(`/open-apis/contact/v3/users/${OPEN_ID}`)
      .query(true)
      .reply(400, larkError(41050, "no user authority error"));
    const { lark, warnings } = connector();
    expect(await lark.restore(restoreInput())).toEqual(snapshot);
    expect(warnings.map((w) => w.message)).toEqual(["restored Lark member could not be read back"]);
  });

  it("cannot rename, drop an email or re-create, and says so without calling Lark", async () => {
    const { lark } = connector();
    expect((await failure(lark.restore(restoreInput({ newUserName: "zs2" })))).code).toBe("not_supported");
    expect((await failure(lark.restore(restoreInput({ dropEmail: true })))).conflict).toBe("email");
    const recreate = await failure(lark.recreate(restoreInput()));
    expect(recreate.message).toBe("Lark: Lark restores members; it does not re-create them (not_supported)");
  });

  it.each([
    [44028, "Exceed recoverable time", "expired"],
    [44030, "Mobile duplicated", "phone"],
    [44031, "Email duplicated", "email"],
    [44032, "UserID duplicated", "userName"],
    [44034, "User is in delete progress, retry later", "deleting"],
    [41007, "exceed uncertain tenant seat limit error", "seat"],
    [41008, "exceed bill seat limit error", "seat"],
    [44023, "exceed feature contact seat limit", "seat"],
    [44046, "user license subscription id must not empty in multi-license tenant", "seat"],
    [44047, "license subscription id exceed limit", "seat"],
    [44048, "user license subscription id invalid", "seat"],
  ])("maps Lark's %i (%s) to the %s conflict, without retrying", async (code, msg, conflict) => {
    expectToken();
    nock(API).post(RESURRECT).query(true).reply(400, larkError(code, msg));
    const { lark, waits } = connector();
    const error = await failure(lark.restore(restoreInput()));
    expect(error.conflict).toBe(conflict);
    expect(error.code).toBe(String(code));
    expect(error.status).toBe(400);
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(new RegExp(`^Lark: .+ \\(${code}\\)$`));
    expect(waits).toEqual([]);
  });

  it("says plainly when the member is still being deleted", async () => {
    expectToken();
    nock(API)
      .post(RESURRECT)
      .query(true)
      .reply(400, larkError(44034, "User is in delete progress, retry later"));
    const { lark } = connector();
    expect((await failure(lark.restore(restoreInput()))).message).toBe(
      "Lark: Lark is still finishing the deletion; retry later (it takes at most 48 hours) (44034)",
    );
  });

  it("reads an error Lark answers with HTTP 200", async () => {
    expectToken();
    nock(API).post(RESURRECT).query(true).reply(200, { code: 44031, msg: "Email duplicated", data: {} });
    const { lark } = connector();
    const error = await failure(lark.restore(restoreInput()));
    expect(error.conflict).toBe("email");
    expect(error.status).toBe(200);
  });

  it("sends no more than 10 restores a minute", async () => {
    let clock = Date.parse("2026-11-24T10:00:00Z");
    const { lark, waits } = connector({}, () => new Date(clock));
    expectToken();
    nock(API).post(RESURRECT).query(true).times(12).reply(200, okAnswer);
    nock(API).get(`/open-apis/contact/v3/users/${OPEN_ID}`).query(true).times(12).reply(200, getUserAnswer());
    for (let i = 0; i < 10; i++) await lark.restore(restoreInput());
    expect(waits).toEqual([]);
    clock += 20_000;
    await lark.restore(restoreInput());
    expect(waits).toEqual([40_000]);
    // The clock did not move during the (recorded, not real) wait: the next slot is still a minute on.
    await lark.restore(restoreInput());
    expect(waits).toEqual([40_000, 40_000]);
  });

  it("paces concurrent restores in order", async () => {
    const { lark, waits } = connector();
    expectToken();
    nock(API).post(RESURRECT).query(true).times(11).reply(200, okAnswer);
    nock(API).get(`/open-apis/contact/v3/users/${OPEN_ID}`).query(true).times(11).reply(200, getUserAnswer());
    await Promise.all(Array.from({ length: 11 }, () => lark.restore(restoreInput())));
    expect(waits).toEqual([60_000]);
  });
});

describe("Lark active members", () => {
  it("finds active members by email, phone and user ID", async () => {
    expectToken();
    nock(API)
      .post("/open-apis/contact/v3/users/batch_get_id", {
        emails: ["zhangsan@example.com"],
        mobiles: ["+8613011111111", "+8613022222222"],
      })
      .query({ user_id_type: "open_id" })
      .reply(
        200,
        batchGetIdAnswer([
          {
            user_id: OPEN_ID,
            email: "zhangsan@example.com",
            status: { is_resigned: false, is_activated: true },
          },
          { user_id: OPEN_ID, mobile: "+8613011111111", status: { is_resigned: false, is_activated: true } },
          { mobile: "+8613022222222" },
        ]),
      );
    nock(API)
      .get("/open-apis/contact/v3/users/batch")
      .query({ user_ids: OPEN_ID, user_id_type: "open_id", department_id_type: "open_department_id" })
      .reply(200, batchUsersAnswer([larkUser()]));
    nock(API)
      .get("/open-apis/contact/v3/users/batch")
      .query({
        user_ids: ["lisi", "wangwu"],
        user_id_type: "user_id",
        department_id_type: "open_department_id",
      })
      .reply(
        200,
        batchUsersAnswer([
          larkUser({ open_id: "ou_lisi", user_id: "lisi", name: "Li Si", email: "lisi@example.com" }),
          larkUser({
            open_id: "ou_wangwu",
            user_id: "wangwu",
            status: { is_resigned: true, is_activated: true },
          }),
        ]),
      );
    const { lark } = connector();
    const found = await lark.findActive({
      userNames: ["lisi", "wangwu"],
      addresses: ["ZhangSan@example.com"],
      phones: ["+8613011111111", "+8613022222222"],
    });
    expect(found.map((u) => [u.externalId, u.userName, u.displayName])).toEqual([
      [OPEN_ID, "3e3cf96b", "Zhang San"],
      ["ou_lisi", "lisi", "Li Si"],
    ]);
  });

  it("asks nothing when there is nothing to look up", async () => {
    expectToken();
    nock(API).post("/open-apis/contact/v3/users/batch_get_id").query(true).reply(200, batchGetIdAnswer([]));
    const { lark } = connector();
    expect(await lark.findActive({ userNames: [], addresses: ["x@example.com"], phones: [] })).toEqual([]);
  });

  it("removes an active member by open_id", async () => {
    expectToken();
    nock(API, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .delete(`/open-apis/contact/v3/users/${OPEN_ID}`)
      .query({ user_id_type: "open_id" })
      .reply(200, okAnswer);
    const { lark } = connector();
    await expect(lark.removeActive(OPEN_ID)).resolves.toBeUndefined();
  });
});

describe("Lark HTTP behaviour", () => {
  const GET_USER = `/open-apis/contact/v3/users/${OPEN_ID}`;

  it("waits out a 429 for the seconds in x-ogw-ratelimit-reset, then succeeds", async () => {
    expectToken();
    nock(API).delete(GET_USER).query(true).reply(429, rateLimited, { "x-ogw-ratelimit-reset": "7" });
    nock(API).delete(GET_USER).query(true).reply(200, okAnswer);
    const { lark, waits, warnings } = connector();
    await lark.removeActive(OPEN_ID);
    expect(waits).toEqual([7000]);
    expect(warnings[0]?.fields).toMatchObject({ provider: "Lark", code: "99991400", status: 429 });
  });

  it("honours Retry-After on a 429 too", async () => {
    expectToken();
    nock(API).delete(GET_USER).query(true).reply(429, rateLimited, { "retry-after": "3" });
    nock(API).delete(GET_USER).query(true).reply(200, okAnswer);
    const { lark, waits } = connector();
    await lark.removeActive(OPEN_ID);
    expect(waits).toEqual([3000]);
  });

  it("retries Lark's older rate-limit answer (HTTP 400, code 99991400)", async () => {
    expectToken();
    nock(API).post(RESURRECT).query(true).reply(400, rateLimited, { "x-ogw-ratelimit-reset": "2" });
    nock(API).post(RESURRECT).query(true).reply(200, okAnswer);
    nock(API).get(GET_USER).query(true).reply(200, getUserAnswer());
    const { lark, waits } = connector();
    await lark.restore(restoreInput());
    expect(waits).toEqual([2000]);
  });

  it("fetches a new token once on a 401", async () => {
    expectToken(API, "t-first-token-000000");
    expectToken(API, "t-second-token-00000");
    nock(API, { reqheaders: { authorization: "Bearer t-first-token-000000" } })
      .delete(GET_USER)
      .query(true)
      .reply(401, tokenInvalid);
    nock(API, { reqheaders: { authorization: "Bearer t-second-token-00000" } })
      .delete(GET_USER)
      .query(true)
      .reply(200, okAnswer);
    const { lark } = connector();
    await lark.removeActive(OPEN_ID);
  });

  it.each([200, 400])("fetches a new token once when Lark says 99991663 with HTTP %i", async (status) => {
    expectToken(API, "t-first-token-000000");
    expectToken(API, "t-second-token-00000");
    nock(API, { reqheaders: { authorization: "Bearer t-first-token-000000" } })
      .delete(GET_USER)
      .query(true)
      .reply(status, tokenInvalid);
    nock(API, { reqheaders: { authorization: "Bearer t-second-token-00000" } })
      .delete(GET_USER)
      .query(true)
      .reply(200, okAnswer);
    const { lark, waits } = connector();
    await lark.removeActive(OPEN_ID);
    expect(waits).toEqual([0]);
  });

  it("does not fetch a third token when the new one is refused too", async () => {
    expectToken(API, "t-first-token-000000");
    expectToken(API, "t-second-token-00000");
    nock(API).delete(GET_USER).query(true).times(2).reply(400, tokenInvalid);
    const { lark } = connector();
    const error = await failure(lark.removeActive(OPEN_ID));
    expect(error.message).toBe("Lark: refused the app's access token (99991663)");
    expect(error.transient).toBe(false);
  });

  it("names Lark and says to try later when it is down", async () => {
    expectToken();
    nock(API).delete(GET_USER).query(true).times(4).reply(503, "<html>Service Unavailable</html>");
    const { lark, waits } = connector();
    const error = await failure(lark.removeActive(OPEN_ID));
    expect(error.message).toMatch(/^Lark: had a server error.*gave up after 4 tries \(503\)$/);
    expect(error.transient).toBe(true);
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it("reports refused credentials as such, not as Lark being unreachable", async () => {
    nock(API)
      .post("/open-apis/auth/v3/tenant_access_token/internal")
      .reply(200, { code: 10014, msg: `app secret invalid: ${APP_SECRET}` });
    const { lark, waits } = connector();
    const error = await failure(lark.removeActive(OPEN_ID));
    expect(error.message).toBe("Lark: the app secret was not accepted (10014)");
    expect(waits).toEqual([]);
  });
});

describe("Lark secrets", () => {
  it("never puts the app secret or a token in errors or warnings", async () => {
    nock(API).post("/open-apis/auth/v3/tenant_access_token/internal").reply(200, tokenAnswer(TOKEN));
    nock(API)
      .delete(`/open-apis/contact/v3/users/${OPEN_ID}`)
      .query(true)
      .reply(503, { code: 1, msg: "busy" });
    nock(API)
      .delete(`/open-apis/contact/v3/users/${OPEN_ID}`)
      .query(true)
      .reply(400, larkError(99999999, `bad request from Bearer ${TOKEN} with secret ${APP_SECRET}`));
    const { lark, warnings } = connector();
    const error = await failure(lark.removeActive(OPEN_ID));
    expect(error.message).toMatch(
      /^Lark: refused the request: bad request from \[redacted\] with secret \[redacted\]/,
    );
    const seen = JSON.stringify({ message: error.message, details: error.details, warnings });
    expect(seen).not.toContain(APP_SECRET);
    expect(seen).not.toContain(TOKEN);
    expect(warnings.length).toBe(1);

    nock(API)
      .post("/open-apis/auth/v3/tenant_access_token/internal")
      .reply(400, { code: 99999998, msg: `rejected ${APP_SECRET}` });
    const { lark: other } = connector();
    const refused = await failure(other.removeActive(OPEN_ID));
    expect(refused.message).not.toContain(APP_SECRET);
  });
});

describe("Lark: an active member by id", () => {
  const GET_USER = `/open-apis/contact/v3/users/${OPEN_ID}`;

  it("reads the member by open_id, as the connector keeps it", async () => {
    expectToken();
    nock(API, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get(GET_USER)
      .query({ user_id_type: "open_id", department_id_type: "open_department_id" })
      .reply(200, getUserAnswer());
    const { lark } = connector();
    expect(await lark.readActive(OPEN_ID)).toEqual({
      externalId: OPEN_ID,
      userName: "3e3cf96b",
      email: "zhangsan@example.com",
      aliases: ["zhangsan@mail.example.com"],
      phone: "+8613011111111",
      displayName: "Zhang San",
      givenName: null,
      familyName: null,
      department: DEPT,
      license: null,
    });
  });

  it("answers null for a resigned (deleted) member", async () => {
    expectToken();
    nock(API).get(GET_USER).query(true).reply(200, getUserAnswer(resignedUser()));
    const { lark } = connector();
    expect(await lark.readActive(OPEN_ID)).toBeNull();
  });

  it("answers null for an id Lark does not know (41012)", async () => {
    expectToken();
    nock(API).get(GET_USER).query(true).reply(400, larkError(41012, "user id invalid error"));
    const { lark, waits } = connector();
    expect(await lark.readActive(OPEN_ID)).toBeNull();
    expect(waits).toEqual([]);
  });

  it("says what to fix when the member is outside the app's contacts data scope (41050)", async () => {
    expectToken();
    nock(API).get(GET_USER).query(true).reply(400, larkError(41050, "no user authority error"));
    const { lark } = connector();
    const error = await failure(lark.readActive(OPEN_ID));
    expect(error.code).toBe("41050");
    expect(error.nextStep).toMatch(/contacts data scope .*Data permissions, publish a new app version/);
  });
});

describe("Lark: every mapped error ends in a next step", () => {
  const DELETED_MEMBERS = "the Lark Admin Console (Organization > Member and Department > Deleted Members)";
  const SCOPES = "the Lark developer console (your app > Permissions & Scopes)";

  it.each([
    [
      44028,
      "Exceed recoverable time",
      "Add the person again as a new member in the Lark Admin Console if they need an account.",
    ],
    [
      44029,
      "No access to resurrect",
      "Ask Lark support to enable member restore through the Open API for your organization (it needs a Pro or Enterprise plan and a custom app), then retry.",
    ],
    [
      44030,
      "Mobile duplicated",
      "Change the other member's phone number in the Lark Admin Console (or delete that member), then retry.",
    ],
    [
      44031,
      "Email duplicated",
      "Change the other member's email address in the Lark Admin Console (or delete that member), then retry.",
    ],
    [
      44032,
      "UserID duplicated",
      "Replace the active member who has this user ID (the plan's replace, with approval), then retry.",
    ],
    [44033, "User not resigned", "Nothing to restore: the member is active in Lark."],
    [
      44034,
      "User is in delete progress, retry later",
      "Retry once Lark has finished the deletion, at most 48 hours after it began.",
    ],
    [
      41007,
      "exceed uncertain tenant seat limit error",
      "Delete members who have left, or ask Lark support to raise the member limit, then retry.",
    ],
    [
      41008,
      "exceed bill seat limit error",
      "Delete members who have left, or ask Lark support to raise the member limit, then retry.",
    ],
    [
      44023,
      "exceed feature contact seat limit",
      "Upgrade the Lark plan, or delete members who have left, then retry.",
    ],
    [
      44041,
      "anonymize user info is not allowed to update",
      "Add the person again as a new member in the Lark Admin Console if they need an account.",
    ],
    [
      44046,
      "user license subscription id must not empty in multi-license tenant",
      `Restore this member in ${DELETED_MEMBERS}, where you choose the seat.`,
    ],
    [
      44047,
      "license subscription id exceed limit",
      "Free or buy a seat of this licence in the Lark Admin Console, then retry.",
    ],
    [
      44048,
      "user license subscription id invalid",
      `Restore this member in ${DELETED_MEMBERS}, where you choose a valid seat.`,
    ],
    [
      44050,
      "not set subscription ids auth",
      `Enable the "Assign user seats" permission in ${SCOPES}, publish a new app version, then retry.`,
    ],
    [
      41050,
      "no user authority error",
      `Add the member (or all members) to the app's contacts data scope in ${SCOPES} > Data permissions, publish a new app version, then retry.`,
    ],
    [
      41012,
      "user id invalid error",
      "Check the member in the Lark Admin Console: the app only knows members deleted while it was subscribed.",
    ],
    [
      40001,
      "invalid parameter",
      "Look the code up in Lark's error code list (open.larksuite.com), correct what it names in the Lark Admin Console, then retry.",
    ],
  ])("restore: %i (%s)", async (code, msg, nextStep) => {
    expectToken();
    nock(API).post(RESURRECT).query(true).reply(400, larkError(code, msg));
    const { lark } = connector();
    const error = await failure(lark.restore(restoreInput()));
    expect(error.code).toBe(String(code));
    expect(error.nextStep).toBe(nextStep);
    // As the admin reads it: what happened, what it means, what to do.
    expect(providerFailure(error, "Nothing was restored.")).toBe(
      `${error.message}. Nothing was restored. ${nextStep}`,
    );
  });

  it("names the scopes Lark says are missing (99991672)", async () => {
    expectToken();
    nock(API)
      .post(RESURRECT)
      .query(true)
      .reply(400, missingScope(["contact:contact"]));
    const { lark } = connector();
    const error = await failure(lark.restore(restoreInput()));
    expect(error.code).toBe("99991672");
    expect(error.nextStep).toBe(
      `Enable contact:contact in ${SCOPES}, publish a new app version, then retry.`,
    );
  });

  it("reads the scopes from Lark's message when it lists no violations (99991672)", async () => {
    expectToken();
    nock(API).post("/open-apis/contact/v3/users/batch_get_id").query(true).reply(400, {
      code: 99991672,
      msg: "Access denied. One of the following scopes is required: [contact:user.id:readonly, contact:contact:readonly_as_app].",
    });
    const { lark } = connector();
    const error = await failure(lark.findActive({ userNames: [], addresses: ["x@example.com"], phones: [] }));
    expect(error.nextStep).toBe(
      `Enable contact:user.id:readonly, contact:contact:readonly_as_app in ${SCOPES}, publish a new app version, then retry.`,
    );
  });

  it.each([
    [
      10003,
      "invalid param",
      "Set LARK_APP_ID to the App ID (cli_…) on your app's Credentials & Basic Info page, then restart.",
    ],
    [
      10014,
      "app secret invalid",
      "Set LARK_APP_SECRET to the App Secret on your app's Credentials & Basic Info page, then restart.",
    ],
  ])("token: %i", async (code, msg, nextStep) => {
    nock(API).post("/open-apis/auth/v3/tenant_access_token/internal").reply(200, { code, msg });
    const { lark } = connector();
    const error = await failure(lark.removeActive(OPEN_ID));
    expect(error.code).toBe(String(code));
    expect(error.nextStep).toBe(nextStep);
  });

  it("a refused access token, twice (99991663)", async () => {
    expectToken(API, "t-first-token-000000");
    expectToken(API, "t-second-token-00000");
    nock(API).delete(`/open-apis/contact/v3/users/${OPEN_ID}`).query(true).times(2).reply(400, tokenInvalid);
    const { lark } = connector();
    const error = await failure(lark.removeActive(OPEN_ID));
    expect(error.code).toBe("99991663");
    expect(error.nextStep).toBe(
      "Check that LARK_APP_ID and LARK_APP_SECRET are the same app's and that LARK_API_URL is its cloud (Lark or Feishu), then restart.",
    );
  });

  it.each([
    [
      429,
      rateLimited,
      { "x-ogw-ratelimit-reset": "600" },
      "99991400",
      /^Lark asked for a pause of 10 minute\(s\)/,
    ],
    [503, { code: 1, msg: "busy" }, {}, "1", /^Try again in a few minutes/],
  ] as const)(
    "Lark limiting or down (%i): the retries' own next step",
    async (status, body, headers, code, next) => {
      expectToken();
      nock(API)
        .delete(`/open-apis/contact/v3/users/${OPEN_ID}`)
        .query(true)
        .times(4)
        .optionally()
        .reply(status, body, headers);
      const { lark } = connector();
      const error = await failure(lark.removeActive(OPEN_ID));
      expect(error.code).toBe(code);
      expect(error.nextStep).toMatch(next);
      nock.cleanAll();
    },
  );

  it("what Lark cannot do says what to do instead, without calling Lark", async () => {
    const { lark } = connector();
    const rename = await failure(lark.restore(restoreInput({ newUserName: "zs2" })));
    expect(rename.nextStep).toBe(
      "Keep the user ID and replace the active member who has it (the plan's replace), then retry.",
    );
    const phone = await failure(lark.restore(restoreInput({ dropPhone: true })));
    expect(phone.nextStep).toBe(
      "Change the other member's phone number in the Lark Admin Console, then retry.",
    );
    const recreate = await failure(lark.recreate(restoreInput()));
    expect(recreate.nextStep).toBe("Restore the member instead, within the 30 days.");
  });
});
