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

/**
 * What failed, for the log: the error's class, its code (a SQLSTATE from the database) and, for
 * errors that are not the database's, its message and stack. A database error's message may carry
 * the SQL and its parameters, which hold personal data, so it is left out.
 */
export function failureFields(error: unknown): Fields {
  if (!(error instanceof Error)) return { error: typeof error };
  const code = codeOf(error);
  if (isDatabaseError(error)) return { error: "database error", ...(code ? { code } : {}) };
  return { error: `${error.name}: ${error.message}`, ...(code ? { code } : {}), stack: error.stack };
}

function codeOf(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

function isDatabaseError(error: Error): boolean {
  const code = codeOf(error);
  return /^[0-9A-Z]{5}$/.test(code ?? "") || error.message.startsWith("Failed query");
}
