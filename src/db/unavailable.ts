/**
 * "The database is not there" in one line an admin can act on: which database, and why, from the
 * driver's error codes only (never a query, its values, or a password).
 */

/** The database could not be reached or opened. Exit 2. */
export class DatabaseUnavailable extends Error {
  override name = "DatabaseUnavailable";
}

/** How long a connection attempt may take before it counts as failed, in seconds. */
export const CONNECT_TIMEOUT_S = 5;

/** Postgres' own refusals at connection time, by SQLSTATE. */
const REFUSALS: Record<string, string> = {
  "28P01": "authentication failed",
  "28000": "authentication failed",
  "3D000": "the database does not exist",
  "57P03": "the server is starting up or shutting down",
  "53300": "too many connections",
};

/** Socket and driver codes that mean nothing reached, or stayed with, the server. */
const NETWORK: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ETIMEDOUT: "timeout",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "the connection was closed",
  EPIPE: "the connection was closed",
  CONNECTION_CLOSED: "the connection was closed",
  CONNECTION_ENDED: "the connection was closed",
  CONNECTION_DESTROYED: "the connection was closed",
  SASL_SIGNATURE_MISMATCH: "authentication failed",
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
  return why ? new DatabaseUnavailable(`cannot reach the database at ${location}: ${why}`) : null;
}

/** An embedded folder PGlite could not open: damaged, or not a database. */
export function unopenable(dataDir: string, error: unknown): DatabaseUnavailable {
  const cause = error instanceof Error ? error.message : String(error);
  return new DatabaseUnavailable(
    `cannot open the database in ${dataDir}: ${cause}. The folder may be damaged (opened by two processes at once, or cut off mid-write): keep a copy of it, then restore it from a backup, or move it aside and import again.`,
  );
}

function reason(error: unknown, timeoutS: number, depth: number): string | null {
  if (!(error instanceof Error) || depth > 4) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (code === "CONNECT_TIMEOUT") return `timeout after ${timeoutS} s`;
    // A Unix socket that is not there (a file's ENOENT is no connection problem).
    if (code === "ENOENT" && (error as { syscall?: unknown }).syscall === "connect")
      return "connection refused";
    // Our own server's turn refusal says what to do; others say "too many connections".
    if (code === "53300" && error.message.includes("restore-user")) return error.message;
    const known = NETWORK[code] ?? REFUSALS[code];
    if (known) return known;
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
