/**
 * Reading an import file (CSV or JSON) into accounts, with every problem an admin needs to fix.
 *
 * Pure: no database, no file system, no clock (the caller passes `now`). A file either parses
 * completely or not at all: any problem makes the result `ok: false` with all problems found.
 *
 * A problem's `reason` is a short sentence without the line; show it as `line ${line}: ${reason}`
 * (line 0 is the file as a whole, outside any account).
 */
import { type CsvError, parse as parseCsv } from "csv-parse/sync";
import { z } from "zod";
import { LineIndex } from "./line-index.ts";

export type ImportStatus = "active" | "deleting" | "deleted";

export interface ImportedAccount {
  /** 1-based CSV line number (the header is line 1) or, for JSON, the 1-based index in `accounts`. */
  line: number;
  externalId: string | null; // optional column/field `external_id`
  userName: string;
  email: string | null; // lower-cased
  displayName: string;
  givenName: string | null;
  familyName: string | null;
  department: string | null;
  phone: string | null; // normalised: spaces, dashes, dots and parentheses removed; must match /^\+?[0-9]{6,15}$/
  aliases: string[]; // lower-cased, de-duplicated, never containing the account's own email
  status: ImportStatus;
  deletedAt: Date | null; // required for deleting/deleted, must be null/empty for active, never in the future
  deletedBy: string | null;
  deletionCompletesAt: Date | null; // optional column `deletion_completes_at`; for status deleting defaults to deletedAt + 48 h; null otherwise
  license: string | null;
}

export interface ImportDirectorySettings {
  id: string;
  name: string;
  canRestore: boolean;
  retentionDays: number | null;
  followUp: string[];
}

export interface ImportFile {
  directory: ImportDirectorySettings | null; // JSON only
  domains: string[] | null; // JSON only: domains user names may use
  departments: string[] | null; // JSON only: departments that exist
  seats: { license: string; total: number }[]; // JSON only
  accounts: ImportedAccount[];
}

export interface ImportProblem {
  line: number;
  reason: string;
}

export type ParseResult = { ok: true; file: ImportFile } | { ok: false; problems: ImportProblem[] };

const STATUSES: readonly ImportStatus[] = ["active", "deleting", "deleted"];
const REQUIRED_COLUMNS = [
  "user_name",
  "email",
  "display_name",
  "given_name",
  "family_name",
  "department",
  "phone",
  "aliases",
  "status",
  "deleted_at",
  "deleted_by",
  "license",
] as const;
const OPTIONAL_COLUMNS = ["external_id", "deletion_completes_at"] as const;
const COLUMNS: readonly Column[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];
type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/** Lark: a deletion takes up to 48 hours before the account can be restored. */
const DELETION_TAKES_MS = 48 * 3_600_000;
const MAX_USER_NAME = 256;
const PHONE = /^\+?[0-9]{6,15}$/;
const PHONE_SEPARATORS = /[\s\-.()]/g;
/** `local@domain.tld`, checked on a lower-cased address: looks like an address, not RFC 5322. */
const ADDRESS = /^[^\s@;,<>"()[\]]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+[\p{L}]{2,}$/u;
const DOMAIN = /^(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+[\p{L}]{2,}$/u;
const DIRECTORY_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** One account's cells before validation: trimmed text or null, aliases possibly already a list. */
type RawAccount = { [K in Exclude<Column, "aliases">]?: string | null } & {
  aliases?: string | string[] | null;
};

interface TimeContext {
  now: Date;
  /** Added to every time in the file (JSON `relative_to`); 0 otherwise. */
  shiftMs: number;
}

// ---------------------------------------------------------------------------------------------
// Entry points

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

// ---------------------------------------------------------------------------------------------
// CSV

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

export const TOO_MANY_BROKEN_QUOTES: ImportProblem = {
  line: 0,
  reason: `stopped reading after ${MAX_QUOTE_PROBLEMS} lines with broken quotes`,
};

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

function readCsv(content: string, now: Date, problems: ImportProblem[]): ImportFile | null {
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
    this.problems.push({
      line: 1,
      reason: `the first line must name the columns: ${REQUIRED_COLUMNS.join(",")}`,
    });
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
        this.problems.push({ line: 1, reason: `column ${index + 1} has no name` });
      } else if (!isColumn(name)) {
        this.problems.push({
          line: 1,
          reason: `unknown column "${rawName}"; the columns are ${COLUMNS.join(", ")}`,
        });
      } else if (columnAt.has(name)) {
        this.problems.push({ line: 1, reason: `column "${name}" appears more than once` });
      } else {
        columnAt.set(name, index);
      }
    });
    const missing = REQUIRED_COLUMNS.filter((c) => !columnAt.has(c));
    for (const column of missing) this.problems.push({ line: 1, reason: `column "${column}" is missing` });
    for (const column of missing) this.alreadyReported.add(column);
    this.columnAt = columnAt;
  }
}

function isColumn(name: string): name is Column {
  return (COLUMNS as readonly string[]).includes(name);
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
      return {
        line: endLine - newlinesIn(record),
        reason: `has ${record.length} ${record.length === 1 ? "field" : "fields"}${
          expected ? ` but the header has ${expected}` : ", not as many as the header"
        } (a comma too many or too few? quote cells that contain commas)`,
      };
    }
    case "CSV_INVALID_CLOSING_QUOTE":
    case "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE":
      return {
        line: endLine,
        reason: 'a quoted cell has text after its closing quote (write a quote inside a quoted cell as "")',
      };
    case "INVALID_OPENING_QUOTE":
      return {
        line: endLine,
        reason:
          'a cell has a quote inside but does not start with one (quote the whole cell and double the inner quotes: "Jane ""JD"" Doe")',
      };
    case "CSV_QUOTE_NOT_CLOSED":
      return { line: endLine, reason: "a quote is opened but never closed" };
    default:
      return {
        line: endLine,
        reason: `cannot be read as CSV: ${e.message ?? String(err)}`,
      };
  }
}

// ---------------------------------------------------------------------------------------------
// JSON

/** Shapes only; the meaning of each account's cells is checked by `checkAccount`, as for CSV. */
const text = z.string({ error: "must be text" });
const cell = z.string().nullish();
const idLike = z.union([z.string(), z.number().transform(String)], { error: "must be text" }).nullish();

const accountSchema = z.strictObject({
  external_id: idLike,
  user_name: cell,
  email: cell,
  display_name: cell,
  given_name: cell,
  family_name: cell,
  department: cell,
  phone: idLike,
  aliases: z.union([z.string(), z.array(z.string())], { error: "must be text or a list of text" }).nullish(),
  status: cell,
  deleted_at: cell,
  deleted_by: cell,
  deletion_completes_at: cell,
  license: cell,
});

const directorySchema = z.strictObject({
  id: text.regex(DIRECTORY_ID, {
    error:
      "must be lower-case letters, digits and dashes, start with a letter or digit, and be at most 63 characters",
  }),
  name: text.trim().min(1, { error: "must not be empty" }),
  can_restore: z.boolean({ error: "must be true or false" }).default(true),
  retention_days: z
    .number({ error: "must be a whole number of days or null" })
    .int({ error: "must be a whole number of days or null" })
    .positive({ error: "must be a positive number of days or null" })
    .nullable()
    .default(30),
  follow_up: z.array(text.trim().min(1, { error: "must not be empty" })).default([]),
});

const fileSchema = z.strictObject({
  relative_to: text
    .refine((s) => parseIsoTime(s) !== null, {
      error: "must be an ISO 8601 time such as 2026-11-22T12:00:00Z",
    })
    .nullish(),
  directory: directorySchema.nullish(),
  domains: z
    .array(text.trim().toLowerCase().regex(DOMAIN, { error: "must be a domain name such as example.com" }))
    .nullish(),
  departments: z.array(text.trim().min(1, { error: "must not be empty" })).nullish(),
  seats: z
    .array(
      z.strictObject({
        license: text.trim().min(1, { error: "must not be empty" }),
        total: z
          .number({ error: "must be a whole number, 0 or more" })
          .int({ error: "must be a whole number, 0 or more" })
          .min(0, { error: "must be a whole number, 0 or more" }),
      }),
    )
    .nullish(),
  accounts: z.array(z.unknown()),
});

const FILE_FIELDS = Object.keys(fileSchema.shape);

function readJson(content: string, now: Date, problems: ImportProblem[]): ImportFile | null {
  let data: unknown;
  try {
    data = JSON.parse(content.replace(/^\uFEFF/, ""));
  } catch (err) {
    problems.push({ line: 0, reason: `the file is not valid JSON: ${(err as Error).message}` });
    return null;
  }

  let top: z.infer<typeof fileSchema>;
  if (Array.isArray(data)) {
    top = { accounts: data };
  } else if (isPlainObject(data)) {
    const parsed = fileSchema.safeParse(data, { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push({ line: 0, reason: describeIssue(issue, FILE_FIELDS) });
      }
      // Still check the accounts, so one run shows every problem in the file.
      if (!Array.isArray(data.accounts)) return null;
      top = { accounts: data.accounts };
    } else {
      top = parsed.data;
    }
  } else {
    problems.push({
      line: 0,
      reason: 'the file must hold a list of accounts, or an object with "accounts" and settings',
    });
    return null;
  }

  // Read from the data itself, so a shape problem elsewhere does not make every time look wrong.
  const relativeTo =
    isPlainObject(data) && typeof data.relative_to === "string" ? parseIsoTime(data.relative_to) : null;
  const time: TimeContext = { now, shiftMs: relativeTo === null ? 0 : now.getTime() - relativeTo.getTime() };

  const seats = top.seats ?? [];
  const seen = new Set<string>();
  for (const seat of seats) {
    if (seen.has(seat.license)) {
      problems.push({ line: 0, reason: `seats lists licence "${seat.license}" more than once` });
    }
    seen.add(seat.license);
  }

  const checked: Checked[] = [];
  top.accounts.forEach((item, index) => {
    const line = index + 1;
    if (!isPlainObject(item)) {
      problems.push({ line, reason: "must be an object with fields such as user_name and status" });
      return;
    }
    const parsed = accountSchema.safeParse(item, { reportInput: true });
    let raw: RawAccount;
    const alreadyReported = new Set<Column>();
    if (parsed.success) {
      raw = parsed.data;
    } else {
      // Report every shape problem, then check the fields that do have the right shape.
      const drop = new Set<string>();
      // In the order of the columns, unknown fields last: the same order for every account.
      const rank = (issue: z.core.$ZodIssue) => {
        const at = COLUMNS.indexOf(issue.path[0] as Column);
        return at === -1 ? COLUMNS.length : at;
      };
      for (const issue of [...parsed.error.issues].sort((a, b) => rank(a) - rank(b))) {
        problems.push({ line, reason: describeIssue(issue, COLUMNS) });
        if (issue.code === "unrecognized_keys") for (const key of issue.keys) drop.add(key);
        const field = issue.path[0];
        if (typeof field === "string") {
          drop.add(field);
          if (isColumn(field)) alreadyReported.add(field);
        }
      }
      const rest = accountSchema.safeParse(
        Object.fromEntries(Object.entries(item).filter(([key]) => !drop.has(key))),
      );
      raw = rest.success ? rest.data : {};
    }
    checked.push(checkAccount(raw, line, time, problems, alreadyReported));
  });
  checkAcrossAccounts(checked, problems);

  if (problems.length > 0) return null;
  const directory = top.directory
    ? {
        id: top.directory.id,
        name: top.directory.name,
        canRestore: top.directory.can_restore,
        retentionDays: top.directory.retention_days,
        followUp: top.directory.follow_up,
      }
    : null;
  return {
    directory,
    domains: top.domains ? [...new Set(top.domains)] : null,
    departments: top.departments ? [...new Set(top.departments)] : null,
    seats: seats.map((s) => ({ license: s.license, total: s.total })),
    accounts: accountsOf(checked),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const EXPECTED: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
  null: "null",
};

/** A zod issue in words: `seats #2 total must be a whole number, 0 or more`. */
function describeIssue(issue: z.core.$ZodIssue, fields: readonly string[]): string {
  const name = issue.path.map((part) => (typeof part === "number" ? `#${part + 1}` : String(part))).join(" ");
  const subject = name === "" ? "" : `${name} `;
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return `${subject}is missing`;
      // 1.5 for a whole number: the schema's own words say it best.
      if (issue.expected === "int" && typeof issue.input === "number") return `${subject}${issue.message}`;
      return `${subject}must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${kindOf(issue.input)}`;
    case "unrecognized_keys": {
      const keys = issue.keys.map((k) => `"${k}"`).join(", ");
      const known = name === "" ? `; the fields are ${fields.join(", ")}` : "";
      return `${name === "" ? "" : `${name} has `}unknown ${issue.keys.length === 1 ? "field" : "fields"} ${keys}${known}`;
    }
    default:
      return `${subject}${issue.message}`;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return "text";
    case "number":
      return "a number";
    case "boolean":
      return value ? "true" : "false";
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}

// ---------------------------------------------------------------------------------------------
// One account, then the file as a whole

interface Checked {
  line: number;
  /** Complete only when the account had no problem of its own. */
  account: ImportedAccount | null;
  // What the checks across accounts need, as far as it could be read.
  externalId: string | null;
  userName: string | null;
  active: boolean;
  email: string | null;
  aliases: string[];
  phone: string | null;
}

function checkAccount(
  raw: RawAccount,
  line: number,
  time: TimeContext,
  problems: ImportProblem[],
  alreadyReported: ReadonlySet<Column>,
): Checked {
  const before = problems.length;
  const problem = (reason: string) => problems.push({ line, reason });
  const value = (column: Exclude<Column, "aliases">): string | null => {
    const v = raw[column]?.trim();
    return v ? v : null;
  };

  const userName = value("user_name");
  if (userName === null) {
    if (!alreadyReported.has("user_name")) problem("user_name is missing");
  } else {
    if (userName.length > MAX_USER_NAME) {
      problem(`user_name is ${userName.length} characters long; at most ${MAX_USER_NAME} are allowed`);
    }
    if (/\s/.test(userName)) problem(`user_name "${userName}" contains a space`);
  }

  const givenName = value("given_name");
  const familyName = value("family_name");
  const displayName = value("display_name") ?? ([givenName, familyName].filter(Boolean).join(" ") || null);
  if (displayName === null && !alreadyReported.has("display_name")) {
    problem("display_name is missing (and there is no given_name or family_name to make one from)");
  }

  const statusText = value("status");
  const status = STATUSES.find((s) => s === statusText?.toLowerCase()) ?? null;
  if (statusText === null) {
    if (!alreadyReported.has("status")) problem(`status is missing; use one of ${STATUSES.join(", ")}`);
  } else if (status === null) {
    problem(`status "${statusText}" is not one of ${STATUSES.join(", ")}`);
  }

  const emailText = value("email");
  const email = emailText?.toLowerCase() ?? null;
  if (email !== null && !ADDRESS.test(email)) problem(`email "${emailText}" is not a valid address`);

  const aliasCells = Array.isArray(raw.aliases) ? raw.aliases : (raw.aliases ?? "").split(";");
  const aliases: string[] = [];
  for (const cell of aliasCells) {
    const alias = cell.trim().toLowerCase();
    if (alias === "") continue;
    if (!ADDRESS.test(alias)) problem(`alias "${cell.trim()}" is not a valid address`);
    else if (alias !== email && !aliases.includes(alias)) aliases.push(alias);
  }

  const phoneText = value("phone");
  let phone: string | null = null;
  if (phoneText !== null) {
    phone = phoneText.replace(PHONE_SEPARATORS, "");
    if (!PHONE.test(phone)) {
      problem(`phone "${phoneText}" is not a phone number (6 to 15 digits, may start with +)`);
    }
  }

  const deletedAt = timeOf("deleted_at", value("deleted_at"), time, problem);
  const completesAt = timeOf("deletion_completes_at", value("deletion_completes_at"), time, problem);
  const deletedBy = value("deleted_by");
  let deletionCompletesAt: Date | null = null;
  if (status === "active") {
    if (deletedAt.text !== null) problem("deleted_at is set, but the account is active");
    if (deletedBy !== null) problem("deleted_by is set, but the account is active");
    if (completesAt.text !== null) problem("deletion_completes_at is set, but the account is active");
  } else if (status !== null) {
    if (deletedAt.text === null && !alreadyReported.has("deleted_at")) {
      problem(`deleted_at is missing; a ${status} account needs the time it was deleted`);
    }
    if (deletedAt.at && deletedAt.at.getTime() > time.now.getTime()) {
      problem(`deleted_at "${deletedAt.text}" is in the future`);
    }
    if (status === "deleting" && deletedAt.at) {
      deletionCompletesAt = completesAt.at ?? new Date(deletedAt.at.getTime() + DELETION_TAKES_MS);
      if (deletionCompletesAt.getTime() < deletedAt.at.getTime()) {
        problem("deletion_completes_at is before deleted_at");
      }
    }
  }

  const externalId = value("external_id");
  const checked: Checked = {
    line,
    account: null,
    externalId,
    userName,
    active: status === "active",
    email,
    aliases,
    phone: phone !== null && PHONE.test(phone) ? phone : null,
  };
  if (problems.length === before && userName !== null && displayName !== null && status !== null) {
    checked.account = {
      line,
      externalId,
      userName,
      email,
      displayName,
      givenName,
      familyName,
      department: value("department"),
      phone,
      aliases,
      status,
      deletedAt: status === "active" ? null : deletedAt.at,
      deletedBy,
      deletionCompletesAt,
      license: value("license"),
    };
  }
  return checked;
}

/** A time cell: `at` is null when the cell is empty or not a valid time (the latter is reported). */
function timeOf(
  column: string,
  text: string | null,
  time: TimeContext,
  problem: (reason: string) => void,
): { text: string | null; at: Date | null } {
  if (text === null) return { text, at: null };
  const at = parseIsoTime(text);
  if (at === null) {
    problem(`${column} "${text}" is not an ISO 8601 time such as 2026-11-20T14:30:00Z`);
    return { text, at: null };
  }
  return { text, at: new Date(at.getTime() + time.shiftMs) };
}

/**
 * Two active accounts never share a user name, an address or a phone (the database refuses it
 * too), and no two accounts share an external id. The later line gets the problem. Accounts are
 * checked in file order, each against those before it.
 */
class AcrossAccounts {
  private readonly externalIds = new LineIndex();
  private readonly userNames = new LineIndex();
  private readonly addresses = new LineIndex();
  private readonly phones = new LineIndex();

  check(c: Checked, problems: ImportProblem[]): void {
    const problem = (reason: string) => problems.push({ line: c.line, reason });
    if (c.externalId !== null) {
      const earlier = this.externalIds.firstSeen(c.externalId, c.line);
      if (earlier !== undefined) problem(`external_id "${c.externalId}" is also on line ${earlier}`);
    }
    if (!c.active) return;
    if (c.userName !== null) {
      const earlier = this.userNames.firstSeen(c.userName.toLowerCase(), c.line);
      if (earlier !== undefined) {
        problem(`user name "${c.userName}" is already used by the active account on line ${earlier}`);
      }
    }
    for (const address of [...(c.email === null ? [] : [c.email]), ...c.aliases]) {
      const earlier = this.addresses.firstSeen(address, c.line);
      if (earlier !== undefined) {
        problem(`address "${address}" is already used by the active account on line ${earlier}`);
      }
    }
    if (c.phone !== null) {
      const earlier = this.phones.firstSeen(c.phone, c.line);
      if (earlier !== undefined) {
        problem(`phone "${c.phone}" is already used by the active account on line ${earlier}`);
      }
    }
  }
}

function checkAcrossAccounts(checked: readonly Checked[], problems: ImportProblem[]): void {
  const across = new AcrossAccounts();
  for (const c of checked) across.check(c, problems);
}

function accountsOf(checked: readonly Checked[]): ImportedAccount[] {
  return checked.flatMap((c) => (c.account ? [c.account] : []));
}

// ---------------------------------------------------------------------------------------------
// Times

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * An ISO 8601 date or date-time: `2026-11-20`, `2026-11-20T14:30Z`, `2026-11-20 14:30:00.123+01:00`.
 * Without an offset the time is UTC. Impossible dates and times (`2026-13-01`, `2026-02-30`,
 * `25:00`) are null, as is anything else (`yesterday`).
 */
function parseIsoTime(text: string): Date | null {
  const m = ISO_TIME.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone = "Z"] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const ms = Math.floor(Number(`0.${frac || "0"}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== "Z") {
    const digits = zone.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || "0");
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (oh * 60 + om);
  }
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  if (at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day) return null; // 2026-02-30
  at.setUTCHours(hour, minute, second, ms);
  return new Date(at.getTime() - offsetMinutes * 60_000);
}
