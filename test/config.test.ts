import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, missingSlackSettings } from "../src/config.ts";

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

  it("reads comma-separated Slack user ids", () => {
    const config = loadConfig({ RESTORE_ADMINS: "U0ADMIN1, U0ADMIN2,", RESTORE_APPROVERS: "W0APPROVER" });
    expect(config.RESTORE_ADMINS).toEqual(["U0ADMIN1", "U0ADMIN2"]);
    expect(config.RESTORE_APPROVERS).toEqual(["W0APPROVER"]);
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
});
