/**
 * The catalogs themselves: every language says everything English says, with the same
 * placeholders, and ICU plurals, dates and fallbacks behave as a reader expects.
 */
import { IntlMessageFormat } from "intl-messageformat";
import { describe, expect, it } from "vitest";
import { catalogs, languages } from "../../src/i18n/catalog.ts";
import { normalizeLocale, pickLocale, translator } from "../../src/i18n/translator.ts";
import { describeRestorability, type Restorability } from "../../src/restore/window.ts";
import { windowText } from "../../src/slack/blocks/words.ts";

/** The names of a message's placeholders, with what kind each is (plain, plural, select…). */
function placeholders(message: string): string[] {
  const found = new Set<string>();
  const walk = (elements: unknown): void => {
    if (!Array.isArray(elements)) return;
    for (const el of elements as { type: number; value?: unknown; options?: unknown; children?: unknown }[]) {
      // 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural (the parser's element types)
      if (el.type >= 1 && el.type <= 6 && typeof el.value === "string") found.add(`${el.value}:${el.type}`);
      if (el.options && typeof el.options === "object") {
        for (const option of Object.values(el.options as Record<string, { value: unknown }>))
          walk(option.value);
      }
      walk(el.children);
    }
  };
  walk(new IntlMessageFormat(message, "en", undefined, { ignoreTag: true }).getAst());
  return [...found].sort();
}

const english = catalogs.get("en") ?? {};

describe("message catalogs", () => {
  it("are found by their files: English and Dutch at least", () => {
    expect(languages()).toEqual(expect.arrayContaining(["en", "nl"]));
  });

  for (const language of languages()) {
    it(`${language} has every English key and no other, each with English's placeholders`, () => {
      const catalog = catalogs.get(language) ?? {};
      expect(Object.keys(catalog).sort()).toEqual(Object.keys(english).sort());
      const mismatched = Object.keys(english).filter(
        (key) =>
          JSON.stringify(placeholders(catalog[key] ?? "")) !==
          JSON.stringify(placeholders(english[key] ?? "")),
      );
      expect(mismatched).toEqual([]);
    });
  }

  it("finds a placeholder that a translation dropped or renamed", () => {
    expect(placeholders("{days, plural, one {# day} other {# days}} by {actor}")).toEqual([
      "actor:1",
      "days:6",
    ]);
    expect(placeholders("{days, plural, one {# dag} other {# dagen}} door {wie}")).not.toEqual([
      "actor:1",
      "days:6",
    ]);
  });

  it("keeps the Dutch glossary at the top of the Dutch catalog", async () => {
    const { readFile } = await import("node:fs/promises");
    const raw = JSON.parse(
      await readFile(new URL("../../src/i18n/catalogs/nl.json", import.meta.url), "utf8"),
    );
    const keys = Object.keys(raw);
    expect(keys.indexOf("$glossary")).toBeLessThan(keys.findIndex((k) => !k.startsWith("$")));
    expect(raw.$glossary).toMatchObject({
      restore: "herstellen",
      "user name": "gebruikersnaam",
      license: "licentie",
    });
    // The glossary's words are the ones the screens use.
    expect(catalogs.get("nl")?.["search.title"]).toContain("herstellen");
    expect(catalogs.get("nl")?.["search.query.label"]).toContain("Verwijderde gebruikers");
  });
});

describe("plurals", () => {
  it("counts 0, 1 and 2 days in English", () => {
    const en = translator("en");
    expect([0, 1, 2].map((days) => en.t("window.daysLeft", { days }))).toEqual([
      "expires today",
      "1 day left",
      "2 days left",
    ]);
  });

  it("counts 0, 1 and 2 days in Dutch", () => {
    const nl = translator("nl-NL");
    expect([0, 1, 2].map((days) => nl.t("window.daysLeft", { days }))).toEqual([
      "verloopt vandaag",
      "nog 1 dag",
      "nog 2 dagen",
    ]);
  });
});

describe("dates", () => {
  it("shows a Dutch admin in Amsterdam their own day and hour, summer and winter", () => {
    const nl = translator("nl-NL", "Europe/Amsterdam");
    // 22:30 UTC on 1 July is already 2 July, 00:30 summer time in Amsterdam.
    expect(nl.day(new Date("2026-07-01T22:30:00Z"))).toBe("2 jul 2026");
    expect(nl.time(new Date("2026-07-01T22:30:00Z"))).toBe("2 jul 2026, 00:30 CEST");
    expect(nl.time(new Date("2026-11-22T14:05:00Z"))).toBe("22 nov 2026, 15:05 CET");
  });

  it("keeps English in the ISO forms its admins and scripts read, in UTC", () => {
    const en = translator("en-US", "America/New_York");
    expect(en.day(new Date("2026-07-01T22:30:00Z"))).toBe("2026-07-01");
    expect(en.time(new Date("2026-07-01T22:30:00Z"))).toBe("2026-07-01 22:30 UTC");
  });

  it("reads an unknown time zone as UTC", () => {
    expect(translator("nl", "Mars/Olympus").timeZone).toBe("UTC");
  });
});

describe("choosing a language", () => {
  it("takes Slack's, a flag's and the environment's spellings", () => {
    expect(normalizeLocale("nl-NL")).toBe("nl-NL");
    expect(normalizeLocale("nl_NL.UTF-8")).toBe("nl-NL");
    expect(normalizeLocale("nl_BE.utf8@euro")).toBe("nl-BE");
    expect(normalizeLocale("C")).toBeNull();
    expect(normalizeLocale("")).toBeNull();
    expect(normalizeLocale("not a locale!")).toBeNull();
  });

  it("falls back to the next choice, and to English, never failing", () => {
    expect(pickLocale("de-DE", "nl")).toBe("nl");
    expect(pickLocale("fr-FR", "xx", null, undefined)).toBe("en");
    expect(pickLocale("!!!")).toBe("en");
    expect(translator("klingon").language).toBe("en");
    expect(translator("de-DE").t("search.title")).toBe("Restore a user");
  });
});

describe("the Slack words for an account's window", () => {
  const at = new Date("2026-11-22T14:05:00Z");
  const states: Restorability[] = [
    { state: "active" },
    { state: "deleting", restorableFrom: at, expiresAt: null, daysLeft: null },
    { state: "deleted", expiresAt: at, daysLeft: 0 },
    { state: "deleted", expiresAt: at, daysLeft: 1 },
    { state: "deleted", expiresAt: at, daysLeft: 12 },
    { state: "deleted", expiresAt: null, daysLeft: null },
    { state: "expired", expiredAt: at },
    { state: "purged" },
    { state: "recreated", recreatedAs: "x" },
  ];

  it("are, in English, exactly the domain's words", () => {
    for (const r of states) expect(windowText(translator("en"), r)).toBe(describeRestorability(r));
  });

  it("are Dutch for a Dutch reader, with the date in their zone", () => {
    const nl = translator("nl-NL", "Europe/Amsterdam");
    expect(windowText(nl, { state: "expired", expiredAt: at })).toBe(
      "kan niet worden hersteld: de hersteltermijn is verlopen op 22 nov 2026, 15:05 CET",
    );
    for (const r of states) expect(windowText(nl, r)).not.toBe(describeRestorability(r));
  });
});
