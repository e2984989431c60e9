import nock from "nock";
import { describe, expect, it } from "vitest";
import type { SlackSettings } from "../../src/config.ts";
import { digestSettingsFrom } from "../../src/digest/settings.ts";
import type { Logger } from "../../src/log.ts";
import { createSlackApp } from "../../src/slack/app.ts";
import { useWorld } from "../support/world.ts";

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
