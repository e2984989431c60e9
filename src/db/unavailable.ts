/**
 * "The database is not there" in one line an admin can act on: which database, and why, from the
 * driver's error codes only (never a query, its values, or a password).
 */

import type { MessageKey } from "../i18n/catalog.ts";
import { type Said, said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";

/** The database could not be reached or opened. Exit 2. */
export class DatabaseUnavailable extends Error {
  override name = "DatabaseUnavailable";
  /** The message to be said in the reader's language (the CLI's); `message` is English (logs). */
  readonly said: Said;
  constructor(message: Said) {
    super(say(ENGLISH, message));
    this.said = message;
  }
}

/** How long a connection attempt may take before it counts as failed, in seconds. */
export const CONNECT_TIMEOUT_S = 5;

/** Postgres' own refusals at connection time, by SQLSTATE. */
const REFUSALS: Record<string, MessageKey> = {
  "28P01": "config.database.authFailed",
  "28000": "config.database.authFailed",
  "3D000": "config.database.noDatabase",
  "57P03": "config.database.starting",
  "53300": "config.database.tooMany",
};

/** Socket and driver codes that mean nothing reached, or stayed with, the server. */
const NETWORK: Record<string, MessageKey> = {
  ECONNREFUSED: "config.database.refused",
  ETIMEDOUT: "config.database.timeout",
  ENOTFOUND: "config.database.hostNotFound",
  EAI_AGAIN: "config.database.hostNotFound",
  EHOSTUNREACH: "config.database.hostUnreachable",
  ENETUNREACH: "config.database.networkUnreachable",
  ECONNRESET: "config.database.closed",
  EPIPE: "config.database.closed",
  CONNECTION_CLOSED: "config.database.closed",
  CONNECTION_ENDED: "config.database.closed",
  CONNECTION_DESTROYED: "config.database.closed",
  SASL_SIGNATURE_MISMATCH: "config.database.authFailed",
};

/**
 * The error as "cannot reach the database at <where>: <why>", or null when it is not about reaching
 * the database (a query that failed on a reachable one). `location` must carry no password.
 */
export function unreachable(
  error: unknown,
  location: string,
  timeoutS = CONNECT_TIMEOUT_S,
): DatabaseUnavailable | null {
  const why = reason(error, timeoutS, 0);
  return why ? new DatabaseUnavailable(said("config.database.unreachable", { location, why })) : null;
}

/** An embedded folder PGlite could not open: damaged, or not a database. */
export function unopenable(dataDir: string, error: unknown): DatabaseUnavailable {
  const cause = error instanceof Error ? error.message : String(error);
  return new DatabaseUnavailable(said("config.database.unopenable", { dataDir, cause }));
}

/** Why, in our words, or the server's own (a string). */
function reason(error: unknown, timeoutS: number, depth: number): Said | string | null {
  if (!(error instanceof Error) || depth > 4) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (code === "CONNECT_TIMEOUT")
      return said("config.database.timeoutAfter", { seconds: String(timeoutS) });
    // A Unix socket that is not there (a file's ENOENT is no connection problem).
    if (code === "ENOENT" && (error as { syscall?: unknown }).syscall === "connect")
      return said("config.database.refused");
    // Our own server's turn refusal says what to do; others say "too many connections".
    if (code === "53300" && error.message.includes("restore-user")) return error.message;
    const known = NETWORK[code] ?? REFUSALS[code];
    if (known) return said(known);
  }
  // Every address of a host refused (localhost: ::1 and 127.0.0.1).
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const why = reason(inner, timeoutS, depth + 1);
      if (why) return why;
    }
  }
  return reason(error.cause, timeoutS, depth + 1);
}
