import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliIo, runCli } from "../src/cli/run.ts";
import { scratchDatabaseEnv } from "./support/database.ts";

// What the CLI writes to an admin's terminal: no escape sequence from a directory.
// In-process, against a database of its own.
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
      expect((await cli(["import", file])).code).toBe(0);

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
      const run = await cli(["import", file]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/line \d+: email "\\x1b\]0;pwned\\x07not-an-email" is not a valid address/);
      expect(run.stderr).not.toMatch(CONTROL);
    },
    SLOW,
  );
});
