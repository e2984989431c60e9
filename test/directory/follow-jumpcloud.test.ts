/**
 * After JumpCloud re-created a user, JumpCloud is the truth (src/restore/follow.ts). JumpCloud
 * cannot restore: a restore creates a new user (a new id) from the Directory Insights snapshot,
 * and the mirror writes a new row the deleted one points to. Here JumpCloud's answer to the
 * creation is a fake that keeps an old address of Ada's (a.lovelace@example.com) instead of the
 * one sent, as Graph keeps an old mail: the check before the re-creation never asked about it, and
 * the mirror has it on Ada King, an active user an earlier plan found. The mirror re-reads both
 * from JumpCloud by id: a holder JumpCloud no longer has is marked deleted here, one that still has
 * the address keeps it in the index, and the admin is told.
 */

import nock from "nock";
import { describe, expect, it } from "vitest";
import { isRefusal } from "../../src/restore/outcome.ts";
import type { RestoreService } from "../../src/restore/service.ts";
import * as jc from "../fixtures/jumpcloud.ts";
import { ADMIN } from "../support/world.ts";
import {
  JUMPCLOUD_API_KEY,
  JUMPCLOUD_CONSOLE,
  JUMPCLOUD_INSIGHTS,
  useProviderWorld,
} from "./flow-support.ts";

const { world, serviceWith, jumpcloudConnector, mirrored, indexedHoldersOf, audited } = useProviderWorld();
const OLD_ADDRESS = "a.lovelace@example.com";
const DELETED_ID = jc.userDeleteEvent.resource.id;
const CREATED_ID = jc.createdSystemUser.id;
const KING_ID = jc.activeSystemUser.id;

const consoleApi = () => nock(JUMPCLOUD_CONSOLE, { reqheaders: { "x-api-key": JUMPCLOUD_API_KEY } });

/** Directory Insights reports Ada's deletion; the sync mirrors it. Returns her (deleted) row id. */
async function adaDeleted(service: RestoreService): Promise<string> {
  nock(JUMPCLOUD_INSIGHTS, { reqheaders: { "x-api-key": JUMPCLOUD_API_KEY } })
    .post("/insights/directory/v1/events")
    .reply(200, [jc.userDeleteEvent], jc.insightsHeaders(1, 1000, [1763652363218, "DZrPyW8B"]));
  expect(await service.sync(ADMIN, "jumpcloud")).toMatchObject([{ seen: 1 }]);
  const ada = await mirrored(DELETED_ID);
  expect(ada).toMatchObject({ status: "deleted", email: "ada.lovelace@example.com" });
  return ada?.id as string;
}

/** Ada King (user name ada.king) as JumpCloud answers her by id, holding Ada's old address. */
const king = { ...jc.activeSystemUser, username: "ada.king" };

/** Ada King as an earlier plan mirrored her: active, with the old address in the index. */
function kingMirrored() {
  return world.active({
    directoryId: "jumpcloud",
    externalId: KING_ID,
    userName: "ada.king",
    email: OLD_ADDRESS,
    displayName: "Ada King",
    department: "Engineering",
  });
}

/** What JumpCloud answers for the new user: the fake that keeps Ada's old address. */
const createdWithOldAddress = { ...jc.createdSystemUser, email: OLD_ADDRESS };

/**
 * Nobody holds Ada's user name or email (the check before the re-creation, by filter), JumpCloud
 * creates her with the snapshot's address and a temporary password, expires the password, and
 * answers with the old address; read by id again, it says the same.
 */
function jumpcloudRecreatesAdaWithOldAddress() {
  consoleApi()
    .get("/api/systemusers")
    .query({ filter: "username:$eq:ada.lovelace", limit: "100" })
    .reply(200, jc.systemUsersList([]));
  consoleApi()
    .get("/api/systemusers")
    .query({ filter: "email:$eq:ada.lovelace@example.com", limit: "100" })
    .reply(200, jc.systemUsersList([]));
  const created = consoleApi()
    .post(
      "/api/systemusers",
      (body) =>
        body.username === "ada.lovelace" &&
        body.email === "ada.lovelace@example.com" &&
        typeof body.password === "string",
    )
    .reply(200, createdWithOldAddress);
  consoleApi().post(`/api/systemusers/${CREATED_ID}/expire`).reply(200, "");
  consoleApi().get(`/api/systemusers/${CREATED_ID}`).reply(200, createdWithOldAddress);
  return created;
}

describe("after JumpCloud re-created a user, the mirror follows JumpCloud", () => {
  it("the holder of the old address is gone in JumpCloud: marked deleted here, and the new Ada has the address", async () => {
    const service = serviceWith(jumpcloudConnector());
    const ada = await adaDeleted(service);
    const holder = await kingMirrored();
    const created = jumpcloudRecreatesAdaWithOldAddress();
    consoleApi().get(`/api/systemusers/${KING_ID}`).reply(404, jc.notFound);

    const done = await service.restore(ADMIN, ada);
    if (isRefusal(done)) throw new Error(done.message);
    expect(created.isDone()).toBe(true);
    expect(done).toMatchObject({ action: "recreate", needsAttention: null });
    expect(done.notes).toEqual([
      "Ada King (ada.king) is no longer active in JumpCloud: marked deleted here too.",
    ]);
    const fresh = await mirrored(CREATED_ID);
    expect(fresh).toMatchObject({ status: "active", userName: "ada.lovelace", email: OLD_ADDRESS });
    expect(await mirrored(DELETED_ID)).toMatchObject({ status: "deleted", recreatedAs: fresh?.id });
    expect(await mirrored(KING_ID)).toMatchObject({ status: "deleted" });
    expect(await indexedHoldersOf(OLD_ADDRESS)).toEqual([fresh?.id]);
    const [audit] = await audited("recreate");
    expect(audit?.details).toMatchObject({
      provider: "JumpCloud",
      providerId: CREATED_ID,
      reconciled: [{ id: holder.id, userName: "ada.king", became: "deleted" }],
    });
    expect(audit?.accountIds).toEqual([ada, fresh?.id]);
  });

  it("JumpCloud says Ada King still has the address: the new Ada is written as JumpCloud has her, and the admin is told to change it on one", async () => {
    const service = serviceWith(jumpcloudConnector());
    const ada = await adaDeleted(service);
    const holder = await kingMirrored();
    jumpcloudRecreatesAdaWithOldAddress();
    consoleApi()
      .get(`/api/systemusers/${KING_ID}`)
      .reply(200, { ...king, department: "Research" });

    const done = await service.restore(ADMIN, ada);
    if (isRefusal(done)) throw new Error(done.message);
    expect(done.needsAttention).toBeNull();
    expect(done.notes).toEqual([
      `JumpCloud kept ${OLD_ADDRESS} on both Ada Lovelace and Ada King: change it on one of them in JumpCloud.`,
    ]);
    const fresh = await mirrored(CREATED_ID);
    expect(fresh).toMatchObject({ status: "active", email: OLD_ADDRESS });
    expect(await mirrored(DELETED_ID)).toMatchObject({ recreatedAs: fresh?.id });
    // Ada King was refreshed from JumpCloud (her department now) and alone holds it in the index.
    expect(await mirrored(KING_ID)).toMatchObject({ status: "active", department: "Research" });
    expect(await indexedHoldersOf(OLD_ADDRESS)).toEqual([holder.id]);
    const [audit] = await audited("recreate");
    expect(audit?.details).toMatchObject({
      reconciled: [{ id: holder.id, userName: "ada.king", became: "refreshed" }],
    });
  });
});
