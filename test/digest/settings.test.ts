import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config.ts";
import { digestSettingsFrom } from "../../src/digest/settings.ts";

describe("digestSettingsFrom", () => {
  it("has defaults: 09:00 UTC, 7 days, the admin channel, nothing on an empty day", () => {
    expect(digestSettingsFrom({})).toEqual({
      time: "09:00",
      timeZone: "UTC",
      windowDays: 7,
      channelId: null,
      emptyDay: "skip",
    });
    expect(digestSettingsFrom({ DIGEST_TIME: "", DIGEST_TIMEZONE: " " }).time).toBe("09:00");
  });

  it("reads every DIGEST_* variable", () => {
    expect(
      digestSettingsFrom({
        DIGEST_TIME: "07:30",
        DIGEST_TIMEZONE: "Europe/Amsterdam",
        DIGEST_WINDOW_DAYS: "14",
        DIGEST_CHANNEL_ID: "C012ABCDEF",
        DIGEST_EMPTY_DAY: "line",
      }),
    ).toEqual({
      time: "07:30",
      timeZone: "Europe/Amsterdam",
      windowDays: 14,
      channelId: "C012ABCDEF",
      emptyDay: "line",
    });
  });

  it("names every bad variable in one error", () => {
    const bad = {
      DIGEST_TIME: "9am",
      DIGEST_TIMEZONE: "Mars/Olympus_Mons",
      DIGEST_WINDOW_DAYS: "a week",
      DIGEST_CHANNEL_ID: "#admins",
      DIGEST_EMPTY_DAY: "sometimes",
    };
    expect(() => digestSettingsFrom(bad)).toThrow(ConfigError);
    let message = "";
    try {
      digestSettingsFrom(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/DIGEST_TIME: must be a time of day HH:MM/);
    expect(message).toMatch(/DIGEST_TIMEZONE: must be an IANA time zone name/);
    expect(message).toMatch(/DIGEST_WINDOW_DAYS: must be a whole number of days/);
    expect(message).toMatch(/DIGEST_CHANNEL_ID: must be a Slack channel id/);
    expect(message).toMatch(/DIGEST_EMPTY_DAY: must be skip or line/);
    expect(() => digestSettingsFrom({ DIGEST_WINDOW_DAYS: "0" })).toThrow(
      /DIGEST_WINDOW_DAYS: must be at least 1/,
    );
    expect(() => digestSettingsFrom({ DIGEST_WINDOW_DAYS: "2.5" })).toThrow(/DIGEST_WINDOW_DAYS/);
    expect(() => digestSettingsFrom({ DIGEST_TIME: "24:00" })).toThrow(/DIGEST_TIME/);
  });
});
