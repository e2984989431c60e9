/**
 * One JSON line per event on stdout (stderr for errors), for people and log shippers alike.
 * Callers pass facts, never secrets: no tokens, no passwords, no request bodies.
 */
export type Fields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

function write(level: string, message: string, fields: Fields = {}): void {
  const line = JSON.stringify({ at: new Date().toISOString(), level, message, ...fields });
  if (level === "error") process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}

export const log: Logger = {
  info: (m, f) => write("info", m, f),
  warn: (m, f) => write("warn", m, f),
  error: (m, f) => write("error", m, f),
};

/** An error for the log: message and stack, never the objects around it (they may hold secrets). */
export function errorFields(error: unknown): Fields {
  return error instanceof Error ? { error: error.message, stack: error.stack } : { error: String(error) };
}

/** For code that may log but is given nowhere to (tests, benchmarks). */
export const silentLog: Logger = { info: () => {}, warn: () => {}, error: () => {} };
