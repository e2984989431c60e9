/**
 * Directory data written by an attacker, through every surface: each name, reason and address
 * holds Slack markup. The harness's escaping walk (injectedMarkup, run after every test of every
 * Slack file) fails on any of it arriving as live markup; here the data is made to reach every
 * message the app sends, and the tests check it did arrive, as text.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts, restoreRequests } from "../../src/db/schema.ts";
import { ACTION, BLOCK, CALLBACK } from "../../src/slack/blocks/ids.ts";
import { ADMIN_CHANNEL, injectedMarkup, useSlack } from "../support/slack.ts";
import { ADMIN, ADMIN_APPROVER, APPROVER, useWorld } from "../support/world.ts";

const world = useWorld();
const slack = useSlack(world);

const EVIL = "Thief <!channel> <https://evil.example/login|Sign in> <@U123>";
const ESCAPED = "Thief &lt;!channel&gt; &lt;https://evil.example/login|Sign in&gt; &lt;@U123&gt;";

const json = (value: unknown) => JSON.stringify(value);

function click(user: string, actionId: string, value: string) {
  return slack.interact({
    type: "block_actions",
    user: { id: user },
    trigger_id: "trigger.click",
    channel: { id: ADMIN_CHANNEL },
    message: { ts: "1700000000.1" },
    container: { type: "message", channel_id: ADMIN_CHANNEL, message_ts: "1700000000.1" },
    actions: [{ type: "button", action_id: actionId, block_id: BLOCK.decision, value }],
  });
}

describe("the escaping walk itself", () => {
  it("flags live markup from data and lets the app's own mentions and dates through", () => {
    const sent = [
      { method: "chat.postMessage", text: `asked by <@${ADMIN}> ${ESCAPED} <!date^1700000000^{date}|x>` },
      { method: "chat.postEphemeral", text: EVIL },
      {
        response_action: "update",
        view: { blocks: [{ type: "section", text: { type: "mrkdwn", text: "<http://x>" } }] },
      },
      { view: { title: { type: "plain_text", text: "<!here> stays text in plain_text" } } },
    ];
    expect(injectedMarkup(sent)).toEqual([
      "chat.postEphemeral: <!channel>",
      "chat.postEphemeral: <https://evil.example/login|Sign in>",
      "chat.postEphemeral: <@U123>",
      "an ack: <http://x>",
    ]);
  });
});

describe("hostile names and reasons reach every message as text", () => {
  it("search, plan, restore result and the digest", async () => {
    const evil = await world.deleted({ userName: "thief@example.com", displayName: EVIL, department: EVIL });
    await slack.command(ADMIN, "thief");
    const [results] = await slack.waitFor("views.open");
    expect(json(results?.args.view)).toContain(ESCAPED);

    await slack.interact({
      type: "block_actions",
      user: { id: ADMIN },
      trigger_id: "t",
      actions: [{ type: "button", action_id: ACTION.planAccount, block_id: "b", value: evil.id }],
      view: { id: "VPLAN", type: "modal", callback_id: CALLBACK.search, private_metadata: "thief" },
    });
    const [update] = await slack.waitFor("views.update");
    const plan = update?.args.view as {
      blocks: unknown[];
      private_metadata: string;
      callback_id: string;
    };
    expect(json(plan)).toContain(ESCAPED);
    const done = JSON.parse(
      (
        await slack.interact({
          type: "view_submission",
          user: { id: ADMIN },
          view: { ...plan, id: "VPLAN", state: { values: {} } },
        })
      ).text,
    );
    expect(json(done.view)).toContain(ESCAPED);

    const digest = await slack.command(ADMIN, "digest");
    expect(digest.status).toBe(200);
  });

  it("an approval whose re-check fails because of a holder with a hostile name", async () => {
    const deleted = await world.deleted({ userName: "quinn@example.com", displayName: "Quinn Old" });
    const active = await world.active({ userName: "quinn@example.com", displayName: "Quinn New" });
    const requested = await world.service.requestReplace(ADMIN, deleted.id, `Because ${EVIL}`);
    if (requested.type !== "requested") throw new Error("not requested");
    await world.service.recordApprovalMessage(requested.request.id, {
      channel: ADMIN_CHANNEL,
      ts: "1700000000.1",
    });
    await world.database.db
      .update(accounts)
      .set({ displayName: EVIL, version: active.version + 1 })
      .where(eq(accounts.id, active.id));

    await click(APPROVER, ACTION.approve, requested.request.id);
    const [privately] = await slack.waitFor("chat.postEphemeral");
    expect(String(privately?.args.text)).toMatch(/re-check at approval failed/);
    await slack.waitFor("chat.postMessage");
    const [row] = await world.database.db.select().from(restoreRequests);
    expect(row?.status).toBe("failed");
  });

  it("a rejection with a hostile reason, told to a requester of a hostile account", async () => {
    const deleted = await world.deleted({ userName: "rex@example.com", displayName: EVIL });
    await world.active({ userName: "rex@example.com", displayName: EVIL });
    const requested = await world.service.requestReplace(ADMIN_APPROVER, deleted.id, EVIL);
    if (requested.type !== "requested") throw new Error("not requested");
    await click(APPROVER, ACTION.reject, requested.request.id);
    const [open] = await slack.waitFor("views.open");
    const modal = open?.args.view as Record<string, unknown>;
    await slack.interact({
      type: "view_submission",
      user: { id: APPROVER },
      view: {
        ...modal,
        id: "VREJECT",
        state: {
          values: { [BLOCK.rejectReason]: { [ACTION.value]: { type: "plain_text_input", value: EVIL } } },
        },
      },
    });
    // The ask in the admin channel first, then the requester's notice.
    const [ask, notice] = await slack.waitFor("chat.postMessage", 2);
    expect(ask?.args.channel).toBe(ADMIN_CHANNEL);
    expect(json(ask?.args.blocks)).toContain(ESCAPED);
    expect(notice?.args.channel).toBe(ADMIN_APPROVER);
    expect(json(notice?.args.blocks)).toContain(ESCAPED);

    await slack.event({ type: "app_home_opened", user: ADMIN_APPROVER, tab: "home", channel: "D1" });
    await slack.waitFor("views.publish");
  });
});
