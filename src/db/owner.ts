/**
 * One owner of an embedded database folder. Two PGlite instances on one folder wreck it (a
 * restore lost, or a database that never opens again), so the process that opens the folder
 * holds a lock on it (proper-lockfile: a directory created atomically, kept fresh while held,
 * stale once its holder is gone) and says who it is in an owner file beside it. The app also
 * says where it serves the database (a Unix socket), so that a CLI can work through it.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import lockfile from "proper-lockfile";
import { type Said, said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";

/** "app": `npm start`, which serves the folder to CLIs; "cli": one command, then it lets go. */
export type Role = "app" | "cli";

export interface Holder {
  pid: number;
  role: Role;
  host: string;
  since: string;
  /** Where the app serves the database, once it does. */
  socket?: string;
}

export const LOCK_NAME = "restore-user.lock";
const OWNER_NAME = "restore-user.owner.json";
/** A held lock is touched every STALE_MS / 2; one untouched for longer has no living holder. */
const STALE_MS = 5_000;
/** A lock untouched this long is left by a process that died, even if another took its pid since. */
const ABANDONED_MS = 60_000;
/** How long a claim waits for a command to finish, an app to start serving, or a dead holder's lock to expire. */
export const CLAIM_WAIT_MS = 15_000;
const POLL_MS = 200;

/** The folder is someone else's: who holds it and what to do. Exit 2. */
export class FolderInUse extends Error {
  override name = "FolderInUse";
  /** The message to be said in the reader's language (the CLI's); `message` is English (logs). */
  readonly said: Said;
  constructor(message: Said) {
    super(say(ENGLISH, message));
    this.said = message;
  }
}

export interface FolderLock {
  /** Tells CLIs that the app serves the database on this socket. */
  announce(socket: string): Promise<void>;
  /** Lets go of the folder (after the database is closed). */
  release(): Promise<void>;
}

export type Claim =
  | { kind: "owned"; lock: FolderLock }
  /** The app holds the folder and serves it: a CLI works through its socket. */
  | { kind: "served"; socket: string; holder: Holder };

export interface ClaimOptions {
  waitMs?: number;
}

/**
 * Takes the folder for this process, or (a CLI, while the app runs) finds the app's socket.
 * Waits, up to waitMs, for a command to finish, the app to start serving, or the lock of a
 * process that died to expire; an app finding another app refuses at once.
 */
export async function claimFolder(dataDir: string, role: Role, options: ClaimOptions = {}): Promise<Claim> {
  const dir = resolve(dataDir);
  // The folder holds personal data and an unauthenticated socket: this user's only.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + (options.waitMs ?? CLAIM_WAIT_MS);
  while (true) {
    const seen = await inspect(dir);
    // A living holder's lock is never taken over, even if it looks stale (a long-blocked event loop).
    if (!seen.alive) {
      const lock = await tryLock(dir, role);
      if (lock) return { kind: "owned", lock };
    }
    const again = seen.alive ? seen : await inspect(dir);
    const { holder } = again;
    if (again.alive && holder?.role === "app") {
      if (role === "app") throw new FolderInUse(inUseMessage(dir, again));
      if (holder.socket && (await answers(holder.socket)))
        return { kind: "served", socket: holder.socket, holder };
    }
    if (Date.now() >= deadline)
      throw new FolderInUse(inUseMessage(dir, again, options.waitMs ?? CLAIM_WAIT_MS));
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Where the app serves a folder: `.s.PGSQL.5432` inside it, as Postgres names its socket; when
 * that path is too long for a Unix socket (about 100 bytes), a name derived from it in the
 * temporary folder.
 */
export function socketPathFor(dataDir: string): string {
  const inside = join(resolve(dataDir), ".s.PGSQL.5432");
  if (Buffer.byteLength(inside) <= 100) return inside;
  const hash = createHash("sha256").update(resolve(dataDir)).digest("hex").slice(0, 16);
  return join(tmpdir(), `restore-user-${hash}.sock`);
}

interface Seen {
  holder: Holder | null;
  /** A lock is there and its holder runs (or, on another host, keeps it fresh). */
  alive: boolean;
}

async function inspect(dir: string): Promise<Seen> {
  const lockStat = await stat(join(dir, LOCK_NAME)).catch(() => null);
  if (!lockStat) return { holder: null, alive: false };
  const holder = await readHolder(dir);
  const fresh = lockStat.mtimeMs > Date.now() - STALE_MS;
  // The owner file is written just after the lock is taken: a fresh lock without it is being taken.
  if (!holder) return { holder, alive: fresh };
  const alive =
    holder.host === hostname()
      ? isRunning(holder.pid) && lockStat.mtimeMs > Date.now() - ABANDONED_MS
      : fresh;
  return { holder, alive };
}

async function tryLock(dir: string, role: Role): Promise<FolderLock | null> {
  let unlock: () => Promise<void>;
  try {
    unlock = await lockfile.lock(dir, {
      lockfilePath: join(dir, LOCK_NAME),
      stale: STALE_MS,
      realpath: false,
      onCompromised: (error) => lost(dir, error),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOCKED") return null;
    throw error;
  }
  const holder: Holder = { pid: process.pid, role, host: hostname(), since: new Date().toISOString() };
  await writeHolder(dir, holder);
  let released = false;
  return {
    announce: (socket) => writeHolder(dir, { ...holder, socket }),
    release: async () => {
      if (released) return;
      released = true;
      // The owner file goes first: once the lock is gone, the file may be the next holder's.
      await unlink(join(dir, OWNER_NAME)).catch(() => {});
      await unlock().catch(() => {});
    },
  };
}

/**
 * Someone took the folder while this process held it (its lock was not kept fresh, or was
 * removed by hand). Writing on would wreck the database: stop at once.
 */
function lost(dir: string, error: Error): never {
  process.stderr.write(
    `restore-user lost its lock on ${dir} (${error.message}) and stops now so as not to damage the database.\n`,
  );
  process.exit(1);
}

async function readHolder(dir: string): Promise<Holder | null> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, OWNER_NAME), "utf8")) as Partial<Holder>;
    if (typeof parsed.pid !== "number" || (parsed.role !== "app" && parsed.role !== "cli")) return null;
    return {
      pid: parsed.pid,
      role: parsed.role,
      host: String(parsed.host ?? ""),
      since: String(parsed.since ?? ""),
      ...(typeof parsed.socket === "string" ? { socket: parsed.socket } : {}),
    };
  } catch {
    return null;
  }
}

/** Written whole, then renamed, so a reader never sees half of it. */
async function writeHolder(dir: string, holder: Holder): Promise<void> {
  const path = join(dir, OWNER_NAME);
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
  await rename(partial, path);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The app's socket takes connections (a crashed app leaves the file behind, refusing). */
function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socket);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

function inUseMessage(dir: string, seen: Seen, waitedMs?: number): Said {
  const { holder } = seen;
  const lockPath = join(dir, LOCK_NAME);
  const waited =
    waitedMs === undefined
      ? ""
      : said("config.folder.waited", { seconds: String(Math.round(waitedMs / 1000)) });
  if (!holder) return said("config.folder.anonymous", { dir, waited, lockPath });
  const pid = String(holder.pid);
  const host = holder.host === hostname() ? "" : said("config.folder.onHost", { host: holder.host });
  const who = said(holder.role === "app" ? "config.folder.app" : "config.folder.command", { pid, host });
  if (!seen.alive) return said("config.folder.dead", { dir, who, waited, lockPath });
  if (holder.role === "app" && waitedMs === undefined)
    return said("config.folder.appOpen", { dir, who, pid });
  if (holder.role === "app") return said("config.folder.appNotServing", { dir, who, waited, pid });
  return said("config.folder.inUse", { dir, who, waited, pid });
}
