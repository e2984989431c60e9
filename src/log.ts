import { DrizzleQueryError } from "drizzle-orm/errors";
import { multistream, pino } from "pino";

/**
 * One JSON line per event on stdout (stderr for errors), for people and log shippers alike,
 * written by pino. Callers pass facts, never secrets: no tokens, no passwords, no request bodies;
 * fields named like one are redacted all the same, in case one slips through.
 */
export type Fields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

/** Field names that would hold a secret, at the top level or one object down. */
const SECRET_FIELDS = [
  "token",
  "botToken",
  "appToken",
  "accessToken",
  "signingSecret",
  "clientSecret",
  "password",
  "temporaryPassword",
  "authorization",
];

const pinoLogger = pino(
  {
    level: "info",
    base: null,
    messageKey: "message",
    timestamp: () => `,"at":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: "[redacted]" },
  },
  // Errors to stderr only, the rest to stdout; through process' own streams (synchronous for
  // files and pipes), so a line is out before the process exits.
  multistream(
    [
      { level: "info", stream: process.stdout },
      { level: "error", stream: process.stderr },
    ],
    { dedupe: true },
  ),
);

/** The message goes in as the first field, so a line reads `…"message":"…","field":…` as before. */
export const log: Logger = {
  info: (m, f) => pinoLogger.info({ message: m, ...f }),
  warn: (m, f) => pinoLogger.warn({ message: m, ...f }),
  error: (m, f) => pinoLogger.error({ message: m, ...f }),
};

/**
 * An error for the log: what went wrong and where, never the data it went wrong on, nor the
 * objects around it (they may hold secrets). See describeError.
 */
export function errorFields(error: unknown): Fields {
  const description = describeError(error);
  if (!(error instanceof Error)) return { error: description };
  const inner = shown(error);
  const name = inner instanceof Error ? inner.name : "Error";
  return { error: description, stack: [`${name}: ${description}`, ...framesOf(error)].join("\n") };
}

/** Causes followed at most this deep (a cause may, by mistake, point back at its error). */
const MAX_DEPTH = 4;

/**
 * An error in words fit for a log or a terminal. Drizzle's query error says
 * `Failed query: <sql>\nparams: <values>`, so it reads as the driver's error it wraps: a
 * database error is its message and SQLSTATE, e.g. `out of shared memory (53200)`. Postgres'
 * `detail` and `where`, and the drivers' `query` and `parameters`, hold the rows' values and are
 * never read. Another wrapper (`fetch failed`) is followed by its cause.
 */
export function describeError(error: unknown): string {
  return describe(error, 0);
}

function describe(error: unknown, depth: number): string {
  const e = shown(error);
  if (!(e instanceof Error)) return e === undefined ? "a database query failed" : String(e);
  const code = codeOf(e);
  let text = ownMessage(e, depth);
  if (code?.startsWith("22")) text = withoutValue(text);
  if (code && !text.includes(code)) text += ` (${code})`;
  if (e.cause !== undefined && depth < MAX_DEPTH) {
    const cause = describe(e.cause, depth + 1);
    if (!text.includes(cause)) text += `: ${cause}`;
  }
  return text;
}

/** The error to show: drizzle's wrapper stands aside for the one it wraps (undefined if none). */
function shown(error: unknown): unknown {
  let e = error;
  for (let i = 0; e instanceof DrizzleQueryError && i <= MAX_DEPTH; i++) e = e.cause;
  return e instanceof DrizzleQueryError ? undefined : e;
}

/** Node's AggregateError (every address of a host refused) has no message, only its errors. */
function ownMessage(e: Error, depth: number): string {
  if (e.message) return e.message;
  if (e instanceof AggregateError && e.errors.length > 0 && depth < MAX_DEPTH) {
    return [...new Set(e.errors.map((inner) => describe(inner, depth + 1)))].join("; ");
  }
  return codeOf(e) ?? e.name;
}

/** A SQLSTATE (both drivers) or a system error code such as ECONNREFUSED. */
function codeOf(e: Error): string | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && code ? code : undefined;
}

/**
 * SQLSTATE class 22 (data exception) quotes the value it refused, e.g. `invalid input syntax
 * for type uuid: "alice@example.com"`: keep the words, drop the value.
 */
function withoutValue(message: string): string {
  return message.replace(/: .*$/s, "").replace(/"[^"]*"/g, '"…"');
}

/**
 * The stack's frames only. Its first lines repeat the message, which for drizzle's wrapper is
 * the query and its values; the wrapper's frames are kept, as they point at our code.
 */
function framesOf(error: Error): string[] {
  const stack = error.stack ?? "";
  const at = stack.indexOf(error.message);
  const afterMessage = at >= 0 ? stack.slice(at + error.message.length) : stack;
  return afterMessage.split("\n").filter((line) => /^\s+at /.test(line));
}

/** For code that may log but is given nowhere to (tests, benchmarks). */
export const silentLog: Logger = { info: () => {}, warn: () => {}, error: () => {} };
