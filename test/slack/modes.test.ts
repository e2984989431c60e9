import { once } from "node:events";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { describe, expect, it, vi } from "vitest";
import { WebSocketServer } from "ws";
import type { SlackSettings } from "../../src/config.ts";
import { digestSettingsFrom } from "../../src/digest/settings.ts";
import type { Logger } from "../../src/log.ts";
import { createSlackApp } from "../../src/slack/app.ts";
import { ADMIN, useWorld } from "../support/world.ts";

const world = useWorld();
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const base: SlackSettings = {
  botToken: "xoxb-test",
  signingSecret: null,
  appToken: null,
  apiUrl: "http://slack.test/api/",
  adminChannelId: "CADMINS01",
};

function appWith(settings: Partial<SlackSettings>) {
  return createSlackApp({
    service: world.service,
    clock: world.clock,
    settings: { ...base, ...settings },
    digest: digestSettingsFrom({}),
    log: quiet,
  });
}

describe("how the app talks to Slack", () => {
  it("serves POST /slack/events with a signing secret", () => {
    const slack = appWith({ signingSecret: "8f742231b10e8888abcd99yyyzzz85a5" });
    expect(slack.http).not.toBeNull();
    expect(slack.socket).toBeNull();
  });

  it("uses Socket Mode with an app token, even when a signing secret is set too", () => {
    const slack = appWith({ appToken: "xapp-1-test", signingSecret: "8f742231b10e8888abcd99yyyzzz85a5" });
    expect(slack.socket).not.toBeNull();
    expect(slack.http).toBeNull();
  });
});

describe("Socket Mode's own connection", () => {
  it("asks SLACK_API_URL for its WebSocket URL, with the app token (GovSlack, local fakes)", async () => {
    nock.disableNetConnect();
    const open = nock("http://slack.test", { reqheaders: { authorization: "Bearer xapp-1-test" } })
      .post("/api/apps.connections.open")
      .reply(200, { ok: false, error: "invalid_auth" });
    try {
      const slack = createSlackApp(
        {
          service: world.service,
          clock: world.clock,
          settings: { ...base, appToken: "xapp-1-test" },
          digest: digestSettingsFrom({}),
          log: quiet,
        },
        { clientOptions: { retryConfig: { retries: 0 } } },
      );
      await expect(slack.socket?.start()).rejects.toThrow(/invalid_auth/);
      expect(open.isDone()).toBe(true);
    } finally {
      nock.cleanAll();
      nock.enableNetConnect();
    }
  });
});

describe("Socket Mode end to end", () => {
  it("takes /restore-user over the WebSocket and answers in the envelope's acknowledgement", async () => {
    const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    const acks: unknown[] = [];
    server.on("connection", (socket) => {
      socket.send(JSON.stringify({ type: "hello", num_connections: 1, debug_info: { host: "test" } }));
      socket.on("message", (data) => acks.push(JSON.parse(String(data))));
      socket.send(
        JSON.stringify({
          envelope_id: "env-1",
          type: "slash_commands",
          accepts_response_payload: true,
          payload: {
            command: "/restore-user",
            text: "help",
            user_id: ADMIN,
            team_id: "T1",
            channel_id: "C1",
            trigger_id: "1.2.3",
            response_url: "http://slack.test/commands/1",
          },
        }),
      );
    });
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1");
    nock("http://slack.test")
      .post("/api/apps.connections.open")
      .reply(200, { ok: true, url: `ws://127.0.0.1:${port}/link` });
    const slack = appWith({ appToken: "xapp-1-test" });
    try {
      await slack.socket?.start();
      await vi.waitFor(() => expect(acks).toHaveLength(1), { timeout: 20_000 });
      expect(acks[0]).toMatchObject({
        envelope_id: "env-1",
        payload: { response_type: "ephemeral", text: expect.stringContaining("/restore-user") },
      });
    } finally {
      await slack.socket?.stop();
      server.close();
      nock.cleanAll();
      nock.enableNetConnect();
    }
  });
});
