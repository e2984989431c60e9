import type { IncomingMessage } from "node:http";
import type { Exchange } from "./exchange.ts";

/** Slack's and providers' requests are small (a Block Kit submission is tens of KB): 1 MB is ample. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Past the cap the rest is read and discarded, so the 413 reaches a client still sending (closing
 * on it would be a reset); this far past it the client is not worth waiting for.
 */
const DISCARD_BYTES = 16 * MAX_BODY_BYTES;

export type Body = { kind: "read"; bytes: Buffer } | { kind: "too large"; drained: boolean };

/** The whole request body, or "too large" past `limit` bytes. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Body> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (body: Body) => {
      req.removeAllListeners("data");
      resolve(body);
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > DISCARD_BYTES) done({ kind: "too large", drained: false });
      else chunks.length = 0;
    });
    req.on("end", () =>
      done(
        size > limit ? { kind: "too large", drained: true } : { kind: "read", bytes: Buffer.concat(chunks) },
      ),
    );
    req.on("error", reject);
    req.on("close", () => {
      if (!req.complete) reject(new Error("the client closed the connection before the body ended"));
    });
  });
}

/** UTF-8 text, or null when the bytes are not UTF-8 (no request this app serves is anything else). */
export function utf8(bytes: Buffer): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** 413; a client still sending is cut off once the answer is out, a drained one keeps its connection. */
export function tooLarge(ex: Exchange, drained: boolean): void {
  ex.reason = "body is over 1 MB";
  const text = JSON.stringify({ ok: false, error: "too large" });
  ex.res
    .writeHead(413, {
      "content-type": "application/json",
      "content-length": String(text.length),
      ...(drained ? {} : { connection: "close" }),
    })
    .end(text);
}
