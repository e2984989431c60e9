/**
 * After Google Workspace restored a user, Google is the truth (src/restore/follow.ts). A fake
 * users.get answer after the undelete keeps an old alias of Erin's that the bin listing did not
 * show, so the check before the restore never asked about it; the mirror still has it on an
 * active user found by an earlier plan. The mirror re-reads both from Google: a holder Google no
 * longer has is marked deleted here, one Google says still has it keeps it, and the admin is told.
 * Also: replace is offered from the first plan, and plans within a minute do not ask Google again.
 */

import { describe, expect, it } from "vitest";
import { isRefusal } from "../../src/restore/outcome.ts";
import type { RestoreService } from "../../src/restore/service.ts";
import * as g from "../fixtures/google.ts";
import { ADMIN } from "../support/world.ts";
import { GOOGLE_USERS, googleApi, googleBin, googleTokens, useProviderWorld } from "./flow-support.ts";

const { world, serviceWith, googleConnector, mirrored, indexedHoldersOf, audited } = useProviderWorld();

/** Erin's old alias: not in the bin listing, back on her after the undelete. */
const OLD_ALIAS = "e.cole@example.com";
const HOLDER_ID = "108642097531864209753";

/** One sync: a token per scope, the bin (Erin only) and the org units. Returns Erin's row id. */
async function erinSynced(service: RestoreService): Promise<string> {
  googleTokens();
  googleBin();
  await service.sync(ADMIN, "google");
  return (await mirrored(g.ERIN_ID))?.id as string;
}

/** Eric Cole, active in Google, holding Erin's old alias, as users.get returns him. */
const ericHolding = {
  ...g.activeAlicia,
  id: HOLDER_ID,
  primaryEmail: "eric.cole@example.com",
  name: { givenName: "Eric", familyName: "Cole", fullName: "Eric Cole" },
  aliases: [OLD_ALIAS],
  orgUnitPath: "/Engineering",
};

/** Eric as an earlier plan mirrored him: active, with the alias in the address index. */
function ericMirrored() {
  return world.active({
    directoryId: "google",
    externalId: HOLDER_ID,
    userName: "eric.cole@example.com",
    email: "eric.cole@example.com",
    aliases: [OLD_ALIAS],
    displayName: "Eric Cole",
  });
}

/** Erin as users.get returns her after the undelete: with her old alias (the fake answer). */
const erinWithOldAlias = { ...g.restoredErin("/Engineering"), aliases: [OLD_ALIAS] };

/** Nobody holds Erin's address (the check before the restore), then Google undeletes her. */
function googleRestoresErinWithOldAlias() {
  googleApi().get(`${GOOGLE_USERS}/erin.cole%40example.com`).reply(404, g.errors.notFound);
  const undelete = googleApi()
    .post(`${GOOGLE_USERS}/${g.ERIN_ID}/undelete`, { orgUnitPath: "/Engineering" })
    .reply(204);
  // Read back after the undelete, and read again by id when the first write does not fit.
  googleApi().get(`${GOOGLE_USERS}/${g.ERIN_ID}`).times(2).reply(200, erinWithOldAlias);
  return undelete;
}

describe("after Google Workspace restored a user, the mirror follows Google", () => {
  it("the holder of the old alias is gone in Google: marked deleted here, and Erin is restored with the alias", async () => {
    const service = serviceWith(googleConnector());
    const erin = await erinSynced(service);
    const eric = await ericMirrored();
    const undelete = googleRestoresErinWithOldAlias();
    googleApi().get(`${GOOGLE_USERS}/${HOLDER_ID}`).reply(404, g.errors.notFound);

    const done = await service.restore(ADMIN, erin, { department: "/Engineering" });
    if (isRefusal(done)) throw new Error(done.message);
    expect(undelete.isDone()).toBe(true);
    expect(done.needsAttention).toBeNull();
    expect(done.notes).toEqual([
      "Eric Cole (eric.cole@example.com) is no longer active in Google Workspace: marked deleted here too.",
    ]);
    expect(await mirrored(g.ERIN_ID)).toMatchObject({
      status: "active",
      userName: "erin.cole@example.com",
      aliases: [OLD_ALIAS],
      department: "/Engineering",
    });
    expect(await mirrored(HOLDER_ID)).toMatchObject({ status: "deleted" });
    expect(await indexedHoldersOf(OLD_ALIAS)).toEqual([erin]);
    const [audit] = await audited("restore");
    expect(audit?.details).toMatchObject({
      provider: "Google Workspace",
      reconciled: [{ id: eric.id, userName: "eric.cole@example.com", became: "deleted" }],
    });
  });

  it("Google says Eric still has the alias: Erin is restored as Google has her, and the admin is told to change it on one", async () => {
    const service = serviceWith(googleConnector());
    const erin = await erinSynced(service);
    const eric = await ericMirrored();
    googleRestoresErinWithOldAlias();
    googleApi()
      .get(`${GOOGLE_USERS}/${HOLDER_ID}`)
      .reply(200, { ...ericHolding, orgUnitPath: "/Support" });

    const done = await service.restore(ADMIN, erin, { department: "/Engineering" });
    if (isRefusal(done)) throw new Error(done.message);
    expect(done.needsAttention).toBeNull();
    expect(done.notes).toEqual([
      `Google Workspace kept ${OLD_ALIAS} on both Erin Cole and Eric Cole: change it on one of them in Google Workspace.`,
    ]);
    expect(await mirrored(g.ERIN_ID)).toMatchObject({ status: "active", aliases: [OLD_ALIAS] });
    // Eric was refreshed from Google (his org unit now) and alone holds the alias in the index.
    expect(await mirrored(HOLDER_ID)).toMatchObject({ status: "active", department: "/Support" });
    expect(await indexedHoldersOf(OLD_ALIAS)).toEqual([eric.id]);
    expect(await indexedHoldersOf("erin.cole@example.com")).toEqual([erin]);
    const [audit] = await audited("restore");
    expect(audit?.details).toMatchObject({
      reconciled: [{ id: eric.id, userName: "eric.cole@example.com", became: "refreshed" }],
    });
  });
});

describe("Google Workspace: replace is offered from the first plan", () => {
  it("the first plan asks Google who holds Erin's address and offers replace; Google is asked again only after a minute", async () => {
    const service = serviceWith(googleConnector());
    const erin = await erinSynced(service);
    // A new Erin Cole (another id) has the address in Google; the mirror has never seen her.
    const newErin = {
      ...g.activeAlicia,
      id: "119988776655443322110",
      primaryEmail: "erin.cole@example.com",
      name: { givenName: "Erin", familyName: "Cole", fullName: "Erin Cole" },
      aliases: [],
      orgUnitPath: "/Sales",
    };
    const asked = googleApi().get(`${GOOGLE_USERS}/erin.cole%40example.com`).reply(200, newErin);

    const plan = await service.plan(ADMIN, erin, { department: "/Engineering" });
    if (isRefusal(plan)) throw new Error(plan.message);
    expect(asked.isDone()).toBe(true);
    expect(plan.providerCheck).toMatchObject({ provider: "Google Workspace", cached: false, error: null });
    expect(plan.ready).toBe(false);
    // Erin's own org unit is gone: the chosen one settles that conflict; the user name is the other.
    expect(plan.conflicts).toEqual([
      expect.objectContaining({
        kind: "userName",
        userName: "erin.cole@example.com",
        holder: expect.objectContaining({ displayName: "Erin Cole", department: "/Sales" }),
        resolutions: ["replace", "cancel"],
        resolvedBy: null,
      }),
      expect.objectContaining({ kind: "department", resolvedBy: "chooseDepartment" }),
    ]);
    // Nothing was restored: the plan only asked.
    expect(await mirrored(g.ERIN_ID)).toMatchObject({ status: "deleted" });
    expect(await audited("restore")).toEqual([]);

    // 59 s later: the answer is kept (no interceptor is left: a request would fail the check).
    world.clock.advance(59_000);
    const again = await service.plan(ADMIN, erin, { department: "/Engineering" });
    if (isRefusal(again)) throw new Error(again.message);
    expect(again.providerCheck).toMatchObject({ cached: true, error: null });
    expect(again.conflicts[0]).toMatchObject({ kind: "userName", resolutions: ["replace", "cancel"] });

    // 61 s after the first: Google is asked again, and now nobody holds the address.
    world.clock.advance(2_000);
    const askedAgain = googleApi()
      .get(`${GOOGLE_USERS}/erin.cole%40example.com`)
      .reply(404, g.errors.notFound);
    const later = await service.plan(ADMIN, erin, { department: "/Engineering" });
    if (isRefusal(later)) throw new Error(later.message);
    expect(askedAgain.isDone()).toBe(true);
    expect(later.providerCheck).toMatchObject({ cached: false, error: null });
    expect(later.ready).toBe(true);
    expect(later.conflicts.map((c) => c.kind)).toEqual(["department"]);
  });
});
