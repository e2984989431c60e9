import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, missingSlackSettings, slackSettings } from "../src/config.ts";

describe("configuration", () => {
  it("has working defaults on a fresh machine", () => {
    const config = loadConfig({});
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config).toMatchObject({
      DATA_DIR: "./data",
      PORT: 3000,
      RETENTION_DAYS: 30,
      APPROVALS_REQUIRED: 1,
      APPROVAL_TTL_HOURS: 24,
      RESTORE_ADMINS: [],
      RESTORE_APPROVERS: [],
    });
  });

  it("binds every interface unless HOST names one, and refuses an address that is not one", () => {
    expect(loadConfig({}).HOST).toBeUndefined();
    expect(loadConfig({})).toMatchObject({ HTTP_KEEP_ALIVE_SECONDS: 5, HTTP_MAX_CONNECTIONS: 500 });
    expect(loadConfig({ HOST: "127.0.0.1" }).HOST).toBe("127.0.0.1");
    expect(loadConfig({ HOST: "::1" }).HOST).toBe("::1");
    expect(() => loadConfig({ HOST: "http://localhost" })).toThrow(
      /HOST: must be an IP address or a host name/,
    );
    expect(() => loadConfig({ HTTP_MAX_CONNECTIONS: "0" })).toThrow(/HTTP_MAX_CONNECTIONS/);
  });

  it("leaves /metrics open without METRICS_TOKEN, and refuses a short one without echoing it", () => {
    expect(loadConfig({}).METRICS_TOKEN).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: "0123456789abcdef" }).METRICS_TOKEN).toBe("0123456789abcdef");
    const refused = () => loadConfig({ METRICS_TOKEN: "short-secret" });
    expect(refused).toThrow(/METRICS_TOKEN: must be at least 16 printable characters/);
    expect(refused).not.toThrow(/short-secret/);
    expect(() => loadConfig({ METRICS_TOKEN: "has a space in it, 24 ch" })).toThrow(/METRICS_TOKEN/);
  });

  it("reads comma-separated Slack user ids", () => {
    const config = loadConfig({ RESTORE_ADMINS: "U0ADMIN1, U0ADMIN2,", RESTORE_APPROVERS: "W0APPROVER" });
    expect(config.RESTORE_ADMINS).toEqual(["U0ADMIN1", "U0ADMIN2"]);
    expect(config.RESTORE_APPROVERS).toEqual(["W0APPROVER"]);
  });

  it("reads user group ids mixed with user ids, and refreshes their members every 10 minutes by default", () => {
    const config = loadConfig({ RESTORE_ADMINS: "S0ITADMINS, U0ADMIN1", RESTORE_APPROVERS: "S0APPROVERS" });
    expect(config.RESTORE_ADMINS).toEqual(["S0ITADMINS", "U0ADMIN1"]);
    expect(config.RESTORE_APPROVERS).toEqual(["S0APPROVERS"]);
    expect(config.ROLE_REFRESH_MINUTES).toBe(10);
    expect(loadConfig({ ROLE_REFRESH_MINUTES: "2" }).ROLE_REFRESH_MINUTES).toBe(2);
    expect(() => loadConfig({ RESTORE_ADMINS: "@it-admins" })).toThrow(
      /RESTORE_ADMINS.*user id \(U012ABCDEF\) or a user group id \(S012ABCDEF\)/,
    );
    expect(() => loadConfig({ ROLE_REFRESH_MINUTES: "0" })).toThrow(/ROLE_REFRESH_MINUTES/);
  });

  it("names every bad variable in one message", () => {
    const attempt = () =>
      loadConfig({
        RETENTION_DAYS: "thirty",
        APPROVALS_REQUIRED: "0",
        DATABASE_URL: "mysql://x",
        RESTORE_ADMINS: "alice",
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      for (const name of ["RETENTION_DAYS", "APPROVALS_REQUIRED", "DATABASE_URL", "RESTORE_ADMINS"]) {
        expect(message).toContain(name);
      }
    }
  });

  it("lists the Slack settings still missing", () => {
    const missing = missingSlackSettings(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", RESTORE_ADMINS: "U1AA" }));
    expect(missing.map((m) => m.split(" ")[0])).toEqual([
      "SLACK_SIGNING_SECRET",
      "ADMIN_CHANNEL_ID",
      "RESTORE_APPROVERS",
    ]);
  });

  it("runs without Slack until a bot token is set, then needs every Slack setting", () => {
    expect(slackSettings(loadConfig({}))).toBeNull();
    const half = () => slackSettings(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", RESTORE_ADMINS: "U1AA" }));
    expect(half).toThrow(ConfigError);
    expect(half).toThrow(/SLACK_SIGNING_SECRET[\s\S]*ADMIN_CHANNEL_ID[\s\S]*RESTORE_APPROVERS/);
  });

  it("reads a complete Slack configuration, HTTP or Socket Mode", () => {
    const base = {
      SLACK_BOT_TOKEN: "xoxb-1",
      ADMIN_CHANNEL_ID: "C0ADMINS",
      RESTORE_ADMINS: "U1AA",
      RESTORE_APPROVERS: "U2BB",
    };
    expect(
      slackSettings(loadConfig({ ...base, SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5" })),
    ).toMatchObject({
      signingSecret: "8f742231b10e8888abcd99yyyzzz85a5",
      appToken: null,
      apiUrl: "https://slack.com/api/",
      adminChannelId: "C0ADMINS",
    });
    const socket = slackSettings(
      loadConfig({ ...base, SLACK_APP_TOKEN: "xapp-1", SLACK_API_URL: "http://localhost:9999/api" }),
    );
    expect(socket).toMatchObject({
      signingSecret: null,
      appToken: "xapp-1",
      apiUrl: "http://localhost:9999/api/",
    });
  });

  it("names malformed Slack values", () => {
    const attempt = () =>
      loadConfig({
        SLACK_BOT_TOKEN: "xoxp-user",
        SLACK_APP_TOKEN: "nope",
        ADMIN_CHANNEL_ID: "#admins",
        SLACK_API_URL: "ftp://x",
      });
    for (const name of ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "ADMIN_CHANNEL_ID", "SLACK_API_URL"]) {
      expect(attempt).toThrow(name);
    }
  });
});
