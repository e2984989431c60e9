/**
 * The restore flow in Dutch: the plan with its conflicts, the result, a replace's approval
 * request, its decision and the notices, drawn from the catalogs, within Slack's limits with
 * Dutch's longer words; dates in the reader's zone; the approval message in CHANNEL_LOCALE and
 * each person's own answers in their own Slack language.
 */
import { WebClient } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import type { Account, RestoreRequest } from "../../src/db/schema.ts";
import { restoreRequests } from "../../src/db/schema.ts";
import { languages } from "../../src/i18n/catalog.ts";
import { said } from "../../src/i18n/said.ts";
import { ENGLISH, type Translator, translator } from "../../src/i18n/translator.ts";
import type { RestoreDone } from "../../src/restore/execute.ts";
import { Refused } from "../../src/restore/outcome.ts";
import type { AccountSummary, Conflict, RestorePlan } from "../../src/restore/plan-types.ts";
import { toView } from "../../src/restore/search.ts";
import { DAY_MS, HOUR_MS } from "../../src/restore/window.ts";
import { approvalMessage, rejectReasonView, requesterNotice } from "../../src/slack/blocks/approval.ts";
import { helpText } from "../../src/slack/blocks/help.ts";
import { ACTION, BLOCK, CALLBACK } from "../../src/slack/blocks/ids.ts";
import {
  approvalCountedNotice,
  approvalFailedNotice,
  failureNotice,
  refusalNotice,
  staleButtonNotice,
} from "../../src/slack/blocks/notice.ts";
import { batchConfirmView, planView } from "../../src/slack/blocks/plan.ts";
import {
  batchResultView,
  errorView,
  refusalView,
  replaceRequestedView,
  restoreResultView,
  staleButtonView,
  temporaryPasswordView,
} from "../../src/slack/blocks/result.ts";
import { searchView } from "../../src/slack/blocks/search.ts";
import { loadingViewIn } from "../../src/slack/listeners/support.ts";
import { slackLocales } from "../../src/slack/locales.ts";
import { blockKitProblems, mrkdwnTexts, optionsProblems } from "../support/block-kit-limits.ts";
import { ADMIN_CHANNEL, API, type ApiCall, useSlack } from "../support/slack.ts";
import { ADMIN, APPROVER, useWorld } from "../support/world.ts";

const NOW = new Date("2026-11-22T12:00:00Z");
const EVIL = "<!channel> Mallory <@U123> & friends";
const nl = translator("nl-NL", "Europe/Amsterdam");

let n = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;

/** Only the columns the builders read. */
function account(o: Partial<Account> = {}): Account {
  const deletedAt = new Date(NOW.getTime() - 18 * DAY_MS);
  const i = ++n;
  return {
    id: uuid(),
    directoryId: "builtin",
    externalId: `ext-${i}`,
    userName: `maximiliana.wolfeschlegelsteinhausenberger${i}@example.com`,
    email: `maximiliana.wolfeschlegelsteinhausenberger${i}@example.com`,
    aliases: [],
    phone: null,
    displayName: `Maximiliana Wolfeschlegelsteinhausenberger ${i}`,
    department: "Financiën",
    license: "E3",
    status: "deleted",
    deletedAt,
    deletedBy: "U0ADMIN2",
    deletionCompletesAt: null,
    purgeAfter: new Date(deletedAt.getTime() + 30 * DAY_MS),
    recreatedAs: null,
    ...o,
  } as Account;
}

function summary(a: Account): AccountSummary {
  const { id, directoryId, userName, displayName, email, department, license, status } = a;
  return { id, directoryId, userName, displayName, email, department, license, status };
}

function aPlan(a: Account, o: Partial<RestorePlan> = {}): RestorePlan {
  return {
    account: {
      ...summary(a),
      aliases: a.aliases,
      phone: a.phone,
      deletedAt: a.deletedAt,
      deletedBy: a.deletedBy,
    },
    directory: {
      id: "builtin",
      name: "Contoso Entra ID",
      kind: "builtin",
      note: null,
      canRestore: true,
      batchRestore: true,
    },
    action: "restore",
    restorability: toView(a, NOW).restorability,
    conflicts: [],
    choiceErrors: [],
    outcome: {
      userName: a.userName,
      email: a.email,
      aliases: a.aliases,
      droppedAliases: [],
      phone: a.phone,
      department: a.department,
      license: a.license,
    },
    replaces: null,
    needsApproval: false,
    seats: { license: "E3", used: 12, total: 50 },
    blockers: ["English blockers stay for the CLI and logs"],
    ready: true,
    followUp: [],
    ...o,
  };
}

/** Every kind of conflict, held by a name built to break things. */
function everyConflict(deleted: Account, holder: Account): Conflict[] {
  const h = summary(holder);
  return [
    {
      kind: "userName",
      userName: deleted.userName,
      holder: h,
      resolutions: ["rename", "replace", "cancel"],
      resolvedBy: null,
    },
    {
      kind: "alias",
      dropped: Array.from({ length: 25 }, (_, i) => ({ address: `alias${i}@example.com`, holder: h })),
      resolutions: ["dropAliases"],
      resolvedBy: "dropAliases",
    },
    {
      kind: "email",
      email: `${"m".repeat(200)}@example.com`,
      holder: h,
      resolutions: ["dropEmail", "cancel"],
      resolvedBy: null,
    },
    {
      kind: "phone",
      phone: "+31 6 1234 5678",
      holder: h,
      resolutions: ["dropPhone", "cancel"],
      resolvedBy: null,
    },
    {
      kind: "department",
      department: EVIL,
      available: Array.from({ length: 120 }, (_, i) => `Afdeling ${i}`),
      resolutions: ["chooseDepartment"],
      resolvedBy: null,
    },
  ];
}

function done(o: Partial<RestoreDone> = {}): RestoreDone {
  const a = account({ status: "active", displayName: EVIL });
  return {
    type: "restored",
    action: "restore",
    requestId: uuid(),
    account: summary(a),
    fromAccountId: a.id,
    renamedFrom: null,
    droppedAliases: [],
    droppedEmail: null,
    droppedPhone: null,
    department: null,
    replaced: null,
    followUp: [],
    mustChangePassword: true,
    temporaryPassword: "Xq7#mP2v!Rt9@kLw",
    repeated: false,
    ...o,
  };
}

/** A replace request as the service writes it (its English whatHappens lines included). */
function aRequest(o: Partial<RestoreRequest> = {}): RestoreRequest {
  const deleted = account({ displayName: "Frank Oud", userName: "frank@example.com" });
  const active = account({ status: "active", displayName: EVIL, userName: "frank@example.com" });
  const plan = aPlan(deleted);
  const details = JSON.parse(
    JSON.stringify({
      restore: { ...plan.account, window: plan.restorability },
      replace: summary(active),
      outcome: plan.outcome,
      conflicts: ["userName"],
      whatHappens: [
        `${active.displayName} (${active.userName}, active) is deleted, restorable for 30 days.`,
        `${deleted.displayName} (${deleted.userName}) is restored in its place.`,
      ],
    }),
  ) as Record<string, unknown>;
  return {
    id: uuid(),
    idempotencyKey: null,
    kind: "replace",
    directoryId: "builtin",
    accountId: deleted.id,
    replacesAccountId: active.id,
    replacesVersion: 1,
    requestedBy: "U0ADMIN1",
    reason: "Frank is terug <!here>",
    choices: { replace: true },
    status: "pending",
    approvalsNeeded: 1,
    expiresAt: new Date(NOW.getTime() + 20 * HOUR_MS),
    details,
    result: null,
    decidedAt: null,
    decidedBy: null,
    decisionReason: null,
    createdAt: new Date(NOW.getTime() - 4 * HOUR_MS),
    ...o,
  } as RestoreRequest;
}

const json = (x: unknown) => JSON.stringify(x);

/** Names reach mrkdwn escaped: no broadcast or mention can be forged by one. */
function expectNoInjection(surface: unknown) {
  for (const text of mrkdwnTexts(surface)) {
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("<!here>");
    expect(text).not.toContain("<@U123>");
  }
}

/** Words of ours that must not be left in English on a Dutch surface. */
const ENGLISH_WORDS = [
  "Restore",
  "restore",
  "Cancel",
  "user name",
  "account",
  "Approve",
  "approver",
  "Reason",
  "password",
  "deleted",
  "days",
  "Department",
  "License",
];

function expectDutch(surface: unknown, dutch: string[]) {
  const text = json(surface);
  for (const d of dutch) expect(text).toContain(d);
  // Block and action ids are ours, not words: look at what Slack shows. The directory's own
  // follow-up steps ("☐ …") are its settings' words, shown as they are.
  const shown = [...mrkdwnTexts(surface), ...plainTexts(surface)]
    .join("\n")
    .split("\n")
    .filter((line) => !line.startsWith("☐ "))
    .join("\n");
  for (const english of ENGLISH_WORDS) expect(shown).not.toContain(english);
}

/** Every plain_text a reader sees (titles, labels, buttons, options). */
function plainTexts(surface: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o.type === "plain_text" && typeof o.text === "string") out.push(o.text);
      else Object.values(o).forEach(walk);
    }
  };
  walk(surface);
  return out;
}

describe("the restore flow's fixed texts fit Slack's slots in every language", () => {
  /** Titles, submit and close buttons ≤ 24; buttons and options ≤ 75: whole, never cut. */
  function slots(t: Translator): [string, string, number][] {
    const s = (key: Parameters<Translator["t"]>[0], values?: Record<string, string | number>) =>
      t.t(key, values);
    return [
      ["plan.title yes", s("plan.title", { recreate: "yes" }), 24],
      ["plan.title no", s("plan.title", { recreate: "no" }), 24],
      ["plan.submit.restore yes", s("plan.submit.restore", { recreate: "yes" }), 24],
      ["plan.submit.continue", s("plan.submit.continue"), 24],
      ["plan.batch.title", s("plan.batch.title"), 24],
      ["plan.batch.submit 50", s("plan.batch.submit", { count: 50 }), 24],
      ["result.title repeated", s("result.title", { state: "repeated" }), 24],
      ["result.title recreated", s("result.title", { state: "recreated" }), 24],
      ["result.title restored", s("result.title", { state: "restored" }), 24],
      ["result.done", s("result.done"), 24],
      ["result.batch.title", s("result.batch.title"), 24],
      ["result.requested.title", s("result.requested.title"), 24],
      ["result.cannot", s("result.cannot"), 24],
      ["result.error.title", s("result.error.title"), 24],
      ["result.password", s("result.password"), 24],
      ["loading.noPassword", s("loading.noPassword"), 24],
      ["loading.working.title", s("loading.working.title"), 24],
      ["approval.reject.title", s("approval.reject.title"), 24],
      ["approval.reject.submit", s("approval.reject.submit"), 24],
      ["approval.notice.getPassword", s("approval.notice.getPassword"), 75],
      ["plan.option.rename", s("plan.option.rename"), 75],
      ["plan.option.replace", s("plan.option.replace"), 75],
    ];
  }

  it("has every title, submit, close, button and option whole", () => {
    for (const language of languages()) {
      for (const [what, text, max] of slots(translator(language))) {
        expect(text.length, `${language} ${what}: ${text}`).toBeLessThanOrEqual(max);
      }
    }
  });
});

describe("the restore flow in Dutch", () => {
  it("shows a plan with every conflict in Dutch, drawn from the conflicts, within limits", () => {
    const a = account({ displayName: EVIL, aliases: ["oud@example.com"] });
    const holder = account({ status: "active", displayName: EVIL, userName: a.userName });
    const plan = aPlan(a, { conflicts: everyConflict(a, holder), ready: false });
    const v = planView(plan, { accountId: a.id, query: "frank", directoryName: "Contoso" }, nl);
    expect(blockKitProblems(v, "modal")).toEqual([]);
    expect(v.title.text).toBe("Herstellen");
    expect(v.submit?.text).toBe("Doorgaan");
    expect(v.close?.text).toBe("Annuleren");
    const ids = v.blocks.map((b) => b.block_id);
    for (const id of [BLOCK.resolution, BLOCK.renameTo, BLOCK.reason, BLOCK.dropEmail, BLOCK.dropPhone]) {
      expect(ids).toContain(id);
    }
    expectDutch(v, [
      "(actief) heeft de gebruikersnaam",
      "Herstellen onder een nieuwe gebruikersnaam",
      "Actieve gebruiker vervangen — een tweede beheerder moet goedkeuren",
      "Deze aliassen zijn nu van anderen en vervallen",
      "…en nog 5",
      "De eerste 100 van 120 afdelingen worden getoond.",
      "Herstellen zonder telefoonnummer",
      "*Verwijderd*\\n4 nov 2026 door <@U0ADMIN2>",
      "nog 12 dagen",
      "Licentie E3: 12 van 50 in gebruik",
      "← Terug naar zoeken",
    ]);
    expect(json(v)).not.toContain("English blockers");
    for (const block of v.blocks) {
      const options = (block as { element?: { options?: unknown[] } }).element?.options;
      if (options) expect(optionsProblems(options), block.block_id).toEqual([]);
    }
    expectNoInjection(v);
  });

  it("shows what blocks a plan in Dutch, and no submit", () => {
    const a = account();
    const seat: Conflict = {
      kind: "seat",
      license: "E5 <!channel>",
      used: 50,
      total: 50,
      resolutions: ["cancel"],
      resolvedBy: null,
    };
    const v = planView(
      aPlan(a, { conflicts: [seat], ready: false, seats: null, action: "recreate" }),
      { accountId: a.id, query: "", directoryName: "JumpCloud" },
      nl,
    );
    expect(blockKitProblems(v, "modal")).toEqual([]);
    expect(v.submit).toBeUndefined();
    expect(v.title.text).toBe("Opnieuw aanmaken");
    expectDutch(v, [
      "Deze gebruiker kan nu niet opnieuw worden aangemaakt",
      "Geen vrije E5 &lt;!channel&gt;-licentie: 50/50 in gebruik.",
      "Deze directory kan niet herstellen",
    ]);
    expectNoInjection(v);
  });

  it("dates the plan in the reader's zone: Amsterdam for an nl-NL user", () => {
    const a = account({ deletedAt: new Date("2026-11-03T23:30:00Z") });
    const v = planView(aPlan(a), { accountId: a.id, query: "", directoryName: "Contoso" }, nl);
    // 23:30 UTC on 3 November is already 4 November in Amsterdam.
    expect(json(v)).toContain("4 nov 2026 door <@U0ADMIN2>");
    const english = planView(aPlan(a), { accountId: a.id, query: "", directoryName: "Contoso" });
    expect(json(english)).toContain("2026-11-03 by <@U0ADMIN2>");
  });

  it("shows the result, a batch and the password in Dutch, within limits", () => {
    const holder = account({ status: "active", displayName: EVIL });
    const result = restoreResultView(
      done({
        renamedFrom: "frank@example.com",
        droppedAliases: ["a@example.com"],
        droppedEmail: "frank.privé@example.com",
        department: "Verkoop",
        replaced: summary(holder),
        notes: ["Entra ID could not be asked again (timeout); its first answer was used."],
      }),
      "Contoso <!channel>",
      nl,
    );
    expect(blockKitProblems(result, "modal")).toEqual([]);
    expect(result.title.text).toBe("Hersteld");
    expect(result.close?.text).toBe("Gereed");
    expectDutch(result, [
      "is hersteld in Contoso &lt;!channel&gt;, met de gegevens.",
      "Gebruikersnaam gewijzigd van frank@example.com in",
      "Aliassen vervallen",
      "Hersteld zonder het e-mailadres",
      "Afdeling: Verkoop",
      "vervangen: die gebruiker is nu verwijderd",
      "Tijdelijk wachtwoord",
      "De gegevens van deze app zijn bijgewerkt",
    ]);
    expectNoInjection(result);

    const views = [toView(account(), NOW), toView(account(), NOW)];
    const confirm = batchConfirmView(views, { query: "maximiliana" }, nl);
    expect(blockKitProblems(confirm, "modal")).toEqual([]);
    expect(confirm.submit?.text).toBe("2 gebruikers herstellen");
    expectDutch(confirm, ["Deze 2 gebruikers worden hersteld", "nog 12 dagen"]);

    const batch = batchResultView(
      [
        { label: "Frank (frank@example.com)", outcome: done() },
        { label: "Gina", outcome: done({ repeated: true, temporaryPassword: null }) },
      ],
      nl,
    );
    expect(blockKitProblems(batch, "modal")).toEqual([]);
    expectDutch(batch, ["2 hersteld, 0 mislukt", "tijdelijk wachtwoord", "was eerder al gedaan"]);

    const password = temporaryPasswordView({ displayName: EVIL, userName: "frank@example.com" }, "x&<y>", nl);
    expect(blockKitProblems(password, "modal")).toEqual([]);
    expectDutch(password, ["Tijdelijk wachtwoord voor", "`x&amp;&lt;y&gt;`"]);
    expectNoInjection(password);
  });

  it("asks for approval, shows the request in the channel, and tells both sides in Dutch", () => {
    const request = aRequest();
    const requested = replaceRequestedView(request, ADMIN_CHANNEL, nl);
    expect(blockKitProblems(requested, "modal")).toEqual([]);
    // Expires 20 hours after noon UTC: 08:00 UTC is 09:00 in Amsterdam.
    expectDutch(requested, [
      "Goedkeuring gevraagd in <#CADMINS01>",
      "De aanvraag verloopt op 23 nov 2026, 09:00 CET als niemand beslist.",
      "wordt verwijderd, 30 dagen te herstellen.",
      "Frank Oud (frank@example.com) wordt in de plaats hersteld.",
    ]);
    expectNoInjection(requested);

    const message = approvalMessage(request, NOW, nl);
    expect(blockKitProblems(message, "message")).toEqual([]);
    expectDutch(message, [
      "Goedkeuring nodig: een actieve gebruiker vervangen",
      "<@U0ADMIN1> vraagt om *Frank Oud* (frank@example.com) te herstellen in plaats van de actieve gebruiker",
      "Goedkeuren",
      "Afwijzen…",
      "Frank is terug &lt;!here&gt;",
      "1 goedkeuring nodig",
    ]);
    expect(message.text).toContain("Goedkeuring nodig: frank@example.com herstellen");
    expectNoInjection(message);

    const reject = rejectReasonView(request.id, { channel: ADMIN_CHANNEL, ts: "1.2" }, nl);
    expect(blockKitProblems(reject, "modal")).toEqual([]);
    expectDutch(reject, ["Aanvraag afwijzen", "Waarom wijst u de aanvraag af?"]);

    const approved = aRequest({
      status: "completed",
      decidedBy: "U0APPROVER1",
      decidedAt: NOW,
      result: { notes: [], followUp: [], mustChangePassword: true },
    });
    const decided = approvalMessage(approved, NOW, nl);
    expect(blockKitProblems(decided, "message")).toEqual([]);
    expectDutch(decided, ["Goedgekeurd door <@U0APPROVER1> op <!date^", "Aangevraagd door <@U0ADMIN1>"]);
    const told = requesterNotice(approved, nl);
    expect(blockKitProblems(told, "message")).toEqual([]);
    expectDutch(told, ["Uw aanvraag is goedgekeurd door <@U0APPROVER1>", "Tijdelijk wachtwoord ophalen"]);
    expectNoInjection(told);

    // The result as the request kept it: our notes and checklist in Dutch, an admin's own line as
    // written (escaped); a record made before the Saids were kept is said from its English lines.
    const kept = aRequest({
      status: "completed",
      decidedBy: "U0APPROVER1",
      decidedAt: NOW,
      result: {
        notes: ["Entra kept a@example.com on both A and B: change it on one of them in Entra."],
        notesSaid: [
          {
            key: "followed.addressShared",
            values: { provider: "Entra", address: "a@example.com", name: "A <!here>", other: "B" },
          },
        ],
        followUp: ["Check the department: it may have to be chosen again.", "Bel <!channel> & de helpdesk"],
        mustChangePassword: true,
      },
    });
    const toldKept = requesterNotice(kept, nl);
    expect(blockKitProblems(toldKept, "message")).toEqual([]);
    expectDutch(toldKept, [
      "Entra heeft a@example.com bij zowel A &lt;!here&gt; als B laten staan",
      "Controleer de afdeling: die moet misschien opnieuw worden gekozen.",
      "Bel &lt;!channel&gt; &amp; de helpdesk",
    ]);
    expectNoInjection(toldKept);

    const rejected = requesterNotice(
      aRequest({ status: "rejected", decidedBy: "U0APPROVER1", decisionReason: "Niet via HR <!channel>" }),
      nl,
    );
    expect(blockKitProblems(rejected, "message")).toEqual([]);
    expectDutch(rejected, ["is afgewezen door <@U0APPROVER1>", "*Reden*", "Niet via HR &lt;!channel&gt;"]);
    expectNoInjection(rejected);
  });

  it("says the small things in Dutch too: help, notices, loading, errors, stale buttons", () => {
    const help = helpText(nl);
    expect(help).toContain("vindt verwijderde gebruikers en herstelt ze");
    expect(help).toContain("`/restore-user NAAM`");
    expect(approvalCountedNotice(1, 2, nl).text).toBe("Uw goedkeuring is geteld: 1 van 2.");
    expect(failureNotice("ab&cd", nl).text).toContain("Referentie: `ab&amp;cd`");
    expect(staleButtonNotice(nl).text).toContain("Die knop is niet (meer) geldig.");
    for (const view of [
      loadingViewIn(nl, "loading"),
      loadingViewIn(nl, "searching"),
      loadingViewIn(nl, "working"),
      errorView("ref1", nl),
      staleButtonView(nl),
      refusalView({ type: "refused", code: "not_found", message: "No such account." }, undefined, nl),
    ]) {
      expect(blockKitProblems(view, "modal")).toEqual([]);
      expect(view.close?.text).toMatch(/^(Annuleren|Gereed)$/);
    }
    expect(json(loadingViewIn(nl, "loading"))).toContain("Laden…");
    expect(errorView("ref1", nl).title.text).toBe("Er ging iets mis");
  });

  it("says the service's refusals in Dutch, with the names in them escaped", () => {
    const noAccount = new Refused("not_found", said("refusal.noAccount", { ref: EVIL })).toRefusal();
    const view = refusalView(noAccount, undefined, nl);
    expect(blockKitProblems(view, "modal")).toEqual([]);
    const text = json(view);
    expect(text).toContain(
      "Geen gebruiker gevonden voor &lt;!channel&gt; Mallory &lt;@U123&gt; &amp; friends.",
    );
    expect(text).not.toContain("No account matches");
    expect(refusalNotice(noAccount, nl).text).toBe(
      "Geen gebruiker gevonden voor &lt;!channel&gt; Mallory &lt;@U123&gt; &amp; friends.",
    );
    // English stays the service's own words, for --json and the logs.
    expect(noAccount.message).toBe(`No account matches ${EVIL}.`);
    const failed = approvalFailedNotice(
      said("refusal.recheckFailed", { why: noAccount.said ?? said("refusal.noSuchAccount") }),
      nl,
    );
    expect(failed.text).toContain("De nieuwe controle bij goedkeuring is mislukt");
    expect(failed.text).toContain("&lt;!channel&gt;");
    expect(failed.text).not.toContain("<!channel>");
  });

  it("keeps the search modal it starts from in the same language", () => {
    const v = searchView({ query: "", result: null, directories: {}, t: nl });
    expect(v.title.text).toBe("Gebruiker herstellen");
    // And in English, the words the other tests pin.
    expect(
      planView(aPlan(account()), { accountId: "x", query: "", directoryName: "C" }, ENGLISH).title.text,
    ).toBe("Restore");
  });
});

// The app, its server and a database per test: slow on a busy machine, so more time than the default.
describe("a replace across languages, end to end", { timeout: 60_000 }, () => {
  const world = useWorld();
  const slack = useSlack(
    world,
    {},
    {
      moreDeps: () => ({
        locales: slackLocales({
          client: new WebClient("xoxb-test-token", {
            slackApiUrl: `${API}/api/`,
            retryConfig: { retries: 0 },
          }),
          defaultLocale: "en",
          channelLocale: "nl",
        }),
      }),
    },
  );

  type View = { callback_id?: string; private_metadata?: string; blocks: { block_id?: string }[] };
  const viewOf = (call: ApiCall | undefined) => call?.args.view as View;

  it("restores for a Dutch admin in Dutch: help, search, plan with a conflict, result", async () => {
    slack.answer("users.info", (args) => [
      200,
      { ok: true, user: { id: args.user, locale: "nl-NL", tz: "Europe/Amsterdam" } },
    ]);
    const help = JSON.parse((await slack.command(ADMIN, "help")).text) as { text: string };
    expect(help.text).toContain("vindt verwijderde gebruikers en herstelt ze");

    const hanna = await world.deleted({
      userName: "hanna@example.com",
      displayName: "Hanna Oud",
      daysAgo: 18,
    });
    await world.active({ userName: "hanna@example.com", displayName: "Hanna <!here> Nieuw" });
    await slack.command(ADMIN, "hanna");
    const [open] = await slack.waitFor("views.open");
    expect(json(viewOf(open))).toContain("Herstellen…");

    await slack.interact({
      type: "block_actions",
      user: { id: ADMIN },
      trigger_id: "trigger.plan",
      actions: [{ type: "button", action_id: ACTION.planAccount, block_id: "b", value: hanna.id }],
      view: { id: "VSEARCH", type: "modal", callback_id: CALLBACK.search, private_metadata: "hanna" },
    });
    const [update] = await slack.waitFor("views.update");
    const plan = viewOf(update);
    expect(blockKitProblems(plan, "modal")).toEqual([]);
    expectDutch(plan, ["(actief) heeft de gebruikersnaam *hanna@example.com*", "Hanna &lt;!here&gt; Nieuw"]);

    // A rename without a name is refused on its field, in Dutch.
    const values = (renameTo: string) => ({
      [BLOCK.resolution]: {
        [ACTION.resolution]: { type: "radio_buttons", selected_option: { value: "rename" } },
      },
      [BLOCK.renameTo]: { [ACTION.value]: { type: "plain_text_input", value: renameTo } },
    });
    const submit = (renameTo: string) =>
      slack.interact({
        type: "view_submission",
        user: { id: ADMIN },
        view: { ...plan, id: String(update?.args.view_id), state: { values: values(renameTo) } },
      });
    const missing = JSON.parse((await submit("")).text) as { errors: Record<string, string> };
    expect(missing.errors[BLOCK.renameTo]).toBe("Typ de nieuwe gebruikersnaam.");

    const answer = JSON.parse((await submit("hanna.oud@example.com")).text) as { view: unknown };
    expect(blockKitProblems(answer.view, "modal")).toEqual([]);
    expectDutch(answer.view, [
      "is hersteld",
      "Gebruikersnaam gewijzigd van hanna@example.com in hanna.oud@example.com",
      "Tijdelijk wachtwoord",
      "Eén keer getoond, alleen aan u.",
    ]);
  });

  it("asks the channel in CHANNEL_LOCALE, and answers the English requester and the Dutch approver in their own", async () => {
    slack.answer("users.info", (args) => [
      200,
      {
        ok: true,
        user:
          args.user === APPROVER
            ? { id: args.user, locale: "nl-NL", tz: "Europe/Amsterdam" }
            : { id: args.user, locale: "en-US", tz: "America/New_York" },
      },
    ]);
    const deleted = await world.deleted({ userName: "frank@example.com", displayName: "Frank Old" });
    await world.active({ userName: "frank@example.com", displayName: "Frank New" });

    // The English admin opens the plan and asks to replace.
    await slack.interact({
      type: "block_actions",
      user: { id: ADMIN },
      trigger_id: "trigger.plan",
      actions: [{ type: "button", action_id: ACTION.planAccount, block_id: "b", value: deleted.id }],
      view: { id: "VSEARCH", type: "modal", callback_id: CALLBACK.search, private_metadata: "" },
    });
    const [update] = await slack.waitFor("views.update");
    const plan = viewOf(update);
    expect(json(plan)).toContain("has the user name");
    const submitted = await slack.interact({
      type: "view_submission",
      user: { id: ADMIN },
      view: {
        ...plan,
        id: String(update?.args.view_id),
        state: {
          values: {
            [BLOCK.resolution]: {
              [ACTION.resolution]: { type: "radio_buttons", selected_option: { value: "replace" } },
            },
            [BLOCK.reason]: {
              [ACTION.value]: { type: "plain_text_input", value: "Frank came back <!here>" },
            },
          },
        },
      },
    });
    const answered = JSON.parse(submitted.text) as { view: unknown };
    expect(json(answered.view)).toContain("Asked for approval");

    // The channel reads Dutch (CHANNEL_LOCALE), each reader's own time in Slack's date token.
    const [post] = await slack.waitFor("chat.postMessage");
    expect(post?.args.channel).toBe(ADMIN_CHANNEL);
    const asked = { text: post?.args.text, blocks: post?.args.blocks };
    expect(blockKitProblems(asked, "message")).toEqual([]);
    expect(json(asked)).toContain("Goedkeuring nodig: een actieve gebruiker vervangen");
    expect(json(asked)).toContain("verloopt <!date^");
    expect(json(asked)).toContain("Frank came back &lt;!here&gt;");
    expect(json(asked)).not.toContain("Approval needed");

    // The Dutch approver rejects: the reason form in Dutch.
    const [request] = await world.database.db.select().from(restoreRequests);
    if (!request) throw new Error("no request");
    await slack.interact({
      type: "block_actions",
      user: { id: APPROVER },
      trigger_id: "trigger.click",
      channel: { id: ADMIN_CHANNEL },
      message: { ts: "1700000000.1" },
      container: { type: "message", channel_id: ADMIN_CHANNEL, message_ts: "1700000000.1" },
      actions: [{ type: "button", action_id: ACTION.reject, block_id: BLOCK.decision, value: request.id }],
    });
    const [open] = await slack.waitFor("views.open");
    const form = viewOf(open);
    expect(json(form)).toContain("Waarom wijst u de aanvraag af?");
    await slack.interact({
      type: "view_submission",
      user: { id: APPROVER },
      view: {
        ...form,
        id: "VREJECT",
        state: {
          values: {
            [BLOCK.rejectReason]: { [ACTION.value]: { type: "plain_text_input", value: "Not via HR" } },
          },
        },
      },
    });

    // The channel's message says so in Dutch; the English requester's DM is in English.
    const [changed] = await slack.waitFor("chat.update");
    expect(json(changed?.args.blocks)).toContain("Afgewezen door <@U0APPROVER1>");
    const posts = await slack.waitFor("chat.postMessage", 2);
    const dm = posts.find((p) => p.args.channel === ADMIN);
    expect(String(dm?.args.text)).toContain("was rejected by <@U0APPROVER1>");
    expect(json(dm?.args.blocks)).toContain("Not via HR");
  });
});
