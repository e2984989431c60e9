import { describe, expect, it } from "vitest";
import type { Account, AuditEvent, RestoreRequest } from "../../src/db/schema.ts";
import { said } from "../../src/i18n/said.ts";
import { ENGLISH } from "../../src/i18n/translator.ts";
import { BUILTIN_FOLLOW_UP } from "../../src/mirror/builtin.ts";
import type { RestoreDone } from "../../src/restore/execute.ts";
import type { Refusal } from "../../src/restore/outcome.ts";
import type { AccountSummary, Conflict, RestorePlan } from "../../src/restore/plan-types.ts";
import { type DeletedAccountView, type SearchResult, toView } from "../../src/restore/search.ts";
import { DAY_MS, HOUR_MS } from "../../src/restore/window.ts";
import { approvalMessage, rejectReasonView, requesterNotice } from "../../src/slack/blocks/approval.ts";
import { helpText } from "../../src/slack/blocks/help.ts";
import { homeView } from "../../src/slack/blocks/home.ts";
import { ACTION, BLOCK, blockForField, CALLBACK } from "../../src/slack/blocks/ids.ts";
import { escapeMrkdwn, md, plain, truncate } from "../../src/slack/blocks/mrkdwn.ts";
import { approvalFailedNotice, refusalNotice } from "../../src/slack/blocks/notice.ts";
import { batchConfirmView, planView, readPlanChoices } from "../../src/slack/blocks/plan.ts";
import {
  batchResultView,
  errorText,
  errorView,
  refusalView,
  replaceRequestedView,
  restoreResultView,
  temporaryPasswordView,
} from "../../src/slack/blocks/result.ts";
import { accountOption, accountOptions, loadingView, searchView } from "../../src/slack/blocks/search.ts";
import { actorText } from "../../src/slack/blocks/words.ts";
import { blockKitProblems, mrkdwnTexts, optionsProblems } from "../support/block-kit-limits.ts";

const NOW = new Date("2026-11-22T12:00:00Z");
const EVIL = "<!channel> Mallory <@U123> <https://evil.example|click here> & friends";
const LONG = "Maximiliana Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh ".repeat(60);
const PASSWORD = "Xq7#mP2v!Rt9@kLw";

let n = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;

/** Only the columns the builders read; cast so new schema columns do not break the fixtures. */
function account(o: Partial<Account> = {}): Account {
  const deletedAt = new Date(NOW.getTime() - 18 * DAY_MS);
  const i = ++n;
  return {
    id: uuid(),
    directoryId: "builtin",
    externalId: `ext-${i}`,
    userName: `jane.doe${i}@example.com`,
    email: `jane.doe${i}@example.com`,
    aliases: [],
    phone: null,
    displayName: `Jane Doe ${i}`,
    givenName: "Jane",
    familyName: "Doe",
    department: "Finance",
    license: "E3",
    status: "deleted",
    deletedAt,
    deletedBy: "U0ADMIN2",
    deletionCompletesAt: null,
    purgeAfter: new Date(deletedAt.getTime() + 30 * DAY_MS),
    purgedAt: null,
    recreatedAs: null,
    snapshot: null,
    passwordHash: null,
    mustChangePassword: false,
    searchText: "",
    version: 1,
    createdAt: deletedAt,
    updatedAt: deletedAt,
    ...o,
  } as Account;
}

const view = (o: Partial<Account> = {}): DeletedAccountView => toView(account(o), NOW);

function summary(a: Account): AccountSummary {
  return {
    id: a.id,
    directoryId: a.directoryId,
    userName: a.userName,
    displayName: a.displayName,
    email: a.email,
    department: a.department,
    license: a.license,
    status: a.status,
  };
}

function aPlan(a: Account, o: Partial<RestorePlan> = {}): RestorePlan {
  const v = toView(a, NOW);
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
    restorability: v.restorability,
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
    blockers: [],
    ready: true,
    followUp: BUILTIN_FOLLOW_UP,
    ...o,
  };
}

function everyConflict(deleted: Account, holder: Account, departments: string[]): Conflict[] {
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
      dropped: Array.from({ length: 40 }, (_, i) => ({
        address: `alias${i}.${LONG.slice(0, 80)}@example.com`,
        holder: h,
      })),
      resolutions: ["dropAliases"],
      resolvedBy: "dropAliases",
    },
    {
      kind: "email",
      email: `${LONG.slice(0, 200)}@example.com`,
      holder: h,
      resolutions: ["dropEmail", "cancel"],
      resolvedBy: null,
    },
    {
      kind: "phone",
      phone: "+1 555 0100",
      holder: h,
      resolutions: ["dropPhone", "cancel"],
      resolvedBy: "dropPhone",
    },
    {
      kind: "department",
      department: EVIL,
      available: departments,
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
    department: "Finance",
    replaced: null,
    followUp: BUILTIN_FOLLOW_UP,
    mustChangePassword: true,
    temporaryPassword: PASSWORD,
    repeated: false,
    ...o,
  };
}

/** A replace request as requestReplace writes it, after a round trip through jsonb. */
function aRequest(
  o: Partial<RestoreRequest> = {},
  names: { restore?: string; replace?: string } = {},
): RestoreRequest {
  const deleted = account({ displayName: names.restore ?? "Jane Doe", userName: "jane@example.com" });
  const active = account({
    status: "active",
    displayName: names.replace ?? "Jane Smith",
    userName: "jane@example.com",
  });
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
    reason: "She came back from leave; the new hire got her old name by mistake.",
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

function audit(action: string, o: Partial<AuditEvent> = {}): AuditEvent {
  const a = account({ status: "active", displayName: EVIL });
  return {
    id: ++n,
    at: new Date(NOW.getTime() - n * HOUR_MS),
    actor: "U0ADMIN1",
    action,
    directoryId: "builtin",
    accountIds: [a.id],
    requestId: null,
    before: { userName: a.userName, displayName: a.displayName, status: "deleted" },
    after: { userName: a.userName, displayName: a.displayName, status: "active" },
    details: {},
    ...o,
  };
}

const json = (x: unknown) => JSON.stringify(x);

/** User data never reaches mrkdwn raw: no mention, broadcast or link can be forged by a name. */
function expectNoInjection(surface: unknown) {
  for (const text of mrkdwnTexts(surface)) {
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("<@U123>");
    expect(text).not.toContain("<https://evil");
  }
}

function manyResults(count: number, o: Partial<Account> = {}): SearchResult {
  return { items: Array.from({ length: count }, () => view(o)), hasMore: true };
}

describe("mrkdwn helpers", () => {
  it("escapes exactly &, < and >", () => {
    expect(escapeMrkdwn("<!channel> & <@U123>")).toBe("&lt;!channel&gt; &amp; &lt;@U123&gt;");
    expect(escapeMrkdwn("*bold* _it_")).toBe("*bold* _it_");
  });

  it("truncates with an ellipsis and never splits an emoji", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 3)).toBe("abc");
    const cut = truncate("ab😀cd", 4);
    expect(cut.length).toBeLessThanOrEqual(4);
    expect(cut).toBe("ab…");
    expect(plain(LONG, 24).text).toHaveLength(24);
    expect(md(LONG.repeat(2)).text.length).toBeLessThanOrEqual(3000);
  });

  it("mentions only real user ids, and escapes everything else", () => {
    const mention = (id: string | null) => actorText(ENGLISH, id);
    expect(mention("U0ADMIN1")).toBe("<@U0ADMIN1>");
    expect(mention("W12345")).toBe("<@W12345>");
    expect(mention("<!here>")).toBe("&lt;!here&gt;");
    expect(mention("U12> <!channel")).not.toContain("<");
    expect(mention(null)).toBe("nobody");
    expect(mention("admin@example.com")).toBe("admin@example.com");
  });

  it("maps refusal fields to the block that shows the error", () => {
    expect(blockForField("renameTo")).toBe(BLOCK.renameTo);
    expect(blockForField("replace")).toBe(BLOCK.resolution);
    expect(blockForField("department")).toBe(BLOCK.department);
    expect(blockForField("dropEmail")).toBe(BLOCK.dropEmail);
    expect(blockForField("dropPhone")).toBe(BLOCK.dropPhone);
    expect(blockForField("reason")).toBe(BLOCK.reason);
    expect(blockForField("reason", "reject")).toBe(BLOCK.rejectReason);
  });
});

describe("blockKitProblems", () => {
  it("finds a deliberately broken surface", () => {
    const broken = {
      type: "modal",
      title: plain("A title far longer than twenty-four characters", 3000),
      private_metadata: "x".repeat(3001),
      blocks: [
        ...Array.from({ length: 101 }, () => ({ type: "divider" })),
        { type: "header", text: { type: "plain_text", text: "h".repeat(151) } },
        {
          type: "section",
          text: { type: "mrkdwn", text: "" },
          fields: Array.from({ length: 11 }, () => md("f")),
        },
        {
          type: "actions",
          elements: [
            { type: "button", action_id: "a", text: plain("b".repeat(80), 3000), value: "v".repeat(2001) },
          ],
        },
        {
          type: "input",
          label: plain("pick"),
          element: {
            type: "static_select",
            action_id: "s",
            options: Array.from({ length: 101 }, (_, i) => ({
              text: plain("o".repeat(76), 3000),
              value: `v${i}`,
            })),
          },
        },
      ],
    };
    const problems = blockKitProblems(broken, "modal");
    const all = problems.join("\n");
    expect(all).toContain(`${broken.blocks.length} blocks (max 100)`);
    expect(all).toContain("title");
    expect(all).toContain("private_metadata");
    expect(all).toContain("(max 150)");
    expect(all).toContain("text is empty");
    expect(all).toContain("11 fields (max 10)");
    expect(all).toContain("button value");
    expect(all).toContain("101 options (max 100)");
    expect(all).toContain("needs a submit button");
    expect(
      blockKitProblems(
        { text: "hi", blocks: Array.from({ length: 51 }, () => ({ type: "divider" })) },
        "message",
      ),
    ).toEqual(["blocks: 51 blocks (max 50)"]);
  });

  it("accepts a small valid surface", () => {
    expect(blockKitProblems(loadingView("Restore a user", "Searching…"), "modal")).toEqual([]);
  });
});

describe("search modal", () => {
  it("starts with the inputs and a hint", () => {
    const v = searchView({ query: "", result: null, directories: { builtin: "Contoso" } });
    expect(v.callback_id).toBe(CALLBACK.search);
    expect(v.title.text).toBe("Restore a user");
    expect(v.blocks.map((b) => b.block_id).filter(Boolean)).toEqual([BLOCK.lookup, BLOCK.query]);
    expect(json(v)).toContain(ACTION.lookup);
    expect(json(v)).toContain('"min_query_length":2');
    expect(json(v)).toContain("on_enter_pressed");
    expect(json(v)).not.toContain(ACTION.planAccount);
    expect(blockKitProblems(v, "modal")).toEqual([]);
  });

  it("lists results with a Restore button only for restorable accounts, and a multi-select", () => {
    const restorable = view({ displayName: "Jane Doe" });
    const deleting = view({
      status: "deleting",
      displayName: "Lark Person",
      deletionCompletesAt: new Date(NOW.getTime() + DAY_MS),
    });
    const purged = view({ status: "purged", displayName: "Gone Person", purgeAfter: null });
    const v = searchView({
      query: "person",
      result: { items: [restorable, deleting, purged], hasMore: false },
      directories: { builtin: "Contoso", lark: "Lark" },
    });
    const text = json(v);
    expect(text).toContain("12 days left");
    expect(text).toContain("deletion still in progress, restorable from");
    expect(text).toContain("cannot be restored: purged");
    expect(text).toContain("Contoso");
    const buttons = v.blocks.filter((b) => json(b).includes(ACTION.planAccount));
    expect(buttons).toHaveLength(1);
    expect(json(buttons[0])).toContain(restorable.id);
    const selection = v.blocks.find((b) => b.block_id === BLOCK.selection);
    expect(json(selection)).toContain(ACTION.selection);
    expect(json(selection)).toContain(restorable.id);
    expect(json(selection)).not.toContain(deleting.id);
    expect(v.submit?.text).toBe("Restore selected");
    expect(blockKitProblems(v, "modal")).toEqual([]);
  });

  it("says when nothing matches, escaping the query", () => {
    const v = searchView({ query: "<!channel>", result: { items: [], hasMore: false }, directories: {} });
    expect(json(v)).toContain("No deleted account matches");
    expect(json(v)).toContain("&lt;!channel&gt;");
    expectNoInjection(v);
    expect(blockKitProblems(v, "modal")).toEqual([]);
  });

  it("stays within limits with 500 results and says there are more", () => {
    const result = manyResults(500, { displayName: EVIL + LONG, userName: `${LONG}@example.com` });
    const v = searchView({ query: LONG, result, directories: { a: LONG, b: "B" } });
    expect(v.blocks.length).toBeLessThanOrEqual(100);
    expect(json(v)).toContain("…and 460 more — refine the search");
    expect(blockKitProblems(v, "modal")).toEqual([]);
    expectNoInjection(v);
  });

  it("escapes a hostile display name so it renders as text", () => {
    const v = searchView({
      query: "mallory",
      result: { items: [view({ displayName: EVIL, deletedBy: "<!here>" })], hasMore: false },
      directories: {},
    });
    expect(json(v)).toContain("&lt;!channel&gt; Mallory &lt;@U123&gt;");
    expectNoInjection(v);
  });

  it("builds type-ahead options of at most 75 characters that keep the days left", () => {
    const o = accountOption(view({ displayName: LONG, email: `${LONG}@example.com` }));
    expect(o.text.text.length).toBeLessThanOrEqual(75);
    expect(o.text.text.endsWith(" · 12 days left")).toBe(true);
    expect(accountOption(view({ displayName: "Ann", email: "ann@example.com" })).text.text).toBe(
      "Ann · ann@example.com · 12 days left",
    );
    const today = accountOption(view({ displayName: LONG, purgeAfter: new Date(NOW.getTime() + HOUR_MS) }));
    expect(today.text.text.endsWith("expires today")).toBe(true);
    const options = accountOptions(manyResults(250));
    expect(options).toHaveLength(100);
    expect(optionsProblems(options)).toEqual([]);
  });
});

describe("plan modal", () => {
  it("shows a clean plan with a Restore button and the seats line", () => {
    const a = account({ displayName: "Jane Doe", phone: "+1 555 0101" });
    const v = planView(aPlan(a), { accountId: a.id, query: "jane", directoryName: "Contoso" });
    expect(v.callback_id).toBe(CALLBACK.plan);
    expect(v.title.text).toBe("Restore");
    expect(v.submit?.text).toBe("Restore");
    expect(JSON.parse(v.private_metadata ?? "")).toEqual({ accountId: a.id, query: "jane" });
    const text = json(v);
    expect(text).toContain("License E3: 12 of 50 seats used");
    expect(text).toContain("shown only to you");
    expect(text).toContain("After the restore");
    expect(text).toContain("12 days left");
    expect(blockKitProblems(v, "modal")).toEqual([]);
  });

  it("offers a control for every conflict and says Continue", () => {
    const a = account({ displayName: EVIL, aliases: ["a@example.com"] });
    const holder = account({ status: "active", displayName: EVIL, userName: a.userName });
    const departments = Array.from({ length: 150 }, (_, i) => `Department ${i} ${LONG.slice(0, 100)}`);
    const plan = aPlan(a, { conflicts: everyConflict(a, holder, departments), ready: false });
    const v = planView(plan, { accountId: a.id, query: LONG.repeat(3), directoryName: EVIL });
    const ids = v.blocks.map((b) => b.block_id).filter(Boolean);
    for (const id of [
      BLOCK.resolution,
      BLOCK.renameTo,
      BLOCK.reason,
      BLOCK.dropEmail,
      BLOCK.dropPhone,
      BLOCK.department,
    ]) {
      expect(ids).toContain(id);
    }
    expect(v.submit?.text).toBe("Continue");
    expect(json(v)).toContain("will be dropped");
    expect(json(v)).toContain("Showing the first 100 of 150 departments");
    expect((v.private_metadata ?? "").length).toBeLessThanOrEqual(3000);
    expect(JSON.parse(v.private_metadata ?? "").accountId).toBe(a.id);
    expectNoInjection(v);
    expect(blockKitProblems(v, "modal")).toEqual([]);
  });

  it("offers no submit when the account cannot be restored or no seat is free", () => {
    const purged = account({ status: "purged", purgeAfter: null });
    const v = planView(aPlan(purged, { ready: false }), {
      accountId: purged.id,
      query: "",
      directoryName: "Contoso",
    });
    expect(v.submit).toBeUndefined();
    expect(json(v)).toContain("Cannot be restored: purged");
    expect(blockKitProblems(v, "modal")).toEqual([]);

    const a = account();
    const holder = account({ status: "active", userName: a.userName });
    const seat: Conflict = {
      kind: "seat",
      license: "E3",
      used: 50,
      total: 50,
      resolutions: ["cancel"],
      resolvedBy: null,
    };
    const blocked = planView(
      aPlan(a, { conflicts: [...everyConflict(a, holder, ["Sales"]), seat], ready: false }),
      { accountId: a.id, query: "", directoryName: "Contoso" },
    );
    expect(blocked.submit).toBeUndefined();
    expect(json(blocked)).toContain("No free E3 seat: 50/50 used. Free or buy a seat, then try again.");
    expect(blocked.blocks.some((b) => b.type === "input")).toBe(false);
    expect(blockKitProblems(blocked, "modal")).toEqual([]);
  });

  it("says plainly when the directory re-creates instead", () => {
    const a = account();
    const plan = aPlan(a, { action: "recreate", directory: { ...aPlan(a).directory, canRestore: false } });
    const v = planView(plan, { accountId: a.id, query: "", directoryName: "JumpCloud" });
    expect(v.title.text).toBe("Re-create");
    expect(v.submit?.text).toBe("Re-create");
    expect(json(v)).toContain(
      "This directory cannot restore: a new account is created from the saved details (new id).",
    );
  });

  it("says what to know about a provider, escaped, and offers only the resolutions it has", () => {
    const a = account();
    const holder = { ...summary(account({ userName: "jane@example.com" })), status: "active" as const };
    const plan = aPlan(a, {
      ready: false,
      directory: { ...aPlan(a).directory, name: "Google <!channel>", note: "Deleted users <@U123> go" },
      conflicts: [
        {
          kind: "userName",
          userName: a.userName,
          holder,
          resolutions: ["replace", "cancel"],
          resolvedBy: null,
        },
      ],
    });
    const v = planView(plan, { accountId: a.id, query: "", directoryName: "Google" });
    const text = json(v);
    expect(text).toContain("Google &lt;!channel&gt;: Deleted users &lt;@U123&gt; go");
    expect(text).toContain("cannot restore under a new user name: replace the active account");
    expect(text).not.toContain("Restore under a new user name");
    expect(v.blocks.some((b) => b.block_id === BLOCK.renameTo)).toBe(false);
    expect(blockKitProblems(v, "modal")).toEqual([]);
  });

  it("offers rename but not replace for a holder only the provider saw", () => {
    const a = account();
    const plan = aPlan(a, {
      ready: false,
      conflicts: [
        {
          kind: "userName",
          userName: a.userName,
          holder: {
            ...summary(a),
            id: "",
            userName: "?",
            displayName: "Another object in Microsoft Entra ID",
          },
          resolutions: ["rename", "cancel"],
          resolvedBy: null,
        },
      ],
    });
    const v = planView(plan, { accountId: a.id, query: "", directoryName: "Microsoft Entra ID" });
    const text = json(v);
    expect(text).toContain("Another object in Microsoft Entra ID (active) has the user name");
    expect(text).toContain("Restore under a new user name");
    expect(text).not.toContain("Replace the active account");
    expect(v.blocks.some((b) => b.block_id === BLOCK.renameTo)).toBe(true);
    expect(v.blocks.some((b) => b.block_id === BLOCK.reason)).toBe(false);
    expect(blockKitProblems(v, "modal")).toEqual([]);
  });

  it("reads the admin's choices from a realistic view state", () => {
    const values = {
      [BLOCK.resolution]: {
        resolution: {
          type: "radio_buttons",
          selected_option: { text: plain("Restore under a new user name"), value: "rename" },
        },
      },
      [BLOCK.renameTo]: { value: { type: "plain_text_input", value: " jane.doe2@example.com " } },
      [BLOCK.reason]: { value: { type: "plain_text_input", value: null } },
      [BLOCK.dropEmail]: {
        value: { type: "checkboxes", selected_options: [{ text: plain("x"), value: "drop" }] },
      },
      [BLOCK.dropPhone]: { value: { type: "checkboxes", selected_options: [] } },
      [BLOCK.department]: {
        value: { type: "static_select", selected_option: { text: plain("Sales"), value: "Sales" } },
      },
    };
    expect(readPlanChoices(values)).toEqual({
      choices: { renameTo: "jane.doe2@example.com", dropEmail: true, department: "Sales" },
      resolution: "rename",
      reason: "",
    });
    const replace = readPlanChoices({
      [BLOCK.resolution]: { resolution: { type: "radio_buttons", selected_option: { value: "replace" } } },
      [BLOCK.renameTo]: { value: { type: "plain_text_input", value: "ignored@example.com" } },
      [BLOCK.reason]: { value: { type: "plain_text_input", value: "Came back from leave" } },
    });
    expect(replace).toEqual({
      choices: { replace: true },
      resolution: "replace",
      reason: "Came back from leave",
    });
    expect(readPlanChoices({})).toEqual({ choices: {}, resolution: null, reason: "" });
    expect(readPlanChoices({ junk: { value: "nonsense" } as Record<string, unknown> }).resolution).toBeNull();
  });

  it("confirms a batch of at most 50 accounts, with the ids in the metadata", () => {
    const items = Array.from({ length: 70 }, () => view({ displayName: EVIL + LONG }));
    const v = batchConfirmView(items, { query: LONG });
    expect(v.callback_id).toBe(CALLBACK.batch);
    expect(v.submit?.text).toBe("Restore 50 accounts");
    const meta = JSON.parse(v.private_metadata ?? "") as { ids: string[]; query: string };
    expect(meta.ids).toEqual(items.slice(0, 50).map((i) => i.id));
    expect(json(v)).toContain("20 more selected accounts are not included");
    expectNoInjection(v);
    expect(blockKitProblems(v, "modal")).toEqual([]);
    expect(batchConfirmView(items.slice(0, 1), { query: "" }).submit?.text).toBe("Restore 1 account");
  });
});

describe("results", () => {
  it("shows the temporary password once, with what came back and the checklist", () => {
    const v = restoreResultView(
      done({
        renamedFrom: "jane@example.com",
        droppedAliases: ["old@example.com"],
        droppedEmail: "j@example.com",
      }),
      "Contoso",
    );
    const text = json(v);
    expect(text).toContain(PASSWORD);
    expect(text).toContain("Shown once, only to you. The user must change it at next sign-in.");
    expect(text).toContain("Renamed from jane@example.com");
    expect(text).toContain("old@example.com");
    expect(text).toContain("After the restore");
    expect(v.submit).toBeUndefined();
    expect(v.close?.text).toBe("Done");
    expectNoInjection(v);
    expect(blockKitProblems(v, "modal")).toEqual([]);
  });

  it("says a re-creation is a new account, and a repeat that the password was shown before", () => {
    expect(json(restoreResultView(done({ action: "recreate" }), "JumpCloud"))).toContain(
      "Re-created as a new account",
    );
    const repeat = restoreResultView(done({ repeated: true, temporaryPassword: null }), "Contoso");
    expect(json(repeat)).toContain("already done");
    expect(json(repeat)).toContain("password was shown the first time");
  });

  it("lists a batch: restored with passwords, failed with reasons, within limits", () => {
    const refused: Refusal = { type: "refused", code: "blocked", message: `${EVIL} ${LONG}` };
    const items = Array.from({ length: 200 }, (_, i) => ({
      label: EVIL + LONG,
      outcome: i % 2 === 0 ? done({ temporaryPassword: `${PASSWORD}${i}` }) : refused,
    }));
    const v = batchResultView(items);
    expect(json(v)).toContain("100 restored, 100 failed");
    expect(json(v)).toContain(`${PASSWORD}0`);
    expect(v.blocks.length).toBeLessThanOrEqual(100);
    expectNoInjection(v);
    expect(blockKitProblems(v, "modal")).toEqual([]);
  });

  it("builds the small result modals within limits", () => {
    const requested = replaceRequestedView(aRequest(), "C0APPROVALS");
    expect(json(requested)).toContain("Asked for approval in <#C0APPROVALS>");
    expect(json(requested)).toContain("2026-11-23 08:00 UTC");
    const refusal = refusalView({ type: "refused", code: "blocked", message: EVIL });
    const error = errorView("ref-123");
    const password = temporaryPasswordView({ displayName: EVIL, userName: "jane@example.com" }, PASSWORD);
    expect(json(error)).toContain("Reference: `ref-123`");
    expect(errorText("ref-1")).toContain("the details are in the app's log");
    expect(json(password)).toContain(PASSWORD);
    for (const v of [requested, refusal, error, password, loadingView(LONG, LONG)]) {
      expectNoInjection(v);
      expect(blockKitProblems(v, "modal")).toEqual([]);
    }
  });
});

describe("approval message", () => {
  it("asks for a decision with Approve (confirmed) and Reject while pending", () => {
    const request = aRequest({ reason: `${EVIL}\nsecond line` }, { restore: EVIL, replace: LONG });
    const m = approvalMessage(request, NOW);
    const text = json(m);
    expect(text).toContain("Approval needed: replace an active account");
    expect(text).toContain("Restore (deleted)");
    expect(text).toContain("Replace (active, will be deleted — restorable for its own full window)");
    expect(text).toContain("<@U0ADMIN1>");
    const actions = m.blocks.find((b) => b.type === "actions");
    expect(json(actions)).toContain(ACTION.approve);
    expect(json(actions)).toContain(ACTION.reject);
    expect(json(actions)).toContain(request.id);
    expect(json(actions)).toContain("restorable for 30 days");
    expectNoInjection(m);
    expect(blockKitProblems(m, "message")).toEqual([]);
  });

  it("has no buttons once decided, and says what happened", () => {
    const cases: [Partial<RestoreRequest>, string][] = [
      [{ status: "completed", decidedBy: "U0APPROVER1", decidedAt: NOW }, "✅ Approved by <@U0APPROVER1>"],
      [
        { status: "rejected", decidedBy: "U0APPROVER1", decidedAt: NOW, decisionReason: EVIL },
        "❌ Rejected by <@U0APPROVER1>",
      ],
      [{ status: "expired", decidedAt: NOW, decisionReason: "Nobody decided in time." }, "⌛ Expired at"],
      [
        {
          status: "failed",
          decidedBy: "U0APPROVER1",
          decidedAt: NOW,
          decisionReason: "The re-check at approval failed, so nothing was changed: Jane's account changed.",
        },
        "⚠️ Approval by <@U0APPROVER1> failed",
      ],
    ];
    for (const [o, line] of cases) {
      const m = approvalMessage(aRequest(o), NOW);
      expect(m.blocks.some((b) => b.type === "actions")).toBe(false);
      expect(json(m)).toContain(line);
      expectNoInjection(m);
      expect(blockKitProblems(m, "message")).toEqual([]);
    }
    const lapsed = approvalMessage(aRequest({ expiresAt: new Date(NOW.getTime() - 1) }), NOW);
    expect(lapsed.blocks.some((b) => b.type === "actions")).toBe(false);
  });

  it("never carries a password, nor does the requester's notice", () => {
    const completed = aRequest({
      status: "completed",
      decidedBy: "U0APPROVER1",
      decidedAt: NOW,
      result: JSON.parse(json({ ...done(), temporaryPassword: undefined })) as Record<string, unknown>,
    });
    const notice = requesterNotice(completed);
    for (const surface of [approvalMessage(completed, NOW), notice]) {
      expect(json(surface)).not.toContain(PASSWORD);
      expect(blockKitProblems(surface, "message")).toEqual([]);
    }
    const button = notice.blocks.find((b) => b.type === "actions");
    expect(json(button)).toContain(ACTION.getPassword);
    expect(json(button)).toContain("Get a temporary password");
  });

  it("tells the requester when the provider acted but the records could not follow, escaped", () => {
    const completed = aRequest({
      status: "completed",
      decidedBy: "U0APPROVER1",
      decidedAt: NOW,
      result: JSON.parse(
        json({
          ...done(),
          temporaryPassword: undefined,
          needsAttention: `${EVIL} was restored in Microsoft Entra ID, but this app's records could not follow.`,
          notes: [`${EVIL} is no longer active in Microsoft Entra ID: marked deleted here too.`],
        }),
      ) as Record<string, unknown>,
    });
    const notice = requesterNotice(completed);
    expect(json(notice)).toContain("Needs attention:");
    expect(json(notice)).toContain("This app's records were brought in line");
    expect(blockKitProblems(notice, "message")).toEqual([]);
    expectNoInjection(notice);
  });

  it("tells the requester about a rejection, an expiry and a failure", () => {
    const rejected = requesterNotice(
      aRequest({ status: "rejected", decidedBy: "U0APPROVER1", decisionReason: EVIL }),
    );
    expect(rejected.text).toContain("rejected by <@U0APPROVER1>");
    expect(json(rejected)).toContain("&lt;!channel&gt;");
    expect(requesterNotice(aRequest({ status: "expired" })).text).toContain("expired");
    expect(
      json(requesterNotice(aRequest({ status: "failed", decidedBy: "U0APPROVER1", decisionReason: "x" }))),
    ).toContain("Nothing was changed");
    for (const status of ["rejected", "expired", "failed"] as const) {
      const n = requesterNotice(aRequest({ status }, { restore: EVIL }));
      expect(n.blocks.some((b) => b.type === "actions")).toBe(false);
      expectNoInjection(n);
    }
  });

  it("asks for a rejection reason and escapes refusals", () => {
    const v = rejectReasonView("req-1", { channel: "C1", ts: "1.2" });
    expect(v.callback_id).toBe(CALLBACK.rejectReason);
    expect(v.submit?.text).toBe("Reject");
    expect(json(v.blocks)).toContain(BLOCK.rejectReason);
    expect(blockKitProblems(v, "modal")).toEqual([]);
    expect(refusalNotice({ message: "<!here> no" }).text).toBe("&lt;!here&gt; no");
    const why = said("refusal.noAccount", { ref: "<@U123> <https://evil.example|x>" });
    expect(approvalFailedNotice(said("refusal.recheckFailed", { why })).text).toBe(
      `⚠️ The re-check at approval failed, so nothing was changed: ${ENGLISH.t("refusal.noAccount", { ref: "&lt;@U123&gt; &lt;https://evil.example|x&gt;" })}`,
    );
  });
});

describe("home tab", () => {
  const pending = Array.from({ length: 30 }, (_, i) =>
    aRequest({ requestedBy: i === 0 ? "U0BOTH" : "U0ADMIN1", reason: EVIL + LONG }, { restore: EVIL + LONG }),
  );
  const expiring = Array.from({ length: 60 }, () => view({ displayName: EVIL + LONG }));
  const recent = [
    ...Array.from({ length: 40 }, () => audit("restore")),
    audit("recreate", { at: NOW }),
    audit("replace", { at: NOW }),
    audit("approve", { at: NOW }),
  ];

  it("shows approvals with buttons to an approver, except on their own request", () => {
    const v = homeView({
      now: NOW,
      isAdmin: true,
      isApprover: true,
      pending,
      expiring,
      recent,
      viewerId: "U0BOTH",
    });
    expect(v.blocks.length).toBeLessThanOrEqual(100);
    const text = json(v);
    expect(text).toContain("Pending approvals (30)");
    expect(text).toContain("waiting for another approver");
    expect(text).toContain(ACTION.approve);
    expect(text).toContain("Expiring soonest");
    expect(text).toContain(ACTION.planAccount);
    expect(text).toContain("Recent restores");
    expect(text).toContain("re-created");
    expectNoInjection(v);
    expect(blockKitProblems(v, "home")).toEqual([]);
  });

  it("shows an admin who cannot approve no decision buttons", () => {
    const v = homeView({ now: NOW, isAdmin: true, isApprover: false, pending, expiring, recent });
    expect(json(v)).not.toContain(ACTION.approve);
    expect(blockKitProblems(v, "home")).toEqual([]);
  });

  it("shows an approver who is not an admin no accounts to restore", () => {
    const v = homeView({ now: NOW, isAdmin: false, isApprover: true, pending, expiring, recent });
    expect(json(v)).not.toContain(ACTION.planAccount);
    expect(json(v)).not.toContain("Expiring soonest");
    expect(blockKitProblems(v, "home")).toEqual([]);
  });

  it("shows someone else only an explanation", () => {
    const v = homeView({ now: NOW, isAdmin: false, isApprover: false, pending, expiring, recent });
    const text = json(v);
    expect(text).toContain("RESTORE_ADMINS");
    expect(text).not.toContain("Mallory");
    expect(text).not.toContain(expiring[0]?.id);
    expect(blockKitProblems(v, "home")).toEqual([]);
  });
});

describe("help", () => {
  it("explains the commands and what replace and approval mean", () => {
    const help = helpText();
    expect(help).toContain("`/restore-user`");
    expect(help).toContain("`/restore-user NAME`");
    expect(help).toContain("`/restore-user help`");
    expect(help).toContain("*Replace*");
    expect(help).toContain("*Approval*");
    expect(help.length).toBeLessThan(3000);
  });
});
