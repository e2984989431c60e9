import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { demoFiles } from "../demo/generate.ts";
import {
  type ImportedAccount,
  type ImportFile,
  type ImportProblem,
  importFormatOf,
  type ParseResult,
  parseImportFile,
} from "../src/import/import-file.ts";

const NOW = new Date("2026-11-22T12:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const HEADER =
  "user_name,email,display_name,given_name,family_name,department,phone,aliases,status,deleted_at,deleted_by,license";
const GOOD =
  "ada@example.com,ada@example.com,Ada Lovelace,Ada,Lovelace,Engineering,+44 20 7946 0001,,active,,,E3";

function csv(...rows: string[]): string {
  return `${[HEADER, ...rows].join("\n")}\n`;
}

function ok(result: ParseResult): ImportFile {
  if (!result.ok)
    throw new Error(`expected ok, got:\n${result.problems.map((p) => `${p.line}: ${p.reason}`).join("\n")}`);
  return result.file;
}

/** The problems in English, as --json prints them (each also carries its message for other languages). */
function problems(result: ParseResult): ImportProblem[] {
  if (result.ok) throw new Error("expected problems, got ok");
  return result.problems.map(({ line, reason }) => ({ line, reason }));
}

function account(file: ImportFile, userName: string): ImportedAccount {
  const found = file.accounts.find((a) => a.userName === userName);
  if (!found) throw new Error(`no account ${userName}`);
  return found;
}

describe("parseImportFile, CSV", () => {
  it("reads a valid file and normalises it", () => {
    const file = ok(
      parseImportFile(
        csv(
          GOOD,
          "Bob@Example.com,BOB@Example.COM,,Bob,Builder,Sales,(555) 010-1234,bob.b@example.com; BOB@example.com;Bob.B@Example.com,active,,,",
          "carol@example.com,carol@example.com,Carol,,,,+1.555.010.9999,,deleted,2026-11-20T10:30:00+02:00,U0ADMIN1,E5",
          "dave@example.com,,Dave,,,,,,Deleting,2026-11-22T10:00:00Z,U0ADMIN2,",
        ),
        "csv",
        NOW,
      ),
    );
    expect(file).toMatchObject({ directory: null, domains: null, departments: null, seats: [] });
    expect(file.accounts).toHaveLength(4);
    expect(account(file, "ada@example.com")).toEqual({
      line: 2,
      externalId: null,
      userName: "ada@example.com",
      email: "ada@example.com",
      displayName: "Ada Lovelace",
      givenName: "Ada",
      familyName: "Lovelace",
      department: "Engineering",
      phone: "+442079460001",
      aliases: [],
      status: "active",
      deletedAt: null,
      deletedBy: null,
      deletionCompletesAt: null,
      license: "E3",
    });
    const bob = account(file, "Bob@Example.com");
    expect(bob).toMatchObject({
      line: 3,
      email: "bob@example.com",
      displayName: "Bob Builder",
      phone: "5550101234",
      aliases: ["bob.b@example.com"],
      license: null,
      department: "Sales",
    });
    expect(account(file, "carol@example.com")).toMatchObject({
      line: 4,
      email: "carol@example.com",
      phone: "+15550109999",
      status: "deleted",
      deletedAt: new Date("2026-11-20T08:30:00Z"),
      deletedBy: "U0ADMIN1",
      deletionCompletesAt: null,
    });
    expect(account(file, "dave@example.com")).toMatchObject({
      line: 5,
      email: null,
      status: "deleting",
      deletedAt: new Date("2026-11-22T10:00:00Z"),
      deletionCompletesAt: new Date("2026-11-24T10:00:00Z"),
    });
  });

  it("takes the columns in any order, with the optional external_id and deletion_completes_at", () => {
    const file = ok(
      parseImportFile(
        [
          "status,license,deleted_by,deleted_at,aliases,phone,department,family_name,given_name,display_name,email,user_name,external_id,deletion_completes_at",
          "deleting,,U1,2026-11-22T08:00:00Z,,,,,,Eve,eve@example.com,eve@example.com,ext-1,2026-11-22T20:00:00Z",
          "deleted,,U1,2026-11-01,,,,,,Finn,,finn@example.com,ext-2,2026-11-03T00:00:00Z",
        ].join("\n"),
        "csv",
        NOW,
      ),
    );
    expect(account(file, "eve@example.com")).toMatchObject({
      externalId: "ext-1",
      deletionCompletesAt: new Date("2026-11-22T20:00:00Z"),
    });
    // A date alone is midnight UTC; a deleted account's deletion has completed.
    expect(account(file, "finn@example.com")).toMatchObject({
      externalId: "ext-2",
      deletedAt: new Date("2026-11-01T00:00:00Z"),
      deletionCompletesAt: null,
    });
  });

  it("reads quoted cells with commas, quotes and line breaks, a BOM and CRLF line ends", () => {
    const content = `\uFEFF${[
      HEADER,
      '"doe@example.com","doe@example.com","Doe, Jane ""JD""",Jane,Doe,"Research, Development",,"jd@example.com;jane@example.com",active,,,E3',
      'multi@example.com,,"Two\r\nlines",,,,,,deleted,2026-11-01T00:00:00Z,U1,',
      "after@example.com,,After,,,,,,active,,,",
      "bad@example.com,,Bad,,,,,,gone,,,",
    ].join("\r\n")}\r\n`;
    const result = parseImportFile(content, "csv", NOW);
    // The multi-line cell spans lines 3 and 4, so the bad row is line 6.
    expect(problems(result)).toEqual([
      { line: 6, reason: 'status "gone" is not one of active, deleting, deleted' },
    ]);
    const file = ok(parseImportFile(content.replace(",gone,", ",active,"), "csv", NOW));
    expect(account(file, "doe@example.com")).toMatchObject({
      displayName: 'Doe, Jane "JD"',
      department: "Research, Development",
      aliases: ["jd@example.com", "jane@example.com"],
    });
    expect(account(file, "multi@example.com")).toMatchObject({ line: 3, displayName: "Two\nlines" });
    expect(account(file, "after@example.com").line).toBe(5);
  });

  it("skips blank lines and empty rows but keeps counting lines", () => {
    const result = parseImportFile(
      csv(
        "",
        GOOD.replace("ada@", "x@").replace("+44 20 7946 0001", ""),
        ",,,,,,,,,,,",
        "",
        "y@example.com,,Y,,,,,,nope,,,",
      ),
      "csv",
      NOW,
    );
    expect(problems(result)).toEqual([
      { line: 6, reason: 'status "nope" is not one of active, deleting, deleted' },
    ]);
  });

  const BAD_ROWS: [string, string, string | RegExp][] = [
    ["user_name missing", ",a@example.com,A,,,,,,active,,,", "user_name is missing"],
    [
      "user_name too long",
      `${"a".repeat(250)}@example.com,,A,,,,,,active,,,`,
      "user_name is 262 characters long; at most 256 are allowed",
    ],
    [
      "user_name with a space",
      "jane doe@example.com,,A,,,,,,active,,,",
      'user_name "jane doe@example.com" contains a space',
    ],
    [
      "display_name missing",
      "a@example.com,,,,,,,,active,,,",
      "display_name is missing (and there is no given_name or family_name to make one from)",
    ],
    [
      "status missing",
      "a@example.com,,A,,,,,,,,,",
      "status is missing; use one of active, deleting, deleted",
    ],
    [
      "status unknown",
      "a@example.com,,A,,,,,,gone,,,",
      'status "gone" is not one of active, deleting, deleted',
    ],
    [
      "deleted_at in words",
      "a@example.com,,A,,,,,,deleted,yesterday,,",
      'deleted_at "yesterday" is not an ISO 8601 time such as 2026-11-20T14:30:00Z',
    ],
    [
      "deleted_at month 13",
      "a@example.com,,A,,,,,,deleted,2026-13-01,,",
      'deleted_at "2026-13-01" is not an ISO 8601 time such as 2026-11-20T14:30:00Z',
    ],
    [
      "deleted_at 30 February",
      "a@example.com,,A,,,,,,deleted,2026-02-30T10:00:00Z,,",
      'deleted_at "2026-02-30T10:00:00Z" is not an ISO 8601 time such as 2026-11-20T14:30:00Z',
    ],
    [
      "deleted_at hour 25",
      "a@example.com,,A,,,,,,deleted,2026-11-01T25:00:00Z,,",
      /deleted_at "2026-11-01T25:00:00Z" is not an ISO 8601 time/,
    ],
    [
      "deleted_at missing for deleted",
      "a@example.com,,A,,,,,,deleted,,,",
      "deleted_at is missing; a deleted account needs the time it was deleted",
    ],
    [
      "deleted_at missing for deleting",
      "a@example.com,,A,,,,,,deleting,,,",
      "deleted_at is missing; a deleting account needs the time it was deleted",
    ],
    [
      "deleted_at on an active account",
      "a@example.com,,A,,,,,,active,2026-11-01,,",
      "deleted_at is set, but the account is active",
    ],
    [
      "deleted_by on an active account",
      "a@example.com,,A,,,,,,active,,U1,",
      "deleted_by is set, but the account is active",
    ],
    [
      "deleted_at in the future",
      "a@example.com,,A,,,,,,deleted,2026-11-22T12:00:01Z,,",
      'deleted_at "2026-11-22T12:00:01Z" is in the future',
    ],
    [
      "email without a domain",
      "a@example.com,a@example,A,,,,,,active,,,",
      'email "a@example" is not a valid address',
    ],
    [
      "email without @",
      "a@example.com,a.example.com,A,,,,,,active,,,",
      'email "a.example.com" is not a valid address',
    ],
    [
      "alias invalid",
      "a@example.com,,A,,,,,b@example.com;not an address,active,,,",
      'alias "not an address" is not a valid address',
    ],
    [
      "phone with letters",
      "a@example.com,,A,,,,call me,,active,,,",
      'phone "call me" is not a phone number (6 to 15 digits, may start with +)',
    ],
    [
      "phone too short",
      "a@example.com,,A,,,,12-34,,active,,,",
      'phone "12-34" is not a phone number (6 to 15 digits, may start with +)',
    ],
    [
      "phone too long",
      "a@example.com,,A,,,,+1234567890123456,,active,,,",
      'phone "+1234567890123456" is not a phone number (6 to 15 digits, may start with +)',
    ],
    [
      "active user name taken (case-insensitive)",
      "ADA@example.com,,A,,,,,,active,,,",
      'user name "ADA@example.com" is already used by the active account on line 2',
    ],
    [
      "active address taken: an alias that is an active email",
      "a@example.com,,A,,,,,Ada@Example.com,active,,,",
      'address "ada@example.com" is already used by the active account on line 2',
    ],
    [
      "active phone taken, typed differently",
      "a@example.com,,A,,,,+44 (20) 7946-0001,,active,,,",
      'phone "+442079460001" is already used by the active account on line 2',
    ],
    ["too few fields", "a@example.com,,A,,,,,,active,,", /^has 11 fields but the header has 12/],
    ["too many fields", "a@example.com,,A,,,,,,active,,,,", /^has 13 fields but the header has 12/],
    ["an unclosed quote", 'a@example.com,,"A,,,,,,active,,,', "a quote is opened but never closed"],
    [
      "a quote inside an unquoted cell",
      'a@example.com,,Jane "JD" Doe,,,,,,active,,,',
      'a cell has a quote inside but does not start with one (quote the whole cell and double the inner quotes: "Jane ""JD"" Doe")',
    ],
    [
      "text after a closing quote",
      'a@example.com,,"A"x,,,,,,active,,,',
      'a quoted cell has text after its closing quote (write a quote inside a quoted cell as "")',
    ],
  ];

  it.each(BAD_ROWS)("reports %s on its line", (_name, row, reason) => {
    const found = problems(parseImportFile(csv(GOOD, row), "csv", NOW));
    expect(found).toHaveLength(1);
    expect(found[0]?.line).toBe(3);
    if (typeof reason === "string") expect(found[0]?.reason).toBe(reason);
    else expect(found[0]?.reason).toMatch(reason);
  });

  it("lets deleted accounts share a user name, an address and a phone with an active one", () => {
    const file = ok(
      parseImportFile(
        csv(
          GOOD,
          "ada@example.com,ada@example.com,Ada Old,,,,+44 20 7946 0001,,deleted,2026-11-01T00:00:00Z,U1,E3",
          "ada@example.com,ada@example.com,Ada Older,,,,+44 20 7946 0001,,deleted,2026-10-30T00:00:00Z,U1,E3",
        ),
        "csv",
        NOW,
      ),
    );
    expect(file.accounts.map((a) => a.status)).toEqual(["active", "deleted", "deleted"]);
  });

  it("refuses two rows with the same external_id, whatever their status", () => {
    const content = [
      `${HEADER},external_id`,
      `${GOOD},ext-1`,
      "b@example.com,,B,,,,,,deleted,2026-11-01,,,ext-2",
      "c@example.com,,C,,,,,,deleted,2026-11-01,,,ext-1",
    ].join("\n");
    expect(problems(parseImportFile(content, "csv", NOW))).toEqual([
      { line: 4, reason: 'external_id "ext-1" is also on line 2' },
    ]);
  });

  it("reports a deleting account whose deletion completes before it started", () => {
    const content = [
      `${HEADER},deletion_completes_at`,
      "a@example.com,,A,,,,,,deleting,2026-11-22T10:00:00Z,U1,,2026-11-22T09:00:00Z",
      "b@example.com,,B,,,,,,deleting,2026-11-22T10:00:00Z,U1,,soon",
      "c@example.com,,C,,,,,,active,,,,2026-11-22T09:00:00Z",
    ].join("\n");
    expect(problems(parseImportFile(content, "csv", NOW))).toEqual([
      { line: 2, reason: "deletion_completes_at is before deleted_at" },
      {
        line: 3,
        reason: 'deletion_completes_at "soon" is not an ISO 8601 time such as 2026-11-20T14:30:00Z',
      },
      { line: 4, reason: "deletion_completes_at is set, but the account is active" },
    ]);
  });

  it("reports header problems on line 1 and still checks the rows", () => {
    const header = HEADER.replace("phone,", "mobile,").replace(",license", ",license,license");
    const result = parseImportFile(`${header}\na@example.com,,A,,,,555,,weird,,,,\n`, "csv", NOW);
    expect(problems(result)).toEqual([
      {
        line: 1,
        reason:
          'unknown column "mobile"; the columns are user_name, email, display_name, given_name, family_name, department, phone, aliases, status, deleted_at, deleted_by, license, external_id, deletion_completes_at',
      },
      { line: 1, reason: 'column "license" appears more than once' },
      { line: 1, reason: 'column "phone" is missing' },
      { line: 2, reason: 'status "weird" is not one of active, deleting, deleted' },
    ]);
  });

  it("does not repeat a missing column's problem on every row", () => {
    const header = HEADER.replace("user_name,", "");
    const result = parseImportFile(`${header}\n,A,,,,,,active,,,\n,B,,,,,,active,,,\n`, "csv", NOW);
    expect(problems(result)).toEqual([{ line: 1, reason: 'column "user_name" is missing' }]);
  });

  it("reports an empty file", () => {
    for (const content of ["", "\n\n", "\uFEFF"]) {
      expect(problems(parseImportFile(content, "csv", NOW))).toEqual([
        {
          line: 1,
          reason:
            "the first line must name the columns: user_name,email,display_name,given_name,family_name,department,phone,aliases,status,deleted_at,deleted_by,license",
        },
      ]);
    }
  });

  it("reports every problem of every bad row, top to bottom, and imports nothing", () => {
    const result = parseImportFile(
      csv(
        GOOD, // 2
        "bob@example.com,bob@example.com,Bob,,,,+1 555 010 0001,,active,,,", // 3: fine
        "carol example.com,carol@,,,,,12,x@y,gone,yesterday,,", // 4: many reasons
        "dave@example.com,,Dave,,,,,,deleted,,,", // 5
        "BOB@example.com,ada@example.com,Bob 2,,,,+15550100001,,active,,,", // 6: name, address and phone taken
        "erin@example.com,,Erin,,,,,,active,,,,", // 7: a field too many
        "frank@example.com,,Frank,,,,,,deleted,2030-01-01T00:00:00Z,,", // 8
      ),
      "csv",
      NOW,
    );
    expect(problems(result)).toEqual([
      { line: 4, reason: 'user_name "carol example.com" contains a space' },
      {
        line: 4,
        reason: "display_name is missing (and there is no given_name or family_name to make one from)",
      },
      { line: 4, reason: 'status "gone" is not one of active, deleting, deleted' },
      { line: 4, reason: 'email "carol@" is not a valid address' },
      { line: 4, reason: 'alias "x@y" is not a valid address' },
      { line: 4, reason: 'phone "12" is not a phone number (6 to 15 digits, may start with +)' },
      { line: 4, reason: 'deleted_at "yesterday" is not an ISO 8601 time such as 2026-11-20T14:30:00Z' },
      { line: 5, reason: "deleted_at is missing; a deleted account needs the time it was deleted" },
      { line: 6, reason: 'user name "BOB@example.com" is already used by the active account on line 3' },
      { line: 6, reason: 'address "ada@example.com" is already used by the active account on line 2' },
      { line: 6, reason: 'phone "+15550100001" is already used by the active account on line 3' },
      {
        line: 7,
        reason:
          "has 13 fields but the header has 12 (a comma too many or too few? quote cells that contain commas)",
      },
      { line: 8, reason: 'deleted_at "2030-01-01T00:00:00Z" is in the future' },
    ]);
  });

  it("reads on after a broken quote and reports the rows after it", () => {
    const result = parseImportFile(
      csv(
        GOOD, // 2
        'a@example.com,,"A"x,,,,,,active,,,', // 3: text after the closing quote
        "b@example.com,,B,,,,,,gone,,,", // 4
        "c@example.com,,C,,,,,,active,,", // 5: a field too few
        'e@example.com,,"E', // 6: a cell over two lines, then a bad status
        'still E",,,,,,later,,,', // 7
        'f@example.com,,"F,,,,,,active,,,', // 8: a quote never closed (it runs to the end of the file)
        "", // 9
        "g@example.com,,G,,,,,,gone,,,", // 10
      ),
      "csv",
      NOW,
    );
    expect(problems(result)).toEqual([
      {
        line: 3,
        reason: 'a quoted cell has text after its closing quote (write a quote inside a quoted cell as "")',
      },
      { line: 4, reason: 'status "gone" is not one of active, deleting, deleted' },
      {
        line: 5,
        reason:
          "has 11 fields but the header has 12 (a comma too many or too few? quote cells that contain commas)",
      },
      { line: 6, reason: 'status "later" is not one of active, deleting, deleted' },
      { line: 8, reason: "a quote is opened but never closed" },
      { line: 10, reason: 'status "gone" is not one of active, deleting, deleted' },
    ]);
  });

  it("never throws, whatever the content", () => {
    for (const content of ['"', "a,b\n1", "\0\0\0", '"a""b', 'user_name\n"x\ny']) {
      expect(() => parseImportFile(content, "csv", NOW)).not.toThrow();
      expect(parseImportFile(content, "csv", NOW).ok).toBe(false);
    }
  });
});

describe("parseImportFile, JSON", () => {
  const active = { user_name: "ada@example.com", display_name: "Ada", status: "active" };
  const deleted = {
    user_name: "bob@example.com",
    email: "Bob@Example.com",
    display_name: "Bob",
    aliases: "b@example.com;bob@example.com",
    status: "deleted",
    deleted_at: "2026-11-20T10:00:00Z",
    deleted_by: "U0ADMIN1",
  };

  it("reads an array of accounts", () => {
    const file = ok(parseImportFile(JSON.stringify([active, deleted]), "json", NOW));
    expect(file).toMatchObject({ directory: null, domains: null, departments: null, seats: [] });
    expect(file.accounts.map((a) => a.line)).toEqual([1, 2]);
    expect(account(file, "bob@example.com")).toMatchObject({
      email: "bob@example.com",
      aliases: ["b@example.com"],
      deletedAt: new Date("2026-11-20T10:00:00Z"),
    });
  });

  it("reads the object form with its settings", () => {
    const file = ok(
      parseImportFile(
        JSON.stringify({
          directory: {
            id: "legacy-mail",
            name: "Legacy mail",
            can_restore: false,
            retention_days: 90,
            follow_up: ["Assign a licence"],
          },
          domains: ["Example.com", "example.org"],
          departments: ["Sales", "Finance", "Sales"],
          seats: [{ license: "E3", total: 10 }],
          accounts: [
            {
              ...active,
              external_id: 12345,
              phone: 4915112345678,
              aliases: ["A@example.org", "a@example.org"],
            },
            { ...deleted, given_name: null, deletion_completes_at: null },
          ],
        }),
        "json",
        NOW,
      ),
    );
    expect(file.directory).toEqual({
      id: "legacy-mail",
      name: "Legacy mail",
      canRestore: false,
      retentionDays: 90,
      followUp: ["Assign a licence"],
    });
    expect(file.domains).toEqual(["example.com", "example.org"]);
    expect(file.departments).toEqual(["Sales", "Finance"]);
    expect(file.seats).toEqual([{ license: "E3", total: 10 }]);
    expect(account(file, "ada@example.com")).toMatchObject({
      externalId: "12345",
      phone: "4915112345678",
      aliases: ["a@example.org"],
    });
  });

  it("gives a directory's optional settings their defaults", () => {
    const file = ok(
      parseImportFile(JSON.stringify({ directory: { id: "d1", name: "D" }, accounts: [] }), "json", NOW),
    );
    expect(file.directory).toEqual({
      id: "d1",
      name: "D",
      canRestore: true,
      retentionDays: 30,
      followUp: [],
    });
    const forever = ok(
      parseImportFile(
        JSON.stringify({ directory: { id: "d1", name: "D", retention_days: null }, accounts: [] }),
        "json",
        NOW,
      ),
    );
    expect(forever.directory?.retentionDays).toBeNull();
  });

  it("shifts every time by now - relative_to", () => {
    const content = JSON.stringify({
      relative_to: "2026-01-01T00:00:00Z",
      accounts: [
        { ...deleted, deleted_at: "2025-12-31T00:00:00Z" },
        {
          user_name: "c@example.com",
          display_name: "C",
          status: "deleting",
          deleted_at: "2025-12-31T20:00:00Z",
          deletion_completes_at: "2026-01-01T06:00:00Z",
        },
        {
          user_name: "d@example.com",
          display_name: "D",
          status: "deleting",
          deleted_at: "2025-12-31T23:00:00Z",
        },
      ],
    });
    const file = ok(parseImportFile(content, "json", NOW));
    expect(account(file, "bob@example.com").deletedAt).toEqual(new Date(NOW.getTime() - DAY));
    expect(account(file, "c@example.com")).toMatchObject({
      deletedAt: new Date(NOW.getTime() - 4 * HOUR),
      deletionCompletesAt: new Date(NOW.getTime() + 6 * HOUR),
    });
    expect(account(file, "d@example.com").deletionCompletesAt).toEqual(new Date(NOW.getTime() + 47 * HOUR));
    // Loaded later, the same file is just as fresh.
    const later = new Date("2027-06-01T09:00:00Z");
    expect(account(ok(parseImportFile(content, "json", later)), "bob@example.com").deletedAt).toEqual(
      new Date(later.getTime() - DAY),
    );
  });

  it("checks times in the future after shifting", () => {
    const content = JSON.stringify({
      relative_to: "2026-01-01T00:00:00Z",
      accounts: [{ ...deleted, deleted_at: "2026-01-01T00:00:01Z" }],
    });
    expect(problems(parseImportFile(content, "json", NOW))).toEqual([
      { line: 1, reason: 'deleted_at "2026-01-01T00:00:01Z" is in the future' },
    ]);
  });

  it("turns shape errors into problems: line 0 outside accounts, the account's index inside", () => {
    const content = JSON.stringify({
      relative_to: "last week",
      directory: { id: "Legacy Mail", name: "", can_restore: "no", retention_days: 0, follow_up: [1] },
      domains: ["not a domain"],
      seats: [
        { license: "E3", total: -1 },
        { license: "E5", total: 1.5 },
        { license: "E3", total: 3 },
      ],
      extra: true,
      accounts: [
        active,
        { ...deleted, status: 5, aliases: 7, nickname: "bobby" },
        "carol@example.com",
        { user_name: null, display_name: "No Name", status: "active", email: "bad" },
      ],
    });
    expect(problems(parseImportFile(content, "json", NOW))).toEqual([
      { line: 0, reason: "relative_to must be an ISO 8601 time such as 2026-11-22T12:00:00Z" },
      {
        line: 0,
        reason:
          "directory id must be lower-case letters, digits and dashes, start with a letter or digit, and be at most 63 characters",
      },
      { line: 0, reason: "directory name must not be empty" },
      { line: 0, reason: "directory can_restore must be true or false, not text" },
      { line: 0, reason: "directory retention_days must be a positive number of days or null" },
      { line: 0, reason: "directory follow_up #1 must be text, not a number" },
      { line: 0, reason: "domains #1 must be a domain name such as example.com" },
      { line: 0, reason: "seats #1 total must be a whole number, 0 or more" },
      { line: 0, reason: "seats #2 total must be a whole number, 0 or more" },
      {
        line: 0,
        reason:
          'unknown field "extra"; the fields are relative_to, directory, domains, departments, seats, accounts',
      },
      { line: 2, reason: "aliases must be text or a list of text" },
      { line: 2, reason: "status must be text, not a number" },
      {
        line: 2,
        reason:
          'unknown field "nickname"; the fields are user_name, email, display_name, given_name, family_name, department, phone, aliases, status, deleted_at, deleted_by, license, external_id, deletion_completes_at',
      },
      { line: 3, reason: "must be an object with fields such as user_name and status" },
      { line: 4, reason: "user_name is missing" },
      { line: 4, reason: 'email "bad" is not a valid address' },
    ]);
  });

  it("reports a duplicate licence in seats", () => {
    const content = JSON.stringify({
      seats: [
        { license: "E3", total: 1 },
        { license: "E3", total: 2 },
      ],
      accounts: [active],
    });
    expect(problems(parseImportFile(content, "json", NOW))).toEqual([
      { line: 0, reason: 'seats lists licence "E3" more than once' },
    ]);
  });

  it("checks accounts across the file as for CSV", () => {
    const content = JSON.stringify([
      { ...active, phone: "+1 555 010 0001" },
      { user_name: "Ada@example.com", display_name: "Ada 2", status: "active", phone: "+15550100001" },
    ]);
    expect(problems(parseImportFile(content, "json", NOW))).toEqual([
      { line: 2, reason: 'user name "Ada@example.com" is already used by the active account on line 1' },
      { line: 2, reason: 'phone "+15550100001" is already used by the active account on line 1' },
    ]);
  });

  it("reports a file that is not JSON, or not a list of accounts", () => {
    expect(problems(parseImportFile("{ nope", "json", NOW))[0]).toMatchObject({
      line: 0,
      reason: expect.stringMatching(/^the file is not valid JSON: /),
    });
    expect(problems(parseImportFile('"accounts"', "json", NOW))).toEqual([
      { line: 0, reason: 'the file must hold a list of accounts, or an object with "accounts" and settings' },
    ]);
    expect(problems(parseImportFile("{}", "json", NOW))).toEqual([
      { line: 0, reason: "accounts is missing" },
    ]);
    expect(problems(parseImportFile('{"accounts": {}}', "json", NOW))).toEqual([
      { line: 0, reason: "accounts must be a list, not an object" },
    ]);
  });

  it("reads a file with a BOM", () => {
    expect(ok(parseImportFile(`\uFEFF${JSON.stringify([active])}`, "json", NOW)).accounts).toHaveLength(1);
  });
});

describe("importFormatOf", () => {
  it.each([
    ["accounts.csv", "csv"],
    ["/tmp/Export.CSV", "csv"],
    ["demo/accounts.json", "json"],
    ["C:\\exports\\users.Json", "json"],
    ["accounts.json.gz", null],
    ["accounts.txt", null],
    ["csv", null],
    [".csv", null],
    ["exports.csv/accounts", null],
    ["", null],
  ])("%s → %s", (path, format) => {
    expect(importFormatOf(path)).toBe(format);
  });
});

describe("the demo data set", () => {
  const read = (name: string) => readFileSync(new URL(`../demo/${name}`, import.meta.url), "utf8");
  // Any moment: relative_to moves the whole data set to it.
  const now = new Date("2027-03-14T08:15:00Z");

  it("is what demo/generate.ts writes (run `npx tsx demo/generate.ts` after changing it)", () => {
    for (const [name, content] of Object.entries(demoFiles())) expect(read(name), name).toBe(content);
  });

  it("parses, both files", () => {
    for (const name of ["accounts.json", "recreate-only.json"]) ok(parseImportFile(read(name), "json", now));
  });

  it("accounts.json holds every scenario the README lists", () => {
    const file = ok(parseImportFile(read("accounts.json"), "json", now));
    expect(file.directory).toBeNull();
    expect(file.domains).toEqual(["example.com", "example.org"]);
    expect(file.departments?.length).toBeGreaterThanOrEqual(8);
    const all = file.accounts;
    expect(all.length).toBeGreaterThanOrEqual(280);
    const active = all.filter((a) => a.status === "active");
    const gone = all.filter((a) => a.status !== "active");
    expect(active.length).toBeGreaterThanOrEqual(180);
    expect(active.length).toBeLessThanOrEqual(200);

    const activeNames = new Set(active.map((a) => a.userName.toLowerCase()));
    const activeAddresses = new Set(active.flatMap((a) => [...(a.email ? [a.email] : []), ...a.aliases]));
    const activeEmails = new Set(active.flatMap((a) => (a.email ? [a.email] : [])));
    const activePhones = new Set(active.flatMap((a) => (a.phone ? [a.phone] : [])));
    const departments = new Set(file.departments);
    const seat = (license: string) => file.seats.find((s) => s.license === license)?.total ?? -1;
    const holders = (license: string) => active.filter((a) => a.license === license).length;

    const conflicts = {
      userName: (a: ImportedAccount) => activeNames.has(a.userName.toLowerCase()),
      alias: (a: ImportedAccount) => a.aliases.some((x) => activeAddresses.has(x)),
      email: (a: ImportedAccount) =>
        a.email !== null && a.email !== a.userName.toLowerCase() && activeEmails.has(a.email),
      phone: (a: ImportedAccount) => a.phone !== null && activePhones.has(a.phone),
      seat: (a: ImportedAccount) => a.license === "E5",
      department: (a: ImportedAccount) => a.department !== null && !departments.has(a.department),
    };
    const deleted = gone.filter((a) => a.status === "deleted");
    for (const [name, test] of Object.entries(conflicts)) {
      expect(deleted.filter(test).length, name).toBeGreaterThanOrEqual(2);
    }
    expect(
      deleted.filter((a) => Object.values(conflicts).every((test) => test(a))).map((a) => a.userName),
    ).toEqual(["sam.taylor@example.com"]);

    expect(seat("E5")).toBe(holders("E5"));
    expect(seat("E3") - holders("E3")).toBeGreaterThanOrEqual(20);

    const deletedNames = deleted.map((a) => a.userName);
    const twice = deletedNames.filter((n, i) => deletedNames.indexOf(n) !== i && !activeNames.has(n));
    expect(twice.length).toBeGreaterThanOrEqual(1);

    const deleting = gone.filter((a) => a.status === "deleting");
    expect(deleting).toHaveLength(3);
    for (const a of deleting) expect(now.getTime() - (a.deletedAt?.getTime() ?? 0)).toBeLessThan(DAY);

    expect(gone.some((a) => a.displayName === "<!channel> Mallory <@U123>")).toBe(true);
    const names = new Set(all.map((a) => a.displayName));
    expect(names.has("Zoë Ñúñez") && names.has("Łukasz Wróbel")).toBe(true);
    expect(new Set(gone.map((a) => a.deletedBy))).toEqual(new Set(["U0ADMIN1", "U0ADMIN2", null]));

    // Every day of the 30-day window, and some past it.
    const daysLeft = deleted.map((a) =>
      Math.floor(((a.deletedAt?.getTime() ?? 0) + 30 * DAY - now.getTime()) / DAY),
    );
    for (let d = 0; d < 30; d++) expect(daysLeft, `${d} days left`).toContain(d);
    expect(daysLeft.filter((d) => d < 0).length).toBeGreaterThanOrEqual(3);
  });

  it("recreate-only.json is a directory that cannot restore", () => {
    const file = ok(parseImportFile(read("recreate-only.json"), "json", now));
    expect(file.directory).toEqual({
      id: "legacy-mail",
      name: "Legacy mail (re-create only)",
      canRestore: false,
      retentionDays: 90,
      followUp: ["Reset the user's licence", "Assign a licence", "Activate the licence"],
    });
    expect(file.accounts.length).toBeGreaterThanOrEqual(15);
    expect(file.accounts.length).toBeLessThanOrEqual(25);
    const deleted = file.accounts.filter((a) => a.status === "deleted");
    expect(deleted.length).toBeGreaterThan(file.accounts.length / 2);
  });
});
