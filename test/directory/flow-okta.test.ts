/**
 * Okta end to end, from the service on Okta's API (answered by nock in the shapes of
 * test/fixtures/okta.ts): the holder check confirmed by ID lookups (Okta's search is eventually
 * consistent), a chosen department, and a refusal that tells the admin what to do next.
 * Same setup as flow.test.ts.
 */

import nock from "nock";
import { describe, expect, it } from "vitest";
import { isRefusal } from "../../src/restore/outcome.ts";
import type { RestoreService } from "../../src/restore/service.ts";
import * as okta from "../fixtures/okta.ts";
import { ADMIN } from "../support/world.ts";
import { useProviderWorld } from "./flow-support.ts";

const { serviceWith, oktaConnector, mirrored } = useProviderWorld();
const LOGIN = "ada.lovelace@example.com";

/** Retrieve a user by login: the path takes a login, percent-encoded. */
const BY_LOGIN = `/api/v1/users/${encodeURIComponent(LOGIN)}`;

/** Syncs Ada (deactivated) into the mirror; answers her account id. */
async function synced(service: RestoreService): Promise<string> {
  nock(okta.ORG)
    .get("/api/v1/users")
    .query({ search: 'status eq "DEPROVISIONED"', limit: "200" })
    .reply(200, [okta.ada]);
  expect(await service.sync(ADMIN, "okta")).toMatchObject([{ seen: 1 }]);
  return (await mirrored(okta.ada.id))?.id as string;
}

/** Okta's search for Ada's login answers `listed`; looking the login up by path answers `byLogin`. */
function holders(listed: object[], byLogin: object) {
  nock(okta.ORG)
    .get("/api/v1/users")
    .query({ search: `profile.login eq "${LOGIN}"`, limit: "200" })
    .reply(200, listed);
  nock(okta.ORG).get(BY_LOGIN).reply(200, byLogin);
}

function activation() {
  return nock(okta.ORG)
    .post(`/api/v1/users/${okta.ada.id}/lifecycle/activate`)
    .query({ sendEmail: "false" })
    .reply(200, okta.activationToken);
}

describe("Okta's holders, confirmed by ID lookup", () => {
  it("an active user sharing only Ada's email and phone is no holder: only the login must be free", async () => {
    const service = serviceWith(oktaConnector());
    const ada = await synced(service);
    // The search lists Ada and a user with her email and phone; by login Okta answers Ada herself,
    // still deactivated, and the other user, read by id, holds another login.
    holders([okta.ada, okta.activeAda], okta.ada);
    nock(okta.ORG).get(`/api/v1/users/${okta.activeAda.id}`).reply(200, okta.activeAda);
    activation();
    nock(okta.ORG).get(`/api/v1/users/${okta.ada.id}`).reply(200, okta.adaProvisioned);
    const done = await service.restore(ADMIN, ada);
    if (isRefusal(done)) throw new Error(done.message);
    expect(done).toMatchObject({
      action: "restore",
      account: { status: "active", userName: LOGIN, email: "ada.lovelace@example.com" },
    });
    expect(done.replaced).toBeNull();
    expect(JSON.stringify(done)).not.toContain(okta.activationToken.activationToken);
  });

  it("a holder the search does not list yet, found by login, blocks the restore", async () => {
    const service = serviceWith(oktaConnector());
    const ada = await synced(service);
    holders([], okta.newLoginHolder);
    const blocked = await service.restore(ADMIN, ada);
    expect(blocked).toMatchObject({ type: "refused", code: "blocked" });
    expect(isRefusal(blocked) && blocked.plan?.conflicts[0]).toMatchObject({
      kind: "userName",
      holder: { displayName: "Ada Holder", directoryId: "okta" },
      // Okta keeps a deactivated user's login: replacing the holder would not free it.
      resolutions: ["cancel"],
    });
    expect(await mirrored(okta.newLoginHolder.id)).toMatchObject({ status: "active", userName: LOGIN });
    expect(await mirrored(okta.ada.id)).toMatchObject({ status: "deleted" });
  });

  it("a holder the search still lists but Okta deleted seconds ago does not block the restore", async () => {
    const service = serviceWith(oktaConnector());
    const ada = await synced(service);
    holders([okta.newLoginHolder], okta.ada);
    nock(okta.ORG).get(`/api/v1/users/${okta.newLoginHolder.id}`).reply(404, okta.notFound);
    activation();
    nock(okta.ORG).get(`/api/v1/users/${okta.ada.id}`).reply(200, okta.adaProvisioned);
    const done = await service.restore(ADMIN, ada);
    if (isRefusal(done)) throw new Error(done.message);
    expect(done.account).toMatchObject({ status: "active", userName: LOGIN });
    expect(await mirrored(okta.newLoginHolder.id)).toBeUndefined();
  });

  it("a taken login offers no replace: Okta keeps the login of a user it deactivates", async () => {
    const service = serviceWith(oktaConnector());
    const ada = await synced(service);
    holders([okta.newLoginHolder], okta.newLoginHolder);
    const blocked = await service.restore(ADMIN, ada);
    expect(isRefusal(blocked) && blocked.plan?.conflicts[0]).toMatchObject({
      kind: "userName",
      resolutions: ["cancel"],
    });
    const replace = await service.requestReplace(ADMIN, ada, "Ada is back");
    expect(replace).toMatchObject({
      type: "refused",
      message: expect.stringMatching(/Okta keeps the user name of a user it deactivates/),
    });
  });
});

describe("restoring into another department", () => {
  it("a chosen department is set in Okta after the activation, and the mirror and result say it", async () => {
    const service = serviceWith(oktaConnector());
    const ada = await synced(service);
    const plan = await service.plan(ADMIN, ada, { department: "Research" });
    if (isRefusal(plan)) throw new Error(plan.message);
    expect(plan).toMatchObject({ ready: true, outcome: { department: "Research" } });

    holders([okta.ada], okta.ada);
    activation();
    const update = nock(okta.ORG)
      .post(`/api/v1/users/${okta.ada.id}`, { profile: { department: "Research" } })
      .reply(200, okta.adaInResearch);
    const done = await service.restore(ADMIN, ada, { department: "Research" });
    if (isRefusal(done)) throw new Error(done.message);
    expect(update.isDone()).toBe(true);
    expect(done).toMatchObject({
      department: "Research",
      account: { status: "active", department: "Research" },
    });
    expect(await mirrored(okta.ada.id)).toMatchObject({ status: "active", department: "Research" });
  });
});

describe("Okta's refusals, with the next step", () => {
  it("a token whose admin may not activate users: what happened, nothing restored, which role to give", async () => {
    const service = serviceWith(oktaConnector());
    const ada = await synced(service);
    holders([okta.ada], okta.ada);
    nock(okta.ORG)
      .post(`/api/v1/users/${okta.ada.id}/lifecycle/activate`)
      .query({ sendEmail: "false" })
      .reply(403, okta.forbidden);
    const refused = await service.restore(ADMIN, ada);
    expect(refused).toMatchObject({ type: "refused", code: "provider" });
    expect(isRefusal(refused) && refused.message).toBe(
      "Okta: the API token's admin is not allowed to do this (E0000006). Nothing was restored. Give the admin who created the API token (its owner in Security → API → Tokens) the Super Administrator or Organization Administrator role, or a custom role with Manage users (okta.users.manage) over these users, or create the token as such an admin; then try again.",
    );
    expect(await mirrored(okta.ada.id)).toMatchObject({ status: "deleted" });
  });

  it("a token Okta no longer accepts, at the holder check: the conflicts could not be checked, make a new token", async () => {
    const service = serviceWith(oktaConnector());
    const ada = await synced(service);
    nock(okta.ORG).get("/api/v1/users").query(true).reply(401, okta.invalidToken);
    nock(okta.ORG).get(BY_LOGIN).optionally().reply(401, okta.invalidToken);
    const refused = await service.restore(ADMIN, ada);
    expect(refused).toMatchObject({ type: "refused", code: "provider" });
    expect(isRefusal(refused) && refused.message).toMatch(
      /^Okta: the API token is not valid .*\(E0000011\)\. Nothing was restored: the conflicts could not be checked\. Create a new API token .*set OKTA_API_TOKEN to it and restart this app\.$/,
    );
    expect(JSON.stringify(refused)).not.toContain(okta.API_TOKEN);
  });
});
