/**
 * Refusals said in the reader's language: the service's own refusals, rendered in Dutch through
 * refusalText as Slack and the CLI will, with what the admin typed (and the directory returned)
 * kept as it was, and escaped for mrkdwn when the surface hands its escaper.
 */
import { describe, expect, it } from "vitest";
import { ENGLISH, translator } from "../../src/i18n/translator.ts";
import { type Refusal, refusalText } from "../../src/restore/outcome.ts";
import { escapeMrkdwn } from "../../src/slack/blocks/mrkdwn.ts";
import { ok, refused } from "../support/outcomes.ts";
import { ADMIN, ADMIN_APPROVER, APPROVER, APPROVER_2, useWorld } from "../support/world.ts";

const world = useWorld();
const nl = translator("nl-NL", "Europe/Amsterdam");

/** As every surface must: in English, the refusal reads exactly as its message (and --json). */
function expectEnglishUnchanged(refusal: Refusal): void {
  expect(refusal.said).toBeDefined();
  expect(refusalText(refusal, ENGLISH)).toBe(refusal.message);
}

describe("refusals in Dutch", () => {
  it("not found: the reference as typed, escaped only for Slack", async () => {
    const typed = "jan<b>&co@example.com";
    const refusal = refused(await world.service.restore(ADMIN, typed));
    expect(refusal.code).toBe("not_found");
    expect(refusal.message).toBe(`No account matches ${typed}.`);
    expectEnglishUnchanged(refusal);

    expect(refusalText(refusal, nl)).toBe(`Geen gebruiker gevonden voor ${typed}.`);
    expect(refusalText(refusal, nl, escapeMrkdwn)).toBe(
      "Geen gebruiker gevonden voor jan&lt;b&gt;&amp;co@example.com.",
    );
  });

  it("ambiguous: each candidate listed with its id, in Dutch", async () => {
    const older = await world.deleted({ userName: "frank@example.com", daysAgo: 20 });
    const newer = await world.deleted({ userName: "frank@example.com", daysAgo: 2 });
    const refusal = refused(await world.service.restore(ADMIN, "frank@example.com"));
    expect(refusal.code).toBe("ambiguous");
    expectEnglishUnchanged(refusal);

    const text = refusalText(refusal, nl);
    expect(text).toMatch(/^frank@example\.com past bij 2 gebruikers; gebruik een id: /);
    expect(text).toContain(`${older.id} (frank@example.com, verwijderd `);
    expect(text).toContain(`${newer.id} (frank@example.com, verwijderd `);
    expect(text).not.toContain("matches");
  });

  it("blocked for two reasons: both said in Dutch, the names from the directory escaped", async () => {
    await world.seatPlan("pro", 1);
    await world.active({ userName: "alice@example.com", displayName: "Alice <Newhire>", license: "pro" });
    const deleted = await world.deleted({ userName: "alice@example.com", license: "pro" });
    const refusal = refused(await world.service.restore(ADMIN, deleted.id));
    expect(refusal.code).toBe("blocked");
    // English as before: the plan's blockers, one after the other.
    expect(refusal.message).toBe(refusal.plan?.blockers.join(" "));
    expect(refusal.plan?.blockers).toHaveLength(2);
    expectEnglishUnchanged(refusal);

    expect(refusalText(refusal, nl)).toBe(
      "Alice <Newhire> (actief) heeft de gebruikersnaam alice@example.com: geef de herstelde gebruiker " +
        "een andere naam, vervang de actieve gebruiker (vereist goedkeuring), of annuleer en wijzig eerst " +
        "de naam van de actieve gebruiker. " +
        "Geen vrije pro-licentie (1 van 1 in gebruik): maak een licentie vrij of koop er een, en probeer het opnieuw.",
    );
    const forSlack = refusalText(refusal, nl, escapeMrkdwn);
    expect(forSlack).toContain("Alice &lt;Newhire&gt; (actief)");
    expect(forSlack).not.toContain("<");
  });

  it("own request: said to the requester in Dutch", async () => {
    await world.active({ userName: "alice@example.com", displayName: "Alice Newhire" });
    const deleted = await world.deleted({ userName: "alice@example.com", daysAgo: 10 });
    const { request } = ok(await world.service.requestReplace(ADMIN_APPROVER, deleted.id, "she is back"));
    const refusal = refused(await world.service.approve(ADMIN_APPROVER, request.id));
    expect(refusal.code).toBe("own_request");
    expectEnglishUnchanged(refusal);
    expect(refusalText(refusal, nl)).toBe(
      "U hebt dit herstel zelf aangevraagd: een andere goedkeurder moet erover beslissen. " +
        "Doet niemand dat, dan verloopt het vanzelf.",
    );
  });

  it("no longer pending: the decision's word in Dutch, who decided and when kept as recorded", async () => {
    await world.active({ userName: "alice@example.com", displayName: "Alice Newhire" });
    const deleted = await world.deleted({ userName: "alice@example.com", daysAgo: 10 });
    const { request } = ok(await world.service.requestReplace(ADMIN, deleted.id, "she is back"));
    ok(await world.service.reject(APPROVER, request.id, "not now"));
    const refusal = refused(await world.service.approve(APPROVER_2, request.id));
    expect(refusal.code).toBe("not_pending");
    expect(refusal.message).toMatch(/^This request is no longer pending: it was rejected by U0APPROVER1 at /);
    expectEnglishUnchanged(refusal);
    expect(refusalText(refusal, nl)).toMatch(
      /^Dit verzoek is niet meer in behandeling: het is afgewezen door U0APPROVER1 op \d{4}-/,
    );
  });

  it("a refusal made by hand, without a Said, reads as its English message, escaped", () => {
    const handMade: Refusal = { type: "refused", code: "blocked", message: "a <b> c" };
    expect(refusalText(handMade, nl, escapeMrkdwn)).toBe("a &lt;b&gt; c");
  });
});
