/**
 * After a provider has acted, it is the truth: a restore answer our mirror cannot take as it is
 * (Graph keeps a renamed user's old `mail`, which the mirror has on the account that caused the
 * rename) must never be reported as "nothing restored". The mirror re-reads the provider, refreshes
 * or tombstones its stale rows, and writes what the provider says; failing that, the admin reads
 * exactly what happened and App Home and the digest list it under "Needs attention".
 */
import nock from "nock";
import { describe, expect, it } from "vitest";
import { formattersFor, toJson } from "../../src/cli/format.ts";
import { accounts } from "../../src/db/schema.ts";
import { buildDigest } from "../../src/digest/build.ts";
import { translator } from "../../src/i18n/translator.ts";
import { isRefusal } from "../../src/restore/outcome.ts";
import type { RestoreService } from "../../src/restore/service.ts";
import { homeView } from "../../src/slack/blocks/home.ts";
import { restoreResultView } from "../../src/slack/blocks/result.ts";
import * as fx from "../fixtures/entra.ts";
import { ADMIN } from "../support/world.ts";
import { ENTRA_GRAPH, entraBin, useProviderWorld } from "./flow-support.ts";

const { world, serviceWith, entraConnector, mirrored, indexedHoldersOf, audited } = useProviderWorld();
const HOLDER_ID = "5b9c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4";
const RENAMED = "alice.martin@contoso.com";

/** Syncs Entra's bin (Alice among the deleted) and mirrors Moreau, who holds alice@contoso.com now. */
async function aliceDeletedMoreauActive(
  service: RestoreService,
  active: object = fx.activeUsers,
): Promise<string> {
  entraBin();
  await service.sync(ADMIN, "entra");
  nock(ENTRA_GRAPH).get("/v1.0/users").query(true).times(20).optionally().reply(200, active);
  return (await mirrored(fx.ALICE_ID))?.id as string;
}

/** Graph restores Alice under the new name and answers with her old mail, as it does. */
function graphRestoresKeepingOldMail() {
  return nock(ENTRA_GRAPH)
    .post(`/v1.0/directory/deletedItems/${fx.ALICE_ID}/restore`, {
      newUserPrincipalName: RENAMED,
      autoReconcileProxyConflict: true,
    })
    .reply(200, fx.restoredAliceRenamed);
}

/** Graph's user lookup, with $select, as the connector reads one user by id. */
function graphUser(id: string, status: number, body: object) {
  return nock(ENTRA_GRAPH).get(`/v1.0/users/${id}`).query(true).reply(status, body);
}

const nl = translator("nl-NL", "Europe/Amsterdam");

const aliceNow = { ...fx.restoredAliceRenamed, proxyAddresses: ["SMTP:alice@contoso.com"], department: null };

describe("after Entra restored a user, the mirror follows Entra", () => {
  it("the holder of the old mail is gone in Entra: marked deleted here, and Alice is restored with Entra's mail", async () => {
    const service = serviceWith(entraConnector());
    const alice = await aliceDeletedMoreauActive(service);
    const restored = graphRestoresKeepingOldMail();
    graphUser(fx.ALICE_ID, 200, aliceNow);
    graphUser(HOLDER_ID, 404, fx.notFound);

    const done = await service.restore(ADMIN, alice, { renameTo: RENAMED });
    if (isRefusal(done)) throw new Error(done.message);
    expect(restored.isDone()).toBe(true);
    expect(done.needsAttention).toBeNull();
    expect(done.notes).toEqual([
      "Alice Moreau (alice@contoso.com) is no longer active in Microsoft Entra ID: marked deleted here too.",
    ]);
    expect(await mirrored(fx.ALICE_ID)).toMatchObject({
      status: "active",
      userName: RENAMED,
      email: "alice@contoso.com",
    });
    expect(await mirrored(HOLDER_ID)).toMatchObject({ status: "deleted" });
    expect(await indexedHoldersOf("alice@contoso.com")).toEqual([alice]);
    const [audit] = await audited("restore");
    expect(audit?.details).toMatchObject({
      reconciled: [{ userName: "alice@contoso.com", became: "deleted" }],
    });
  });

  it("Entra keeps the mail on both: Alice is restored as Entra has her, and the admin is told to change it on one", async () => {
    const service = serviceWith(entraConnector());
    const alice = await aliceDeletedMoreauActive(service);
    graphRestoresKeepingOldMail();
    graphUser(fx.ALICE_ID, 200, aliceNow);
    graphUser(HOLDER_ID, 200, { ...fx.activeUsers.value[0], userPrincipalName: "alice.moreau@contoso.com" });

    const done = await service.restore(ADMIN, alice, { renameTo: RENAMED });
    if (isRefusal(done)) throw new Error(done.message);
    expect(done.needsAttention).toBeNull();
    expect(done.notes).toEqual([
      "Microsoft Entra ID kept alice@contoso.com on both Alice Martin and Alice Moreau: change it on one of them in Microsoft Entra ID.",
    ]);
    // In the reader's language in Slack and the CLI; --json keeps the English notes only.
    const dutch =
      "Microsoft Entra ID heeft alice@contoso.com bij zowel Alice Martin als Alice Moreau laten staan: wijzig het bij een van beide in Microsoft Entra ID.";
    expect(JSON.stringify(restoreResultView(done, "Microsoft Entra ID", nl))).toContain(`• ${dutch}`);
    expect(formattersFor(nl).restored(done)).toContain(`  ${dutch}`);
    expect(JSON.parse(toJson(done)).notes).toEqual(done.notes);
    expect(toJson(done)).not.toContain("followed.");
    expect(await mirrored(fx.ALICE_ID)).toMatchObject({ status: "active", email: "alice@contoso.com" });
    // Moreau was refreshed from Entra (her new user name), and still holds the address in the index.
    const holder = await mirrored(HOLDER_ID);
    expect(holder).toMatchObject({ status: "active", userName: "alice.moreau@contoso.com" });
    expect(await indexedHoldersOf("alice@contoso.com")).toEqual([holder?.id]);
  });

  it("when the mirror still cannot follow, the restore is reported as done in Entra and listed as needing attention", async () => {
    const service = serviceWith(entraConnector());
    // Nobody holds Alice's name in Entra; but contoso.com was removed from the tenant since, so
    // Entra gives her back on the initial domain (as it does), a name the mirror has on a row it
    // cannot re-read (Entra refuses the lookup).
    const alice = await aliceDeletedMoreauActive(service, { value: [] });
    const initial = "alice@contoso.onmicrosoft.com";
    const [clash] = await world.database.db
      .insert(accounts)
      .values({
        directoryId: "entra",
        externalId: "d00d0000-0000-4000-8000-000000000001",
        userName: initial,
        displayName: "Stale Copy",
        status: "active",
        aliases: [],
        createdAt: world.clock.now(),
        updatedAt: world.clock.now(),
      })
      .returning();
    const answer = { ...fx.restoredAlice, userPrincipalName: initial, mail: null };
    nock(ENTRA_GRAPH).post(`/v1.0/directory/deletedItems/${fx.ALICE_ID}/restore`).reply(200, answer);
    graphUser(fx.ALICE_ID, 200, { ...answer, proxyAddresses: [], department: null });
    graphUser(clash?.externalId as string, 403, fx.forbidden);

    const done = await service.restore(ADMIN, alice);
    if (isRefusal(done)) throw new Error(done.message);
    expect(done.type).toBe("restored");
    expect(done.needsAttention).toMatch(
      /^Alice Martin \(alice@contoso\.onmicrosoft\.com\) was restored in Microsoft Entra ID, but this app's records could not follow: .*Run `restore-user refresh /,
    );
    expect(done.needsAttention).not.toMatch(/insert|update|select|\$\d/i);
    expect(await mirrored(fx.ALICE_ID)).toMatchObject({ status: "deleted" });
    const [attention] = await audited("needs_attention");
    expect(attention).toMatchObject({
      actor: ADMIN,
      before: { status: "deleted", userName: "alice@contoso.com" },
      after: { status: "active", userName: initial },
      details: { provider: "Microsoft Entra ID", providerId: fx.ALICE_ID, did: "restore" },
    });

    // Shown where admins look: App Home and the daily digest.
    const items = await service.needingAttention(ADMIN);
    if (isRefusal(items)) throw new Error(items.message);
    const home = JSON.stringify(
      homeView({
        now: world.clock.now(),
        isAdmin: true,
        isApprover: false,
        pending: [],
        expiring: [],
        recent: [],
        attention: items,
      }),
    );
    expect(home).toContain("Needs attention (1)");
    expect(home).toContain(initial);
    // The same, for a Dutch reader: the result, App Home (and the digest, which lists the same
    // items), and the CLI; the command stays as it is, escaped for Slack.
    const result = JSON.stringify(restoreResultView(done, "Microsoft Entra ID", nl));
    expect(result).toContain(
      `Alice Martin (${initial}) is hersteld in Microsoft Entra ID, maar de gegevens van deze app konden niet volgen: `,
    );
    expect(result).toContain(`Voer \`restore-user refresh ${alice} --as &lt;your Slack id&gt;\` uit`);
    expect(result).not.toContain("<your Slack id>");
    expect(formattersFor(nl).restored(done)).toContain("is hersteld in Microsoft Entra ID, maar de gegevens");
    const dutchHome = JSON.stringify(
      homeView({
        now: world.clock.now(),
        isAdmin: true,
        isApprover: false,
        pending: [],
        expiring: [],
        recent: [],
        attention: items,
        t: nl,
      }),
    );
    expect(dutchHome).toContain(`Voer \`restore-user refresh ${alice} --as &lt;your Slack id&gt;\` uit`);
    expect(dutchHome).not.toContain("Run `restore-user");
    expect(JSON.parse(toJson(done)).needsAttention).toBe(done.needsAttention);
    expect(toJson(done)).not.toContain("needsAttentionSaid");
    const digest = await buildDigest(world.database.db, {
      date: "2026-11-24",
      timeZone: "UTC",
      windowDays: 7,
      now: world.clock.now(),
      since: null,
    });
    expect(digest.attention).toMatchObject([{ userName: initial, provider: "Microsoft Entra ID" }]);
    expect(digest.empty).toBe(false);
    expect(done.needsAttention).toContain(`restore-user refresh ${alice} --as <your Slack id>`);

    // The way out: once Entra answers about the stale copy (gone), a refresh brings the records in line.
    graphUser(fx.ALICE_ID, 200, { ...answer, proxyAddresses: [], department: null });
    graphUser(clash?.externalId as string, 404, fx.notFound);
    const refreshed = await service.refresh(ADMIN, alice);
    expect(refreshed).toMatchObject({
      type: "refreshed",
      account: { userName: initial, status: "active" },
      notes: [`Stale Copy (${initial}) is no longer active in Microsoft Entra ID: marked deleted here too.`],
    });
    if (isRefusal(refreshed)) throw new Error(refreshed.message);
    expect(formattersFor(nl).refreshed(refreshed)).toContain(
      `  Stale Copy (${initial}) is niet meer actief in Microsoft Entra ID: hier ook als verwijderd gemarkeerd.`,
    );
    expect(await mirrored(fx.ALICE_ID)).toMatchObject({ status: "active", userName: initial });
    expect(await mirrored(clash?.externalId as string)).toMatchObject({ status: "deleted" });
    expect(await service.needingAttention(ADMIN)).toEqual([]);
    expect(await audited("refresh")).toHaveLength(1);
  });

  it("a refresh says so when the provider has no active user to follow, and changes nothing", async () => {
    const service = serviceWith(entraConnector());
    const alice = await aliceDeletedMoreauActive(service, { value: [] });
    graphUser(fx.ALICE_ID, 404, fx.notFound);
    const refused = await service.refresh(ADMIN, alice);
    expect(refused).toMatchObject({ type: "refused", code: "blocked" });
    expect(isRefusal(refused) && refused.message).toMatch(
      /^Microsoft Entra ID has no active user with the id .*: nothing to bring in line/,
    );
    expect(await mirrored(fx.ALICE_ID)).toMatchObject({ status: "deleted" });
    expect(await audited("refresh")).toEqual([]);
  });
});
