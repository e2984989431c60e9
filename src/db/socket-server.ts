/**
 * The app's embedded PGlite, served on a Unix socket so that the CLI can work through the app
 * instead of opening the same folder a second time (two PGlite instances on one folder wreck it).
 *
 * PGlite is one Postgres session. The app keeps using it in-process; a socket client gets it
 * between the app's queries, for one whole conversation turn at a time: from its first message
 * until the server is idle again (ReadyForQuery, outside a transaction). Meanwhile the app's
 * queries wait, so the app's writes can never land inside a CLI's transaction (and be rolled back
 * with it), nor a CLI's statements inside the app's. Clients are served one at a time, in turn; a
 * client that has waited too long is told the database is busy.
 *
 * Not @electric-sql/pglite-socket: its server runs each protocol message under PGlite's query lock
 * only, so the app's in-process queries slip into a client's transaction (measured: an insert the
 * app saw succeed was rolled back with the client's transaction), and a second client gets a line
 * of plain text instead of a Postgres error.
 */
import { chmod, unlink } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";

/** A client waits this long for the one before it to finish, then is told the database is busy. */
export const TURN_WAIT_MS = 10_000;

export interface SocketServer {
  path: string;
  /** Stops accepting, ends every conversation (an open transaction is rolled back), frees the path. */
  close(): Promise<void>;
}

export interface ServeOptions {
  turnWaitMs?: number;
}

export async function serveOverSocket(
  pg: PGlite,
  path: string,
  options: ServeOptions = {},
): Promise<SocketServer> {
  const turnWaitMs = options.turnWaitMs ?? TURN_WAIT_MS;
  const sockets = new Set<Socket>();
  const conversations = new Set<Promise<void>>();
  let turn: Promise<void> = Promise.resolve();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    // One conversation at a time: each waits for those before it. A client told the database is
    // busy takes no turn, so the next one still waits for the conversation in progress.
    const before = turn;
    let ended = () => {};
    const mine = new Promise<void>((resolve) => {
      ended = resolve;
    });
    turn = before.then(() => mine);
    const done = converseInTurn(pg, socket, before, turnWaitMs).finally(() => {
      sockets.delete(socket);
      socket.destroy();
      ended();
    });
    conversations.add(done);
    void done.finally(() => conversations.delete(done));
  });
  // The path is ours while we hold the folder's lock: a socket file there is a crashed app's.
  await unlink(path).catch(() => {});
  await listen(server, path);
  // The database has no passwords: only this user may connect.
  await chmod(path, 0o600);
  return {
    path,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A conversation in the middle of a message finishes it, then rolls back what is open.
      for (const socket of sockets) socket.destroy();
      await Promise.allSettled([...conversations]);
      await closed;
    },
  };
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function converseInTurn(pg: PGlite, socket: Socket, previous: Promise<void>, waitMs: number) {
  const waited = await Promise.race([
    previous.then(() => "ready" as const),
    new Promise<"busy">((resolve) => setTimeout(resolve, waitMs, "busy").unref()),
  ]);
  if (socket.destroyed) return;
  if (waited === "busy") {
    socket.end(busyError(waitMs));
    return;
  }
  await converse(pg, socket);
}

/** One client's messages, in order, until it leaves; then the session is put back at rest. */
async function converse(pg: PGlite, socket: Socket): Promise<void> {
  const gate = new Gate(pg);
  const replies = new ReplyWatcher();
  const messages = new MessageReader();
  try {
    for await (const chunk of socket) {
      for (const message of messages.push(chunk as Buffer)) {
        if (message.kind === "refuse-encryption") socket.write("N");
        else if (message.kind === "end") return;
        else {
          await gate.enter();
          await pg.runExclusive(() =>
            pg.execProtocolRawStream(message.bytes, {
              onRawData: (data) => {
                replies.push(data);
                if (!socket.destroyed) socket.write(data);
              },
            }),
          );
          // Only a whole exchange ends at rest: a Parse or Bind answered alone does not.
          if (message.endsExchange && replies.idle()) gate.leave();
        }
      }
    }
  } catch {
    // A client that vanished, or a message PGlite could not take: the session is reset below.
  } finally {
    if (gate.held) await putAtRest(pg, replies);
    gate.leave();
  }
}

/** A client left mid-exchange or mid-transaction: close the exchange, roll its transaction back. */
async function putAtRest(pg: PGlite, replies: ReplyWatcher): Promise<void> {
  if (pg.closed) return;
  await pg
    .runExclusive(async () => {
      await pg.execProtocolRawStream(SYNC, { onRawData: (d) => replies.push(d) });
      if (pg.isInTransaction()) await pg.execProtocolRawStream(ROLLBACK, { onRawData: () => {} });
    })
    .catch(() => {});
}

const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);
const ROLLBACK = simpleQuery("ROLLBACK");

function simpleQuery(text: string): Uint8Array {
  const body = Buffer.from(`${text}\0`, "utf8");
  const message = Buffer.alloc(5 + body.length);
  message.write("Q", 0, "latin1");
  message.writeInt32BE(4 + body.length, 1);
  body.copy(message, 5);
  return new Uint8Array(message);
}

/** A FATAL ErrorResponse (53300, too_many_connections) naming what to do. */
function busyError(waitMs: number): Buffer {
  const text = `the database is busy with another restore-user command (waited ${Math.round(waitMs / 1000)} s); try again when it finishes`;
  const fields = Buffer.from(`SFATAL\0VFATAL\0C53300\0M${text}\0\0`, "utf8");
  const message = Buffer.alloc(5 + fields.length);
  message.write("E", 0, "latin1");
  message.writeInt32BE(4 + fields.length, 1);
  fields.copy(message, 5);
  return message;
}

/**
 * The in-process side's lock (PGlite's transaction lock, which every query and transaction of
 * the app takes), held for a socket client from its first message until it is at rest again.
 */
class Gate {
  #release: (() => void) | null = null;
  constructor(private readonly pg: PGlite) {}

  get held(): boolean {
    return this.#release !== null;
  }

  async enter(): Promise<void> {
    if (this.#release) return;
    await new Promise<void>((entered) => {
      void this.pg._runExclusiveTransaction(
        () =>
          new Promise<void>((release) => {
            this.#release = release;
            entered();
          }),
      );
    });
  }

  leave(): void {
    this.#release?.();
    this.#release = null;
  }
}

type FrontendMessage =
  | { kind: "refuse-encryption" }
  | { kind: "end" }
  | { kind: "forward"; bytes: Uint8Array; endsExchange: boolean };

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
/** Parse, Bind, Describe, Execute, Close, Flush: parts of an exchange that a Sync ends. */
const EXCHANGE_PARTS = new Set(["P", "B", "D", "E", "C", "H"]);

/** Cuts the client's byte stream into protocol messages (the first ones have no type byte). */
class MessageReader {
  #buffer: Buffer = Buffer.alloc(0);
  #started = false;

  *push(chunk: Buffer): Generator<FrontendMessage> {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    while (true) {
      const offset = this.#started ? 1 : 0;
      if (this.#buffer.length < offset + 4) return;
      const length = offset + this.#buffer.readInt32BE(offset);
      if (length < offset + 4) {
        yield { kind: "end" };
        return;
      }
      if (this.#buffer.length < length) return;
      const bytes = this.#buffer.subarray(0, length);
      this.#buffer = this.#buffer.subarray(length);
      yield this.#started ? typed(bytes) : this.#startup(bytes);
    }
  }

  #startup(bytes: Buffer): FrontendMessage {
    const code = bytes.length >= 8 ? bytes.readInt32BE(4) : 0;
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) return { kind: "refuse-encryption" };
    // PGlite has no other backend to cancel; a cancel request is a connection of its own.
    if (code === CANCEL_REQUEST) return { kind: "end" };
    this.#started = true;
    return { kind: "forward", bytes: new Uint8Array(bytes), endsExchange: true };
  }
}

function typed(bytes: Buffer): FrontendMessage {
  const type = String.fromCharCode(bytes[0] ?? 0);
  if (type === "X") return { kind: "end" };
  return { kind: "forward", bytes: new Uint8Array(bytes), endsExchange: !EXCHANGE_PARTS.has(type) };
}

/** Follows the server's replies just far enough to know whether the last one was "idle". */
class ReplyWatcher {
  #header: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #type = 0;
  #status = 0;

  push(data: Uint8Array): void {
    let at = 0;
    while (at < data.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, data.length - at);
        if (this.#type === 0x5a) this.#status = data[at + take - 1] ?? 0;
        this.#remaining -= take;
        at += take;
        continue;
      }
      const need = 5 - this.#header.length;
      const take = Math.min(need, data.length - at);
      this.#header = Buffer.concat([this.#header, data.subarray(at, at + take)]);
      at += take;
      if (this.#header.length < 5) return;
      this.#type = this.#header[0] ?? 0;
      this.#remaining = this.#header.readInt32BE(1) - 4;
      this.#status = 0;
      this.#header = Buffer.alloc(0);
    }
  }

  /** The last message was ReadyForQuery with status I (idle, no transaction open). */
  idle(): boolean {
    return this.#remaining === 0 && this.#header.length === 0 && this.#type === 0x5a && this.#status === 0x49;
  }
}
