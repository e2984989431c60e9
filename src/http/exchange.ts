import type { IncomingMessage, ServerResponse } from "node:http";
import type { Fields } from "../log.ts";

/** One request and its answer, with what the request's log line says beyond method, path and status. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** The path without its query string. */
  path: string;
  /** Why the request was refused or failed: a cause, never the request's headers or body. */
  reason?: string;
  /** More facts for the log line (a failure's error class and code). */
  fields?: Fields;
}

/** Answers with a JSON body (omitted by Node for HEAD, with the same headers). */
export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(text)),
      ...headers,
    })
    .end(text);
}

/** Refuses the request with `status`, noting why for its log line. */
export function refuse(ex: Exchange, status: number, error: string, reason: string): void {
  ex.reason = reason;
  json(ex.res, status, { ok: false, error });
}
