/**
 * A message kept as key and values until a reader is known: said in their language, with what a
 * user typed kept as typed, and escaped only where the surface asks.
 */
import { describe, expect, it } from "vitest";
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
