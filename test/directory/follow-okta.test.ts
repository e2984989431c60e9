/**
 * After Okta restored (activated) a user, Okta is the truth (src/restore/follow.ts). Okta keeps only
 * the login unique: two active users may share an email, so the mirror indexes no Okta addresses
 * (keepsAddresses in src/accounts/rows.ts) and Okta's answer keeping Ada's old email, which an
 * active user in the mirror has too, fits as it is: the restore simply succeeds, both keep
 * the address, and there is nothing to reconcile or tell the admin.
 */

import { eq } from "drizzle-orm";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { keepsAddresses } from "../../src/accounts/rows.ts";
import { accounts, auditEvents } from "../../src/db/schema.ts";
import { isRefusal } from "../../src/restore/outcome.ts";
import * as okta from "../fixtures/okta.ts";
import { ADMIN } from "../support/world.ts";
import { useProviderWorld } from "./flow-support.ts";

const { world, serviceWith, oktaConnector, mirrored, indexedHoldersOf } = useProviderWorld();
const LOGIN = "ada.lovelace@example.com";
const EMAIL = "ada.lovelace@example.com";

const api = () => nock(okta.ORG, { reqheaders: { authorization: `SSWS ${okta.API_TOKEN}` } });

describe("after Okta restored a user, the mirror follows Okta", () => {
  it("Okta's answer keeps Ada's old email, which an active user has too: the restore simply succeeds, both keep it, no note", async () => {
    const c = oktaConnector();
    expect(keepsAddresses(c.profile.capabilities.unique)).toBe(false);
    const service = serviceWith(c);
    api()
      .get("/api/v1/users")
      .query({ search: 'status eq "DEPROVISIONED"', limit: "200" })
      .reply(200, [okta.ada]);
    await service.sync(ADMIN, "okta");
    const ada = (await mirrored(okta.ada.id))?.id as string;
    // The user who has Ada's old email now, as an earlier check mirrored her: active, and (Okta)
    // without an address index.
    await world.database.db.insert(accounts).values({
      directoryId: "okta",
      externalId: okta.activeAda.id,
      userName: "ada.lovelace2@example.com",
      email: EMAIL,
      aliases: [],
      displayName: "Ada Lovelace",
      status: "active",
      createdAt: world.clock.now(),
      updatedAt: world.clock.now(),
    });

    // The check before the restore: the search for Ada's login lists Ada and the user who has her
    // email now (read by id: another login, so no holder); by login Okta answers Ada, deactivated.
    api()
      .get("/api/v1/users")
      .query({ search: `profile.login eq "${LOGIN}"`, limit: "200" })
      .reply(200, [okta.ada, okta.activeAda]);
    api()
      .get(`/api/v1/users/${encodeURIComponent(LOGIN)}`)
      .reply(200, okta.ada);
    api().get(`/api/v1/users/${okta.activeAda.id}`).reply(200, okta.activeAda);
    const activate = api()
      .post(`/api/v1/users/${okta.ada.id}/lifecycle/activate`)
      .query({ sendEmail: "false" })
      .reply(200, okta.activationToken);
    // Read back once: a second read (the mirror not taking the answer) would find no interceptor.
    api().get(`/api/v1/users/${okta.ada.id}`).reply(200, okta.adaProvisioned);

    const done = await service.restore(ADMIN, ada);
    if (isRefusal(done)) throw new Error(done.message);
    expect(activate.isDone()).toBe(true);
    expect(done).toMatchObject({
      action: "restore",
      needsAttention: null,
      notes: [],
      account: { status: "active", userName: LOGIN, email: EMAIL },
    });
    const holder = await mirrored(okta.activeAda.id);
    expect(holder).toMatchObject({ status: "active", userName: "ada.lovelace2@example.com", email: EMAIL });
    expect(await mirrored(okta.ada.id)).toMatchObject({ status: "active", email: EMAIL });
    // Okta's addresses are not indexed: neither holds the email in the index, neither lost it.
    expect(await indexedHoldersOf(EMAIL)).toEqual([]);
    const [audit] = await world.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "restore"));
    expect(audit?.details).toMatchObject({ provider: "Okta", providerId: okta.ada.id });
    expect(audit?.details).not.toHaveProperty("reconciled");
  });
});
