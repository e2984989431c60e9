/**
 * After Lark restored (resurrected) a member, Lark is the truth (src/restore/follow.ts). Lark keeps
 * only emails and mobiles unique, so the check before the restore never asks who has Zhang San's
 * business address (enterprise_email); the mirror still has it on an active member an earlier plan
 * found. Lark's answer keeps the old address: the mirror re-reads both members from Lark, marks
 * one Lark no longer has as deleted, or leaves the address indexed for the member who still has
 * it, and tells the admin.
 */

import nock from "nock";
import { describe, expect, it } from "vitest";
import { ensureProviderDirectory, upsertDeleted } from "../../src/mirror/sync.ts";
import type { DirectoryConnector } from "../../src/providers/port.ts";
import { isRefusal } from "../../src/restore/outcome.ts";
import * as lark from "../fixtures/lark.ts";
import { ADMIN } from "../support/world.ts";
import { useProviderWorld } from "./flow-support.ts";

const { world, serviceWith, larkConnector, mirrored, indexedHoldersOf, audited } = useProviderWorld();
const API = "https://open.larksuite.com";
const TOKEN = "t-caecc734c2e3328a62489fe0648c4b98779515d3";
const OPEN_ID = "ou_7dab8a3d3cdcc9da365777c7ad535d62";
const DEPT = "od-4e6ac4d14bcd5071a37a39de902c7141";
const BUSINESS = "zhangsan@mail.example.com";
const LISI = "ou_2c5e8a1f4b7d9e0a3c6f8b1d4e7a0c3f";

/** Lark's member-deleted event for Zhang San, an hour ago, taken as the events endpoint takes it. */
async function zhangDeleted(connector: DirectoryConnector): Promise<string> {
  await ensureProviderDirectory(world.database.db, connector);
  const createTime = String(world.clock.now().getTime() - 60 * 60 * 1000);
  const read = connector.readEvent?.({
    rawBody: JSON.stringify(lark.deletedEvent({ createTime })),
    headers: {},
  });
  if (read?.kind !== "deleted") throw new Error(`the event was not read: ${read?.kind}`);
  await upsertDeleted(world.database.db, "lark", 30, [read.user], world.clock.now());
  const zhang = await mirrored(OPEN_ID);
  expect(zhang).toMatchObject({ status: "deleted", aliases: [BUSINESS] });
  return zhang?.id as string;
}

/** Li Si as an earlier plan mirrored him: active, holding Zhang San's business address. */
function liSiMirrored() {
  return world.active({
    directoryId: "lark",
    externalId: LISI,
    userName: "lisi",
    email: "lisi@example.com",
    aliases: [BUSINESS],
    phone: "+8613022222222",
    displayName: "Li Si",
  });
}

/** Li Si in contact v3's shape, holding the business address. */
const liSi = (status: { is_resigned: boolean }) =>
  lark.larkUser({
    open_id: LISI,
    union_id: "on_5f1a9c3e7b2d4f6a8c0e1b3d5f7a9c2e",
    user_id: "lisi",
    name: "Li Si",
    en_name: "Si Li",
    email: "lisi@example.com",
    mobile: "+8613022222222",
    enterprise_email: BUSINESS,
    status: { is_frozen: false, is_activated: true, is_exited: false, is_unjoin: false, ...status },
  });

const authorized = () => nock(API, { reqheaders: { authorization: `Bearer ${TOKEN}` } });

/**
 * Nobody active has Zhang San's email, mobile or user ID (the check before the restore), Lark
 * resurrects him into his department, and reads him back (twice: after the resurrect, and again by
 * id when the mirror cannot take the first answer) with his business address.
 */
function larkResurrectsZhang() {
  nock(API)
    .post("/open-apis/auth/v3/tenant_access_token/internal", {
      app_id: lark.APP_ID,
      app_secret: lark.APP_SECRET,
    })
    .reply(200, lark.tokenAnswer(TOKEN));
  authorized()
    .post("/open-apis/contact/v3/users/batch_get_id", {
      emails: ["zhangsan@example.com"],
      mobiles: ["+8613011111111"],
    })
    .query({ user_id_type: "open_id" })
    .reply(200, lark.batchGetIdAnswer([{ email: "zhangsan@example.com" }, { mobile: "+8613011111111" }]));
  authorized()
    .get("/open-apis/contact/v3/users/batch")
    .query({ user_ids: "3e3cf96b", user_id_type: "user_id", department_id_type: "open_department_id" })
    .reply(200, lark.batchUsersAnswer([]));
  const resurrect = authorized()
    .post(`/open-apis/contact/v3/users/${OPEN_ID}/resurrect`, { departments: [{ department_id: DEPT }] })
    .query({ user_id_type: "open_id", department_id_type: "open_department_id" })
    .reply(200, lark.okAnswer);
  authorized()
    .get(`/open-apis/contact/v3/users/${OPEN_ID}`)
    .query({ user_id_type: "open_id", department_id_type: "open_department_id" })
    .times(2)
    .reply(200, lark.getUserAnswer());
  return resurrect;
}

function larkReadsLiSi(status: { is_resigned: boolean }) {
  authorized()
    .get(`/open-apis/contact/v3/users/${LISI}`)
    .query({ user_id_type: "open_id", department_id_type: "open_department_id" })
    .reply(200, lark.getUserAnswer(liSi(status)));
}

describe("after Lark restored a member, the mirror follows Lark", () => {
  it("the holder of the business address has resigned in Lark: marked deleted here, and Zhang San is restored with it", async () => {
    const connector = larkConnector();
    const service = serviceWith(connector);
    const zhang = await zhangDeleted(connector);
    const li = await liSiMirrored();
    const resurrect = larkResurrectsZhang();
    larkReadsLiSi({ is_resigned: true });

    const done = await service.restore(ADMIN, zhang);
    if (isRefusal(done)) throw new Error(done.message);
    expect(resurrect.isDone()).toBe(true);
    expect(done.needsAttention).toBeNull();
    expect(done.notes).toEqual(["Li Si (lisi) is no longer active in Lark: marked deleted here too."]);
    expect(await mirrored(OPEN_ID)).toMatchObject({
      status: "active",
      userName: "3e3cf96b",
      email: "zhangsan@example.com",
      aliases: [BUSINESS],
      department: DEPT,
    });
    expect(await mirrored(LISI)).toMatchObject({ status: "deleted" });
    expect(await indexedHoldersOf(BUSINESS)).toEqual([zhang]);
    const [audit] = await audited("restore");
    expect(audit?.details).toMatchObject({
      provider: "Lark",
      providerId: OPEN_ID,
      reconciled: [{ id: li.id, userName: "lisi", became: "deleted" }],
    });
  });

  it("Lark says Li Si still has the address: Zhang San is restored as Lark has him, and the admin is told to change it on one", async () => {
    const connector = larkConnector();
    const service = serviceWith(connector);
    const zhang = await zhangDeleted(connector);
    const li = await liSiMirrored();
    larkResurrectsZhang();
    larkReadsLiSi({ is_resigned: false });

    const done = await service.restore(ADMIN, zhang);
    if (isRefusal(done)) throw new Error(done.message);
    expect(done.needsAttention).toBeNull();
    expect(done.notes).toEqual([
      `Lark kept ${BUSINESS} on both Zhang San and Li Si: change it on one of them in Lark.`,
    ]);
    expect(await mirrored(OPEN_ID)).toMatchObject({ status: "active", aliases: [BUSINESS] });
    // Li Si was refreshed from Lark (his department now) and alone holds the address in the index.
    expect(await mirrored(LISI)).toMatchObject({ status: "active", department: DEPT, aliases: [BUSINESS] });
    expect(await indexedHoldersOf(BUSINESS)).toEqual([li.id]);
    expect(await indexedHoldersOf("zhangsan@example.com")).toEqual([zhang]);
    const [audit] = await audited("restore");
    expect(audit?.details).toMatchObject({
      reconciled: [{ id: li.id, userName: "lisi", became: "refreshed" }],
    });
  });
});
