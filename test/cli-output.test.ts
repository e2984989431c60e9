import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type CliIo, runCli } from "../src/cli/run.ts";
import { openDatabase } from "../src/db/client.ts";
import { scratchDatabaseEnv } from "./support/database.ts";

// What the CLI writes to an admin's terminal: no escape sequence from a directory, and no
// database error that spills a query's values. In-process, against a database of its own.
const ADMIN = "U0ADMIN1";
const DAY = 86_400_000;
/** Clears the screen, retitles the window, sets red through C1's CSI, and forges a line. */
const HOSTILE_NAME = "\u001b[2J\u001b]0;pwned\u0007Eve\u009b31m\nRestored: mallory";
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters a terminal acts on.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
/** Each run opens the database afresh (PGlite: a few seconds on a busy machine). */
const SLOW = 120_000;

let env: Record<string, string>;
let drop: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  const scratch = await scratchDatabaseEnv();
  env = { ...scratch.env, RESTORE_ADMINS: ADMIN };
  drop = scratch.drop;
  dir = await mkdtemp(join(tmpdir(), "restore-user-output-"));
});

afterAll(async () => {
  await drop();
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[], extraEnv: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await runCli(args, { ...env, ...extraEnv }, io);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

async function accountsFile(name: string, accounts: Record<string, unknown>[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(accounts));
  return path;
}

const deleted = (userName: string, displayName: string, extra: Record<string, unknown> = {}) => ({
  user_name: userName,
  email: userName,
  display_name: displayName,
  status: "deleted",
  deleted_at: new Date(Date.now() - 3 * DAY).toISOString(),
  deleted_by: "U0ADMIN2",
  ...extra,
});

describe("the CLI's terminal output", () => {
  it(
    "shows a display name's escape sequences as text, and --json gives the name back exactly",
    async () => {
      const file = await accountsFile("hostile.json", [deleted("eve@example.com", HOSTILE_NAME)]);
      expect((await cli(["import", file, "--as", ADMIN])).code).toBe(0);

      const listed = await cli(["deleted", "--as", ADMIN]);
      expect(listed.code).toBe(0);
      expect(listed.stdout).not.toMatch(CONTROL);
      expect(listed.stdout.split("\n")).toHaveLength(2); // the header and one row: no forged line
      expect(listed.stdout).toContain("\\x1b[2J\\x1b]0;pwned\\x07Eve");

      const plan = await cli(["plan", "eve@example.com", "--as", ADMIN]);
      expect(plan.stdout).not.toMatch(CONTROL);
      expect(plan.stdout).toContain(
        "\\x1b[2J\\x1b]0;pwned\\x07Eve\\x9b31m\\x0aRestored: mallory <eve@example.com>",
      );

      const json = await cli(["deleted", "--as", ADMIN, "--json"]);
      expect(json.stdout).not.toMatch(CONTROL); // C1 too, which JSON.stringify leaves raw
      expect(JSON.parse(json.stdout).items[0].displayName).toBe(HOSTILE_NAME);
    },
    SLOW,
  );

  it(
    "shows a bad import file's values as text in its problems",
    async () => {
      const file = await accountsFile("bad.json", [
        deleted("zed@example.com", "Zed", { email: "\u001b]0;pwned\u0007not-an-email" }),
      ]);
      const run = await cli(["import", file, "--as", ADMIN]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/line \d+: email "\\x1b\]0;pwned\\x07not-an-email" is not a valid address/);
      expect(run.stderr).not.toMatch(CONTROL);
    },
    SLOW,
  );
});

describe("an unexpected database error in the CLI", () => {
  // A rule added in the database that the app does not know of: its error names the failing row.
  beforeAll(async () => {
    const database = await openDatabase(
      env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: env.DATA_DIR as string },
    );
    try {
      await database.db.execute(
        sql`alter table accounts add constraint accounts_no_contractors check (user_name not like '%@contractor.example')`,
      );
    } finally {
      await database.close();
    }
  });

  const contractor = deleted("ann.secret@contractor.example", "Ann Secretname", { phone: "+15550123987" });
  const secrets = [
    "ann.secret",
    "Secretname",
    "5550123987",
    "insert",
    "Failed query",
    "params",
    "Failing row",
  ];

  it(
    "prints one line with the cause and a reference, none of the row or the query, exit 2",
    async () => {
      const run = await cli(["import", await accountsFile("contractor.json", [contractor]), "--as", ADMIN]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(
        /^restore-user failed: new row for relation "accounts" violates check constraint "accounts_no_contractors" \(23514\) \(reference [0-9a-f]{8}\)$/,
      );
      for (const secret of secrets) expect(run.stderr).not.toContain(secret);
    },
    SLOW,
  );

  it(
    "with DEBUG, logs the stack under the same reference, still without the row",
    async () => {
      const written: string[] = [];
      const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
        written.push(String(chunk));
        return true;
      });
      let run: Awaited<ReturnType<typeof cli>>;
      try {
        run = await cli(["import", await accountsFile("contractor2.json", [contractor]), "--as", ADMIN], {
          DEBUG: "1",
        });
      } finally {
        spy.mockRestore();
      }
      const reference = run.stderr.match(/\(reference ([0-9a-f]{8})\)$/)?.[1];
      const logLine = JSON.parse(written.find((w) => w.includes('"restore-user failed"')) ?? "{}");
      expect(logLine).toMatchObject({ level: "error", reference, error: expect.stringContaining("(23514)") });
      expect(logLine.stack).toMatch(/\n\s+at /);
      for (const secret of secrets) expect(JSON.stringify(logLine)).not.toContain(secret);
    },
    SLOW,
  );
});

describe("the import's progress", () => {
  it(
    "draws a progress line on a terminal and clears it, and draws nothing with --json",
    async () => {
      const file = await accountsFile("progress.json", [deleted("pia@example.com", "Pia Progress")]);
      const lines: string[] = [];
      const out: string[] = [];
      const io: CliIo = { out: (t) => out.push(t), err: (t) => out.push(t), progress: (l) => lines.push(l) };
      const code = await runCli(["import", file, "--as", ADMIN], env, io);
      expect(out.join("\n")).toMatch(/Imported 1 account/);
      expect(code).toBe(0);
      expect(lines[0]).toBe("Import: 1 rows validated");
      expect(lines.at(-2)).toMatch(/^Import: 1 rows validated, 1 of 1 loaded, /);
      expect(lines.at(-1)).toBe("");
      expect(out.join("\n")).toMatch(/Imported 1 account/);

      lines.length = 0;
      expect(await runCli(["import", file, "--as", ADMIN, "--json"], env, io)).toBe(0);
      expect(lines).toEqual([]);
    },
    SLOW,
  );
});

describe("who the CLI acts as", () => {
  it(
    "imports only as an admin: a non-admin is refused with exit 1, no one at all is a usage error, nothing is loaded",
    async () => {
      const file = await accountsFile("refused.json", [deleted("ivy@example.com", "Ivy Refused")]);
      const stranger = await cli(["import", file, "--as", "U0STRANGER"]);
      expect(stranger.code).toBe(1);
      expect(stranger.stderr).toMatch(/not allowed.*RESTORE_ADMINS/);
      const nobody = await cli(["import", file]);
      expect(nobody.code).toBe(2);
      expect(nobody.stderr).toMatch(/--as SLACK_USER_ID/);
      const search = await cli(["deleted", "Ivy", "--as", ADMIN, "--json"]);
      expect(search.stdout).not.toContain("ivy@example.com");
    },
    SLOW,
  );

  it(
    "takes only a Slack user id: the app's own `system` and names are refused before anything runs",
    async () => {
      for (const as of ["system", "alice@example.com", "\u001b]0;x\u0007"]) {
        const run = await cli(["audit", "--as", as]);
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(/--as takes your Slack user id/);
        expect(run.stderr).not.toMatch(CONTROL);
        expect(run.stdout).toBe("");
      }
    },
    SLOW,
  );
});
