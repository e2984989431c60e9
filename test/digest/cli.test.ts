import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Digest } from "../../src/digest/build.ts";
import { addDays, weekdayOf } from "../../src/digest/calendar.ts";
import { scratchDatabaseEnv } from "../support/database.ts";

// The real CLI against a database of its own, as test/cli.test.ts runs it.
const BIN = fileURLToPath(new URL("../../bin/restore-user.js", import.meta.url));
const ADMIN = "U0ADMIN1";
const DAY = 86_400_000;

let dbEnv: Record<string, string>;
let drop: () => Promise<void>;

function cli(args: string[], extraEnv: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          RESTORE_ADMINS: ADMIN,
          RESTORE_APPROVERS: "U0APPROVER1",
          DIGEST_TIMEZONE: "UTC",
          DIGEST_TIME: "09:00",
          ...dbEnv,
          ...extraEnv,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 99) : 0, stdout, stderr });
      },
    );
  });
}

// A day three days from now, so the accounts' windows (deleted 30 days before) are still open.
const date = addDays(new Date().toISOString().slice(0, 10), 3);
const deletedFor = (expires: string) => new Date(new Date(expires).getTime() - 30 * DAY).toISOString();

beforeAll(async () => {
  ({ env: dbEnv, drop } = await scratchDatabaseEnv());
  const dir = await mkdtemp(join(tmpdir(), "restore-user-digest-"));
  const path = join(dir, "digest.csv");
  const row = (user: string, name: string, expires: string) =>
    `${user},${user},${name},,,,,,deleted,${deletedFor(expires)},U0ADMIN2,`;
  await writeFile(
    path,
    `${[
      "user_name,email,display_name,given_name,family_name,department,phone,aliases,status,deleted_at,deleted_by,license",
      row("noon@example.com", "Noon Today", `${date}T12:00:00Z`),
      row("next@example.com", "Next Day", `${addDays(date, 1)}T10:00:00Z`),
      row("later@example.com", "Four Days", `${addDays(date, 4)}T10:00:00Z`),
      row("far@example.com", "Far Away", `${addDays(date, 9)}T10:00:00Z`),
    ].join("\n")}\n`,
  );
  const imported = await cli(["import", path, "--as", ADMIN]);
  expect(imported.stderr).toBe("");
}, 120_000);

afterAll(async () => {
  await drop();
});

describe("restore-user digest", () => {
  it("prints a day's digest as JSON and as text, without sending anything", async () => {
    const run = await cli(["digest", "--date", date, "--as", ADMIN, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const digest = JSON.parse(run.stdout) as Digest;
    expect(digest).toMatchObject({
      date,
      timeZone: "UTC",
      windowDays: 7,
      accountCount: 3,
      generatedAt: `${date}T09:00:00.000Z`,
    });
    expect(digest.groups.map((g) => [g.kind, g.from, g.accounts.map((a) => a.userName)])).toEqual([
      ["today", date, ["noon@example.com"]],
      [weekdayOf(date) === 5 ? "weekend" : "tomorrow", addDays(date, 1), ["next@example.com"]],
      ["days", addDays(date, 4), ["later@example.com"]],
    ]);
    expect(digest.groups[0]?.accounts[0]?.deadline).toMatch(/^\w{3} \d+ \w{3}, 12:00 UTC$/);

    const text = await cli(["digest", "--date", date, "--as", "U0APPROVER1"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /Expires today · .* \(1\)\n.*\n\s+Noon Today\s+noon@example.com\s+\w{3} \d+ \w{3}, 12:00 UTC/,
    );
    expect(text.stdout).toMatch(/Expires in 4 days/);
    expect(text.stdout).toMatch(/No approval is waiting/);
  });

  it("refuses outsiders, a bad date and a bad digest setting", async () => {
    const stranger = await cli(["digest", "--as", "U0STRANGER"]);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/not allowed/);
    expect(stranger.stdout).not.toMatch(/noon/);
    const badDate = await cli(["digest", "--date", "2026-02-30", "--as", ADMIN]);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toMatch(/YYYY-MM-DD.*not "2026-02-30"/);
    const badZone = await cli(["digest", "--as", ADMIN], { DIGEST_TIMEZONE: "Mars/Olympus" });
    expect(badZone.code).toBe(2);
    expect(badZone.stderr).toMatch(/DIGEST_TIMEZONE/);
  });
});
