/**
 * Reading an import file (CSV or JSON) into accounts, with every problem an admin needs to fix.
 *
 * Pure: no database, no file system, no clock (the caller passes `now`). A file either parses
 * completely or not at all: any problem makes the result `ok: false` with all problems found.
 *
 * A problem's `reason` is a short sentence without the line; show it as `line ${line}: ${reason}`
 * (line 0 is the file as a whole, outside any account).
 *
 * The readers are parse-csv.ts and parse-json.ts, over the per-account checks (checks.ts) and
 * strict times (times.ts); the types are in types.ts.
 */
import { readCsv } from "./parse-csv.ts";
import { readJson } from "./parse-json.ts";
import type { ImportProblem, ParseResult } from "./types.ts";

// The pieces the CSV stream reads with (import-csv.ts), and the file's types, from where they live.
export {
  CSV_OPTIONS,
  CsvRowChecker,
  csvProblem,
  isBrokenQuote,
  lineOf,
  MAX_QUOTE_PROBLEMS,
  resumeAfterBrokenQuote,
  TOO_MANY_BROKEN_QUOTES,
} from "./parse-csv.ts";
export type {
  ImportDirectorySettings,
  ImportedAccount,
  ImportFile,
  ImportProblem,
  ImportStatus,
  ParseResult,
} from "./types.ts";

export function parseImportFile(content: string, format: "csv" | "json", now: Date): ParseResult {
  const problems: ImportProblem[] = [];
  const file = format === "csv" ? readCsv(content, now, problems) : readJson(content, now, problems);
  if (problems.length > 0 || file === null) {
    // Stable sort: file-wide problems first, then top to bottom, each line's reasons in the order found.
    return { ok: false, problems: [...problems].sort((a, b) => a.line - b.line) };
  }
  return { ok: true, file };
}

/** "csv" or "json" from the file name's extension; null if neither. */
export function importFormatOf(path: string): "csv" | "json" | null {
  const name = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return null;
  const ext = name.slice(dot + 1).toLowerCase();
  return ext === "csv" || ext === "json" ? ext : null;
}
