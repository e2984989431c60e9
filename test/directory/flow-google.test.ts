/**
 * Google Workspace end to end through the service, on Google's API as nock answers it in the shapes
 * of test/fixtures/google.ts: the sync mirrors the org units with the bin, a plan offers them when
 * the user's own org unit is gone, and the undelete sends the org unit the admin chose. Without
 * the org unit scope the sync still runs and the org unit is free text.
 */

import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, departments } from "../../src/db/schema.ts";
import { syncDirectory } from "../../src/mirror/sync.ts";
import { GOOGLE_ORGUNIT_SCOPE } from "../../src/providers/google.ts";
import { isRefusal } from "../../src/restore/outcome.ts";
import * as g from "../fixtures/google.ts";
import { ADMIN } from "../support/world.ts";
import { GOOGLE_USERS, googleApi, googleBin, googleTokens, useProviderWorld } from "./flow-support.ts";

const { world, serviceWith, googleConnector, mirrored } = useProviderWorld();
const ALL_ORG_UNITS = ["/", "/Engineering", "/Sales", "/Sales/EMEA", "/Support"];

/** Nobody active holds Erin's address in Google (asked before each restore, and maybe each plan). */
function nobodyHoldsErin() {
  googleApi()
    .get(`${GOOGLE_USERS}/erin.cole%40example.com`)
    .times(10)
    .optionally()
    .reply(404, g.errors.notFound);
}

async function mirroredDepartments() {
  const rows = await world.database.db
    .select({ name: departments.name })
    .from(departments)
    .where(eq(departments.directoryId, "google"));
  return rows.map((r) => r.name).sort();
}

describe("Google Workspace, end to end: the org unit is gone", () => {
  it("the plan offers the org units, a restore without a choice is refused, and the chosen one is where Google restores", async () => {
    const connector = googleConnector();
    const service = serviceWith(connector);
    googleTokens();
    googleBin();
    const synced = await service.sync(ADMIN, "google");
    expect(synced).toMatchObject([{ directoryId: "google", seen: 1, gone: 0, departments: 5 }]);
    expect(await mirroredDepartments()).toEqual(ALL_ORG_UNITS);
    const erin = (await mirrored(g.ERIN_ID))?.id as string;
    expect(await mirrored(g.ERIN_ID)).toMatchObject({ status: "deleted", department: "/Engineering/Old" });

    nobodyHoldsErin();
    const plan = await service.plan(ADMIN, erin);
    if (isRefusal(plan)) throw new Error(plan.message);
    expect(plan.ready).toBe(false);
    expect(plan.conflicts).toEqual([
      {
        kind: "department",
        department: "/Engineering/Old",
        available: ALL_ORG_UNITS,
        resolutions: ["chooseDepartment"],
        resolvedBy: null,
      },
    ]);
    expect(plan.blockers).toEqual(["The department /Engineering/Old no longer exists: choose a department."]);

    // Without a choice: refused with the same choice, and Google is not asked to undelete.
    nobodyHoldsErin();
    const refused = await service.restore(ADMIN, erin);
    expect(refused).toMatchObject({ type: "refused", code: "blocked" });
    expect(isRefusal(refused) && refused.message).toMatch(
      /\/Engineering\/Old no longer exists: choose a department/,
    );
    expect(isRefusal(refused) && refused.plan?.conflicts[0]).toMatchObject({
      kind: "department",
      available: ALL_ORG_UNITS,
    });
    expect(await mirrored(g.ERIN_ID)).toMatchObject({ status: "deleted" });

    // With /Sales chosen: the undelete asks for /Sales, not the old unit.
    nobodyHoldsErin();
    const undelete = googleApi()
      .post(
        `${GOOGLE_USERS}/${g.ERIN_ID}/undelete`,
        (body) => JSON.stringify(body) === '{"orgUnitPath":"/Sales"}',
      )
      .reply(204);
    googleApi().get(`${GOOGLE_USERS}/${g.ERIN_ID}`).reply(200, g.restoredErin("/Sales"));
    const done = await service.restore(ADMIN, erin, { department: "/Sales" });
    if (isRefusal(done)) throw new Error(done.message);
    expect(undelete.isDone()).toBe(true);
    expect(done).toMatchObject({
      type: "restored",
      action: "restore",
      account: { status: "active", department: "/Sales" },
    });
    expect(await mirrored(g.ERIN_ID)).toMatchObject({
      status: "active",
      userName: "erin.cole@example.com",
      department: "/Sales",
    });
  });

  it("a chosen org unit Google does not have is refused before Google is asked", async () => {
    const connector = googleConnector();
    const service = serviceWith(connector);
    googleTokens();
    googleBin();
    await service.sync(ADMIN, "google");
    const erin = (await mirrored(g.ERIN_ID))?.id as string;
    nobodyHoldsErin();
    const refused = await service.restore(ADMIN, erin, { department: "/Marketing" });
    expect(refused).toMatchObject({ type: "refused", code: "invalid_choice" });
    expect(isRefusal(refused) && refused.message).toMatch(/There is no department called \/Marketing/);
    expect(await mirrored(g.ERIN_ID)).toMatchObject({ status: "deleted" });
  });

  it("an org unit removed in Google after the sync comes back as the department conflict, not a dead end", async () => {
    const connector = googleConnector();
    const service = serviceWith(connector);
    googleTokens();
    googleBin();
    await service.sync(ADMIN, "google");
    const erin = (await mirrored(g.ERIN_ID))?.id as string;
    nobodyHoldsErin();
    googleApi()
      .post(`${GOOGLE_USERS}/${g.ERIN_ID}/undelete`, { orgUnitPath: "/Sales/EMEA" })
      .reply(400, g.errors.invalidOuId);
    const refused = await service.restore(ADMIN, erin, { department: "/Sales/EMEA" });
    expect(refused).toMatchObject({ type: "refused", code: "blocked" });
    expect(isRefusal(refused) && refused.message).toMatch(
      /^Google Workspace: the organizational unit does not exist any more: choose another one \(invalid\)\. Nothing was restored/,
    );
    expect(await mirrored(g.ERIN_ID)).toMatchObject({ status: "deleted" });
  });

  it("each sync mirrors Google's list: a unit removed there is gone from the plan's choices", async () => {
    const connector = googleConnector();
    const service = serviceWith(connector);
    googleTokens();
    googleBin();
    await service.sync(ADMIN, "google");
    world.clock.advance(60_000);
    googleBin({
      ...g.orgUnitsAll,
      organizationUnits: g.orgUnitsAll.organizationUnits.filter((u) => !u.orgUnitPath.startsWith("/Sales")),
    });
    expect(await service.sync(ADMIN, "google")).toMatchObject([{ departments: 3 }]);
    expect(await mirroredDepartments()).toEqual(["/", "/Engineering", "/Support"]);
    const [event] = (
      await world.database.db.select().from(auditEvents).where(eq(auditEvents.action, "sync"))
    ).slice(-1);
    expect(event?.details).toMatchObject({ provider: "Google Workspace", seen: 1, departments: 3 });
  });
});

describe("Google Workspace, end to end: the org unit scope not granted", () => {
  it("the sync still mirrors the bin and warns with the scope; the chosen org unit is sent as typed", async () => {
    const connector = googleConnector();
    googleTokens("not granted");
    googleBin(null);
    const warned: { message: string; fields?: Record<string, unknown> }[] = [];
    const log = {
      info: () => {},
      warn: (message: string, fields?: Record<string, unknown>) => warned.push({ message, fields }),
      error: (message: string, fields?: Record<string, unknown>) => warned.push({ message, fields }),
    };
    const synced = await syncDirectory(world.database.db, connector, () => world.clock.now(), { log });
    expect(synced).toMatchObject({ seen: 1, departments: null });
    expect(await mirroredDepartments()).toEqual([]);
    expect(warned).toHaveLength(1);
    expect(warned[0]?.message).toMatch(/departments could not be listed/);
    expect(warned[0]?.fields).toMatchObject({ provider: "Google Workspace", code: "unauthorized_client" });
    expect(String(warned[0]?.fields?.nextStep)).toContain(GOOGLE_ORGUNIT_SCOPE);
    expect(JSON.stringify(warned)).not.toContain("ya29.");

    // No list: the org unit is free text, so the plan has no conflict and takes the one typed.
    const service = serviceWith(connector);
    const erin = (await mirrored(g.ERIN_ID))?.id as string;
    nobodyHoldsErin();
    const plan = await service.plan(ADMIN, erin, { department: "/Sales" });
    if (isRefusal(plan)) throw new Error(plan.message);
    expect(plan).toMatchObject({ ready: true, conflicts: [], outcome: { department: "/Sales" } });

    nobodyHoldsErin();
    const undelete = googleApi()
      .post(`${GOOGLE_USERS}/${g.ERIN_ID}/undelete`, { orgUnitPath: "/Sales" })
      .reply(204);
    googleApi().get(`${GOOGLE_USERS}/${g.ERIN_ID}`).reply(200, g.restoredErin("/Sales"));
    const done = await service.restore(ADMIN, erin, { department: "/Sales" });
    if (isRefusal(done)) throw new Error(done.message);
    expect(undelete.isDone()).toBe(true);
    expect(await mirrored(g.ERIN_ID)).toMatchObject({ status: "active", department: "/Sales" });
  });
});
