import nock from "nock";
import { describe, expect, it } from "vitest";
import { storedEnglish } from "../../src/i18n/stored.ts";
import { nextLink, oktaModule } from "../../src/providers/okta.ts";
import type { DeletedProviderUser, RestoreInput } from "../../src/providers/port.ts";
import { ProviderError } from "../../src/providers/port.ts";
import {
  API_TOKEN,
  activationToken,
  activeAda,
  ada,
  adaInResearch,
  adaProvisioned,
  alan,
  alreadyActive,
  departmentInvalid,
  emailTaken,
  forbidden,
  grace,
  illegalArgument,
  internalError,
  invalidToken,
  loginTaken,
  newLoginHolder,
  notFound,
  ORG,
  rateLimited,
  wrongStatus,
} from "../fixtures/okta.ts";
import { quietDeps, useNockedNetwork } from "./support.ts";

const ENV = { OKTA_ORG_URL: ORG, OKTA_API_TOKEN: API_TOKEN };
const AUTH = { reqheaders: { authorization: `SSWS ${API_TOKEN}` } };

/** `status eq "DEPROVISIONED"`, encoded as Okta documents it. */
const DEPROVISIONED_SEARCH = "search=status%20eq%20%22DEPROVISIONED%22&limit=200";
const NOW_S = Date.parse("2026-11-24T10:00:00Z") / 1000;

/** Retrieve a user by login: the path takes a login, percent-encoded. */
const LOGIN_ADA = "ada.lovelace@example.com";
const BY_LOGIN = `/api/v1/users/${encodeURIComponent(LOGIN_ADA)}`;

function connector(env: Record<string, string> = ENV) {
  const quiet = quietDeps();
  return { okta: oktaModule.create(oktaModule.settings.parse(env), quiet.deps), ...quiet };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

function restoreInput(over: Partial<RestoreInput> = {}): RestoreInput {
  return {
    externalId: ada.id,
    user: {
      externalId: ada.id,
      userName: "ada.lovelace@example.com",
      email: "ada.lovelace@example.com",
      aliases: [],
      phone: "+44 20 7946 0001",
      displayName: "Ada Lovelace",
      givenName: "Ada",
      familyName: "Lovelace",
      department: "Engineering",
      license: null,
    },
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

useNockedNetwork();

describe("Okta settings", () => {
  it("reads the org URL and API token, and names each missing variable", () => {
    expect(oktaModule.kind).toBe("okta");
    expect(oktaModule.name).toBe("Okta");
    expect(oktaModule.required).toEqual(["OKTA_ORG_URL", "OKTA_API_TOKEN"]);
    expect(
      oktaModule.settings.parse({ OKTA_ORG_URL: `${ORG}/`, OKTA_API_TOKEN: ` SSWS ${API_TOKEN} ` }),
    ).toEqual({ orgUrl: ORG, apiToken: API_TOKEN });
    const missing = oktaModule.settings.safeParse({});
    expect(missing.success).toBe(false);
    const named = missing.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    expect(named).toEqual([
      expect.stringMatching(/^OKTA_ORG_URL: missing: your Okta org URL/),
      expect.stringMatching(/^OKTA_API_TOKEN: missing: an API token/),
    ]);
  });

  it("refuses an Admin Console URL or plain http, without echoing the token", () => {
    for (const url of ["https://example-admin.okta.com", "http://example.okta.com", "example.okta.com"]) {
      const parsed = oktaModule.settings.safeParse({ OKTA_ORG_URL: url, OKTA_API_TOKEN: API_TOKEN });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(["OKTA_ORG_URL"]);
      expect(JSON.stringify(parsed.error?.issues)).not.toContain(API_TOKEN);
    }
    expect(
      oktaModule.settings.parse({ OKTA_ORG_URL: "http://localhost:8089", OKTA_API_TOKEN: API_TOKEN }).orgUrl,
    ).toBe("http://localhost:8089");
  });

  it("talks to the org URL it is given (a preview org, a proxy, a test double)", async () => {
    nock("https://acme.oktapreview.com", AUTH)
      .get(`/api/v1/users?${DEPROVISIONED_SEARCH}`)
      .reply(200, [alan]);
    const { okta } = connector({ OKTA_ORG_URL: "https://acme.oktapreview.com/", OKTA_API_TOKEN: API_TOKEN });
    const pages: DeletedProviderUser[][] = [];
    for await (const page of okta.listDeleted()) pages.push(page);
    expect(pages.flat().map((u) => u.userName)).toEqual(["alan.turing@example.com"]);
  });
});

describe("Okta profile", () => {
  it("says deactivated users have no countdown and a restore sets no password", () => {
    const { okta } = connector();
    expect(okta.profile.retentionDays).toBeNull();
    expect(okta.profile.capabilities).toEqual({
      canRestore: true,
      batchRestore: false,
      hasDeletingState: false,
      setsPassword: false,
      resolves: [],
      unique: [],
      replaceFreesUserName: false,
      listsWholeBin: true,
      note: "directoryNote.okta",
    });
    expect(okta.profile.followUp.map(storedEnglish).join(" ")).toMatch(/activation email/);
    expect(okta.profile.followUp.map(storedEnglish).join(" ")).toMatch(/Reassign the apps/);
  });
});

describe("listing deactivated users", () => {
  it("follows Link rel=next to the end, yielding each page as it arrives", async () => {
    const page2 = `${ORG}/api/v1/users?after=00u1grace00000000002&limit=200&search=status+eq+%22DEPROVISIONED%22`;
    let rawPath = "";
    const first = nock(ORG, AUTH)
      .get(`/api/v1/users?${DEPROVISIONED_SEARCH}`)
      .reply(
        200,
        function () {
          rawPath = (this.req as unknown as { path: string }).path;
          return [ada, grace];
        },
        {
          // Okta sends two Link headers; fetch joins them with ", ".
          link: [`<${ORG}/api/v1/users?${DEPROVISIONED_SEARCH}>; rel="self"`, `<${page2}>; rel="next"`],
        },
      );
    const second = nock(ORG, AUTH)
      .get("/api/v1/users")
      .query({ after: "00u1grace00000000002", limit: "200", search: 'status eq "DEPROVISIONED"' })
      .reply(200, [alan], { link: `<${page2}>; rel="self"` });
    const { okta } = connector();

    const pages: DeletedProviderUser[][] = [];
    const seenWhenYielded: boolean[] = [];
    for await (const page of okta.listDeleted()) {
      pages.push(page);
      seenWhenYielded.push(second.isDone());
    }
    expect(first.isDone()).toBe(true);
    // Encoded as Okta documents it: %20 for spaces, %22 for quotes.
    expect(rawPath).toBe(`/api/v1/users?${DEPROVISIONED_SEARCH}`);
    // The first page reached us before the second was even asked for.
    expect(seenWhenYielded).toEqual([false, true]);
    expect(pages.map((p) => p.map((u) => u.externalId))).toEqual([[ada.id, grace.id], [alan.id]]);

    const [adaUser, graceUser] = pages[0] ?? [];
    expect(adaUser).toEqual({
      externalId: ada.id,
      userName: "ada.lovelace@example.com",
      email: "ada.lovelace@example.com",
      aliases: [],
      phone: "+44 20 7946 0001",
      displayName: "Ada Lovelace",
      givenName: "Ada",
      familyName: "Lovelace",
      department: "Engineering",
      license: null,
      status: "deleted",
      deletedAt: new Date("2026-11-10T09:12:44.000Z"),
      deletedBy: null,
    });
    // No displayName in Okta: built from first and last name.
    expect(graceUser?.displayName).toBe("Grace Hopper");
    expect(graceUser?.department).toBeNull();
    expect(graceUser?.deletedAt).toEqual(new Date("2026-10-30T14:00:00.000Z"));
  });

  it("never sends the token to a next link on another site", async () => {
    nock(ORG, AUTH)
      .get(`/api/v1/users?${DEPROVISIONED_SEARCH}`)
      .reply(200, [ada], { link: '<https://evil.example/api/v1/users?after=x>; rel="next"' });
    const { okta } = connector();
    const pages: DeletedProviderUser[][] = [];
    const error = await failure(
      (async () => {
        for await (const page of okta.listDeleted()) pages.push(page);
      })(),
    );
    expect(pages).toHaveLength(1);
    expect(error.message).toBe("Okta: sent a next-page link to another site; not followed (bad_next_link)");
  });

  it("reads rel=next wherever it sits in the Link header", () => {
    expect(nextLink(`<${ORG}/a>; rel="self", <${ORG}/b>; rel="next"`)).toBe(`${ORG}/b`);
    expect(nextLink(`<${ORG}/b>; rel="next"`)).toBe(`${ORG}/b`);
    expect(nextLink(`<${ORG}/a>; rel="self"`)).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});

describe("finding active users that hold a name, address or phone", () => {
  it("searches login, email and phones, escapes quotes, and leaves deactivated users out", async () => {
    const expression =
      'profile.login eq "ada.lovelace@example.com" or profile.email eq "ada.lovelace@example.com"' +
      ' or profile.login eq "o\\"brien@example.com" or profile.email eq "o\\"brien@example.com"' +
      ' or profile.mobilePhone eq "+44 20 7946 0001" or profile.primaryPhone eq "+44 20 7946 0001"';
    nock(ORG, AUTH)
      .get(`/api/v1/users?search=${encodeURIComponent(expression)}&limit=200`)
      .reply(200, [activeAda, ada]);
    // The login is looked up directly (it is Ada's own, deactivated); the active hit is read again by id.
    nock(ORG, AUTH).get(BY_LOGIN).reply(200, ada);
    nock(ORG, AUTH).get(`/api/v1/users/${activeAda.id}`).reply(200, activeAda);
    const { okta } = connector();
    const found = await okta.findActive({
      userNames: ["ada.lovelace@example.com"],
      addresses: ["ada.lovelace@example.com", 'o"brien@example.com'],
      phones: ["+44 20 7946 0001"],
    });
    expect(found).toEqual([
      {
        externalId: activeAda.id,
        userName: "ada.lovelace2@example.com",
        email: "ada.lovelace@example.com",
        aliases: [],
        phone: "+44 20 7946 0001",
        displayName: "Ada Byron",
        givenName: "Ada",
        familyName: "Byron",
        department: null,
        license: null,
      },
    ]);
  });

  it("splits a long search and follows its pages, and reads each user it finds once", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `user${i}@example.com`);
    const firstTen = names
      .slice(0, 10)
      .map((n) => `profile.login eq "${n}"`)
      .join(" or ");
    const lastTwo = names
      .slice(10)
      .map((n) => `profile.login eq "${n}"`)
      .join(" or ");
    const holder = { ...activeAda, profile: { ...activeAda.profile, login: "user3@example.com" } };
    const other = { ...newLoginHolder, profile: { ...newLoginHolder.profile, login: "user11@example.com" } };
    const more = `${ORG}/api/v1/users?after=00u1&limit=200&search=${encodeURIComponent(firstTen)}`;
    nock(ORG, AUTH)
      .get(`/api/v1/users?search=${encodeURIComponent(firstTen)}&limit=200`)
      .reply(200, [holder], { link: `<${more}>; rel="next"` });
    nock(ORG, AUTH)
      .get(`/api/v1/users?after=00u1&limit=200&search=${encodeURIComponent(firstTen)}`)
      .reply(200, [other]);
    nock(ORG, AUTH)
      .get(`/api/v1/users?search=${encodeURIComponent(lastTwo)}&limit=200`)
      .reply(200, [other]);
    // One lookup per user name; the holder found by its login is not read again by id.
    for (const name of names) {
      const answer = name === "user3@example.com" ? holder : null;
      nock(ORG, AUTH)
        .get(`/api/v1/users/${encodeURIComponent(name)}`)
        .reply(answer ? 200 : 404, answer ?? notFound);
    }
    // Listed by both searches (and not found by its login yet): read again once.
    nock(ORG, AUTH).get(`/api/v1/users/${other.id}`).once().reply(200, other);
    const { okta } = connector();
    const found = await okta.findActive({ userNames: names, addresses: [], phones: [] });
    expect(found.map((u) => [u.externalId, u.userName])).toEqual([
      [holder.id, "user3@example.com"],
      [other.id, "user11@example.com"],
    ]);
  });

  it("finds a holder by login lookup that the search does not list yet", async () => {
    nock(ORG, AUTH)
      .get(
        `/api/v1/users?search=${encodeURIComponent('profile.login eq "ada.lovelace@example.com"')}&limit=200`,
      )
      .reply(200, []);
    nock(ORG, AUTH).get(BY_LOGIN).reply(200, newLoginHolder);
    const { okta } = connector();
    const found = await okta.findActive({
      userNames: ["ada.lovelace@example.com"],
      addresses: [],
      phones: [],
    });
    expect(found).toEqual([
      expect.objectContaining({
        externalId: newLoginHolder.id,
        userName: "ada.lovelace@example.com",
        displayName: "Ada Holder",
      }),
    ]);
  });

  it("drops a search hit that its id lookup says was deactivated, deleted or renamed since", async () => {
    // The search still lists three users with Ada's login; read by id, none holds it as an active user.
    const deactivated = newLoginHolder;
    const deleted = { ...newLoginHolder, id: "00u1gone000000000006" };
    const renamed = { ...newLoginHolder, id: "00u1renamed000000007" };
    nock(ORG, AUTH)
      .get(
        `/api/v1/users?search=${encodeURIComponent('profile.login eq "ada.lovelace@example.com"')}&limit=200`,
      )
      .reply(200, [deactivated, deleted, renamed]);
    // The login itself is Ada's, deactivated: no holder either.
    nock(ORG, AUTH).get(BY_LOGIN).reply(200, ada);
    nock(ORG, AUTH)
      .get(`/api/v1/users/${deactivated.id}`)
      .reply(200, { ...deactivated, status: "DEPROVISIONED", statusChanged: "2026-11-24T09:59:58.000Z" });
    nock(ORG, AUTH).get(`/api/v1/users/${deleted.id}`).reply(404, notFound);
    nock(ORG, AUTH)
      .get(`/api/v1/users/${renamed.id}`)
      .reply(200, { ...renamed, profile: { ...renamed.profile, login: "ada.holder@example.com" } });
    const { okta } = connector();
    expect(
      await okta.findActive({ userNames: ["ada.lovelace@example.com"], addresses: [], phones: [] }),
    ).toEqual([]);
  });

  it("counts a login lookup only for that very login, not a login shortname it also matches", async () => {
    // GET /api/v1/users/ada.lovelace matches the shortname of ada.lovelace@example.com.
    nock(ORG, AUTH)
      .get(`/api/v1/users?search=${encodeURIComponent('profile.login eq "ada.lovelace"')}&limit=200`)
      .reply(200, []);
    nock(ORG, AUTH).get("/api/v1/users/ada.lovelace").reply(200, newLoginHolder);
    const { okta } = connector();
    expect(await okta.findActive({ userNames: ["ada.lovelace"], addresses: [], phones: [] })).toEqual([]);
  });

  it("leaves a login with a slash to the search: Okta can only look those up by id", async () => {
    const holder = { ...newLoginHolder, profile: { ...newLoginHolder.profile, login: "eng/ada" } };
    nock(ORG, AUTH)
      .get(`/api/v1/users?search=${encodeURIComponent('profile.login eq "eng/ada"')}&limit=200`)
      .reply(200, [holder]);
    nock(ORG, AUTH).get(`/api/v1/users/${holder.id}`).reply(200, holder);
    const { okta } = connector();
    const found = await okta.findActive({ userNames: ["eng/ada"], addresses: [], phones: [] });
    expect(found.map((u) => u.userName)).toEqual(["eng/ada"]);
  });

  it("asks nothing when there is nothing to look for", async () => {
    const { okta } = connector();
    expect(await okta.findActive({ userNames: [], addresses: [], phones: [] })).toEqual([]);
  });

  it("looks a user name up once, however often it is asked for, and never an empty one", async () => {
    nock(ORG, AUTH)
      .get("/api/v1/users")
      .query((q) => String(q.search).startsWith("profile.login eq"))
      .reply(200, []);
    nock(ORG, AUTH).get(BY_LOGIN).once().reply(200, newLoginHolder);
    const { okta } = connector();
    const found = await okta.findActive({
      userNames: [LOGIN_ADA, LOGIN_ADA, " "],
      addresses: [],
      phones: [],
    });
    expect(found.map((u) => u.externalId)).toEqual([newLoginHolder.id]);
  });
});

describe("reading a user by id (the truth the mirror follows)", () => {
  it("answers an active user, and counts a pending one (PROVISIONED) as active", async () => {
    nock(ORG, AUTH).get(`/api/v1/users/${activeAda.id}`).reply(200, activeAda);
    nock(ORG, AUTH).get(`/api/v1/users/${ada.id}`).reply(200, adaProvisioned);
    const { okta } = connector();
    expect(await okta.readActive?.(activeAda.id)).toEqual({
      externalId: activeAda.id,
      userName: "ada.lovelace2@example.com",
      email: "ada.lovelace@example.com",
      aliases: [],
      phone: "+44 20 7946 0001",
      displayName: "Ada Byron",
      givenName: "Ada",
      familyName: "Byron",
      department: null,
      license: null,
    });
    expect(await okta.readActive?.(ada.id)).toMatchObject({ externalId: ada.id, department: "Engineering" });
  });

  it("answers null for a deactivated user and for one Okta no longer has", async () => {
    nock(ORG, AUTH).get(`/api/v1/users/${ada.id}`).reply(200, ada);
    nock(ORG, AUTH).get(`/api/v1/users/${grace.id}`).reply(404, notFound);
    const { okta } = connector();
    expect(await okta.readActive?.(ada.id)).toBeNull();
    expect(await okta.readActive?.(grace.id)).toBeNull();
  });

  it("reports a refusal rather than guessing", async () => {
    nock(ORG, AUTH).get(`/api/v1/users/${ada.id}`).reply(403, forbidden);
    const { okta } = connector();
    const error = await failure(okta.readActive?.(ada.id) ?? Promise.resolve());
    expect(error.code).toBe("E0000006");
    expect(error.nextStep).toMatch(/Super Administrator or Organization Administrator/);
  });
});

describe("restoring (activating) a deactivated user", () => {
  it("activates without sending email, drops the activation link, and reads the user back", async () => {
    let activateBody: unknown = "not called";
    nock(ORG, AUTH)
      .post(`/api/v1/users/${ada.id}/lifecycle/activate`)
      .query({ sendEmail: "false" })
      .reply(200, (_uri, body) => {
        activateBody = body;
        return activationToken;
      });
    nock(ORG, AUTH).get(`/api/v1/users/${ada.id}`).reply(200, adaProvisioned);
    const { okta, warnings } = connector();
    const restored = await okta.restore(restoreInput());
    expect(activateBody).toBe("");
    expect(restored).toEqual({ ...restoreInput().user });
    const seen = JSON.stringify({ restored, warnings });
    expect(seen).not.toContain(activationToken.activationToken);
    expect(seen).not.toContain("welcome");
  });

  it("still reports success when the user cannot be read back after activation", async () => {
    nock(ORG)
      .post(`/api/v1/users/${ada.id}/lifecycle/activate`)
      .query({ sendEmail: "false" })
      .reply(200, activationToken);
    nock(ORG).get(`/api/v1/users/${ada.id}`).times(4).reply(503, internalError);
    const { okta, warnings } = connector();
    const restored = await okta.restore(restoreInput());
    expect(restored.externalId).toBe(ada.id);
    expect(restored.userName).toBe("ada.lovelace@example.com");
    expect(warnings.at(-1)).toEqual({
      message: "okta user restored but could not be read back",
      fields: { provider: "Okta", code: "E0000009" },
    });
    expect(JSON.stringify(warnings)).not.toContain(activationToken.activationToken);
  });

  it("refuses a rename or dropped attributes before touching Okta", async () => {
    const { okta } = connector();
    const rename = await failure(okta.restore(restoreInput({ newUserName: "ada.l@example.com" })));
    expect(rename.message).toBe(
      "Okta: cannot rename while restoring a user; nothing was changed (not_supported)",
    );
    const dropEmail = await failure(okta.restore(restoreInput({ dropEmail: true })));
    expect(dropEmail.code).toBe("not_supported");
    const recreate = await failure(okta.recreate(restoreInput()));
    expect(recreate.message).toMatch(/^Okta: a deleted Okta user cannot be created again/);
  });
});

describe("restoring into another department", () => {
  it("activates, then sets the chosen department with a partial update, and answers Okta's user", async () => {
    let updateBody: unknown = "not called";
    nock(ORG, AUTH)
      .post(`/api/v1/users/${ada.id}/lifecycle/activate`)
      .query({ sendEmail: "false" })
      .reply(200, activationToken);
    nock(ORG, AUTH)
      .post(`/api/v1/users/${ada.id}`)
      .reply(200, (_uri, body) => {
        updateBody = body;
        return adaInResearch;
      });
    const { okta } = connector();
    const restored = await okta.restore(restoreInput({ department: " Research " }));
    // Only the department: POST is a partial update, the rest of the profile stays as Okta has it.
    expect(updateBody).toEqual({ profile: { department: "Research" } });
    expect(restored).toEqual({ ...restoreInput().user, department: "Research" });
  });

  it("sends no update when the department is the one the user had", async () => {
    nock(ORG)
      .post(`/api/v1/users/${ada.id}/lifecycle/activate`)
      .query({ sendEmail: "false" })
      .reply(200, activationToken);
    nock(ORG).get(`/api/v1/users/${ada.id}`).reply(200, adaProvisioned);
    const { okta } = connector();
    const restored = await okta.restore(restoreInput({ department: "Engineering" }));
    expect(restored.department).toBe("Engineering");
  });

  it("a refused department still leaves the user restored, as Okta has it, and says so in the log", async () => {
    nock(ORG)
      .post(`/api/v1/users/${ada.id}/lifecycle/activate`)
      .query({ sendEmail: "false" })
      .reply(200, activationToken);
    nock(ORG).post(`/api/v1/users/${ada.id}`).reply(400, departmentInvalid);
    nock(ORG).get(`/api/v1/users/${ada.id}`).reply(200, adaProvisioned);
    const { okta, warnings } = connector();
    const restored = await okta.restore(restoreInput({ department: "Research" }));
    expect(restored).toMatchObject({ externalId: ada.id, department: "Engineering" });
    expect(warnings).toEqual([
      {
        message: "okta user restored but its department could not be set",
        fields: { provider: "Okta", code: "E0000001" },
      },
    ]);
  });
});

describe("Okta's refusals, in our terms", () => {
  async function activateAnswering(status: number, body: unknown, headers: Record<string, string> = {}) {
    nock(ORG)
      .post(`/api/v1/users/${ada.id}/lifecycle/activate`)
      .query({ sendEmail: "false" })
      .reply(status, body as nock.Body, headers);
    const { okta, waits } = connector();
    const error = await failure(okta.restore(restoreInput()));
    return { error, waits };
  }

  it("a login now held by another user is a user name conflict", async () => {
    const { error, waits } = await activateAnswering(400, loginTaken);
    expect(error.conflict).toBe("userName");
    expect(error.code).toBe("E0000001");
    expect(error.status).toBe(400);
    expect(error.transient).toBe(false);
    expect(error.message).toBe("Okta: the user name (login) now belongs to another Okta user (E0000001)");
    expect(waits).toEqual([]);
  });

  it("an email held by another user (self-service registration orgs) is an email conflict", async () => {
    const { error } = await activateAnswering(400, emailTaken);
    expect(error.conflict).toBe("email");
  });

  it("a user that is gone (deleted for good) has expired", async () => {
    const { error } = await activateAnswering(404, notFound);
    expect(error.conflict).toBe("expired");
    expect(error.message).toBe(
      "Okta: the user no longer exists in Okta: it was deleted and cannot be brought back (E0000007)",
    );
  });

  it("an already active user is said plainly, not as a conflict", async () => {
    const { error } = await activateAnswering(403, alreadyActive);
    expect(error.conflict).toBeNull();
    expect(error.message).toBe("Okta: the user is already active in Okta (E0000016)");
  });

  it("a token without the right admin role is said plainly", async () => {
    const { error } = await activateAnswering(403, forbidden);
    expect(error.message).toMatch(/^Okta: the API token's admin is not allowed to do this.*\(E0000006\)$/);
  });

  it("an invalid or expired API token is final: not retried, and the admin is told what to do", async () => {
    // An SSWS token cannot be renewed by the app (there is no token endpoint), so a 401 is not retried.
    const { error, waits } = await activateAnswering(401, invalidToken);
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/API token is not valid.*\(E0000011\)$/);
    expect(error.nextStep).toMatch(/Security → API → Tokens.*set OKTA_API_TOKEN/);
    expect(waits).toEqual([]);
  });
});

describe("throttling and outages", () => {
  it("waits out a 429's Retry-After, then succeeds", async () => {
    nock(ORG).get(`/api/v1/users?${DEPROVISIONED_SEARCH}`).reply(429, rateLimited, { "retry-after": "7" });
    nock(ORG).get(`/api/v1/users?${DEPROVISIONED_SEARCH}`).reply(200, [ada]);
    const { okta, waits, warnings } = connector();
    const pages: DeletedProviderUser[][] = [];
    for await (const page of okta.listDeleted()) pages.push(page);
    expect(pages.flat().map((u) => u.externalId)).toEqual([ada.id]);
    expect(waits).toEqual([7000]);
    expect(warnings[0]?.fields).toMatchObject({ provider: "Okta", code: "E0000047", status: 429 });
    expect(JSON.stringify(warnings)).not.toContain(API_TOKEN);
  });

  it("without Retry-After, waits until X-Rate-Limit-Reset (epoch seconds)", async () => {
    nock(ORG)
      .post(`/api/v1/users/${activeAda.id}/lifecycle/deactivate`)
      .query({ sendEmail: "false" })
      .reply(429, rateLimited, {
        "x-rate-limit-limit": "600",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": String(NOW_S + 42),
      });
    nock(ORG, AUTH)
      .post(`/api/v1/users/${activeAda.id}/lifecycle/deactivate`)
      .query({ sendEmail: "false" })
      .reply(200);
    const { okta, waits } = connector();
    await okta.removeActive(activeAda.id);
    expect(waits).toEqual([42_000]);
  });

  it("gives up on an Okta outage within the bound, naming Okta, as worth retrying later", async () => {
    nock(ORG).get(`/api/v1/users?${DEPROVISIONED_SEARCH}`).times(4).reply(503, internalError);
    const { okta, waits } = connector();
    const error = await failure(
      (async () => {
        for await (const _ of okta.listDeleted()) {
          // drained
        }
      })(),
    );
    expect(error.message).toMatch(
      /^Okta: had a problem of its own \(HTTP 503\); gave up after 4 tries \(E0000009\)$/,
    );
    expect(error.transient).toBe(true);
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it("a proxy's HTML error page is named by its HTTP status", async () => {
    nock(ORG).get(`/api/v1/users?${DEPROVISIONED_SEARCH}`).times(4).reply(502, "<html>Bad gateway</html>");
    const { okta } = connector();
    const error = await failure(okta.listDeleted()[Symbol.asyncIterator]().next());
    expect(error.code).toBe("HTTP_502");
    expect(error.transient).toBe(true);
  });
});

describe("replacing: deactivating the active user that holds the name", () => {
  it("deactivates without email to anyone, so the user stays restorable", async () => {
    let body: unknown = "not called";
    nock(ORG, AUTH)
      .post(`/api/v1/users/${activeAda.id}/lifecycle/deactivate`)
      .query({ sendEmail: "false" })
      .reply(200, (_uri, b) => {
        body = b;
        return "";
      });
    const { okta } = connector();
    await okta.removeActive(activeAda.id);
    expect(body).toBe("");
  });

  it("says so when the active user is already gone", async () => {
    nock(ORG)
      .post(`/api/v1/users/${activeAda.id}/lifecycle/deactivate`)
      .query({ sendEmail: "false" })
      .reply(404, notFound);
    const { okta } = connector();
    const error = await failure(okta.removeActive(activeAda.id));
    expect(error.message).toBe("Okta: the active user no longer exists in Okta (E0000007)");
    expect(error.conflict).toBeNull();
  });
});

describe("secrets", () => {
  it("the API token never reaches an error message or a warning, even when Okta echoes it", async () => {
    nock(ORG)
      .post(`/api/v1/users/${ada.id}/lifecycle/activate`)
      .query({ sendEmail: "false" })
      .reply(400, { errorCode: "E0000002", errorSummary: `The request was not valid: SSWS ${API_TOKEN}` });
    nock(ORG).get(`/api/v1/users?${DEPROVISIONED_SEARCH}`).times(4).reply(500, internalError);
    const { okta, warnings } = connector();
    const echoed = await failure(okta.restore(restoreInput({ temporaryPassword: "Tmp-Secret-123!" })));
    expect(echoed.message).toBe(
      "Okta: refused the request: The request was not valid: SSWS [token] (E0000002)",
    );
    const down = await failure(okta.listDeleted()[Symbol.asyncIterator]().next());
    const everything = JSON.stringify({ echoed: echoed.message, down: down.message, warnings });
    expect(everything).not.toContain(API_TOKEN);
    expect(everything).not.toContain("Tmp-Secret-123!");
  });
});

describe("every error ends in a next step", () => {
  it.each([
    [
      "a taken login: cancel, free it in Okta",
      400,
      loginTaken,
      "E0000001",
      "userName",
      /^Choose Cancel in the plan, change the login of the Okta user who holds it .*replacing the holder would not free it\.$/,
    ],
    [
      "a taken email: cancel, change it in Okta",
      400,
      emailTaken,
      "E0000001",
      "email",
      /^Choose Cancel in the plan, change the email of the Okta user who has it/,
    ],
    [
      "another validation failure: fix the attribute",
      400,
      departmentInvalid,
      "E0000001",
      null,
      /correct the profile attribute Okta names, then try again\.$/,
    ],
    [
      "a token's admin without the role",
      403,
      forbidden,
      "E0000006",
      null,
      /the Super Administrator or Organization Administrator role, or a custom role with Manage users \(okta\.users\.manage\)/,
    ],
    [
      "a user deleted for good: cancel",
      404,
      notFound,
      "E0000007",
      "expired",
      /^Choose Cancel in the plan: nothing can bring this user back; create them anew .*Add person/,
    ],
    [
      "an invalid token: a new one",
      401,
      invalidToken,
      "E0000011",
      null,
      /^Create a new API token .*Security → API → Tokens.*set OKTA_API_TOKEN to it and restart this app\.$/,
    ],
    [
      "an already active user: sync",
      403,
      alreadyActive,
      "E0000016",
      null,
      /^Nothing is left to do in Okta: sync Okta/,
    ],
    [
      "a status that forbids it: look at the user",
      403,
      wrongStatus,
      "E0000038",
      null,
      /Directory → People.*unsuspended there\), then sync Okta and try again\.$/,
    ],
    ["an unknown Okta code: the System Log", 400, illegalArgument, "E0000002", null, /System Log/],
    ["a 401 without a body: a new token", 401, "", "HTTP_401", null, /^Create a new API token/],
    ["a 403 without a body: the admin's role", 403, "", "HTTP_403", null, /Super Administrator/],
    [
      "a proxy's 404 page: the org URL",
      404,
      "<html>Not found</html>",
      "HTTP_404",
      null,
      /^Check that OKTA_ORG_URL is your Okta org's own URL/,
    ],
    ["a 400 without a body: the System Log", 400, "", "HTTP_400", null, /System Log/],
  ] as const)("%s (%s, %s)", async (_name, status, body, code, conflict, nextStep) => {
    nock(ORG)
      .post(`/api/v1/users/${ada.id}/lifecycle/activate`)
      .query({ sendEmail: "false" })
      .reply(status, body as nock.Body);
    const { okta, waits } = connector();
    const error = await failure(okta.restore(restoreInput()));
    expect(error.code).toBe(code);
    expect(error.conflict).toBe(conflict);
    expect(error.nextStep).toMatch(nextStep);
    expect(waits).toEqual([]);
    expect(error.nextStep).not.toContain(API_TOKEN);
  });

  it("Okta down: retried within the bound, then pointed to Okta's status page", async () => {
    nock(ORG)
      .post(`/api/v1/users/${ada.id}/lifecycle/activate`)
      .query({ sendEmail: "false" })
      .times(4)
      .reply(503, internalError);
    const { okta } = connector();
    const error = await failure(okta.restore(restoreInput()));
    expect(error.code).toBe("E0000009");
    expect(error.transient).toBe(true);
    expect(error.nextStep).toBe(
      "Try again in a few minutes; if it keeps failing, check Okta's service status at status.okta.com.",
    );
  });

  it("a rate limit longer than we wait: the time it resets, and where to see who uses it up", async () => {
    nock(ORG)
      .post(`/api/v1/users/${ada.id}/lifecycle/activate`)
      .query({ sendEmail: "false" })
      .reply(429, rateLimited, { "x-rate-limit-remaining": "0", "x-rate-limit-reset": String(NOW_S + 120) });
    const { okta, waits } = connector();
    const error = await failure(okta.restore(restoreInput()));
    expect(error.code).toBe("E0000047");
    expect(waits).toEqual([]);
    expect(error.nextStep).toBe(
      "Try again after 10:02:00 UTC, when Okta's rate limit resets; if it keeps happening, see which app uses up the limit in the Okta Admin Console's rate limit dashboard (Reports → Rate Limits).",
    );
  });

  it.each([
    [
      "rename",
      { newUserName: "ada.l@example.com" },
      /^Restore the user with its login, then change the login/,
    ],
    [
      "drop addresses",
      { dropAliases: ["ada@example.org"] },
      /^Restore the user with the addresses and phone it had/,
    ],
    ["drop the email address", { dropEmail: true }, /^Restore the user with the addresses and phone it had/],
    ["drop the phone number", { dropPhone: true }, /^Restore the user with the addresses and phone it had/],
  ] as const)(
    "what Okta cannot do while restoring (%s) says what to do instead",
    async (what, over, nextStep) => {
      const { okta } = connector();
      const error = await failure(okta.restore(restoreInput(over as Partial<RestoreInput>)));
      expect(error.code).toBe("not_supported");
      expect(error.message).toBe(
        `Okta: cannot ${what} while restoring a user; nothing was changed (not_supported)`,
      );
      expect(error.nextStep).toMatch(nextStep);
    },
  );

  it("a re-creation points to the Admin Console", async () => {
    const { okta } = connector();
    const error = await failure(okta.recreate(restoreInput()));
    expect(error.nextStep).toMatch(
      /^Create the user anew in the Okta Admin Console \(Directory → People → Add person\)/,
    );
  });

  it("a holder gone before its replace: plan again", async () => {
    nock(ORG)
      .post(`/api/v1/users/${activeAda.id}/lifecycle/deactivate`)
      .query({ sendEmail: "false" })
      .reply(404, notFound);
    const { okta } = connector();
    const error = await failure(okta.removeActive(activeAda.id));
    expect(error.code).toBe("E0000007");
    expect(error.nextStep).toMatch(/^Open the plan again/);
  });

  it("answers that are not Okta's (a listing that is no list, a user that is no user, bad links)", async () => {
    const drain = async (okta: ReturnType<typeof connector>["okta"]) =>
      failure(
        (async () => {
          for await (const _ of okta.listDeleted()) {
            // drained
          }
        })(),
      );
    nock(ORG).get(`/api/v1/users?${DEPROVISIONED_SEARCH}`).reply(200, { users: [] });
    const notAList = await drain(connector().okta);
    nock(ORG).get(`/api/v1/users/${ada.id}`).reply(200, [ada]);
    const notAUser = await failure(connector().okta.readActive?.(ada.id) ?? Promise.resolve());
    nock(ORG)
      .get(`/api/v1/users?${DEPROVISIONED_SEARCH}`)
      .reply(200, [ada], { link: '<https://evil.example/api/v1/users?after=x>; rel="next"' });
    const elsewhere = await drain(connector().okta);
    nock(ORG)
      .get(`/api/v1/users?${DEPROVISIONED_SEARCH}`)
      .reply(200, [ada], { link: '<http://[bad>; rel="next"' });
    const notAUrl = await drain(connector().okta);
    for (const error of [notAList, notAUser, elsewhere, notAUrl]) {
      expect(error.nextStep).toMatch(/^Check that OKTA_ORG_URL is your Okta org's own URL/);
    }
    expect([notAList, notAUser, elsewhere, notAUrl].map((e) => e.code)).toEqual([
      "unexpected_answer",
      "unexpected_answer",
      "bad_next_link",
      "bad_next_link",
    ]);

    const page2 = `${ORG}/api/v1/users?after=${ada.id}&limit=200`;
    nock(ORG)
      .get(`/api/v1/users?${DEPROVISIONED_SEARCH}`)
      .reply(200, [ada], { link: `<${page2}>; rel="next"` });
    nock(ORG)
      .get(`/api/v1/users?after=${ada.id}&limit=200`)
      .reply(200, [grace], { link: `<${page2}>; rel="next"` });
    const loop = await drain(connector().okta);
    expect(loop.code).toBe("paging_loop");
    expect(loop.nextStep).toMatch(
      /^Try again in a few minutes; if Okta sends the same page link again, open a case with Okta Support\.$/,
    );
  });
});
