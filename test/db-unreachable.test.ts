/**
 * A database that refuses connections (nothing listens) or never answers (a socket that accepts
 * and stays silent): the CLI, /readyz and `npm start` each give a one-line cause within their
 * timeouts instead of a query's text or a wait without end. No database is needed here.
 */
import { execFile } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliIo, runCli } from "../src/cli/run.ts";
import { connectServer } from "../src/db/client.ts";
import { startServer } from "../src/http.ts";
import { silentLog } from "../src/log.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ADMIN = "U0ADMIN1";
/** Generous: the connection timeout is 5 s and /readyz's 2 s; a busy machine adds to both. */
const BOUND_MS = 15_000;
const SLOW = { timeout: 60_000 };

let silent: Server;
const accepted = new Set<Socket>();
let refusingPort: number;
let silentPort: number;

const urlAt = (port: number) => `postgres://restore:s3cret@127.0.0.1:${port}/restore`;
const shownAt = (port: number) => `postgres://restore:***@127.0.0.1:${port}/restore`;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

beforeAll(async () => {
  silent = createServer((socket) => {
    accepted.add(socket);
  });
  silentPort = await listen(silent);
  // A port that was just free: nothing listens there, so connections are refused.
  const closed = createServer();
  refusingPort = await listen(closed);
  await new Promise((r) => closed.close(r));
});

afterAll(async () => {
  for (const socket of accepted) socket.destroy();
  await new Promise((r) => silent.close(r));
});

async function cli(url: string) {
  const err: string[] = [];
  const io: CliIo = { out: () => {}, err: (t) => err.push(t) };
  const started = Date.now();
  const code = await runCli(["deleted"], { DATABASE_URL: url, RESTORE_ADMINS: ADMIN, RESTORE_AS: ADMIN }, io);
  return { code, stderr: err.join("\n"), ms: Date.now() - started };
}

async function readiness(url: string) {
  const database = connectServer(url);
  const server = await startServer({
    db: database.db,
    slack: null,
    port: 0,
    host: "127.0.0.1",
    log: silentLog,
  });
  try {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const started = Date.now();
    const answer = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(BOUND_MS) });
    return { status: answer.status, body: await answer.json(), ms: Date.now() - started };
  } finally {
    server.close();
    await database.close();
  }
}

describe("a database that refuses connections", () => {
  it("the CLI names it, without its password, and says the connection was refused", SLOW, async () => {
    const run = await cli(urlAt(refusingPort));
    expect(run.stderr).toBe(`cannot reach the database at ${shownAt(refusingPort)}: connection refused`);
    expect(run.code).toBe(2);
    expect(run.ms).toBeLessThan(BOUND_MS);
  });

  it("/readyz answers 503, database down", SLOW, async () => {
    const ready = await readiness(urlAt(refusingPort));
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ ok: false, database: "down" });
  });
});

describe("a database that accepts and never answers", () => {
  it("the CLI gives up after the connection timeout and says so", SLOW, async () => {
    const run = await cli(urlAt(silentPort));
    expect(run.stderr).toBe(`cannot reach the database at ${shownAt(silentPort)}: timeout after 5 s`);
    expect(run.code).toBe(2);
    expect(run.ms).toBeLessThan(BOUND_MS);
  });

  it("/readyz answers 503 within its bound, database timeout", SLOW, async () => {
    const ready = await readiness(urlAt(silentPort));
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ ok: false, database: "timeout" });
    expect(ready.ms).toBeLessThan(BOUND_MS);
  });

  it("`npm start` stops with the same line and exit 2", SLOW, async () => {
    const started = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["--import", "tsx", "src/main.ts"],
        { cwd: ROOT, env: { PATH: process.env.PATH ?? "", PORT: "0", DATABASE_URL: urlAt(silentPort) } },
        (error, _stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stderr }),
      );
    });
    expect(started.code).toBe(2);
    expect(started.stderr).toBe(`cannot reach the database at ${shownAt(silentPort)}: timeout after 5 s\n`);
  });
});
