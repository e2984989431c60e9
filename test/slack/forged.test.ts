/**
 * Requests as an attacker sends them: signed (a workspace member can make Slack send any button
 * value), with values and metadata that no view of ours carried. Each is refused privately,
 * changes nothing, and never becomes a database error in the log.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts, auditEvents, restoreRequests } from "../../src/db/schema.ts";
import { SYSTEM_ACTOR } from "../../src/restore/access.ts";
import { ACTION, BLOCK, CALLBACK } from "../../src/slack/blocks/ids.ts";
import { ADMIN_CHANNEL, useSlack } from "../support/slack.ts";
import { ADMIN, ADMIN_2, ADMIN_APPROVER, APPROVER, STRANGER, useWorld } from "../support/world.ts";

const world = useWorld();
const slack = useSlack(world);

const json = (value: unknown) => JSON.stringify(value);
const MALFORMED = ["zzz", "-".repeat(36), "not-a-uuid", "' or 1=1 --"];

function click(user: string, actionId: string, value: string, where: "channel" | "dm" = "channel") {
  return slack.interact({
    type: "block_actions",
    user: { id: user },
    trigger_id: `trigger.${Math.random()}`,
    ...(where === "channel"
      ? { channel: { id: ADMIN_CHANNEL }, message: { ts: "1700000000.1" } }
      : { channel: { id: "D0DM" }, message: { ts: "1700000000.9" } }),
    actions: [{ type: "button", action_id: actionId, block_id: BLOCK.decision, value }],
  });
}

function errorsLogged(): string[] {
  return slack.logs.filter((line) => JSON.parse(line).level === "error");
}

async function audit(action: string) {
  return (await world.database.db.select().from(auditEvents)).filter((e) => e.action === action);
}

/** A replace by `requester`, approved by APPROVER through the service. */
async function approvedReplace(requester = ADMIN) {
  const deleted = await world.deleted({ userName: "frank@example.com", displayName: "Frank Old" });
  await world.active({ userName: "frank@example.com", displayName: "Frank New" });
  const requested = await world.service.requestReplace(requester, deleted.id, "Frank is back");
  if (requested.type !== "requested") throw new Error("not requested");
  const approved = await world.service.approve(APPROVER, requested.request.id);
  if (approved.type !== "restored") throw new Error("not restored");
  return { request: requested.request, deleted };
}

/** The view the password button put in place of its loading view. */
async function passwordAnswer(n: number): Promise<string> {
  const updates = await slack.waitFor("views.update", n);
  return json(updates[n - 1]?.args.view);
}

describe("Get a temporary password", () => {
  it("gives the requester one password, once; a second click says it was given out", async () => {
    const { request } = await approvedReplace();
    await click(ADMIN, ACTION.getPassword, request.id, "dm");
    expect(await passwordAnswer(1)).toMatch(/Temporary password for/);
    await click(ADMIN, ACTION.getPassword, request.id, "dm");
    expect(await passwordAnswer(2)).toMatch(/already given out/);
    expect(await audit("password_reset")).toHaveLength(1);
  });

  it("refuses another admin who clicks (or forges) the requester's button", async () => {
    const { request } = await approvedReplace();
    await click(ADMIN_2, ACTION.getPassword, request.id, "dm");
    const answer = await passwordAnswer(1);
    expect(answer).toMatch(/Only the admin who asked for this restore/);
    expect(answer).not.toMatch(/Temporary password for/);
    expect(await audit("password_reset")).toEqual([]);
  });

  it("refuses an account id or a malformed value, for an active account nobody restored", async () => {
    const ceo = await world.active({ userName: "ceo@example.com" });
    const values = [ceo.id, ...MALFORMED];
    for (const value of values) await click(ADMIN, ACTION.getPassword, value, "dm");
    const updates = await slack.waitFor("views.update", values.length);
    for (const update of updates) expect(json(update.args.view)).toMatch(/No such restore/);
    const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, ceo.id));
    expect(row?.passwordHash).toBe(ceo.passwordHash);
    expect(await audit("password_reset")).toEqual([]);
    expect(errorsLogged()).toEqual([]);
  });
});

describe("deciding one's own request", () => {
  it("Reject by the requester is refused privately, before any form opens", async () => {
    const deleted = await world.deleted({ userName: "gus@example.com" });
    await world.active({ userName: "gus@example.com" });
    const requested = await world.service.requestReplace(ADMIN_APPROVER, deleted.id, "Gus is back");
    if (requested.type !== "requested") throw new Error("not requested");
    await click(ADMIN_APPROVER, ACTION.reject, requested.request.id);
    const [ephemeral] = await slack.waitFor("chat.postEphemeral");
    expect(ephemeral?.args.user).toBe(ADMIN_APPROVER);
    expect(String(ephemeral?.args.text)).toMatch(/another approver must decide it/);
    expect(slack.calls.filter((c) => c.method === "views.open")).toEqual([]);

    // The form submitted anyway (forged private_metadata): refused on its field, still pending.
    const answer = JSON.parse(
      (
        await slack.interact({
          type: "view_submission",
          user: { id: ADMIN_APPROVER },
          view: {
            id: "VFORGED",
            type: "modal",
            callback_id: CALLBACK.rejectReason,
            private_metadata: json({ requestId: requested.request.id, channel: "", ts: "" }),
            blocks: [{ type: "input", block_id: BLOCK.rejectReason }],
            state: {
              values: {
                [BLOCK.rejectReason]: { [ACTION.value]: { type: "plain_text_input", value: "mine" } },
              },
            },
          },
        })
      ).text,
    );
    expect(answer.response_action).toBe("errors");
    expect(answer.errors[BLOCK.rejectReason]).toMatch(/another approver must decide it/);
    const [row] = await world.database.db.select().from(restoreRequests);
    expect(row?.status).toBe("pending");
  });
});

describe("forged users", () => {
  it("the reserved 'system' actor, or any id that is not a Slack user, is refused everywhere", async () => {
    const deleted = await world.deleted({ userName: "hal@example.com" });
    await world.active({ userName: "hal@example.com" });
    const requested = await world.service.requestReplace(ADMIN, deleted.id, "Hal is back");
    if (requested.type !== "requested") throw new Error("not requested");
    for (const user of [SYSTEM_ACTOR, "<!channel>", "u0admin1", ""]) {
      const digest = await slack.post(
        new URLSearchParams({
          command: "/restore-user",
          text: "digest",
          user_id: user,
          trigger_id: "t",
        }).toString(),
      );
      expect(digest.status).toBe(200);
      expect(JSON.parse(digest.text).text).toMatch(/not allowed/);
      await click(user, ACTION.approve, requested.request.id);
      await slack.event({ type: "app_home_opened", tab: "home", ...(user ? { user } : {}) });
    }
    const [row] = await world.database.db.select().from(restoreRequests);
    expect(row?.status).toBe("pending");
    // Nothing but the request's own ask to the approvers.
    const ask = (c: { method: string; args: Record<string, unknown> }) =>
      c.method === "chat.postMessage" && c.args.channel === ADMIN_CHANNEL;
    expect(slack.calls.filter((c) => !ask(c))).toEqual([]);
  });
});

describe("reused forms", () => {
  it("a plan submitted again with another account under the same view id is refused, not 'already done'", async () => {
    const first = await world.deleted({ userName: "ida@example.com", displayName: "Ida First" });
    const second = await world.deleted({ userName: "jo@example.com", displayName: "Jo Second" });
    const submit = (accountId: string) =>
      slack.interact({
        type: "view_submission",
        user: { id: ADMIN },
        view: {
          id: "VREUSED",
          type: "modal",
          callback_id: CALLBACK.plan,
          private_metadata: json({ accountId, query: "" }),
          blocks: [],
          state: { values: {} },
        },
      });
    expect(json(JSON.parse((await submit(first.id)).text).view)).toMatch(/Restored/);
    const reused = json(JSON.parse((await submit(second.id)).text).view);
    expect(reused).toMatch(/already used for another request/);
    expect(reused).not.toMatch(/Already done/);
    const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, second.id));
    expect(row?.status).toBe("deleted");
  });
});

describe("values that are not ids", () => {
  it("Approve, Reject, Restore… and the type-ahead pick answer privately, with no database error", async () => {
    for (const value of MALFORMED) {
      await click(APPROVER, ACTION.approve, value);
      await click(APPROVER, ACTION.reject, value);
    }
    const ephemerals = await slack.waitFor("chat.postEphemeral", MALFORMED.length * 2);
    for (const e of ephemerals) expect(String(e.args.text)).toMatch(/not valid/);

    for (const value of MALFORMED) {
      await slack.interact({
        type: "block_actions",
        user: { id: ADMIN },
        trigger_id: "t",
        actions: [{ type: "button", action_id: ACTION.planAccount, block_id: "b", value }],
        view: { id: "VSEARCH", type: "modal", callback_id: CALLBACK.search, private_metadata: "" },
      });
      await slack.interact({
        type: "block_actions",
        user: { id: ADMIN },
        trigger_id: "t",
        actions: [
          {
            type: "external_select",
            action_id: ACTION.lookup,
            block_id: BLOCK.lookup,
            selected_option: { text: { type: "plain_text", text: "x" }, value },
          },
        ],
        view: { id: "VSEARCH", type: "modal", callback_id: CALLBACK.search, private_metadata: "" },
      });
    }
    const updates = await slack.waitFor("views.update", MALFORMED.length * 2);
    for (const u of updates) expect(json(u.args.view)).toMatch(/not valid/);
    expect(errorsLogged()).toEqual([]);
  });

  it("forged metadata on the plan and batch forms is refused plainly, never acted on", async () => {
    const kim = await world.deleted({ userName: "kim@example.com" });
    for (const [callback, metadata] of [
      [CALLBACK.plan, json({ accountId: "zzz", query: "" })],
      [CALLBACK.plan, "not json"],
      [CALLBACK.batch, json({ ids: [kim.id, "-".repeat(36)], query: "" })],
    ] as const) {
      const answer = JSON.parse(
        (
          await slack.interact({
            type: "view_submission",
            user: { id: ADMIN },
            view: {
              id: "VX",
              type: "modal",
              callback_id: callback,
              private_metadata: metadata,
              blocks: [],
              state: { values: {} },
            },
          })
        ).text,
      );
      expect(json(answer.view)).toMatch(/not valid/);
    }
    const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, kim.id));
    expect(row?.status).toBe("deleted");
  });
});

describe("every action and form, from someone who may not use it", () => {
  it("is refused privately and changes nothing", async () => {
    const kim = await world.deleted({ userName: "kim@example.com", displayName: "Kim Lost" });
    await world.active({ userName: "lou@example.com" });
    const lou = await world.deleted({ userName: "lou@example.com" });
    const requested = await world.service.requestReplace(ADMIN, lou.id, "Lou is back");
    if (requested.type !== "requested") throw new Error("not requested");
    const requestId = requested.request.id;
    const inModal = { id: "VMODAL", type: "modal", callback_id: CALLBACK.search, private_metadata: "kim" };
    const action = (a: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      type: "block_actions",
      user: { id: STRANGER },
      trigger_id: `trigger.${Math.random()}`,
      actions: [{ block_id: "b", ...a }],
      ...extra,
    });
    const form = (callback: string, metadata: string, values: Record<string, unknown> = {}) => ({
      type: "view_submission",
      user: { id: STRANGER },
      view: {
        id: "VFORM",
        type: "modal",
        callback_id: callback,
        private_metadata: metadata,
        blocks: [],
        state: { values },
      },
    });
    const inChannel = { channel: { id: ADMIN_CHANNEL }, message: { ts: "1700000000.1" } };
    const cases: [string, Record<string, unknown>][] = [
      [
        "type-ahead pick",
        action(
          { type: "external_select", action_id: ACTION.lookup, selected_option: { value: kim.id } },
          { view: inModal },
        ),
      ],
      [
        "Restore…",
        action({ type: "button", action_id: ACTION.planAccount, value: kim.id }, { view: inModal }),
      ],
      [
        "search box",
        action({ type: "plain_text_input", action_id: ACTION.searchQuery, value: "kim" }, { view: inModal }),
      ],
      ["Back to search", action({ type: "button", action_id: ACTION.back, value: "kim" }, { view: inModal })],
      [
        "Home: find an account",
        action({ type: "button", action_id: ACTION.restoreFromHome, value: "search" }),
      ],
      ["Approve", action({ type: "button", action_id: ACTION.approve, value: requestId }, inChannel)],
      ["Reject", action({ type: "button", action_id: ACTION.reject, value: requestId }, inChannel)],
      [
        "Get a temporary password",
        action({ type: "button", action_id: ACTION.getPassword, value: requestId }),
      ],
      [
        "search form",
        form(CALLBACK.search, "kim", {
          [BLOCK.selection]: {
            [ACTION.selection]: { type: "multi_static_select", selected_options: [{ value: kim.id }] },
          },
        }),
      ],
      ["plan form", form(CALLBACK.plan, json({ accountId: kim.id, query: "" }))],
      ["batch form", form(CALLBACK.batch, json({ ids: [kim.id], query: "" }))],
      [
        "reject reason form",
        form(CALLBACK.rejectReason, json({ requestId, channel: "", ts: "" }), {
          [BLOCK.rejectReason]: { [ACTION.value]: { type: "plain_text_input", value: "no" } },
        }),
      ],
    ];
    for (const [name, payload] of cases) {
      slack.calls.length = 0;
      slack.responses.length = 0;
      const response = await slack.interact(payload);
      expect(response.status, name).toBe(200);
      // The refusal is in the ack, a modal (opened with it, or updated) or a private message.
      const deadline = Date.now() + 20_000;
      const said = () => json([slack.responses, slack.calls]);
      while (!/not allowed/.test(said()) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      expect(said(), name).toMatch(/not allowed/);
      expect(said(), name).not.toContain("Kim Lost");
    }
    const rows = await world.database.db.select().from(accounts);
    expect(rows.find((r) => r.id === kim.id)?.status).toBe("deleted");
    const [row] = await world.database.db.select().from(restoreRequests);
    expect(row?.status).toBe("pending");
    expect(await audit("password_reset")).toEqual([]);
    expect(errorsLogged()).toEqual([]);
  });
});
