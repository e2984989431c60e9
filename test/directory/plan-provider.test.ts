/**
 * A plan for a provider's deleted account asks the provider who holds its names now, as the
 * restore does: replace is offered from the first plan, not only after a restore failed. The
 * answer is kept a minute, so repeated renders do not ask again; a provider that cannot be asked
 * leaves the plan usable and says so.
 */

import nock from "nock";
import { describe, expect, it } from "vitest";
import * as format from "../../src/cli/format.ts";
import { say } from "../../src/i18n/said.ts";
import { translator } from "../../src/i18n/translator.ts";
import { isRefusal } from "../../src/restore/outcome.ts";
import type { RestoreService } from "../../src/restore/service.ts";
import { planView } from "../../src/slack/blocks/plan.ts";
import * as fx from "../fixtures/entra.ts";
import { ADMIN } from "../support/world.ts";
import { ENTRA_GRAPH, entraBin, useProviderWorld } from "./flow-support.ts";

const { world, serviceWith, entraConnector, mirrored } = useProviderWorld();

async function synced(): Promise<{ service: RestoreService; alice: string }> {
  const connector = entraConnector();
  const service = serviceWith(connector);
  entraBin();
  await service.sync(ADMIN, "entra");
  return { service, alice: (await mirrored(fx.ALICE_ID))?.id as string };
}

/** Entra's user list: the conflict queries one plan sends, answered with Moreau holding alice@. */
function holdersAsked() {
  return nock(ENTRA_GRAPH).get("/v1.0/users").query(true).times(10).optionally().reply(200, fx.activeUsers);
}

describe("a plan for an Entra account", () => {
  it("offers replace from the first plan: Entra says who holds the user name, no failed restore needed", async () => {
    const { service, alice } = await synced();
    holdersAsked();
    const plan = await service.plan(ADMIN, alice);
    if (isRefusal(plan)) throw new Error(plan.message);
    expect(plan.conflicts[0]).toMatchObject({
      kind: "userName",
      holder: { displayName: "Alice Moreau" },
      resolutions: ["rename", "replace", "cancel"],
    });
    expect(plan.providerCheck).toMatchObject({ provider: "Microsoft Entra ID", cached: false, error: null });

    // Straight to a replace request, as the plan offered.
    const requested = await service.requestReplace(ADMIN, alice, "Moreau's account was a stopgap", {});
    expect(requested).toMatchObject({
      type: "requested",
      plan: { replaces: { displayName: "Alice Moreau" } },
    });
  });

  it("asks Entra once a minute at most: a second render uses the answer, a later one asks again", async () => {
    const { service, alice } = await synced();
    const first = nock(ENTRA_GRAPH).get("/v1.0/users").query(true).reply(200, fx.activeUsers);
    const one = await service.plan(ADMIN, alice);
    expect(first.isDone()).toBe(true);
    world.clock.advance(30_000);
    const two = await service.plan(ADMIN, alice); // nock would refuse a call: there is none left
    expect(isRefusal(two) ? null : two.providerCheck).toMatchObject({ cached: true });
    expect(isRefusal(one) || isRefusal(two) ? null : two.conflicts).toEqual(
      isRefusal(one) ? null : one.conflicts,
    );

    world.clock.advance(31_000);
    const again = nock(ENTRA_GRAPH).get("/v1.0/users").query(true).reply(200, { value: [] });
    const three = await service.plan(ADMIN, alice);
    expect(again.isDone()).toBe(true);
    // Moreau left alice@ since: the fresh answer frees the name.
    expect(isRefusal(three) ? null : three.conflicts).toEqual([]);
  });

  it("Entra cannot be asked: the plan still shows what the app knows, says why, and what to do", async () => {
    const { service, alice } = await synced();
    nock(ENTRA_GRAPH).get("/v1.0/users").query(true).reply(403, fx.forbidden);
    const plan = await service.plan(ADMIN, alice);
    if (isRefusal(plan)) throw new Error(plan.message);
    expect(plan.providerCheck?.error).toMatch(
      /^Microsoft Entra ID: .*\(Authorization_RequestDenied\)\. The conflicts below are what this app last saw; the restore asks Microsoft Entra ID again\. .+/,
    );
    const view = JSON.stringify(
      planView(plan, { accountId: alice, query: "alice", directoryName: "Microsoft Entra ID" }),
    );
    expect(view).toContain("The conflicts below are what this app last saw");
    // The same note, for a Dutch reader: our words in Dutch, the provider's kept as it said them.
    const errorSaid = plan.providerCheck?.errorSaid;
    expect(errorSaid && say(translator("nl"), errorSaid)).toMatch(
      /^Microsoft Entra ID: .*\(Authorization_RequestDenied\)\. De conflicten hieronder zijn wat deze app het laatst zag; bij het herstellen wordt Microsoft Entra ID opnieuw gevraagd\. /,
    );

    // The next plan asks again: a failure is never kept.
    nock(ENTRA_GRAPH).get("/v1.0/users").query(true).reply(200, { value: [] });
    const next = await service.plan(ADMIN, alice);
    expect(isRefusal(next) ? null : next.providerCheck).toMatchObject({ cached: false, error: null });
  });

  it("says Entra's caveat in the reader's language in Slack and the CLI; --json keeps it English", async () => {
    const { service, alice } = await synced();
    holdersAsked();
    const plan = await service.plan(ADMIN, alice);
    if (isRefusal(plan)) throw new Error(plan.message);
    nock.cleanAll();
    const nl = translator("nl-NL", "Europe/Amsterdam");
    const meta = { accountId: alice, query: "alice", directoryName: "Microsoft Entra ID" };
    const dutch = "Een herstelde gebruiker krijgt binnen de 30 dagen het Exchange Online-postvak mee terug.";
    expect(JSON.stringify(planView(plan, meta, nl))).toContain(`Microsoft Entra ID: ${dutch}`);
    expect(format.formattersFor(nl).plan(plan)).toContain(`  Microsoft Entra ID: ${dutch}`);
    const english = "A restored user gets their Exchange Online mailbox back with them within the 30 days.";
    expect(JSON.stringify(planView(plan, meta))).toContain(english);
    expect(format.plan(plan)).toContain(`  Microsoft Entra ID: ${english}`);
    const json = JSON.parse(format.toJson(plan));
    expect(json.directory.note).toMatch(new RegExp(`^${english}`));
    expect(json.directory).not.toHaveProperty("noteSaid");
  });

  it("the CLI's plan says when Entra was asked", async () => {
    const { service, alice } = await synced();
    holdersAsked();
    const plan = await service.plan(ADMIN, alice);
    if (isRefusal(plan)) throw new Error(plan.message);
    nock.cleanAll();
    // To the minute, as every time the CLI prints.
    expect(format.plan(plan)).toContain(
      `conflicts checked with Microsoft Entra ID at ${world.clock.now().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    );
  });
});
