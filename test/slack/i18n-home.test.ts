/**
 * The App Home in Dutch: pending approvals with their buttons, what expires soonest, recent
 * restores and what needs attention, within Slack's limits and with nothing left in English.
 */
import { describe, expect, it } from "vitest";
import type { AuditEvent, RestoreRequest } from "../../src/db/schema.ts";
import { catalogs, languages, type MessageKey } from "../../src/i18n/catalog.ts";
import { translator } from "../../src/i18n/translator.ts";
import { toView } from "../../src/restore/search.ts";
import { DAY_MS, HOUR_MS } from "../../src/restore/window.ts";
import { decisionButtons, parseDetails } from "../../src/slack/blocks/approval.ts";
import { homeView } from "../../src/slack/blocks/home.ts";
import { blockKitProblems, mrkdwnTexts } from "../support/block-kit-limits.ts";

const NOW = new Date("2026-11-22T12:00:00Z");
const EVIL = "<!channel> Mallory <@U123>";
const nl = translator("nl-NL", "Europe/Amsterdam");

function request(i: number, requestedBy = "U0ADMIN1"): RestoreRequest {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    kind: "replace",
    status: "pending",
    requestedBy,
    reason: "Terug van verlof",
    expiresAt: new Date(NOW.getTime() + 20 * HOUR_MS),
    createdAt: new Date(NOW.getTime() - 4 * HOUR_MS),
    details: {
      restore: {
        displayName: `Jan Jansen ${i}`,
        userName: "jan@example.com",
        window: { state: "deleted", expiresAt: new Date(NOW.getTime() + 9 * DAY_MS).toISOString() },
      },
      replace: { displayName: EVIL, userName: "jan@example.com" },
      whatHappens: ["Mallory (jan@example.com, active) is deleted, restorable for 30 days."],
    },
  } as unknown as RestoreRequest;
}

function event(action: string, i: number): AuditEvent {
  const who = { userName: `piet${i}@example.com`, displayName: `Piet ${i}` };
  return {
    id: i,
    at: new Date(NOW.getTime() - i * HOUR_MS),
    actor: i % 2 ? "U0ADMIN1" : "system",
    action,
    directoryId: "builtin",
    accountIds: [],
    requestId: null,
    before: who,
    after: who,
    details: {},
  } as AuditEvent;
}

const expiring = Array.from({ length: 25 }, (_, i) =>
  toView(
    {
      id: `10000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      directoryId: "builtin",
      userName: `klaas${i}@example.com`,
      email: null,
      displayName: `Klaas ${i}`,
      status: "deleted",
      deletedAt: new Date(NOW.getTime() - 20 * DAY_MS),
      deletedBy: "U0ADMIN2",
      deletionCompletesAt: null,
      purgeAfter: new Date(NOW.getTime() + (i % 3) * DAY_MS + HOUR_MS),
      recreatedAs: null,
    } as never,
    NOW,
  ),
);

const SLOTS: [MessageKey, number][] = [
  ["home.findButton", 75],
  ["decision.reject", 75],
  ["decision.approve", 30],
  ["common.cancel", 30],
];

describe("the App Home in Dutch", () => {
  it("fits its buttons and the approval's confirm buttons whole, in every language", () => {
    for (const language of languages()) {
      for (const [key, max] of SLOTS) {
        expect(catalogs.get(language)?.[key]?.length, `${language} ${key}`).toBeLessThanOrEqual(max);
      }
    }
  });

  it("shows an admin and approver everything in Dutch, within Slack's limits", () => {
    const view = homeView({
      now: NOW,
      isAdmin: true,
      isApprover: true,
      viewerId: "U0BOTH",
      pending: [request(1), request(2, "U0BOTH"), ...Array.from({ length: 12 }, (_, i) => request(i + 3))],
      expiring,
      recent: Array.from({ length: 18 }, (_, i) =>
        event(["restore", "recreate", "replace"][i % 3] as string, i + 1),
      ),
      attention: Array.from({ length: 12 }, (_, i) => ({
        at: new Date(NOW.getTime() - i * HOUR_MS).toISOString(),
        actor: "U0ADMIN1",
        userName: `anna${i}@example.com`,
        displayName: `Anna ${i}`,
        provider: "Entra ID",
        nextStep: "Importeer de gebruiker opnieuw.",
      })),
      t: nl,
    });
    expect(blockKitProblems(view, "home")).toEqual([]);
    const text = JSON.stringify(view);
    for (const dutch of [
      "Gebruiker herstellen",
      "Verwijderde gebruiker zoeken…",
      "Wachten op goedkeuring (14)",
      "Uw aanvraag: wacht op een andere goedkeurder.",
      "Goedkeuren",
      "Afwijzen…",
      "Verloopt het eerst",
      "…en nog 5 — zoek met /restore-user om ze allemaal te zien",
      "nog 1 dag",
      "Onlangs hersteld",
      "heeft *Piet 1* (piet1@example.com) hersteld",
      "restore-user (automatisch)",
      "opnieuw aangemaakt als nieuwe gebruiker",
      "…en nog 3 eerder",
      "Vraagt aandacht (12)",
      "Blijft 7 dagen na het herstel in de lijst.",
      "…en nog 2 in het auditlogboek.",
      "aangevraagd door <@U0ADMIN1>",
    ]) {
      expect(text).toContain(dutch);
    }
    for (const english of [
      "Pending",
      "Approve",
      "Reject",
      "Expiring",
      "Recent",
      "restored",
      "asked by",
      "Listed",
    ]) {
      expect(text).not.toContain(english);
    }
    for (const mrkdwn of mrkdwnTexts(view)) expect(mrkdwn).not.toContain("<!channel>");
  });

  it("explains itself in Dutch to someone who is neither admin nor approver", () => {
    const view = homeView({
      now: NOW,
      isAdmin: false,
      isApprover: false,
      pending: [],
      expiring: [],
      recent: [],
      t: nl,
    });
    expect(blockKitProblems(view, "home")).toEqual([]);
    expect(JSON.stringify(view)).toContain("U bent geen beheerder of goedkeurder");
  });

  it("asks a Dutch approver to confirm a replace in Dutch, within the confirm dialog's limits", () => {
    const r = request(1);
    const buttons = decisionButtons(r, parseDetails(r), "b", nl);
    const confirm = (buttons.elements[0] as { confirm: { title: { text: string }; text: { text: string } } })
      .confirm;
    expect(confirm.title.text).toBe("jan@example.com vervangen?");
    expect(confirm.text.text).toContain("blijft 30 dagen te herstellen");
    expect(confirm.text.text.length).toBeLessThanOrEqual(300);
    expect(blockKitProblems([buttons], "message")).toEqual([]);
  });
});
