/**
 * Reading a CSV import: the whole file at once (readCsv), or row by row for the stream
 * (CsvRowChecker, used by import-csv.ts), with broken quotes reported by line and read past.
 */
import { type CsvError, parse as parseCsv } from "csv-parse/sync";
import {
  AcrossAccounts,
  COLUMNS,
  type Column,
  checkAccount,
  isColumn,
  type RawAccount,
  REQUIRED_COLUMNS,
  type TimeContext,
} from "./checks.ts";
import { problemAt } from "./problem.ts";
import type { ImportedAccount, ImportFile, ImportProblem } from "./types.ts";

interface CsvRecord {
  record: string[];
  /** The line the record ends on (a quoted cell may span lines). */
  endLine: number;
}

const QUOTE_ERRORS = new Set<string>([
  "CSV_INVALID_CLOSING_QUOTE",
  "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE",
  "CSV_QUOTE_NOT_CLOSED",
  "INVALID_OPENING_QUOTE",
]);
/** Past this many unreadable quotes the file is not CSV worth reading on. */
export const MAX_QUOTE_PROBLEMS = 20;

/** csv-parse's options for an import, the whole-string reader's and the stream's alike. */
export const CSV_OPTIONS = {
  bom: true,
  trim: true,
  skip_empty_lines: true,
  relax_column_count: false,
  skip_records_with_error: true,
} as const;

/** A csv-parse error a pass cannot read past: the rest of the pass is noise. */
export function isBrokenQuote(err: { code?: string }): boolean {
  return QUOTE_ERRORS.has(err.code ?? "");
}

/**
 * After a broken quote: reports it and says where the next pass resumes (lines 2 to that one's
 * predecessor read as blank), or null when there is nothing sensible left to read.
 * `start` is the first line with text after everything read so far, `lineCount` the file's lines,
 * `headerLine` the line the first pass's first record ended on.
 */
export function resumeAfterBrokenQuote(
  broken: unknown,
  start: number,
  lineCount: number,
  headerLine: number | undefined,
  problems: ImportProblem[],
): number | null {
  // Reported where the broken record starts, like every other problem (an unclosed quote is
  // only noticed at the end of the file); parsing resumes after the line it was noticed on.
  const noticedOn = lineOf(broken);
  const isUnclosed = (broken as { code?: unknown }).code === "CSV_QUOTE_NOT_CLOSED";
  problems.push({ ...csvProblem(broken), line: Math.min(start, noticedOn) });
  const resumeAt = (isUnclosed ? start : Math.max(start, noticedOn)) + 1;
  if (headerLine !== 1 || start <= 1 || resumeAt > lineCount) return null;
  return resumeAt;
}

export const TOO_MANY_BROKEN_QUOTES: ImportProblem = problemAt(0, "import.problem.tooManyBrokenQuotes", {
  max: String(MAX_QUOTE_PROBLEMS),
});

/**
 * The file's records, with every row csv-parse refuses reported on its line. A row with the wrong
 * number of fields is skipped and parsing goes on; after a broken quote csv-parse cannot find its
 * feet again, so the lines already read are blanked out (keeping the header and the line count)
 * and the rest is parsed afresh from the line after the broken one. (For a whole string in memory;
 * src/import/import-csv.ts reads a file the same way as a stream.)
 */
function readCsvRecords(content: string, problems: ImportProblem[]): CsvRecord[] {
  // csv-parse counts a CRLF inside a quoted cell as two lines; with LF only its count is exact.
  const lines = content.replace(/\r\n?/g, "\n").split("\n");
  const records: CsvRecord[] = [];
  for (let pass = 0; pass <= MAX_QUOTE_PROBLEMS; pass++) {
    const got: CsvRecord[] = [];
    const skipped: { err: unknown; line: number }[] = [];
    let broken: unknown = null;
    try {
      parseCsv(lines.join("\n"), {
        ...CSV_OPTIONS,
        on_skip: (err) => {
          if (broken !== null || !err) return undefined;
          if (isBrokenQuote(err)) broken = err;
          else skipped.push({ err, line: lineOf(err) });
          return undefined;
        },
        on_record: (record: string[], info) => {
          if (broken === null) got.push({ record, endLine: info.lines });
          return null;
        },
      });
    } catch (err) {
      broken ??= err; // not one csv-parse can skip: treat it like a broken quote
    }
    const header = pass === 0 ? got[0] : records[0];
    for (const r of pass === 0 ? got : got.slice(1)) records.push(r);
    for (const s of skipped) problems.push(csvProblem(s.err));
    if (broken === null) return records;

    // Where the broken record starts: the first line with text after everything read so far.
    let readUpTo = 0;
    for (const r of got) readUpTo = Math.max(readUpTo, r.endLine);
    for (const s of skipped) readUpTo = Math.max(readUpTo, s.line);
    let start = readUpTo + 1;
    while (start < lines.length && (lines[start - 1] ?? "").trim() === "") start++;
    const resumeAt = resumeAfterBrokenQuote(broken, start, lines.length, header?.endLine, problems);
    if (resumeAt === null) return records;
    for (let i = 1; i < resumeAt - 1; i++) lines[i] = "";
  }
  problems.push(TOO_MANY_BROKEN_QUOTES);
  return records;
}

export function lineOf(err: unknown): number {
  const lines = (err as { lines?: unknown }).lines;
  return typeof lines === "number" ? lines : 1;
}

export function readCsv(content: string, now: Date, problems: ImportProblem[]): ImportFile | null {
  const rows = new CsvRowChecker(now, problems);
  const accounts: ImportedAccount[] = [];
  for (const { record, endLine } of readCsvRecords(content, problems)) {
    const account = rows.check(record, endLine);
    if (account) accounts.push(account);
  }
  rows.finish();
  if (problems.length > 0) return null;
  return { directory: null, domains: null, departments: null, seats: [], accounts };
}

/**
 * A CSV's records checked one at a time, in file order: the header, then each row. Besides the
 * problems, all it keeps is what later rows are checked against (external ids, and the user
 * names, addresses and phones of active rows), so a streamed file holds nothing else per line.
 */
export class CsvRowChecker {
  /** Column name → index, once the header is read. */
  private columnAt: Map<Column, number> | null = null;
  /** The first record was not a header on line 1: nothing after it is read. */
  private headerless = false;
  private readonly alreadyReported = new Set<Column>();
  private readonly across = new AcrossAccounts();
  private readonly time: TimeContext;

  constructor(
    now: Date,
    private readonly problems: ImportProblem[],
  ) {
    this.time = { now, shiftMs: 0 };
  }

  /**
   * One record as csv-parse read it (`endLine`: the line it ends on). The account when the row
   * is good; null for the header, a blank row or a bad one. A good row is only worth loading
   * while the file as a whole has no problem (`problems` is empty).
   */
  check(record: string[], endLine: number): ImportedAccount | null {
    if (this.headerless) return null;
    const line = endLine - newlinesIn(record);
    if (this.columnAt === null) {
      this.readHeader(record, line);
      return null;
    }
    if (record.every((cell) => cell === "")) return null; // a spreadsheet's trailing ",,,," row
    const raw: RawAccount = {};
    for (const [column, index] of this.columnAt) raw[column] = record[index] ?? null;
    const checked = checkAccount(raw, line, this.time, this.problems, this.alreadyReported);
    this.across.check(checked, this.problems);
    return checked.account;
  }

  /** At the end of the file: a file without a single record has no header either. */
  finish(): void {
    if (this.columnAt === null && !this.headerless) this.noHeader();
  }

  private noHeader(): void {
    this.headerless = true;
    if (this.problems.some((p) => p.line === 1)) return; // the header's own problem says enough
    this.problems.push(problemAt(1, "import.problem.noHeader", { columns: REQUIRED_COLUMNS.join(",") }));
  }

  // Unknown columns are reported once and their cells ignored; a missing column is reported once
  // and treated as empty, without a "missing" problem on every row.
  private readHeader(record: string[], line: number): void {
    if (line !== 1) {
      this.noHeader();
      return;
    }
    const columnAt = new Map<Column, number>();
    record.forEach((rawName, index) => {
      const name = rawName.toLowerCase();
      if (name === "") {
        this.problems.push(problemAt(1, "import.problem.columnNoName", { index: String(index + 1) }));
      } else if (!isColumn(name)) {
        this.problems.push(
          problemAt(1, "import.problem.columnUnknown", { name: rawName, columns: COLUMNS.join(", ") }),
        );
      } else if (columnAt.has(name)) {
        this.problems.push(problemAt(1, "import.problem.columnTwice", { name }));
      } else {
        columnAt.set(name, index);
      }
    });
    const missing = REQUIRED_COLUMNS.filter((c) => !columnAt.has(c));
    for (const column of missing)
      this.problems.push(problemAt(1, "import.problem.columnMissing", { name: column }));
    for (const column of missing) this.alreadyReported.add(column);
    this.columnAt = columnAt;
  }
}

/** Line breaks inside a record's quoted cells: the record starts that many lines before it ends. */
function newlinesIn(record: readonly unknown[]): number {
  let count = 0;
  for (const cell of record) if (typeof cell === "string") count += cell.split("\n").length - 1;
  return count;
}

export function csvProblem(err: unknown): ImportProblem {
  const e = err as Partial<CsvError> & { record?: unknown; code?: string };
  const endLine = lineOf(err);
  switch (e.code) {
    case "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH":
    case "CSV_RECORD_INCONSISTENT_COLUMNS": {
      const record = Array.isArray(e.record) ? e.record : [];
      const expected = /expect (\d+)/.exec(String(e.message))?.[1];
      const count = { count: String(record.length), n: record.length };
      return expected
        ? problemAt(endLine - newlinesIn(record), "import.problem.fieldCount", { ...count, expected })
        : problemAt(endLine - newlinesIn(record), "import.problem.fieldCountUnknown", count);
    }
    case "CSV_INVALID_CLOSING_QUOTE":
    case "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE":
      return problemAt(endLine, "import.problem.textAfterQuote");
    case "INVALID_OPENING_QUOTE":
      return problemAt(endLine, "import.problem.quoteInside");
    case "CSV_QUOTE_NOT_CLOSED":
      return problemAt(endLine, "import.problem.quoteNotClosed");
    default:
      return problemAt(endLine, "import.problem.notCsv", { error: e.message ?? String(err) });
  }
}
