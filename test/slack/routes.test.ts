/**
 * Listeners registered through `routed` share one Bolt listener per kind: each request still
 * reaches exactly the listener of its id, with Bolt's arguments, and nothing else.
 */
import { App, type Receiver } from "@slack/bolt";
import { describe, expect, it } from "vitest";
import { routed } from "../../src/slack/listeners/routes.ts";

const receiver = { init: () => {}, start: async () => {}, stop: async () => {} } as unknown as Receiver;
const quiet = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => "info",
  setName: () => {},
};

function appWith(register: (app: App, seen: string[]) => void) {
  const bolt = new App({
    receiver,
    authorize: async () => ({ botToken: "xoxb-test" }),
    logger: quiet as never,
  });
  const seen: string[] = [];
  const { app, install } = routed(bolt);
  register(app, seen);
  install();
  const send = async (body: Record<string, unknown>) => {
    const acks: unknown[] = [];
    await bolt.processEvent({ body, ack: async (response?: unknown) => void acks.push(response) });
    return acks;
  };
  return { seen, send };
}

const action = (action_id: string) => ({
  type: "block_actions",
  user: { id: "U1" },
  team: { id: "T1" },
  actions: [{ type: "button", action_id, block_id: "b", value: "v" }],
});

describe("routed listeners", () => {
  it("hands each request to the listener of its id, with Bolt's arguments, and to no other", async () => {
    const { seen, send } = appWith((app, seen) => {
      app.command("/restore-user", async ({ ack, command }) => {
        seen.push(`command ${command.text}`);
        await ack();
      });
      app.options("lookup", async ({ ack, options }) => {
        seen.push(`options ${options.value}`);
        await ack({ options: [] });
      });
      app.action("lookup", async ({ ack, action }) => {
        seen.push(`action ${"action_id" in action ? action.action_id : ""}`);
        await ack();
      });
      app.action("approve", async ({ ack }) => {
        seen.push("approve");
        await ack();
      });
      app.view("search", async ({ ack, view }) => {
        seen.push(`view ${view.callback_id}`);
        await ack();
      });
      app.event("app_home_opened", async ({ event }) => {
        seen.push(`event ${event.type}`);
      });
    });
    await send({ command: "/restore-user", text: "smith", user_id: "U1", team_id: "T1", trigger_id: "t" });
    await send({ command: "/other", text: "x", user_id: "U1", team_id: "T1", trigger_id: "t" });
    const suggested = await send({
      type: "block_suggestion",
      user: { id: "U1" },
      team: { id: "T1" },
      action_id: "lookup",
      block_id: "b",
      value: "smi",
    });
    await send(action("lookup"));
    await send(action("approve"));
    await send(action("approvex"));
    await send({
      type: "view_submission",
      user: { id: "U1" },
      team: { id: "T1" },
      view: { id: "V1", callback_id: "search", state: { values: {} } },
    });
    await send({
      type: "view_closed",
      user: { id: "U1" },
      team: { id: "T1" },
      view: { id: "V1", callback_id: "search" },
    });
    await send({
      type: "event_callback",
      team_id: "T1",
      event: { type: "app_home_opened", user: "U1", tab: "home" },
    });
    expect(seen).toEqual([
      "command smith",
      "options smi",
      "action lookup",
      "approve",
      "view search",
      "event app_home_opened",
    ]);
    expect(suggested).toEqual([{ options: [] }]);
  });

  it("refuses a second listener for the same id, which Bolt would have run as well", () => {
    expect(() =>
      appWith((app) => {
        app.action("approve", async () => {});
        app.action("approve", async () => {});
      }),
    ).toThrow("two action listeners for approve");
  });
});
