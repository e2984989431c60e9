/**
 * A CSV import read as a stream (csv-parse's stream API): a file of 1,000,000 rows is checked and
 * handed on a page at a time, holding only that page and what later rows are checked against
 * (CsvRowChecker). Problems are reported exactly as parseImportFile reports them for the same text.
 */
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import { type CsvError, type Options, parse } from "csv-parse";
import {
  CSV_OPTIONS,
  CsvRowChecker,
  csvProblem,
  type ImportedAccount,
  type ImportProblem,
  isBrokenQuote,
  lineOf,
  MAX_QUOTE_PROBLEMS,
  resumeAfterBrokenQuote,
  TOO_MANY_BROKEN_QUOTES,
} from "./import-file.ts";

export class CsvImportReader {
  /** Every problem found so far; complete once `pages()` has ended. */
  readonly problems: ImportProblem[] = [];
  /** Rows checked so far (the header and rows csv-parse refused not counted). */
  rowsRead = 0;

  /**
   * `open` gives the file from its first byte, each time it is called: after a broken quote the
   * file is read again from the start (see parseImportFile's CSV reading).
   */
  constructor(
    private readonly open: () => Readable,
    private readonly now: Date,
    private readonly pageRows: number,
  ) {}

  /**
   * The good accounts in file order, `pageRows` at a time, while the file has no problem; after
   * the first problem no page is handed on, but the file is read to its end so that every bad line
   * is reported.
   */
  async *pages(): AsyncGenerator<ImportedAccount[]> {
    const rows = new CsvRowChecker(this.now, this.problems);
    let page: ImportedAccount[] = [];
    let headerLine: number | undefined;
    // Lines 2 up to (not including) this one are read as blank: a pass after a broken quote.
    let blankBefore = 0;
    for (let pass = 0; ; pass++) {
      if (pass > MAX_QUOTE_PROBLEMS) {
        this.problems.push({ ...TOO_MANY_BROKEN_QUOTES });
        break;
      }
      let broken: unknown = null;
      let readUpTo = 0;
      let first = true;
      const options: Options<ImportedAccount, string[]> = {
        ...CSV_OPTIONS,
        on_skip: (err) => {
          if (broken !== null || !err) return undefined;
          if (isBrokenQuote(err)) {
            broken = err;
          } else {
            readUpTo = Math.max(readUpTo, lineOf(err));
            this.problems.push(csvProblem(err));
          }
          return undefined;
        },
        on_record: (record: string[], info) => {
          if (broken !== null) return null;
          readUpTo = Math.max(readUpTo, info.lines);
          const header = first;
          first = false;
          if (pass === 0 && header) headerLine = info.lines;
          if (pass > 0 && header) return null; // the header again, already read
          if (!header) this.rowsRead++;
          return rows.check(record, info.lines);
        },
      };
      // Records come out as the accounts on_record makes of them (null: nothing comes out).
      const parser = parse(options as unknown as Options);
      const done = pipeline(this.open(), new LfLines(blankBefore), parser).catch((err: unknown) => err);
      try {
        for await (const account of parser as AsyncIterable<ImportedAccount>) {
          if (this.problems.length > 0) {
            page = []; // nothing will be loaded: hold no rows while reading on for problems
            continue;
          }
          page.push(account);
          if (page.length >= this.pageRows) {
            yield page;
            page = [];
          }
        }
      } catch (err) {
        if (!isCsvError(err)) throw err;
      }
      const failed = await done;
      if (failed !== undefined) {
        if (!isCsvError(failed)) throw failed; // the file itself: gone, unreadable
        broken ??= failed; // not one csv-parse can skip: treat it like a broken quote
      }
      if (broken === null) break;
      const start = await this.firstTextLine(blankBefore, readUpTo);
      const resumeAt = resumeAfterBrokenQuote(broken, start.line, start.lineCount, headerLine, this.problems);
      if (resumeAt === null) break;
      blankBefore = resumeAt;
    }
    rows.finish();
    if (this.problems.length > 0) return;
    if (page.length > 0) yield page;
  }

  /**
   * The first line after `after` with text on it (or, when there is none, the last line or the
   * one after `after`), and how many lines the file has: one more read, after a broken quote only.
   */
  private async firstTextLine(
    blankBefore: number,
    after: number,
  ): Promise<{ line: number; lineCount: number }> {
    let line = 1;
    let found: number | null = null;
    const lines = new LfLines(blankBefore);
    const done = pipeline(this.open(), lines);
    for await (const chunk of lines as AsyncIterable<Buffer>) {
      const text = chunk.toString("utf8");
      for (let i = 0; ; ) {
        const nl = text.indexOf("\n", i);
        if (found === null && line > after && /\S/.test(text.slice(i, nl === -1 ? undefined : nl))) {
          found = line;
        }
        if (nl === -1) break;
        line++;
        i = nl + 1;
      }
    }
    await done;
    return { line: found ?? Math.max(after + 1, line), lineCount: line };
  }
}

function isCsvError(err: unknown): err is CsvError {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("CSV_") || code === "INVALID_OPENING_QUOTE");
}

/**
 * The file as csv-parse should see it: every CRLF or lone CR a LF (csv-parse counts a CRLF inside
 * a quoted cell as two lines; with LF only its count is exact), and lines 2 up to `blankBefore`
 * emptied, keeping the header and the line count. Chunks are re-encoded whole characters.
 */
class LfLines extends Transform {
  private readonly decoder = new StringDecoder("utf8");
  private line = 1;
  /** The last chunk ended in a CR: whether it starts a CRLF is up to the next one. */
  private pendingCr = false;

  constructor(private readonly blankBefore: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.emit_(this.decoder.write(chunk), false);
    done();
  }

  override _flush(done: TransformCallback): void {
    this.emit_(this.decoder.end(), true);
    done();
  }

  private emit_(decoded: string, last: boolean): void {
    let text = this.pendingCr ? `\r${decoded}` : decoded;
    this.pendingCr = !last && text.endsWith("\r");
    if (this.pendingCr) text = text.slice(0, -1);
    text = text.replace(/\r\n?/g, "\n");
    if (this.line < this.blankBefore) text = this.blank(text);
    if (text !== "") this.push(Buffer.from(text, "utf8"));
  }

  private blank(text: string): string {
    let out = "";
    let i = 0;
    while (i < text.length && this.line < this.blankBefore) {
      const nl = text.indexOf("\n", i);
      const end = nl === -1 ? text.length : nl;
      if (this.line === 1) out += text.slice(i, end);
      if (nl === -1) return out;
      out += "\n";
      this.line++;
      i = nl + 1;
    }
    return out + text.slice(i);
  }
}
