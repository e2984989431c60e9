/**
 * The Slack app end to end: signed requests to the real HTTP receiver, nock answering Slack's Web
 * API, the real service and database behind. Assertions are on what people see (views, messages)
 * and on what happened to the accounts.
 */
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts, restoreRequests } from "../../src/db/schema.ts";
import { ACTION, BLOCK, CALLBACK } from "../../src/slack/blocks/ids.ts";
import { blockKitProblems, mrkdwnTexts } from "../support/block-kit-limits.ts";
import { ADMIN_CHANNEL, type ApiCall, useSlack } from "../support/slack.ts";
import {
  ADMIN,
  ADMIN_2,
  ADMIN_APPROVER,
  APPROVER,
  APPROVER_2,
  STRANGER,
  useWorld,
} from "../support/world.ts";

const world = useWorld();
const slack = useSlack(world);

type View = {
  type: string;
  callback_id?: string;
  private_metadata?: string;
  blocks: { block_id?: string; type: string }[];
  submit?: unknown;
};

function viewOf(call: ApiCall | undefined): View {
  if (!call) throw new Error("no call");
  return call.args.view as View;
}

const json = (value: unknown) => JSON.stringify(value);

/** A view_submission of `view` as the app built it, with these input values. */
function submission(
  user: string,
  viewId: string,
  view: View,
  values: Record<string, Record<string, unknown>> = {},
) {
  return {
    type: "view_submission",
    user: { id: user },
    view: { ...view, id: viewId, state: { values } },
  };
}

async function openPlanFor(user: string, accountId: string): Promise<{ viewId: string; view: View }> {
  await slack.interact({
    type: "block_actions",
    user: { id: user },
    trigger_id: "trigger.plan",
    actions: [{ type: "button", action_id: ACTION.planAccount, block_id: "b", value: accountId }],
    view: { id: "VSEARCH", type: "modal", callback_id: CALLBACK.search, private_metadata: "" },
  });
  const [update] = await slack.waitFor("views.update");
  return { viewId: String(update?.args.view_id), view: viewOf(update) };
}

/** A click on a button of the approval message (posted at `ts` in the admin channel). */
function click(user: string, actionId: string, requestId: string, ts = "1700000000.1") {
  return slack.interact({
    type: "block_actions",
    user: { id: user },
    trigger_id: "trigger.click",
    channel: { id: ADMIN_CHANNEL },
    message: { ts },
    container: { type: "message", channel_id: ADMIN_CHANNEL, message_ts: ts },
    actions: [{ type: "button", action_id: actionId, block_id: BLOCK.decision, value: requestId }],
  });
}

describe("request signing", () => {
  it("refuses a bad signature and a stale timestamp with 401, touching nothing", async () => {
    const body = new URLSearchParams({
      command: "/restore-user",
      text: "",
      user_id: ADMIN,
      trigger_id: "t",
    }).toString();
    expect((await slack.post(body, { signature: "v0=deadbeef" })).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 10 * 60;
    expect((await slack.post(body, { timestamp: stale })).status).toBe(401);
    expect(slack.calls).toEqual([]);
  });

  it("answers health checks on the same server", async () => {
    expect(await (await slack.get("/healthz")).json()).toEqual({ ok: true });
    expect(await (await slack.get("/readyz")).json()).toEqual({ ok: true, database: "up" });
  });
});

describe("/restore-user", () => {
  it("explains itself privately with help", async () => {
    const response = await slack.command(ADMIN, "help");
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toMatchObject({ response_type: "ephemeral" });
    expect(response.text).toContain("/restore-user");
    expect(slack.calls).toEqual([]);
  });

  it("refuses someone who is not an admin privately, revealing no account", async () => {
    await world.deleted({ userName: "secret.person@example.com", displayName: "Secret Person" });
    const response = await slack.command(STRANGER, "secret");
    const body = JSON.parse(response.text);
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toMatch(/not allowed/);
    expect(response.text).not.toContain("Secret");
    expect(slack.calls).toEqual([]);
  });

  it("opens the modal with the search results in one call when the search is fast", async () => {
    const alice = await world.deleted({
      userName: "alice@example.com",
      displayName: "Alice Smith",
      daysAgo: 18,
    });
    await world.deleted({ userName: "bob@example.com", displayName: "Bob Jones" });
    const response = await slack.command(ADMIN, "alice");
    expect(response.status).toBe(200);
    const [open] = await slack.waitFor("views.open");
    const view = viewOf(open);
    expect(view.callback_id).toBe(CALLBACK.search);
    expect(json(view)).toContain("Alice Smith");
    expect(json(view)).toContain("12 days left");
    expect(json(view)).toContain(alice.id);
    expect(json(view)).not.toContain("Bob Jones");
    expect(json(view)).not.toContain("Searching");
    expect(blockKitProblems(view, "modal")).toEqual([]);
    // The listener has decided by the time it opened the modal: nothing may replace it after.
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.calls.map((c) => c.method)).toEqual(["views.open"]);
  });

  it("opens a loading view first when the search is slow, then replaces it with the results", async () => {
    // No wait at all for the search: as if it took longer than the trigger id allows.
    slack.settings.openFilledWithinMs = 0;
    await world.deleted({ userName: "alice@example.com", displayName: "Alice Smith", daysAgo: 18 });
    await slack.command(ADMIN, "alice");
    const [open] = await slack.waitFor("views.open");
    expect(json(viewOf(open))).toContain("Searching");
    expect(json(viewOf(open))).not.toContain("Alice Smith");
    const [update] = await slack.waitFor("views.update");
    expect(update?.args.view_id).toBe("V1");
    // The hash Slack gave the loading view: an update never overwrites a view that moved on.
    expect(String(update?.args.hash)).toMatch(/^V1\.hash/);
    expect(viewOf(update).callback_id).toBe(CALLBACK.search);
    expect(json(viewOf(update))).toContain("Alice Smith");
    expect(json(viewOf(update))).toContain("12 days left");
    expect(slack.calls.map((c) => c.method)).toEqual(["views.open", "views.update"]);
  });

  it("escapes a display name that would ping the channel", async () => {
    await world.deleted({ userName: "mallory@example.com", displayName: "<!channel> Mallory <@U123>" });
    await slack.command(ADMIN, "mallory");
    const [open] = await slack.waitFor("views.open");
    const texts = mrkdwnTexts(viewOf(open)).join("\n");
    expect(texts).toContain("&lt;!channel&gt; Mallory &lt;@U123&gt;");
    expect(texts).not.toContain("<!channel>");
    expect(texts).not.toContain("<@U123>");
  });

  // 500 accounts inserted one by one: seconds on a busy machine, hence its own timeout.
  it("stays within Block Kit limits with 500 matches, saying there are more", {
    timeout: 120_000,
  }, async () => {
    for (let i = 0; i < 500; i++) {
      await world.deleted({
        userName: `sam.lee${i}@example.com`,
        displayName: `Sam Lee ${"x".repeat(i % 300)}`,
      });
    }
    await slack.command(ADMIN, "sam lee");
    const [open] = await slack.waitFor("views.open");
    const view = viewOf(open);
    expect(blockKitProblems(view, "modal")).toEqual([]);
    expect(json(view)).toMatch(/and (\d+ )?more — refine the search/);
  });
});

describe("/restore-user digest", () => {
  it("shows today's digest privately to the admin who asks", async () => {
    await world.deleted({ userName: "omar@example.com", displayName: "Omar Soon <!here>", daysAgo: 29 });
    const response = await slack.command(ADMIN, "digest");
    const body = JSON.parse(response.text);
    expect(body.response_type).toBe("ephemeral");
    const shown = json(body.blocks);
    expect(shown).toContain("Omar Soon &lt;!here&gt;");
    expect(shown).not.toContain("<!here>");
    expect(blockKitProblems({ text: body.text, blocks: body.blocks }, "message")).toEqual([]);
    expect(slack.calls).toEqual([]);
  });

  it("tells an outsider no", async () => {
    const body = JSON.parse((await slack.command(STRANGER, "digest")).text);
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toMatch(/not allowed/);
  });
});

describe("type-ahead", () => {
  it("answers with name, email and days left", async () => {
    await world.deleted({ userName: "carol@example.com", displayName: "Carol King", daysAgo: 29 });
    await world.deleted({ userName: "carol.old@example.com", displayName: "Carol Gone", daysAgo: 40 });
    const response = await slack.interact({
      type: "block_suggestion",
      user: { id: ADMIN },
      action_id: ACTION.lookup,
      block_id: BLOCK.lookup,
      value: "carol",
      view: { id: "V9", type: "modal", callback_id: CALLBACK.search },
    });
    const { options } = JSON.parse(response.text) as { options: { text: { text: string }; value: string }[] };
    expect(options[0]?.text.text).toContain("Carol King");
    expect(options[0]?.text.text).toContain("carol@example.com");
    expect(options[0]?.text.text).toContain("1 day left");
    expect(options.every((o) => o.text.text.length <= 75)).toBe(true);
  });

  it("gives an outsider nothing", async () => {
    await world.deleted({ userName: "carol@example.com", displayName: "Carol King" });
    const response = await slack.interact({
      type: "block_suggestion",
      user: { id: STRANGER },
      action_id: ACTION.lookup,
      block_id: BLOCK.lookup,
      value: "carol",
    });
    expect(JSON.parse(response.text)).toEqual({ options: [] });
  });
});

describe("restoring from the modal", () => {
  it("shows the plan, restores on submit with a password shown only in the modal, and once only", async () => {
    const dana = await world.deleted({ userName: "dana@example.com", displayName: "Dana White" });
    const { viewId, view } = await openPlanFor(ADMIN, dana.id);
    expect(view.callback_id).toBe(CALLBACK.plan);
    expect(blockKitProblems(view, "modal")).toEqual([]);

    const first = await slack.interact(submission(ADMIN, viewId, view));
    const answer = JSON.parse(first.text);
    expect(answer.response_action).toBe("update");
    expect(json(answer.view)).toContain("Dana White");
    expect(json(answer.view)).toMatch(/temporary password/i);
    const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, dana.id));
    expect(row?.status).toBe("active");
    expect(row?.mustChangePassword).toBe(true);

    // Slack delivers the same submission again: one restore, no second password.
    const again = JSON.parse((await slack.interact(submission(ADMIN, viewId, view))).text);
    expect(json(again.view)).toMatch(/already/i);
    expect(await world.database.db.select().from(restoreRequests)).toHaveLength(1);
    expect(slack.logs.join("\n")).not.toMatch(/password"?:\s*"/i);
  });

  it("shows a taken new user name on its field", async () => {
    const erin = await world.deleted({ userName: "erin@example.com", displayName: "Erin Old" });
    await world.active({ userName: "erin@example.com", displayName: "Erin New" });
    await world.active({ userName: "erin2@example.com", displayName: "Erin Two" });
    const { viewId, view } = await openPlanFor(ADMIN, erin.id);
    const response = await slack.interact(
      submission(ADMIN, viewId, view, {
        [BLOCK.resolution]: {
          [ACTION.resolution]: { type: "radio_buttons", selected_option: { value: "rename" } },
        },
        [BLOCK.renameTo]: { [ACTION.value]: { type: "plain_text_input", value: "erin2@example.com" } },
      }),
    );
    const answer = JSON.parse(response.text);
    expect(answer.response_action).toBe("errors");
    expect(answer.errors[BLOCK.renameTo]).toMatch(/taken/);
    const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, erin.id));
    expect(row?.status).toBe("deleted");
  });
});

describe("a conflict that appears between the plan and the submit", () => {
  it("shows the plan again with the conflict's controls, not a dead end", async () => {
    const gail = await world.deleted({ userName: "gail@example.com", displayName: "Gail Old" });
    const { viewId, view } = await openPlanFor(ADMIN, gail.id);
    // Someone takes the user name while the plan is open (in a provider's console, say).
    await world.active({ userName: "gail@example.com", displayName: "Gail <!here> New" });
    const answer = JSON.parse((await slack.interact(submission(ADMIN, viewId, view))).text);
    expect(answer.response_action).toBe("update");
    expect(answer.view.callback_id).toBe(CALLBACK.plan);
    expect(json(answer.view)).toContain("Checked again as you submitted");
    expect(json(answer.view)).toContain("Gail &lt;!here&gt; New");
    expect(answer.view.blocks.some((b: { block_id?: string }) => b.block_id === BLOCK.resolution)).toBe(true);
    expect(blockKitProblems(answer.view, "modal")).toEqual([]);
    const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, gail.id));
    expect(row?.status).toBe("deleted");
  });
});

describe("replace and approval", () => {
  async function requestReplace(requester = ADMIN) {
    const deleted = await world.deleted({ userName: "frank@example.com", displayName: "Frank Old" });
    const active = await world.active({ userName: "frank@example.com", displayName: "Frank New" });
    const { viewId, view } = await openPlanFor(requester, deleted.id);
    const response = await slack.interact(
      submission(requester, viewId, view, {
        [BLOCK.resolution]: {
          [ACTION.resolution]: { type: "radio_buttons", selected_option: { value: "replace" } },
        },
        [BLOCK.reason]: { [ACTION.value]: { type: "plain_text_input", value: "Frank came back <!here>" } },
      }),
    );
    const [post] = await slack.waitFor("chat.postMessage");
    const [request] = await world.database.db.select().from(restoreRequests);
    if (!request) throw new Error("no request");
    return { deleted, active, response, post, request };
  }

  it("asks the admin channel with both accounts and buttons, and changes nothing yet", async () => {
    const { response, post, active, deleted } = await requestReplace();
    expect(JSON.parse(response.text).response_action).toBe("update");
    expect(post?.args.channel).toBe(ADMIN_CHANNEL);
    const blocks = json(post?.args.blocks);
    expect(blocks).toContain("Frank Old");
    expect(blocks).toContain("Frank New");
    expect(blocks).toContain(ACTION.approve);
    expect(blocks).toContain("&lt;!here&gt;");
    expect(blockKitProblems({ blocks: post?.args.blocks, text: post?.args.text }, "message")).toEqual([]);
    const rows = await world.database.db.select().from(accounts);
    expect(rows.find((r) => r.id === active.id)?.status).toBe("active");
    expect(rows.find((r) => r.id === deleted.id)?.status).toBe("deleted");
  });

  it("refuses the requester privately, then an approver's click replaces, updates the message and tells the requester", async () => {
    // The requester may approve others' requests, never their own.
    const { request, active, deleted } = await requestReplace(ADMIN_APPROVER);
    await click(ADMIN_APPROVER, ACTION.approve, request.id);
    const [ephemeral] = await slack.waitFor("chat.postEphemeral");
    expect(ephemeral?.args.user).toBe(ADMIN_APPROVER);
    expect(String(ephemeral?.args.text)).toMatch(/another approver/);

    await click(APPROVER, ACTION.approve, request.id);
    const [update] = await slack.waitFor("chat.update");
    expect(json(update?.args.blocks)).not.toContain(ACTION.approve);
    expect(json(update?.args.blocks)).toContain(APPROVER);
    const dms = await slack.waitFor("chat.postMessage", 2);
    expect(dms[1]?.args.channel).toBe(ADMIN_APPROVER);
    expect(json(dms[1]?.args)).not.toMatch(/temporary password:/i);
    const rows = await world.database.db.select().from(accounts);
    expect(rows.find((r) => r.id === active.id)?.status).toBe("deleted");
    expect(rows.find((r) => r.id === deleted.id)?.status).toBe("active");

    // A second click on the decided request says so and changes nothing.
    await click(APPROVER, ACTION.approve, request.id);
    const ephemerals = await slack.waitFor("chat.postEphemeral", 2);
    expect(String(ephemerals[1]?.args.text)).toMatch(/no longer pending/);
  });

  it("asks for a reason before rejecting, then updates the message", async () => {
    const { request } = await requestReplace();
    await click(APPROVER, ACTION.reject, request.id);
    const [open] = await slack.waitFor("views.open");
    const modal = viewOf(open);
    expect(modal.callback_id).toBe(CALLBACK.rejectReason);
    const empty = JSON.parse(
      (
        await slack.interact(
          submission(APPROVER, "VREJECT", modal, {
            [BLOCK.rejectReason]: { [ACTION.value]: { type: "plain_text_input", value: " " } },
          }),
        )
      ).text,
    );
    expect(empty.response_action).toBe("errors");
    await slack.interact(
      submission(APPROVER, "VREJECT", modal, {
        [BLOCK.rejectReason]: { [ACTION.value]: { type: "plain_text_input", value: "Not approved by HR" } },
      }),
    );
    const [update] = await slack.waitFor("chat.update");
    expect(json(update?.args.blocks)).toContain("Not approved by HR");
    expect(json(update?.args.blocks)).not.toContain(ACTION.approve);
    const [row] = await world.database.db.select().from(restoreRequests);
    expect(row?.status).toBe("rejected");
  });

  it("refuses someone who is not an approver", async () => {
    const { request } = await requestReplace();
    await click(ADMIN_2, ACTION.approve, request.id);
    const [ephemeral] = await slack.waitFor("chat.postEphemeral");
    expect(String(ephemeral?.args.text)).toMatch(/not allowed/);
    const [row] = await world.database.db.select().from(restoreRequests);
    expect(row?.status).toBe("pending");
  });
});

describe("App Home", () => {
  it("shows pending approvals, what expires soonest and recent restores, within limits", async () => {
    await world.deleted({ userName: "gina@example.com", displayName: "Gina Soon", daysAgo: 29 });
    await slack.event({ type: "app_home_opened", user: APPROVER, tab: "home", channel: "D1" });
    const [publish] = await slack.waitFor("views.publish");
    expect(publish?.args.user_id).toBe(APPROVER);
    const view = publish?.args.view;
    expect(blockKitProblems(view, "home")).toEqual([]);
  });
});

describe("several at once", () => {
  it("confirms a selection, restores each on its own and lists failures with the reason", async () => {
    const one = await world.deleted({ userName: "hana@example.com", displayName: "Hana One" });
    const two = await world.deleted({ userName: "ivo@example.com", displayName: "Ivo Two" });
    await world.active({ userName: "ivo@example.com", displayName: "Ivo Active" });
    await slack.command(ADMIN, "example");
    const [open] = await slack.waitFor("views.open");
    const search = viewOf(open);
    const confirm = JSON.parse(
      (
        await slack.interact(
          submission(ADMIN, "V1", search, {
            [BLOCK.selection]: {
              [ACTION.selection]: {
                type: "multi_static_select",
                selected_options: [{ value: one.id }, { value: two.id }],
              },
            },
          }),
        )
      ).text,
    );
    expect(confirm.view.callback_id).toBe(CALLBACK.batch);
    const result = JSON.parse((await slack.interact(submission(ADMIN, "V1", confirm.view))).text);
    const text = json(result.view);
    expect(text).toContain("Hana One");
    expect(text).toContain("Ivo");
    expect(text).toMatch(/1 restored, 1 failed/);
    expect(blockKitProblems(result.view, "modal")).toEqual([]);
    const rows = await world.database.db.select().from(accounts);
    expect(rows.find((r) => r.id === one.id)?.status).toBe("active");
    expect(rows.find((r) => r.id === two.id)?.status).toBe("deleted");
  });
});

describe("when something breaks", () => {
  it("shows a reference instead of an error, and logs the details under it", async () => {
    const kim = await world.deleted({ userName: "kim@example.com", displayName: "Kim Lost" });
    const { viewId, view } = await openPlanFor(ADMIN, kim.id);
    await world.database.db.execute(sql`alter table accounts rename to accounts_gone`);
    try {
      const answer = JSON.parse((await slack.interact(submission(ADMIN, viewId, view))).text);
      const shown = json(answer.view);
      const reference = /Reference: `?([0-9a-f]{8})/.exec(shown)?.[1];
      expect(reference).toBeDefined();
      expect(shown).not.toMatch(/accounts_gone|relation|at .*\.ts/);
      expect(slack.logs.some((l) => l.includes(reference as string) && l.includes("error"))).toBe(true);
    } finally {
      await world.database.db.execute(sql`alter table accounts_gone rename to accounts`);
    }
  });
});

describe("when a search breaks", () => {
  it("opens the modal with a reference, fast or slow, and logs the details under it", async () => {
    await world.database.db.execute(sql`alter table accounts rename to accounts_gone`);
    try {
      await slack.command(ADMIN, "kim");
      const [open] = await slack.waitFor("views.open");
      slack.settings.openFilledWithinMs = 0;
      await slack.command(ADMIN, "kim");
      const [update] = await slack.waitFor("views.update");
      for (const view of [viewOf(open), viewOf(update)]) {
        const shown = json(view);
        const reference = /Reference: `?([0-9a-f]{8})/.exec(shown)?.[1];
        expect(reference).toBeDefined();
        expect(shown).not.toMatch(/accounts_gone|relation|at .*\.ts/);
        expect(slack.logs.some((l) => l.includes(reference as string) && l.includes("error"))).toBe(true);
      }
      expect(slack.calls.map((c) => c.method)).toEqual(["views.open", "views.open", "views.update"]);
    } finally {
      await world.database.db.execute(sql`alter table accounts_gone rename to accounts`);
    }
  });
});

describe("App Home buttons", () => {
  it("gives approvers the buttons of pending requests, and admins restore buttons", async () => {
    const deleted = await world.deleted({ userName: "lena@example.com", displayName: "Lena Old" });
    await world.active({ userName: "lena@example.com", displayName: "Lena New" });
    const requested = await world.service.requestReplace(ADMIN, deleted.id, "Lena is back");
    expect(requested.type).toBe("requested");
    await slack.event({ type: "app_home_opened", user: APPROVER, tab: "home", channel: "D1" });
    const [publish] = await slack.waitFor("views.publish");
    expect(json(publish?.args.view)).toContain(ACTION.approve);
    await slack.event({ type: "app_home_opened", user: ADMIN, tab: "home", channel: "D1" });
    const published = await slack.waitFor("views.publish", 2);
    const adminView = json(published[1]?.args.view);
    expect(adminView).not.toContain(ACTION.approve);
    expect(adminView).toContain(ACTION.planAccount);
  });
});

describe("a plan opened from the Home tab", () => {
  /** "Restore…" next to an account in the Home tab (or a digest message): no modal yet. */
  const restoreFromHome = (accountId: string) =>
    slack.interact({
      type: "block_actions",
      user: { id: ADMIN },
      trigger_id: "trigger.home",
      view: { id: "VHOME", type: "home" },
      actions: [{ type: "button", action_id: ACTION.planAccount, block_id: "b", value: accountId }],
    });

  it("opens with the plan in one call when the plan is fast", async () => {
    const nora = await world.deleted({ userName: "nora@example.com", displayName: "Nora Quick" });
    await restoreFromHome(nora.id);
    const [open] = await slack.waitFor("views.open");
    expect(open?.args.trigger_id).toBe("trigger.home");
    const view = viewOf(open);
    expect(view.callback_id).toBe(CALLBACK.plan);
    expect(json(view)).toContain("Nora Quick");
    expect(blockKitProblems(view, "modal")).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.calls.map((c) => c.method)).toEqual(["views.open"]);
  });

  it("opens a loading view first when the plan is slow, then shows the plan in it", async () => {
    slack.settings.openFilledWithinMs = 0;
    const nora = await world.deleted({ userName: "nora@example.com", displayName: "Nora Quick" });
    await restoreFromHome(nora.id);
    const [open] = await slack.waitFor("views.open");
    expect(json(viewOf(open))).toContain("Loading");
    const [update] = await slack.waitFor("views.update");
    expect(update?.args.view_id).toBe("V1");
    expect(viewOf(update).callback_id).toBe(CALLBACK.plan);
    expect(json(viewOf(update))).toContain("Nora Quick");
    expect(slack.calls.map((c) => c.method)).toEqual(["views.open", "views.update"]);
  });
});

describe("edges people run into", () => {
  it("says plainly that a directory which cannot restore re-creates the account", async () => {
    await world.database.db.execute(
      sql`insert into directories (id, name, kind, retention_days, capabilities, follow_up)
        values ('legacy', 'Legacy mail', 'builtin', 90,
          '{"canRestore": false, "batchRestore": true, "hasDeletingState": false, "setsPassword": true}',
          '["Reset the licence", "Assign a licence", "Activate the licence"]')`,
    );
    const ivy = await world.deleted({
      directoryId: "legacy",
      userName: "ivy@example.com",
      displayName: "Ivy Chen",
      purgeAfter: new Date(world.clock.now().getTime() + 80 * 24 * 3600 * 1000),
    });
    const { viewId, view } = await openPlanFor(ADMIN, ivy.id);
    expect(json(view)).toMatch(/re-creat/i);
    expect(json(view)).toContain("Activate the licence");
    const answer = JSON.parse((await slack.interact(submission(ADMIN, viewId, view))).text);
    expect(json(answer.view)).toMatch(/re-created/i);
    expect(json(answer.view)).toContain("Reset the licence");
  });

  it("when the re-check at approval fails, the message says why and nothing changes", async () => {
    const deleted = await world.deleted({ userName: "quinn@example.com", displayName: "Quinn Old" });
    const active = await world.active({ userName: "quinn@example.com", displayName: "Quinn New" });
    const requested = await world.service.requestReplace(ADMIN, deleted.id, "Quinn is back");
    if (requested.type !== "requested") throw new Error("not requested");
    await world.service.recordApprovalMessage(requested.request.id, {
      channel: ADMIN_CHANNEL,
      ts: "1700000000.5",
    });
    // The active account changes after the request: the approval must not act on a stale picture.
    await world.database.db
      .update(accounts)
      .set({ displayName: "Quinn Renamed", version: active.version + 1 })
      .where(eq(accounts.id, active.id));
    await click(APPROVER, ACTION.approve, requested.request.id, "1700000000.5");
    const [update] = await slack.waitFor("chat.update");
    expect(json(update?.args.blocks)).toMatch(/nothing was changed/i);
    expect(json(update?.args.blocks)).not.toContain(ACTION.approve);
    const rows = await world.database.db.select().from(accounts);
    expect(rows.find((r) => r.id === active.id)?.status).toBe("active");
    expect(rows.find((r) => r.id === deleted.id)?.status).toBe("deleted");
  });

  it("Reject on a request approved meanwhile says so and takes the buttons away", async () => {
    const deleted = await world.deleted({ userName: "sol@example.com" });
    await world.active({ userName: "sol@example.com" });
    const requested = await world.service.requestReplace(ADMIN, deleted.id, "Sol is back");
    if (requested.type !== "requested") throw new Error("not requested");
    await world.service.recordApprovalMessage(requested.request.id, {
      channel: ADMIN_CHANNEL,
      ts: "1700000000.7",
    });
    await world.service.approve(APPROVER, requested.request.id);
    await click(APPROVER_2, ACTION.reject, requested.request.id, "1700000000.7");
    const [ephemeral] = await slack.waitFor("chat.postEphemeral");
    expect(String(ephemeral?.args.text)).toMatch(/no longer pending/);
    const [update] = await slack.waitFor("chat.update");
    expect(json(update?.args.blocks)).not.toContain(ACTION.reject);
    expect(slack.calls.filter((c) => c.method === "views.open")).toEqual([]);
  });

  it("a click on an expired request says so and takes the buttons away", async () => {
    const deleted = await world.deleted({ userName: "rita@example.com" });
    await world.active({ userName: "rita@example.com" });
    const requested = await world.service.requestReplace(ADMIN, deleted.id, "Rita is back");
    if (requested.type !== "requested") throw new Error("not requested");
    await world.service.recordApprovalMessage(requested.request.id, {
      channel: ADMIN_CHANNEL,
      ts: "1700000000.6",
    });
    world.clock.advance(25 * 3600 * 1000);
    await click(APPROVER, ACTION.approve, requested.request.id, "1700000000.6");
    const [ephemeral] = await slack.waitFor("chat.postEphemeral");
    expect(String(ephemeral?.args.text)).toMatch(/expired/);
    const [update] = await slack.waitFor("chat.update");
    expect(json(update?.args.blocks)).not.toContain(ACTION.approve);
  });
});
