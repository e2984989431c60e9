/**
 * The whole flow from the service on a real provider's API (answered by nock in the shapes of
 * test/fixtures): sync the bin into the mirror, search, plan, restore in the provider, audit; the
 * provider's active users as the truth about conflicts; an approved replace; a provider that is
 * down; JumpCloud's re-creation; and a sync claimed once across copies.
 */

import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { formattersFor, toJson } from "../../src/cli/format.ts";
import { runCli } from "../../src/cli/run.ts";
import { accounts } from "../../src/db/schema.ts";
import { startServer } from "../../src/http.ts";
import { translator } from "../../src/i18n/translator.ts";
import { silentLog } from "../../src/log.ts";
import { ensureProviderDirectory } from "../../src/mirror/sync.ts";
import { larkModule } from "../../src/providers/lark.ts";
import { providersFrom } from "../../src/providers/providers.ts";
import { isRefusal, refusalText } from "../../src/restore/outcome.ts";
import { runSyncs } from "../../src/schedule/sync-job.ts";
import { planView } from "../../src/slack/blocks/plan.ts";
import * as fx from "../fixtures/entra.ts";
import * as jc from "../fixtures/jumpcloud.ts";
import * as lark from "../fixtures/lark.ts";
import { scratchDatabaseEnv } from "../support/database.ts";
import { ADMIN, APPROVER } from "../support/world.ts";
import {
  ENTRA_DELETED_USERS,
  ENTRA_GRAPH,
  ENTRA_LOGIN,
  entraBin,
  JUMPCLOUD_API_KEY,
  useProviderWorld,
} from "./flow-support.ts";
import { quietDeps } from "./support.ts";

const { world, serviceWith, entraConnector, jumpcloudConnector, larkConnector, mirrored, audited } =
  useProviderWorld();
const HOLDER_ID = "5b9c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4";

/** Who holds Alice's names in Entra now: `holders` for every conflict query the connector sends. */
function entraActive(holders: object[]) {
  nock(ENTRA_GRAPH).get("/v1.0/users").query(true).times(20).optionally().reply(200, { value: holders });
}

describe("Microsoft Entra ID, end to end", () => {
  it("syncs the bin, finds Alice with her days left, restores her in Entra and audits it", async () => {
    const connector = entraConnector();
    const service = serviceWith(connector);
    entraBin();
    const synced = await service.sync(ADMIN, "entra");
    expect(synced).toMatchObject([{ directoryId: "entra", seen: 3, pages: 2, gone: 0 }]);

    const found = await service.search(ADMIN, { query: "alice" });
    if (isRefusal(found)) throw new Error(found.message);
    const alice = found.items.find((v) => v.userName === "alice@contoso.com");
    expect(alice).toMatchObject({ directoryId: "entra", displayName: "Alice Martin" });
    // Deleted 2026-11-10 08:30, 30 days: 17 whole days left at noon on 2026-11-22.
    expect(alice?.restorability).toMatchObject({ state: "deleted", daysLeft: 17 });
    expect(alice?.window).toBe("17 days left");

    const plan = await service.plan(ADMIN, alice?.id as string);
    if (isRefusal(plan)) throw new Error(plan.message);
    expect(plan).toMatchObject({ ready: true, action: "restore", directory: { name: "Microsoft Entra ID" } });

    entraActive([]);
    const restore = nock(ENTRA_GRAPH, { reqheaders: { authorization: `Bearer ${fx.ACCESS_TOKEN_1}` } })
      .post(`/v1.0/directory/deletedItems/${fx.ALICE_ID}/restore`)
      .reply(200, fx.restoredAlice);
    const done = await service.restore(ADMIN, alice?.id as string);
    if (isRefusal(done)) throw new Error(done.message);
    expect(restore.isDone()).toBe(true);
    expect(done).toMatchObject({ type: "restored", action: "restore", account: { status: "active" } });
    expect(done.temporaryPassword).toBeNull(); // Entra keeps its own passwords
    expect(done.followUp.join(" ")).toMatch(/password/i);
    expect(await mirrored(fx.ALICE_ID)).toMatchObject({ status: "active", userName: "alice@contoso.com" });
    const [event] = await audited("restore");
    expect(event?.details).toMatchObject({ provider: "Microsoft Entra ID", providerId: fx.ALICE_ID });
  });

  it("a holder the mirror never saw blocks the restore; a rename goes to Entra as newUserPrincipalName", async () => {
    const service = serviceWith(entraConnector());
    entraBin();
    await service.sync(ADMIN, "entra");
    const alice = (await mirrored(fx.ALICE_ID))?.id as string;

    entraActive(fx.activeUsers.value);
    const blocked = await service.restore(ADMIN, alice);
    expect(blocked).toMatchObject({ type: "refused", code: "blocked" });
    expect(isRefusal(blocked) && blocked.plan?.conflicts[0]).toMatchObject({
      kind: "userName",
      holder: { displayName: "Alice Moreau", directoryId: "entra" },
      resolutions: ["rename", "replace", "cancel"],
    });

    entraActive(fx.activeUsers.value);
    const renamed = nock(ENTRA_GRAPH)
      // Her sign-in address followed the old user name and belongs to Moreau now: Entra drops it.
      .post(`/v1.0/directory/deletedItems/${fx.ALICE_ID}/restore`, {
        newUserPrincipalName: "alice.martin@contoso.com",
        autoReconcileProxyConflict: true,
      })
      .reply(200, { ...fx.restoredAliceRenamed, mail: "alice.martin@contoso.com" });
    const done = await service.restore(ADMIN, alice, { renameTo: "alice.martin@contoso.com" });
    if (isRefusal(done)) throw new Error(done.message);
    expect(renamed.isDone()).toBe(true);
    expect(done.renamedFrom).toBe("alice@contoso.com");
    expect(await mirrored(fx.ALICE_ID)).toMatchObject({
      status: "active",
      userName: "alice.martin@contoso.com",
    });
    expect(await mirrored(HOLDER_ID)).toMatchObject({ status: "active", displayName: "Alice Moreau" });
  });

  it("a conflict only Entra could see comes back as the same choice: rename, not a dead end", async () => {
    const service = serviceWith(entraConnector());
    entraBin();
    await service.sync(ADMIN, "entra");
    const alice = (await mirrored(fx.ALICE_ID))?.id as string;
    entraActive([]); // the user list shows no holder (a user created a moment ago, say)
    nock(ENTRA_GRAPH).post(`/v1.0/directory/deletedItems/${fx.ALICE_ID}/restore`).reply(400, fx.upnConflict);
    const refused = await service.restore(ADMIN, alice);
    expect(refused).toMatchObject({ type: "refused", code: "blocked" });
    const conflict = isRefusal(refused) ? refused.plan?.conflicts[0] : undefined;
    expect(conflict).toMatchObject({
      kind: "userName",
      userName: "alice@contoso.com",
      holder: { displayName: "Another object in Microsoft Entra ID" },
      resolutions: ["rename", "cancel"],
    });
    expect(isRefusal(refused) && refused.message).toMatch(
      /^Microsoft Entra ID: .*Request_BadRequest.*Nothing was restored/,
    );
    // Said in the reader's language: the holder is ours to name, not the directory's.
    const plan = isRefusal(refused) ? refused.plan : undefined;
    if (!plan) throw new Error("the refusal carries its plan");
    const nl = translator("nl-NL", "Europe/Amsterdam");
    const meta = { accountId: alice, query: "alice", directoryName: "Microsoft Entra ID" };
    expect(JSON.stringify(planView(plan, meta, nl))).toContain("Een ander object in Microsoft Entra ID");
    expect(formattersFor(nl).plan(plan)).toContain("Een ander object in Microsoft Entra ID");
    expect(formattersFor().plan(plan)).toContain("Another object in Microsoft Entra ID");
    const json = JSON.parse(toJson(refused));
    expect(json.plan.conflicts[0].holder).toEqual(
      expect.objectContaining({ displayName: "Another object in Microsoft Entra ID" }),
    );
    expect(json.plan.conflicts[0].holder).not.toHaveProperty("displayNameSaid");

    entraActive([]);
    nock(ENTRA_GRAPH)
      .post(`/v1.0/directory/deletedItems/${fx.ALICE_ID}/restore`, {
        newUserPrincipalName: "alice.martin@contoso.com",
        autoReconcileProxyConflict: true,
      })
      .reply(200, { ...fx.restoredAliceRenamed, mail: "alice.martin@contoso.com" });
    const done = await service.restore(ADMIN, alice, { renameTo: "alice.martin@contoso.com" });
    expect(done).toMatchObject({ type: "restored", account: { userName: "alice.martin@contoso.com" } });
  });

  it("Entra down: nothing is restored and the admin reads which provider failed", async () => {
    const service = serviceWith(entraConnector());
    entraBin();
    await service.sync(ADMIN, "entra");
    const alice = (await mirrored(fx.ALICE_ID))?.id as string;
    entraActive([]);
    nock(ENTRA_GRAPH)
      .post(`/v1.0/directory/deletedItems/${fx.ALICE_ID}/restore`)
      .times(4)
      .reply(503, fx.unavailable);
    const refused = await service.restore(ADMIN, alice);
    expect(refused).toMatchObject({ type: "refused", code: "provider" });
    expect(isRefusal(refused) && refused.message).toMatch(
      /^Microsoft Entra ID: .*gave up after 4 tries.*\. Nothing was restored\. Try again in a few minutes/,
    );
    // In Dutch: what happened as the connector reported it, then our outcome and next step.
    expect(isRefusal(refused) && refusalText(refused, translator("nl"))).toMatch(
      /^Microsoft Entra ID: .*gave up after 4 tries.*\. Er is niets hersteld\. Probeer het over een paar minuten opnieuw; blijft het mislukken, controleer dan de servicestatus van Microsoft Entra ID en of deze app https:\/\/graph\.test kan bereiken\.$/,
    );
    expect(await mirrored(fx.ALICE_ID)).toMatchObject({ status: "deleted" });
    expect(await audited("restore")).toEqual([]);
  });

  it("an approved replace deletes the holder in Entra, then restores Alice in its place", async () => {
    const service = serviceWith(entraConnector());
    entraBin();
    await service.sync(ADMIN, "entra");
    const alice = (await mirrored(fx.ALICE_ID))?.id as string;
    entraActive(fx.activeUsers.value);
    await service.restore(ADMIN, alice); // blocked: learns of the holder
    const requested = await service.requestReplace(
      ADMIN,
      alice,
      "Alice Martin is back; Moreau's account was a stopgap",
    );
    if (isRefusal(requested)) throw new Error(requested.message);

    entraActive(fx.activeUsers.value);
    const removed = nock(ENTRA_GRAPH).delete(`/v1.0/users/${HOLDER_ID}`).reply(204);
    const restored = nock(ENTRA_GRAPH)
      .post(`/v1.0/directory/deletedItems/${fx.ALICE_ID}/restore`)
      .reply(200, fx.restoredAlice);
    const outcome = await service.approve(APPROVER, requested.request.id);
    expect(outcome).toMatchObject({ type: "restored", replaced: { displayName: "Alice Moreau" } });
    expect(removed.isDone() && restored.isDone()).toBe(true);
    expect(await mirrored(HOLDER_ID)).toMatchObject({ status: "deleted" });
    expect(await mirrored(fx.ALICE_ID)).toMatchObject({ status: "active" });
  });

  it("when Entra refuses the restore after the holder was deleted, the holder is put back", async () => {
    const service = serviceWith(entraConnector());
    entraBin();
    await service.sync(ADMIN, "entra");
    const alice = (await mirrored(fx.ALICE_ID))?.id as string;
    entraActive(fx.activeUsers.value);
    await service.restore(ADMIN, alice);
    const requested = await service.requestReplace(ADMIN, alice, "stopgap account");
    if (isRefusal(requested)) throw new Error(requested.message);

    entraActive(fx.activeUsers.value);
    nock(ENTRA_GRAPH).delete(`/v1.0/users/${HOLDER_ID}`).reply(204);
    nock(ENTRA_GRAPH)
      .post(`/v1.0/directory/deletedItems/${fx.ALICE_ID}/restore`)
      .reply(400, fx.proxyConflict);
    const putBack = nock(ENTRA_GRAPH)
      .post(`/v1.0/directory/deletedItems/${HOLDER_ID}/restore`)
      .reply(200, { ...fx.activeUsers.value[0], id: HOLDER_ID });
    const outcome = await service.approve(APPROVER, requested.request.id);
    expect(putBack.isDone()).toBe(true);
    expect(outcome).toMatchObject({ type: "failed" });
    expect(!isRefusal(outcome) && outcome.type === "failed" && outcome.reason).toMatch(
      /Microsoft Entra ID: .*Alice Moreau \(alice@contoso.com\) was put back as it was/,
    );
    expect(await mirrored(HOLDER_ID)).toMatchObject({ status: "active" });
    expect(await mirrored(fx.ALICE_ID)).toMatchObject({ status: "deleted" });
  });

  it("a sync of the whole bin marks who left it since: restored in Entra's console, or purged", async () => {
    const connector = entraConnector();
    const service = serviceWith(connector);
    entraBin();
    await service.sync(ADMIN, "entra");
    world.clock.advance(60_000);
    nock(ENTRA_GRAPH)
      .get(ENTRA_DELETED_USERS)
      .query((q) => q.$skiptoken === undefined)
      .reply(200, {
        ...fx.deletedUsersPage1(`${ENTRA_GRAPH}${ENTRA_DELETED_USERS}?$skiptoken=page2`),
        value: fx.deletedUsersPage1("").value.filter((u) => u.id !== fx.BOB_ID),
      });
    nock(ENTRA_GRAPH)
      .get(ENTRA_DELETED_USERS)
      .query({ $skiptoken: "page2" })
      .reply(200, fx.deletedUsersPage2);
    const second = await service.sync(ADMIN, "entra");
    expect(second).toMatchObject([{ seen: 2, gone: 1 }]);
    expect(await mirrored(fx.BOB_ID)).toMatchObject({ status: "purged" });
    expect(await mirrored(fx.ALICE_ID)).toMatchObject({ status: "deleted" });
    const purges = await audited("purge");
    expect(purges[0]?.details).toMatchObject({
      reason: expect.stringMatching(/no longer in Microsoft Entra ID/),
    });
  });

  it("two copies of the app looking at the same slot sync once", async () => {
    const connector = entraConnector();
    entraBin();
    const deps = (owner: string) => ({
      db: world.database.db,
      clock: world.clock,
      owner,
      connectors: [connector],
    });
    const slot = "2026-11-22T12:00:00.000Z";
    const [a, b] = await Promise.all([runSyncs(deps("copy-a"), slot), runSyncs(deps("copy-b"), slot)]);
    const ran = [...a, ...b];
    expect(ran).toHaveLength(1);
    expect(ran[0]?.result).toMatchObject({ seen: 3 });
    const rows = await world.database.db
      .select()
      .from(accounts)
      .where(and(eq(accounts.directoryId, "entra"), eq(accounts.status, "deleted")));
    expect(rows).toHaveLength(3);
  });
});

describe("JumpCloud, end to end", () => {
  it("a deletion event becomes an account to re-create; the re-creation is a new JumpCloud user", async () => {
    const service = serviceWith(jumpcloudConnector());
    nock("https://insights.test", { reqheaders: { "x-api-key": JUMPCLOUD_API_KEY } })
      .post("/insights/directory/v1/events")
      .reply(200, [jc.userDeleteEvent], jc.insightsHeaders(1, 1000, [1763652363218, "DZrPyW8B"]));
    expect(await service.sync(ADMIN, "jumpcloud")).toMatchObject([{ seen: 1, gone: 0 }]);

    const plan = await service.plan(ADMIN, "ada.lovelace");
    if (isRefusal(plan)) throw new Error(plan.message);
    expect(plan).toMatchObject({ action: "recreate", ready: true, directory: { canRestore: false } });

    nock("https://console.test")
      .get("/api/systemusers")
      .query(true)
      .times(2)
      .reply(200, jc.systemUsersList([]));
    const created = nock("https://console.test")
      .post(
        "/api/systemusers",
        (body) => body.username === "ada.lovelace" && typeof body.password === "string",
      )
      .reply(200, jc.createdSystemUser);
    nock("https://console.test").post(`/api/systemusers/${jc.createdSystemUser.id}/expire`).reply(200, "");
    const done = await service.restore(ADMIN, "ada.lovelace");
    if (isRefusal(done)) throw new Error(done.message);
    expect(created.isDone()).toBe(true);
    expect(done).toMatchObject({
      action: "recreate",
      account: { status: "active", userName: "ada.lovelace" },
    });
    expect(done.temporaryPassword).toMatch(/.{12,}/);
    const fresh = await mirrored(jc.createdSystemUser.id);
    expect(fresh).toMatchObject({ status: "active", mustChangePassword: true });
    const old = await mirrored(jc.userDeleteEvent.resource.id);
    expect(old?.recreatedAs).toBe(fresh?.id);
    const [event] = await audited("recreate");
    expect(event?.details).toMatchObject({ provider: "JumpCloud", providerId: jc.createdSystemUser.id });
    // The password went to JumpCloud and nowhere else: not the audit, not the mirror.
    expect(JSON.stringify(event)).not.toContain(done.temporaryPassword as string);
    expect(fresh?.passwordHash).toBeNull();
  });
});

describe("Lark, end to end", () => {
  it("learns of a departure from Lark's event and answers Lark's URL check; a forged event changes nothing", async () => {
    const connector = larkConnector();
    await ensureProviderDirectory(world.database.db, connector);
    nock.enableNetConnect("127.0.0.1");
    const server = await startServer({
      db: world.database.db,
      slack: null,
      port: 0,
      connectors: [connector],
      now: () => world.clock.now(),
      log: silentLog,
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/directories/lark/events`;
      const post = (body: unknown) =>
        fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const check = await post(lark.urlVerification());
      expect(await check.json()).toEqual({ challenge: "ajls384kdjx98XX" });
      expect((await post(lark.deletedEvent({ token: "forged" }))).status).toBe(401);
      expect(await mirrored("ou_7dab8a3d3cdcc9da365777c7ad535d62")).toBeUndefined();
      // Lark reports a deletion as it happens: an hour ago by the test's clock.
      const createTime = String(world.clock.now().getTime() - 60 * 60 * 1000);
      expect((await post(lark.deletedEvent({ createTime }))).status).toBe(200);
      const departed = await mirrored("ou_7dab8a3d3cdcc9da365777c7ad535d62");
      expect(departed).toMatchObject({ directoryId: "lark", status: "deleted", displayName: "Zhang San" });
      const found = await serviceWith(connector).search(ADMIN, { query: "zhang" });
      expect(!isRefusal(found) && found.items.map((v) => v.displayName)).toEqual(["Zhang San"]);
    } finally {
      server.close();
      nock.disableNetConnect();
    }
  });
});

describe("Lark's events without a secret", () => {
  it("are refused: anyone could post made-up departures", () => {
    const connector = larkModule.create(
      larkModule.settings.parse({ LARK_APP_ID: lark.APP_ID, LARK_APP_SECRET: lark.APP_SECRET }),
      quietDeps().deps,
    );
    expect(connector.readEvent?.({ rawBody: JSON.stringify(lark.deletedEvent()), headers: {} })).toEqual({
      kind: "rejected",
      reason: "set LARK_VERIFICATION_TOKEN or LARK_ENCRYPT_KEY to receive Lark's events",
    });
  });
});

describe("configuration", () => {
  it("a provider is on when one of its variables is set, and every missing one is named", () => {
    const deps = { clock: world.clock, log: quietDeps().deps.log };
    expect(providersFrom({}, deps.clock, deps.log)).toMatchObject({ connectors: [], problems: [] });
    const half = providersFrom({ ENTRA_TENANT_ID: fx.TENANT_ID }, deps.clock, deps.log);
    expect(half.connectors).toEqual([]);
    expect(half.problems).toEqual([
      expect.stringMatching(/^ENTRA_CLIENT_ID: required to connect Microsoft Entra ID/),
      expect.stringMatching(/^ENTRA_CLIENT_SECRET: required to connect Microsoft Entra ID/),
    ]);
    const both = providersFrom(
      {
        ENTRA_TENANT_ID: fx.TENANT_ID,
        ENTRA_CLIENT_ID: fx.CLIENT_ID,
        ENTRA_CLIENT_SECRET: fx.CLIENT_SECRET,
        JUMPCLOUD_API_KEY: JUMPCLOUD_API_KEY,
      },
      deps.clock,
      deps.log,
    );
    expect(both.problems).toEqual([]);
    expect(both.connectors.map((c) => c.name)).toEqual(["Microsoft Entra ID", "JumpCloud"]);
    expect(JSON.stringify(both.problems)).not.toContain(fx.CLIENT_SECRET);
  });

  it("restore-user sync copies the bin now and says what it saw; a half-set provider is named", async () => {
    const scratch = await scratchDatabaseEnv();
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    const env = {
      ...scratch.env,
      RESTORE_ADMINS: ADMIN,
      ENTRA_TENANT_ID: fx.TENANT_ID,
      ENTRA_CLIENT_ID: fx.CLIENT_ID,
      ENTRA_CLIENT_SECRET: fx.CLIENT_SECRET,
      ENTRA_GRAPH_URL: ENTRA_GRAPH,
      ENTRA_LOGIN_URL: ENTRA_LOGIN,
    };
    try {
      entraBin();
      expect(await runCli(["sync", "entra", "--as", ADMIN], env, io)).toBe(0);
      expect(out.join("\n")).toMatch(/^entra: 3 deleted users seen in 2 pages \(\d+\.\d s\)$/);
      expect(await runCli(["sync", "okta", "--as", ADMIN], env, io)).toBe(2);
      expect(err.join("\n")).toMatch(/No provider okta is configured; configured: entra/);
      const { ENTRA_CLIENT_SECRET: _, ...half } = env;
      expect(await runCli(["sync", "--as", ADMIN], half, io)).toBe(2);
      expect(err.join("\n")).toMatch(/ENTRA_CLIENT_SECRET: required to connect Microsoft Entra ID/);
    } finally {
      await scratch.drop();
    }
  });

  it("sync says plainly when no provider is configured", async () => {
    const refused = await serviceWith().sync(ADMIN);
    expect(refused).toMatchObject({
      type: "refused",
      message: expect.stringMatching(/No identity provider/),
    });
  });
});
