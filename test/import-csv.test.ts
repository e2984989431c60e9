import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { CsvImportReader } from "../src/import/import-csv.ts";
import { type ImportedAccount, type ImportProblem, parseImportFile } from "../src/import/import-file.ts";

const NOW = new Date("2026-11-22T12:00:00Z");
const HEADER =
  "user_name,email,display_name,given_name,family_name,department,phone,aliases,status,deleted_at,deleted_by,license";
const GOOD =
  "ada@example.com,ada@example.com,Ada Lovelace,Ada,Lovelace,Engineering,+44 20 7946 0001,,active,,,E3";

function csv(...rows: string[]): string {
  return `${[HEADER, ...rows].join("\n")}\n`;
}

/** The text in chunks of `size` bytes: a chunk may end inside a CRLF, a quote or a character. */
function chunked(text: string, size: number): () => Readable {
  const bytes = Buffer.from(text, "utf8");
  return () =>
    Readable.from(
      (function* () {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      })(),
    );
}

async function streamed(
  text: string,
  chunkBytes: number,
  pageRows = 2,
): Promise<{ pages: ImportedAccount[][]; problems: ImportProblem[] }> {
  const reader = new CsvImportReader(chunked(text, chunkBytes), NOW, pageRows);
  const pages: ImportedAccount[][] = [];
  for await (const page of reader.pages()) pages.push(page);
  return { pages, problems: [...reader.problems].sort((a, b) => a.line - b.line) };
}

/** What parseImportFile says of the whole text: the streamed reading must say the same. */
function whole(text: string): { accounts: ImportedAccount[]; problems: ImportProblem[] } {
  const result = parseImportFile(text, "csv", NOW);
  return result.ok
    ? { accounts: result.file.accounts, problems: [] }
    : { accounts: [], problems: result.problems };
}

const FILES: [string, string][] = [
  [
    "a good file, CRLF line ends and a cell over two lines",
    csv(
      GOOD,
      '"bob@example.com",,"Bob\r\nBuilder",,,Sales,,bob.b@example.com,active,,,',
      "carol@example.com,carol@example.com,Carøl Ünïcode,,,,,,deleted,2026-11-20T10:30:00+02:00,U0ADMIN1,E5",
      "dave@example.com,,Dave,,,,,,deleting,2026-11-22T10:00:00Z,U0ADMIN2,",
      "erin@example.com,,Erin,,,,,,active,,,",
    ).replace(/\n/g, "\r\n"),
  ],
  [
    "bad rows of every kind",
    csv(
      GOOD,
      "bob@example.com,bob@example.com,Bob,,,,+1 555 010 0001,,active,,,",
      "carol example.com,carol@,,,,,12,x@y,gone,yesterday,,",
      "dave@example.com,,Dave,,,,,,deleted,,,",
      "BOB@example.com,ada@example.com,Bob 2,,,,+15550100001,,active,,,",
      "erin@example.com,,Erin,,,,,,active,,,,",
      "frank@example.com,,Frank,,,,,,deleted,2030-01-01T00:00:00Z,,",
    ),
  ],
  [
    "broken quotes, read past",
    csv(
      GOOD,
      'a@example.com,,"A"x,,,,,,active,,,',
      "b@example.com,,B,,,,,,gone,,,",
      "c@example.com,,C,,,,,,active,,",
      'e@example.com,,"E',
      'still E",,,,,,later,,,',
      'f@example.com,,"F,,,,,,active,,,',
      "",
      "g@example.com,,G,,,,,,gone,,,",
    ),
  ],
  ["a quote inside a cell", csv(GOOD, 'a@example.com,,Jane "JD" Doe,,,,,,active,,,')],
  ["header problems", `${HEADER.replace("phone,", "mobile,")}\na@example.com,,A,,,,555,,weird,,,\n`],
  ["an empty file", ""],
  ["blank lines only", "\r\n\r\n"],
  ["a byte order mark", `\uFEFF${csv(GOOD)}`],
  ["not CSV at all", '"a""b'],
  ["a quote never closed in the header", 'user_name\n"x\ny'],
];

describe("a CSV import read as a stream", () => {
  it.each(FILES)("reports %s exactly as the whole file read at once", async (_name, text) => {
    const expected = whole(text);
    for (const chunkBytes of [1, 7, 64 * 1024]) {
      const got = await streamed(text, chunkBytes);
      expect(got.problems).toEqual(expected.problems);
      expect(got.pages.flat()).toEqual(expected.accounts);
    }
  });

  it("hands the good rows on a page at a time, in file order", async () => {
    const rows = Array.from({ length: 5 }, (_, i) => `u${i}@example.com,,User ${i},,,,,,active,,,`);
    const got = await streamed(csv(...rows), 16, 2);
    expect(got.problems).toEqual([]);
    expect(got.pages.map((page) => page.map((a) => a.line))).toEqual([[2, 3], [4, 5], [6]]);
  });

  it("hands on no page with or after a bad row, and still reports every bad line to the end", async () => {
    const rows = Array.from({ length: 6 }, (_, i) => `u${i}@example.com,,User ${i},,,,,,active,,,`);
    rows[3] = "u3@example.com,,User 3,,,,,,gone,,,"; // line 5
    rows[5] = "u1@example.com,,Again,,,,,,active,,,"; // line 7: u1 is on line 3
    const got = await streamed(csv(...rows), 16, 2);
    // Pages before it may have gone out (the parser reads a little ahead of the pages).
    expect(got.pages.flat().every((a) => a.line < 5)).toBe(true);
    expect(got.problems.map(({ line, reason }) => ({ line, reason }))).toEqual([
      { line: 5, reason: 'status "gone" is not one of active, deleting, deleted' },
      { line: 7, reason: 'user name "u1@example.com" is already used by the active account on line 3' },
    ]);
  });

  it("passes on a file it cannot read as it is, not as a CSV problem", async () => {
    const reader = new CsvImportReader(
      () =>
        new Readable({
          read() {
            this.destroy(Object.assign(new Error("gone"), { code: "EIO" }));
          },
        }),
      NOW,
      2,
    );
    await expect(
      (async () => {
        for await (const _page of reader.pages());
      })(),
    ).rejects.toMatchObject({ code: "EIO" });
  });
});
