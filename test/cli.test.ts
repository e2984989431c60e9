import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDatabaseEnv } from "./support/database.ts";

// The real CLI, as `npx restore-user` runs it, against a database of its own.
const BIN = fileURLToPath(new URL("../bin/restore-user.js", import.meta.url));
const ADMIN = "U0ADMIN1";
const APPROVER = "U0APPROVER1";
const DAY = 86_400_000;

let dbEnv: Record<string, string>;
let drop: () => Promise<void>;
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          RESTORE_ADMINS: `${ADMIN},U0ADMIN2`,
          RESTORE_APPROVERS: `${APPROVER},${ADMIN}`,
          ...dbEnv,
          ...extraEnv,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 99) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

const HEADER =
  "user_name,email,display_name,given_name,family_name,department,phone,aliases,status,deleted_at,deleted_by,license";

async function csvFile(name: string, rows: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${[HEADER, ...rows].join("\n")}\n`);
  return path;
}

beforeAll(async () => {
  ({ env: dbEnv, drop } = await scratchDatabaseEnv());
  dir = await mkdtemp(join(tmpdir(), "restore-user-csv-"));
});

afterAll(async () => {
  await drop();
});

// Each test starts the real CLI several times (a few seconds each on a busy 2-core machine).
describe("restore-user CLI", { timeout: 180_000 }, () => {
  it("refuses a file with bad rows, naming every bad row by line, and imports nothing", async () => {
    const path = await csvFile("bad.csv", [
      `ok@example.com,ok@example.com,Ok Person,Ok,Person,Sales,,,deleted,${ago(2)},U0ADMIN2,`,
      `bad@example.com,not-an-email,Bad Email,Bad,Email,Sales,,,deleted,${ago(2)},U0ADMIN2,`,
      `gone@example.com,gone@example.com,Gone Status,Gone,Status,Sales,,,gone,${ago(2)},U0ADMIN2,`,
      "when@example.com,when@example.com,Bad Date,Bad,Date,Sales,,,deleted,yesterday,U0ADMIN2,",
    ]);
    const run = await cli(["import", path, "--as", ADMIN]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/nothing imported/);
    expect(run.stderr).toMatch(/line 3: .*email/i);
    expect(run.stderr).toMatch(/line 4: .*gone/);
    expect(run.stderr).toMatch(/line 5: .*yesterday/);
    expect(run.stderr).not.toMatch(/line 2:/);
    const listed = await cli(["deleted", "--as", ADMIN, "--json"]);
    expect(JSON.parse(listed.stdout).items).toEqual([]);
  });

  it("imports a CSV, then searches it with a typo and shows the days left", async () => {
    const path = await csvFile("accounts.csv", [
      `alice@example.com,alice@example.com,Alice Smith,Alice,Smith,Engineering,+15550001,a.smith@example.com,deleted,${ago(10)},U0ADMIN2,E3`,
      "alice@example.com,alice@example.com,Alice Jones,Alice,Jones,Engineering,+15550002,,active,,,E3",
      `bob@example.com,bob@example.com,Bob Brown,Bob,Brown,Engineering,,,deleted,${ago(28.5)},U0ADMIN2,`,
      `carl@example.com,carl@example.com,Carl Green,Carl,Green,Engineering,,,deleted,${ago(3)},U0ADMIN2,`,
      `old@example.com,old@example.com,Old Timer,Old,Timer,Engineering,,,deleted,${ago(40)},U0ADMIN2,`,
    ]);
    const imported = await cli(["import", path, "--as", ADMIN]);
    expect(imported.stderr).toBe("");
    expect(imported.stdout).toMatch(/Imported 5 account/);
    expect(imported.code).toBe(0);

    const again = await cli(["import", path, "--as", ADMIN]);
    expect(again.stdout).toMatch(/Imported 0 account.*5 already there/);

    const typo = await cli(["deleted", "Alcie Smith", "--as", ADMIN]);
    expect(typo.code).toBe(0);
    expect(typo.stdout).toMatch(/Alice Smith\s+alice@example.com\s+builtin\s+\S+\s+U0ADMIN2\s+19 days left/);

    const soon = await cli(["deleted", "--expiring-within", "2", "--as", ADMIN, "--json"]);
    const items = JSON.parse(soon.stdout).items as { userName: string; window: string }[];
    expect(items.map((i) => [i.userName, i.window])).toEqual([["bob@example.com", "1 day left"]]);
  });

  it("shows a plan with its conflict, refuses the restore with exit 1, and restores under a new name", async () => {
    const plan = await cli(["plan", "alice@example.com", "--as", ADMIN]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/user name alice@example.com belongs to Alice Jones/);
    expect(plan.stdout).toMatch(/Not ready/);

    const refused = await cli(["restore", "alice@example.com", "--as", ADMIN]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Refused \(blocked\)/);

    const taken = await cli(["restore", "alice@example.com", "--rename", "bad name", "--as", ADMIN]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/invalid_choice/);

    const done = await cli([
      "restore",
      "alice@example.com",
      "--rename",
      "alice.smith@example.com",
      "--as",
      ADMIN,
      "--json",
    ]);
    expect(done.code).toBe(0);
    const result = JSON.parse(done.stdout);
    expect(result).toMatchObject({
      type: "restored",
      renamedFrom: "alice@example.com",
      account: { userName: "alice.smith@example.com", status: "active" },
      mustChangePassword: true,
    });
    expect(result.temporaryPassword).toMatch(/^.{16}$/);
  });

  it("asks for a second admin's approval to replace, refuses the requester, and runs once", async () => {
    await cli([
      "import",
      await csvFile("replace.csv", [
        `dana@example.com,dana@example.com,Dana Old,Dana,Old,Engineering,,,deleted,${ago(4)},U0ADMIN2,`,
        "dana@example.com,dana@example.com,Dana New,Dana,New,Engineering,,,active,,,",
      ]),
      "--as",
      ADMIN,
    ]);
    const noReason = await cli(["restore", "dana@example.com", "--replace", "--as", ADMIN]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--reason/);

    const requested = await cli([
      "restore",
      "dana@example.com",
      "--replace",
      "--reason",
      "Rehired",
      "--as",
      ADMIN,
      "--json",
    ]);
    expect(requested.code).toBe(0);
    const id = JSON.parse(requested.stdout).request.id as string;

    const pending = await cli(["requests", "--pending", "--as", APPROVER]);
    expect(pending.stdout).toContain(id);

    const own = await cli(["approve", id, "--as", ADMIN]);
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(/own_request/);

    const approved = await cli(["approve", id, "--as", APPROVER]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/Restored Dana Old <dana@example.com>/);
    expect(approved.stdout).toMatch(/replaced Dana New/);

    const twice = await cli(["approve", id, "--as", APPROVER]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/no longer pending: it was completed/);

    const rejectWithout = await cli(["reject", id, "--as", APPROVER]);
    expect(rejectWithout.code).toBe(2);
  });

  it("restores a batch with one result per account and exit 1 when one failed", async () => {
    await cli([
      "import",
      await csvFile("batch.csv", [
        `eve@example.com,eve@example.com,Eve One,Eve,One,Engineering,,,deleted,${ago(4)},U0ADMIN2,`,
        `fay@example.com,fay@example.com,Fay Two,Fay,Two,Engineering,,,deleted,${ago(4)},U0ADMIN2,`,
      ]),
      "--as",
      ADMIN,
    ]);
    const run = await cli([
      "restore",
      "eve@example.com",
      "nobody@example.com",
      "fay@example.com",
      "--as",
      ADMIN,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/restored\s+eve@example.com/);
    expect(run.stdout).toMatch(/FAILED\s+nobody@example.com: No account matches/);
    expect(run.stdout).toMatch(/restored\s+fay@example.com/);
    expect(run.stdout).toMatch(/2 of 3 restored/);
  });

  it("purges accounts past their window and records it in the audit trail, exportable as CSV", async () => {
    const purged = await cli(["purge", "--as", ADMIN]);
    expect(purged.code).toBe(0);
    expect(purged.stdout).toMatch(/Purged 1 account.*\n\s+old@example.com/);
    const listed = await cli(["deleted", "old", "--as", ADMIN]);
    expect(listed.stdout).toMatch(/old@example.com.*cannot be restored: purged/);

    const csv = await cli(["audit", "--csv", "--as", ADMIN]);
    const lines = csv.stdout.trim().split("\n");
    expect(lines[0]).toBe("id,at,actor,action,directory_id,account_ids,request_id,before,after,details");
    const actions = lines.slice(1).map((l) => l.split(",")[3]);
    expect(actions).toEqual(
      expect.arrayContaining(["import", "restore", "replace_requested", "approve", "replace", "purge"]),
    );
    expect(csv.stdout).not.toMatch(/temporaryPassword|scrypt\$/);

    const future = await cli(["audit", "--since", "2999-01-01", "--as", ADMIN]);
    expect(future.stdout.trim()).toBe("No audit events.");
  });

  it("refuses outsiders without naming any account, and bad usage with exit 2", async () => {
    const stranger = await cli(["deleted", "alice", "--as", "U0STRANGER"]);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/not allowed/);
    expect(stranger.stdout + stranger.stderr).not.toMatch(/alice/i);

    expect((await cli(["deleted"])).stderr).toMatch(/--as SLACK_USER_ID/);
    expect((await cli(["deleted"])).code).toBe(2);
    expect((await cli(["frobnicate"])).code).toBe(2);
    expect((await cli(["deleted", "--bogus", "--as", ADMIN])).code).toBe(2);
    expect((await cli(["purge", "--rename", "x", "--as", ADMIN])).code).toBe(2);
    expect((await cli(["deleted", "--expiring-within", "soon", "--as", ADMIN])).code).toBe(2);
    expect((await cli(["restore", "no-such-user", "--as", ADMIN])).code).toBe(2);

    const badEnv = await cli(["deleted", "--as", ADMIN], { RETENTION_DAYS: "thirty" });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/RETENTION_DAYS/);
  });
});
