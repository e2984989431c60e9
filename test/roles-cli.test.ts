/**
 * The CLI cannot ask Slack who is in a user group: `--as` counts through a group only with the
 * members the app last stored in the database. In-process, against a database of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliIo, runCli } from "../src/cli/run.ts";
import { openDatabase } from "../src/db/client.ts";
import { storeMembership } from "../src/roles/memberships.ts";
import { scratchDatabaseEnv, serverUrl } from "./support/database.ts";

const ADMIN = "U0ADMIN1";
const GROUP_ADMIN = "U0GROUPADMIN";
const IT_ADMINS = "S0ITADMINS";
/** Each run opens the database afresh (PGlite: a few seconds on a busy machine). */
const SLOW = 120_000;

let env: Record<string, string>;
let drop: () => Promise<void>;

beforeAll(async () => {
  const scratch = await scratchDatabaseEnv();
  env = { ...scratch.env, RESTORE_ADMINS: `${ADMIN},${IT_ADMINS}` };
  drop = scratch.drop;
});

afterAll(async () => {
  await drop();
});

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await runCli(args, env, io);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

/** What the app would have stored after reading the group from Slack. */
async function storedByTheApp(members: string[]) {
  const database = await openDatabase(
    serverUrl ? { url: env.DATABASE_URL as string } : { dataDir: env.DATA_DIR as string },
  );
  try {
    await storeMembership(database.db, IT_ADMINS, members, new Date());
  } finally {
    await database.close();
  }
}

describe("--as and user groups", () => {
  it(
    "takes only plain ids until the group's membership is stored, then its members, as stored",
    async () => {
      expect((await cli(["deleted", "--as", ADMIN])).code).toBe(0);
      const before = await cli(["deleted", "--as", GROUP_ADMIN]);
      expect(before.code).toBe(1);
      expect(before.stderr).toMatch(/not allowed/);
      expect(before.stderr).toMatch(/members of S0ITADMINS are not known here yet/);

      await storedByTheApp([GROUP_ADMIN]);
      const member = await cli(["deleted", "--as", GROUP_ADMIN]);
      expect(member.stderr).toBe("");
      expect(member.code).toBe(0);
      const stranger = await cli(["deleted", "--as", "U0STRANGER"]);
      expect(stranger.code).toBe(1);
      expect(stranger.stderr).not.toMatch(/not known here/);

      // Removed from the group since: the CLI follows what was stored last.
      await storedByTheApp([]);
      expect((await cli(["deleted", "--as", GROUP_ADMIN])).code).toBe(1);
    },
    SLOW,
  );
});
