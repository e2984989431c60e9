/**
 * A message kept as key and values until a reader is known: said in their language, with what a
 * user typed kept as typed, and escaped only where the surface asks.
 */
import { IntlMessageFormat } from "intl-messageformat";
import { describe, expect, it } from "vitest";
import { catalogs, languages, type MessageKey } from "../../src/i18n/catalog.ts";
import { said, saidList, say, sayAll } from "../../src/i18n/said.ts";
import { ENGLISH, translator } from "../../src/i18n/translator.ts";

const slackEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

describe("say", () => {
  it("says the same message in English and in Dutch, the typed value as typed", () => {
    const message = said("refusal.noAccount", { ref: "jane <doe>" });
    expect(say(ENGLISH, message)).toBe("No account matches jane <doe>.");
    expect(say(translator("nl"), message)).toBe("Geen gebruiker gevonden voor jane <doe>.");
  });

  it("escapes typed values, never the catalog's own words, when given an escaper", () => {
    const message = said("refusal.noAccount", { ref: "<!here> & co" });
    expect(say(translator("nl"), message, slackEscape)).toBe(
      "Geen gebruiker gevonden voor &lt;!here&gt; &amp; co.",
    );
  });

  it("says nested messages in the same language and escapes their values once", () => {
    const reasons = saidList([
      said("choice.taken", { userName: "a<b", holder: "Jan" }),
      said("choice.renameOrReplace"),
    ]);
    const message = said("refusal.blocked", { reasons });
    expect(say(ENGLISH, message)).toBe(
      "a<b is taken by Jan: choose another user name. Choose rename or replace, not both.",
    );
    expect(say(translator("nl"), message, slackEscape)).toBe(
      "a&lt;b is al in gebruik door Jan: kies een andere gebruikersnaam. Kies een andere naam of vervangen, niet allebei.",
    );
  });

  it("shows a moment in the reader's zone and style", () => {
    const at = new Date("2026-07-01T22:30:00Z");
    const message = said("blocker.window.expired", { time: at });
    expect(say(ENGLISH, message)).toBe("Cannot be restored: the restore window ended 2026-07-01 22:30 UTC");
    expect(say(translator("nl-NL", "Europe/Amsterdam"), message)).toBe(
      "Kan niet worden hersteld: de hersteltermijn is verlopen op 2 jul 2026, 00:30 CEST",
    );
  });

  it("joins several messages as sentences", () => {
    expect(sayAll(ENGLISH, [said("refusal.noSuchAccount"), said("refusal.noSuchRequest")])).toBe(
      "No such account. No such request.",
    );
  });
});

describe("the refusal, blocker and choice messages", () => {
  /** Every placeholder a message has, with a value of the kind it takes. */
  function valuesFor(message: string): Record<string, string | number> {
    const values: Record<string, string | number> = {};
    const walk = (elements: unknown): void => {
      if (!Array.isArray(elements)) return;
      for (const el of elements as { type: number; value?: unknown; options?: unknown }[]) {
        if (typeof el.value === "string" && el.type >= 1 && el.type <= 6) {
          values[el.value] = el.type === 2 || el.type === 6 ? 2 : `«${el.value}»`;
        }
        if (el.options && typeof el.options === "object") {
          for (const option of Object.values(el.options as Record<string, { value: unknown }>))
            walk(option.value);
        }
      }
    };
    walk(new IntlMessageFormat(message, "en", undefined, { ignoreTag: true }).getAst());
    return values;
  }

  const keys = Object.keys(catalogs.get("en") ?? {}).filter((key) =>
    /^(refusal|blocker|choice)\./.test(key),
  ) as MessageKey[];

  it("are there", () => {
    expect(keys.length).toBeGreaterThan(50);
  });

  for (const language of languages()) {
    it(`all read in ${language}, every value in its place`, () => {
      const t = translator(language);
      const broken = keys.filter((key) => {
        const values = valuesFor(catalogs.get("en")?.[key] ?? "");
        const text = t.t(key, values);
        const placed = Object.values(values).every((v) => typeof v === "number" || text.includes(v));
        return text === key || text.includes("{") || !placed;
      });
      expect(broken).toEqual([]);
    });
  }
});
