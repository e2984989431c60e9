/**
 * One owner of an embedded database folder. `npm start` (the real entry point, as a child process)
 * holds the folder and the CLI works through it, as the README's tour does with both side by side;
 * a second app is refused; after the app stops, the CLI alone finds everything. Always a PGlite
 * folder, whichever database the other tests use.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliIo, runCli } from "../src/cli/run.ts";
import { claimFolder, FolderInUse, LOCK_NAME } from "../src/db/owner.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ADMIN = "U0ADMIN1";
const DAY = 86_400_000;
/** Starting the app (tsx) and opening PGlite take seconds on a busy 2-core machine. */
const SLOW = { timeout: 120_000 };

const folders: string[] = [];
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "restore-user-owner-"));
  folders.push(dir);
  return dir;
}

async function cli(dataDir: string, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const env = { DATA_DIR: dataDir, DATABASE_URL: "", RESTORE_ADMINS: ADMIN, RESTORE_AS: ADMIN };
  const code = await runCli(args, env, io);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

/** `npm start` on a folder; resolves once it listens. */
async function startApp(dataDir: string): Promise<{ app: ChildProcess; port: number; output: () => string }> {
  let output = "";
  const app = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, DATABASE_URL: "" },
  });
  app.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  app.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && app.exitCode === null) {
    const listening = output.split("\n").find((l) => l.includes('"message":"listening"'));
    if (listening) return { app, port: JSON.parse(listening).port, output: () => output };
    await new Promise((r) => setTimeout(r, 100));
  }
  app.kill("SIGKILL");
  throw new Error(`the app did not start:\n${output}`);
}

afterAll(async () => {
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("the CLI beside `npm start` on the same folder", () => {
  let dataDir: string;
  let running: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    dataDir = await folder();
    running = await startApp(dataDir);
  }, 120_000);

  afterAll(() => {
    if (running.app.exitCode === null) running.app.kill("SIGKILL");
  });

  it("imports, finds and restores through the running app, which stays ready", SLOW, async () => {
    const file = join(await folder(), "accounts.json");
    const deletedAt = new Date(Date.now() - 3 * DAY).toISOString();
    const account = (userName: string, displayName: string) => ({
      user_name: userName,
      email: userName,
      display_name: displayName,
      status: "deleted",
      deleted_at: deletedAt,
      deleted_by: "U0ADMIN2",
    });
    await writeFile(
      file,
      JSON.stringify([
        account("ada@example.com", "Ada Lovelace"),
        account("alan@example.com", "Alan Turing"),
      ]),
    );

    const imported = await cli(dataDir, ["import", file]);
    expect(imported.stderr).toBe("");
    expect(imported.stdout).toMatch(/Imported 2 account\(s\) into builtin/);
    expect(imported.code).toBe(0);

    const found = await cli(dataDir, ["deleted", "ada lovelase"]);
    expect(found.stdout).toMatch(/Ada Lovelace +ada@example\.com/);

    const restored = await cli(dataDir, ["restore", "ada@example.com"]);
    expect(restored.stdout).toMatch(/^Restored Ada Lovelace <ada@example\.com>\./);
    expect(restored.code).toBe(0);

    const ready = await fetch(`http://127.0.0.1:${running.port}/readyz`);
    expect(await ready.json()).toEqual({ ok: true, database: "up" });
  });

  it("serves two commands at once, one after the other", SLOW, async () => {
    const [first, second] = await Promise.all([
      cli(dataDir, ["deleted", "alan"]),
      cli(dataDir, ["audit", "--json"]),
    ]);
    expect(first.stdout).toMatch(/Alan Turing/);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).map((e: { action: string }) => e.action)).toContain("restore");
  });

  it("refuses a second app on the folder at once, naming the app that holds it", SLOW, async () => {
    const second = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["--import", "tsx", "src/main.ts"],
        { cwd: ROOT, env: { PATH: process.env.PATH ?? "", PORT: "0", DATA_DIR: dataDir, DATABASE_URL: "" } },
        (error, _stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stderr }),
      );
    });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(
      `The database folder ${dataDir} is already open in restore-user's app (pid ${running.app.pid}). One app per folder: stop that one first`,
    );
  });

  it("stops on SIGTERM and lets go of the folder; the CLI alone then finds everything", SLOW, async () => {
    running.app.kill("SIGTERM");
    const [code] = await once(running.app, "exit");
    expect(code).toBe(0);
    expect(existsSync(join(dataDir, LOCK_NAME))).toBe(false);

    const audit = await cli(dataDir, ["audit", "--json"]);
    expect(audit.code).toBe(0);
    const events = JSON.parse(audit.stdout) as { action: string }[];
    expect(events.map((e) => e.action).sort()).toEqual(["import", "restore"]);
    const deleted = await cli(dataDir, ["deleted"]);
    expect(deleted.stdout).toMatch(/Alan Turing/);
    expect(deleted.stdout).not.toMatch(/Ada Lovelace/);
  });
});

describe("a folder held, or left behind", () => {
  it("takes over the lock of a process that died without letting go", SLOW, async () => {
    const dataDir = await folder();
    await mkdir(join(dataDir, LOCK_NAME));
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    await writeFile(
      join(dataDir, "restore-user.owner.json"),
      JSON.stringify({ pid: dead, role: "app", host: hostname(), since: new Date().toISOString() }),
    );
    const run = await cli(dataDir, ["deleted"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });

  it("makes a command wait for another, then names the one holding the folder", SLOW, async () => {
    const dataDir = await folder();
    const held = await claimFolder(dataDir, "cli");
    if (held.kind !== "owned") throw new Error("expected to hold the folder");
    try {
      const refused = await claimFolder(dataDir, "cli", { waitMs: 500 }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(FolderInUse);
      expect((refused as Error).message).toBe(
        `The database folder ${dataDir} is in use by a restore-user command (pid ${process.pid}) (waited 1 s): let it finish, or stop it (kill ${process.pid}), and try again.`,
      );
    } finally {
      await held.lock.release();
    }
    expect((await cli(dataDir, ["deleted"])).code).toBe(0);
  });

  it("names a folder the database cannot be opened from, and what to do", SLOW, async () => {
    const dataDir = await folder();
    await writeFile(join(dataDir, "PG_VERSION"), "not a database\n");
    const run = await cli(dataDir, ["deleted"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `^cannot open the database in ${dataDir}: .+ keep a copy of it, then restore it from a backup`,
      ),
    );
    expect(run.stderr.split("\n")).toHaveLength(1);
    // Nothing holds the folder after the failure.
    expect(existsSync(join(dataDir, LOCK_NAME))).toBe(false);
  });
});
