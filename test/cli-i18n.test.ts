/**
 * The CLI in the reader's language: --locale, else LC_ALL, else LANG; an unknown locale is
 * English, never an error; --json is English and byte for byte the same whatever the language;
 * exit codes do not change. In-process (runCli), against a database of its own.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formattersFor } from "../src/cli/format.ts";
import { progressLine } from "../src/cli/progress.ts";
import { type CliIo, cliTranslator, runCli } from "../src/cli/run.ts";
import { translator } from "../src/i18n/translator.ts";
import { scratchDatabaseEnv } from "./support/database.ts";

const ADMIN = "U0ADMIN1";
const DAY = 86_400_000;
/** Each run opens the database afresh (PGlite: a few seconds on a busy machine). */
const SLOW = 120_000;
/** Another day's digest is as of its DIGEST_TIME: the same document run after run. */
const FUTURE_DAY = new Date(Date.now() + DAY).toISOString().slice(0, 10);

let env: Record<string, string>;
let drop: () => Promise<void>;
let dir: string;

async function cli(args: string[], extraEnv: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await runCli(args, { ...env, ...extraEnv }, io);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

beforeAll(async () => {
  const scratch = await scratchDatabaseEnv();
  // No LANG or LC_ALL of the machine running the tests: each test says which it means.
  env = {
    ...scratch.env,
    RESTORE_ADMINS: ADMIN,
    TZ: "Europe/Amsterdam",
    DIGEST_TIMEZONE: "Europe/Amsterdam",
  };
  drop = scratch.drop;
  dir = await mkdtemp(join(tmpdir(), "restore-user-i18n-"));
  const path = join(dir, "accounts.json");
  await writeFile(
    path,
    JSON.stringify(
      ["anna", "bram"].map((name, i) => ({
        user_name: `${name}@example.com`,
        email: `${name}@example.com`,
        display_name: `${name[0]?.toUpperCase()}${name.slice(1)} de Vries`,
        status: "deleted",
        // 30-day windows: Anna's ends in 5 days, Bram's in a day and a half.
        deleted_at: new Date(Date.now() - (i ? 28.5 : 25) * DAY).toISOString(),
        deleted_by: "U0ADMIN2",
      })),
    ),
  );
  expect((await cli(["import", path, "--as", ADMIN])).code).toBe(0);
}, SLOW);

afterAll(async () => {
  await drop();
  await rm(dir, { recursive: true, force: true });
});

describe("the CLI's language", () => {
  it(
    "is Dutch with --locale nl: tables, windows, plans and usage errors, exit codes unchanged",
    async () => {
      const listed = await cli(["deleted", "--as", ADMIN, "--locale", "nl"]);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(
        /^NAAM\s+GEBRUIKERSNAAM\s+DIRECTORY\s+VERWIJDERD\s+DOOR\s+HERSTELTERMIJN\s+ID/,
      );
      expect(listed.stdout).toContain("nog 1 dag");
      expect(listed.stdout).toMatch(/nog [2-5] dagen/);

      const plan = await cli(["plan", "anna@example.com", "--as", ADMIN, "--locale=nl"]);
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain("Conflicten: geen");
      expect(plan.stdout).toContain("Na het herstel:");
      expect(plan.stdout).toMatch(/ {2}gebruikersnaam {2}anna@example\.com/);
      expect(plan.stdout).toContain("Klaar om te herstellen.");
      // Dates in the terminal's zone (TZ), named.
      expect(plan.stdout).toMatch(/\(tot \d+ \w+\.? \d{4}, \d\d:\d\d CET\)/);

      const missing = await cli(["restore", "--as", ADMIN, "--locale", "nl"]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("GEBRUIKER ontbreekt (een gebruikersnaam, e-mailadres of id).");
      expect(missing.stderr).toContain("Gebruik: restore-user OPDRACHT");

      const nobody = await cli(["deleted", "--locale", "nl"]);
      expect(nobody.code).toBe(2);
      expect(nobody.stderr).toContain("Zeg wie u bent: --as SLACK_USER_ID (of stel RESTORE_AS in).");
    },
    SLOW,
  );

  it(
    "is Dutch with LANG=nl_NL.UTF-8: help and the digest preview",
    async () => {
      const help = await cli(["help"], { LANG: "nl_NL.UTF-8" });
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("restore-user: verwijderde gebruikers vinden en herstellen.");

      const digest = await cli(["digest", "--as", ADMIN], { LANG: "nl_NL.UTF-8" });
      expect(digest.code).toBe(0);
      expect(digest.stdout).toMatch(
        /^Herstel-overzicht voor \w+ \d+ \w+\.? \d{4} \(Europe\/Amsterdam, stand van /,
      );
      expect(digest.stdout).toContain("2 verwijderde gebruikers gaan verloren als ze niet worden hersteld");
      expect(digest.stdout).toContain("TERMIJN EINDIGT");
      expect(digest.stdout).toContain("Er wacht niets op goedkeuring.");
      expect(digest.stdout).not.toMatch(/Restore digest|window|Expires/);
    },
    SLOW,
  );

  it(
    "follows --locale over LC_ALL over LANG",
    async () => {
      expect((await cli(["help"], { LC_ALL: "nl_NL.UTF-8", LANG: "en_US.UTF-8" })).stdout).toContain(
        "Gebruik:",
      );
      expect((await cli(["help", "--locale", "en"], { LC_ALL: "nl_NL.UTF-8" })).stdout).toContain("Usage:");
      expect(cliTranslator(undefined, { LANG: "C" }).language).toBe("en");
    },
    SLOW,
  );

  it(
    "keeps --json English and byte for byte the same under LANG=nl",
    async () => {
      const english = await cli(["deleted", "--as", ADMIN, "--json"]);
      const dutch = await cli(["deleted", "--as", ADMIN, "--json"], { LANG: "nl_NL.UTF-8" });
      expect(dutch.code).toBe(english.code);
      expect(dutch.stdout).toBe(english.stdout);
      expect(JSON.parse(dutch.stdout).items[0].window).toMatch(/days? left$/);
      expect(dutch.stdout).not.toContain("dag");

      const digestEn = await cli(["digest", "--as", ADMIN, "--json", "--date", FUTURE_DAY]);
      const digestNl = await cli(["digest", "--as", ADMIN, "--json", "--date", FUTURE_DAY, "--locale", "nl"]);
      expect(digestNl.stdout).toBe(digestEn.stdout);
      expect(JSON.parse(digestNl.stdout).groups[0].label).toMatch(/^Expires/);
    },
    SLOW,
  );

  it(
    "names an import's bad lines in Dutch with the values as typed; --json keeps the English reasons",
    async () => {
      const path = join(dir, "bad.csv");
      await writeFile(
        path,
        [
          "user_name,email,display_name,given_name,family_name,department,phone,aliases,status,deleted_at,deleted_by,license",
          "dirk@example.com,,Dirk,,,,,,weg,,,",
          "eva@example.com,Eva@Voorbeeld,Eva,,,,+31 (0)20-ABC,,active,,,",
          "fleur@example.com,,Fleur,,,,,,deleted,,,",
        ].join("\n"),
      );
      const dutch = await cli(["import", path, "--as", ADMIN, "--locale", "nl"]);
      expect(dutch.code).toBe(2);
      expect(dutch.stderr.split("\n").slice(1)).toEqual([
        '  regel 2: status "weg" is niet een van active, deleting, deleted',
        '  regel 3: email "Eva@Voorbeeld" is geen geldig e-mailadres',
        '  regel 3: phone "+31 (0)20-ABC" is geen telefoonnummer (6 tot 15 cijfers, mag met + beginnen)',
        "  regel 4: deleted_at ontbreekt; een gebruiker met status deleted heeft het tijdstip van verwijderen nodig",
      ]);

      const jsonEn = await cli(["import", path, "--as", ADMIN, "--json"]);
      const jsonNl = await cli(["import", path, "--as", ADMIN, "--json", "--locale", "nl"]);
      expect(jsonNl.code).toBe(2);
      expect(jsonNl.stdout).toBe(jsonEn.stdout);
      expect(JSON.parse(jsonNl.stdout).problems).toEqual([
        { line: 2, reason: 'status "weg" is not one of active, deleting, deleted' },
        { line: 3, reason: 'email "Eva@Voorbeeld" is not a valid address' },
        { line: 3, reason: 'phone "+31 (0)20-ABC" is not a phone number (6 to 15 digits, may start with +)' },
        { line: 4, reason: "deleted_at is missing; a deleted account needs the time it was deleted" },
      ]);

      const notAccounts = join(dir, "bad.json");
      await writeFile(notAccounts, "[42]");
      const json = await cli(["import", notAccounts, "--as", ADMIN], { LANG: "nl_NL.UTF-8" });
      expect(json.code).toBe(2);
      expect(json.stderr).toContain("regel 1: moet een object zijn met velden zoals user_name en status");

      // A JSON file's shape: the schema's words in Dutch, field names and what was typed as they are.
      const shape = join(dir, "shape.json");
      await writeFile(
        shape,
        JSON.stringify({
          seats: [{ license: "E3", total: -1 }],
          accounts: [{ user_name: 5, display_name: "Gijs", status: "active", colour: "blauw" }],
        }),
      );
      const shaped = await cli(["import", shape, "--as", ADMIN, "--locale", "nl"]);
      expect(shaped.code).toBe(2);
      expect(shaped.stderr).toContain("regel 0: seats #1 total moet een geheel getal zijn, 0 of meer");
      expect(shaped.stderr).toContain("regel 1: user_name moet tekst zijn, niet een getal");
      expect(shaped.stderr).toContain('regel 1: onbekend veld "colour"; de velden zijn user_name, email,');
    },
    SLOW,
  );

  it(
    "names the settings at fault in Dutch at start, the variables and zod's own words as they are",
    async () => {
      const bad = { DATABASE_URL: "mysql://db.example.com/restore", HTTP_KEEP_ALIVE_SECONDS: "0", PORT: "x" };
      const dutch = await cli(["deleted", "--as", ADMIN], { ...bad, LC_ALL: "nl_NL.UTF-8" });
      expect(dutch.code).toBe(2);
      const english = await cli(["deleted", "--as", ADMIN], bad);
      expect(english.code).toBe(2);
      const zodSays = /PORT: (.*)$/m.exec(english.stderr)?.[1];
      expect(english.stderr).toBe(
        "Configuration is not valid:\n  DATABASE_URL: must be a postgres:// URL\n" +
          `  PORT: ${zodSays}\n  HTTP_KEEP_ALIVE_SECONDS: must be at least 1`,
      );
      expect(dutch.stderr).toBe(
        "De configuratie is niet geldig:\n  DATABASE_URL: moet een postgres://-URL zijn\n" +
          `  PORT: ${zodSays}\n  HTTP_KEEP_ALIVE_SECONDS: moet minstens 1 zijn`,
      );
    },
    SLOW,
  );

  it(
    "says a half-set provider and an unreachable database in Dutch",
    async () => {
      const half = await cli(["deleted", "--as", ADMIN, "--locale", "nl"], { ENTRA_TENANT_ID: "contoso" });
      expect(half.code).toBe(2);
      expect(half.stderr).toBe(
        "De instellingen van de identiteitsproviders zijn niet geldig:\n" +
          "  ENTRA_CLIENT_ID: vereist om Microsoft Entra ID te koppelen (ENTRA_TENANT_ID is ingesteld)\n" +
          "  ENTRA_CLIENT_SECRET: vereist om Microsoft Entra ID te koppelen (ENTRA_TENANT_ID is ingesteld)",
      );

      const closed = createServer();
      const port = await new Promise<number>((resolve) =>
        closed.listen(0, "127.0.0.1", () => resolve((closed.address() as AddressInfo).port)),
      );
      await new Promise((resolve) => closed.close(resolve));
      const url = `postgres://restore:s3cret@127.0.0.1:${port}/restore`;
      const down = await cli(["deleted", "--as", ADMIN, "--locale", "nl"], { DATABASE_URL: url });
      expect(down.code).toBe(2);
      expect(down.stderr).toBe(
        `kan de database op postgres://restore:***@127.0.0.1:${port}/restore niet bereiken: verbinding geweigerd`,
      );
    },
    SLOW,
  );

  it(
    "speaks English for a locale it has no catalog for, and does not fail",
    async () => {
      const english = await cli(["deleted", "--as", ADMIN]);
      for (const extra of [{ LANG: "fr_FR.UTF-8" }, { LC_ALL: "klingon", LANG: "" }] as Record<
        string,
        string
      >[]) {
        const run = await cli(["deleted", "--as", ADMIN], extra);
        expect(run.code).toBe(0);
        expect(run.stdout).toBe(english.stdout);
      }
      const odd = await cli(["deleted", "--as", ADMIN, "--locale", "xx-@@"]);
      expect(odd.code).toBe(0);
      expect(odd.stdout).toBe(english.stdout);
      expect(english.stdout).toMatch(/^NAME\s+USER NAME/);
    },
    SLOW,
  );
});

describe("the import's progress line in Dutch", () => {
  it(
    "says a refusal in Dutch, with what the admin typed kept as typed; --json keeps the English message only",
    async () => {
      const dutch = await cli(["plan", "nobody-<x>@example.com", "--as", ADMIN, "--locale", "nl"]);
      expect(dutch.code).toBe(2);
      const said = `${dutch.stdout}\n${dutch.stderr}`;
      expect(said).toContain("Geweigerd (not_found): Geen gebruiker gevonden voor nobody-<x>@example.com.");
      expect(said).not.toContain("No account matches");

      const json = await cli(["plan", "nobody-<x>@example.com", "--as", ADMIN, "--json"], {
        LANG: "nl_NL.UTF-8",
      });
      expect(json.code).toBe(2);
      const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(parsed).toMatchObject({
        type: "refused",
        code: "not_found",
        message: "No account matches nobody-<x>@example.com.",
      });
      expect(json.stdout).not.toContain("said");
    },
    SLOW,
  );

  it("groups numbers the Dutch way", () => {
    expect(
      progressLine(
        { validated: 100_000, loaded: 40_000, total: 100_000, elapsedMs: 4_000 },
        translator("nl"),
      ),
    ).toBe(
      "Importeren: 100.000 rijen gecontroleerd, 40.000 van 100.000 geladen, 10.000 rijen/s, nog ongeveer 6 s",
    );
  });

  it("groups an import's counts the same way in both halves of its summary", () => {
    const summary = { directoryId: "builtin", inserted: 12_000, skipped: 12_000, rejected: [] };
    expect(formattersFor().imported([summary])).toBe(
      "Imported 12,000 account(s) into builtin (12,000 already there, left as they were).",
    );
    expect(formattersFor(translator("nl")).imported([summary])).toBe(
      "12.000 gebruikers geïmporteerd in builtin (12.000 waren er al en zijn ongewijzigd gelaten).",
    );
  });
});
