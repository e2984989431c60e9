/**
 * The search modal in Dutch: drawn from the catalogs, within Slack's limits with Dutch's longer
 * words, in the acting user's Slack locale (users.info answered by nock), and English otherwise.
 */
import { readdirSync, readFileSync } from "node:fs";
import { WebClient } from "@slack/web-api";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { catalogs, languages, type MessageKey } from "../../src/i18n/catalog.ts";
import { translator } from "../../src/i18n/translator.ts";
import { type SearchResult, toView } from "../../src/restore/search.ts";
import { DAY_MS } from "../../src/restore/window.ts";
import { ACTION, BLOCK, CALLBACK } from "../../src/slack/blocks/ids.ts";
import { accountOptions, backToSearch, loadingView, searchView } from "../../src/slack/blocks/search.ts";
import { slackLocales } from "../../src/slack/locales.ts";
import { blockKitProblems, mrkdwnTexts, optionsProblems } from "../support/block-kit-limits.ts";
import { API, useSlack } from "../support/slack.ts";
import { ADMIN, useWorld } from "../support/world.ts";

const NOW = new Date("2026-11-22T12:00:00Z");
const EVIL = "<!channel> Mallory <@U123> & friends";
const nl = translator("nl-NL", "Europe/Amsterdam");

function results(count: number): SearchResult {
  const items = Array.from({ length: count }, (_, i) => {
    const deletedAt = new Date(NOW.getTime() - 18 * DAY_MS);
    return toView(
      {
        id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`,
        directoryId: i % 2 ? "builtin" : "entra",
        externalId: `ext-${i}`,
        userName: `maximiliana.wolfeschlegelsteinhausenberger${i}@example.com`,
        email: `maximiliana.wolfeschlegelsteinhausenberger${i}@example.com`,
        displayName: i === 0 ? EVIL : `Maximiliana Wolfeschlegelsteinhausenberger ${i}`,
        status: i === 1 ? "deleting" : "deleted",
        deletedAt,
        deletedBy: i === 2 ? "system" : "U0ADMIN2",
        deletionCompletesAt: i === 1 ? new Date(NOW.getTime() + DAY_MS) : null,
        purgeAfter: new Date(deletedAt.getTime() + 30 * DAY_MS),
        recreatedAs: null,
      } as never,
      NOW,
    );
  });
  return { items, hasMore: true };
}

/** Texts shown in a slot Slack cuts short: each must fit whole in every language. */
const SLOTS: [MessageKey, number][] = [
  ["search.title", 24],
  ["search.submit.selected", 24],
  ["search.submit.search", 24],
  ["common.cancel", 24],
  ["search.restoreButton", 75],
  ["search.back", 75],
];

describe("the search modal in Dutch", () => {
  it("fits every title, submit, close and button whole, in every language", () => {
    for (const language of languages()) {
      for (const [key, max] of SLOTS) {
        expect(catalogs.get(language)?.[key]?.length, `${language} ${key}`).toBeLessThanOrEqual(max);
      }
    }
  });

  it("lists 40 accounts within Slack's limits, in Dutch, with names escaped", () => {
    const view = searchView({
      query: "maximiliana",
      result: results(45),
      directories: { builtin: "Contoso", entra: "Entra" },
      t: nl,
    });
    expect(blockKitProblems(view, "modal")).toEqual([]);
    expect(view.title.text).toBe("Gebruiker herstellen");
    expect(view.submit?.text).toBe("Selectie herstellen");
    expect(view.close?.text).toBe("Annuleren");
    const text = JSON.stringify(view);
    for (const dutch of [
      "Verwijderde gebruikers zoeken",
      "Herstellen…",
      "nog 12 dagen",
      "verwijderd op 4 nov 2026 door <@U0ADMIN2>",
      "restore-user (automatisch)",
      "wordt nog verwijderd, te herstellen vanaf 23 nov 2026, 13:00 CET",
      "…en nog 5 — verfijn de zoekopdracht",
      "Meerdere tegelijk herstellen",
    ]) {
      expect(text).toContain(dutch);
    }
    for (const english of ["Restore", "days left", "deleted ", "Search", "Cancel", "refine"]) {
      expect(text).not.toContain(english);
    }
    for (const mrkdwn of mrkdwnTexts(view)) {
      expect(mrkdwn).not.toContain("<!channel>");
      expect(mrkdwn).not.toContain("<@U123>");
    }
  });

  it("says so in Dutch when nothing matches, the query escaped", () => {
    const view = searchView({ query: EVIL, result: { items: [], hasMore: false }, directories: {}, t: nl });
    expect(blockKitProblems(view, "modal")).toEqual([]);
    const [said] = mrkdwnTexts(view).filter((t) => t.includes("Geen verwijderde gebruiker"));
    expect(said).toContain("&lt;!channel&gt;");
    expect(view.submit?.text).toBe("Zoeken");
  });

  it("offers type-ahead options, a loading view and the way back in Dutch, within limits", () => {
    const options = accountOptions(results(45), nl);
    expect(optionsProblems(options)).toEqual([]);
    expect(options[0]?.text.text).toMatch(/ · nog 12 dagen$/);
    expect(options[1]?.text.text).toMatch(/ · te herstellen vanaf 23 nov 2026$/);
    const loading = loadingView(nl.t("search.title"), "", nl);
    expect(blockKitProblems(loading, "modal")).toEqual([]);
    expect(JSON.stringify(loading)).toContain("Zoeken…");
    expect(JSON.stringify(backToSearch("jan", nl))).toContain("← Terug naar zoeken");
  });
});

/**
 * No user-facing English left as a literal in the Slack builders or the CLI's human formatter:
 * their texts come from the catalogs. A "user-facing"
 * literal here is one with a word in it and a space or a capital: Block Kit's own names
 * (plain_text, multi_static_select), states ("deleted") and the domain's identifiers
 * ("userName", "dropEmail") are single words.
 */
describe("translated builders", () => {
  // Every builder, found in the folder (a new one is checked without being listed), and the
  // CLI's human formatter: the same rule, the terminal's texts.
  const FILES = [
    ...readdirSync(new URL("../../src/slack/blocks/", import.meta.url))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => `src/slack/blocks/${f}`),
    "src/cli/format.ts",
  ];

  function literals(source: string): string[] {
    const code = source
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "")
      .replace(/^import[\s\S]*?;$/gm, "");
    const found: string[] = [];
    for (const m of code.matchAll(/"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`/g)) {
      const body = (m[1] ?? m[2] ?? m[3] ?? "").replace(/\$\{[^}]*\}/g, " ");
      if (catalogs.get("en")?.[body] !== undefined) continue; // a message key
      if (/^[a-z]+(?:[A-Z][a-z]*)+$/.test(body)) continue; // an identifier: "userName", "dropEmail"
      if (/[A-Za-z]{2,}/.test(body) && /\s[A-Za-z]|[A-Z][a-z]/.test(body)) found.push(body);
    }
    return found;
  }

  it("finds an English phrase where one is left", () => {
    expect(
      literals(
        ['const a = plain("Restore a user", 24);', "const b = `deleted $" + "{x} by $" + "{y}`;"].join(" "),
      ),
    ).toHaveLength(2);
    expect(literals('const a = { type: "plain_text" }; t.t("search.title");')).toEqual([]);
    expect(literals('if (c.kind === "userName") x("Restore");')).toEqual(["Restore"]);
  });

  for (const file of FILES) {
    it(`${file} has none`, () => {
      expect(literals(readFileSync(new URL(`../../${file}`, import.meta.url), "utf8"))).toEqual([]);
    });
  }
});

describe("each user's language from Slack", () => {
  const BASE = "http://locales.test";
  const client = () =>
    new WebClient("xoxb-test", { slackApiUrl: `${BASE}/api/`, retryConfig: { retries: 0 } });

  beforeEach(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());

  function answerUsersInfo(user: Record<string, unknown>, times = 1) {
    return nock(BASE)
      .post("/api/users.info", (body) => body.include_locale === "true" || body.include_locale === true)
      .times(times)
      .reply(200, { ok: true, user });
  }

  it("speaks Dutch in Amsterdam time to an nl-NL user, asking Slack once", async () => {
    const scope = answerUsersInfo({ id: "U1", locale: "nl-NL", tz: "Europe/Amsterdam" });
    const locales = slackLocales({ client: client(), defaultLocale: "en" });
    const first = await locales.forUser("U1");
    const again = await locales.forUser("U1");
    expect(first.language).toBe("nl");
    expect(first.timeZone).toBe("Europe/Amsterdam");
    expect(again).toBe(first);
    expect(scope.isDone()).toBe(true);
  });

  it("gives a user whose language has no catalog the default language", async () => {
    answerUsersInfo({ id: "U2", locale: "de-DE", tz: "Europe/Berlin" });
    const locales = slackLocales({ client: client(), defaultLocale: "nl" });
    const t = await locales.forUser("U2");
    expect(t.language).toBe("nl");
    expect(t.timeZone).toBe("Europe/Berlin");
  });

  it("answers in the default language when Slack refuses (no users:read yet), without failing", async () => {
    nock(BASE).post("/api/users.info").reply(200, { ok: false, error: "missing_scope" });
    const locales = slackLocales({ client: client(), defaultLocale: "en" });
    expect((await locales.forUser("U3")).language).toBe("en");
  });

  it("does not hold a reply for a slow Slack", async () => {
    nock(BASE)
      .post("/api/users.info")
      .delay(2000)
      .reply(200, { ok: true, user: { locale: "nl-NL" } });
    const locales = slackLocales({ client: client(), defaultLocale: "en", waitMs: 50 });
    expect((await locales.forUser("U4")).language).toBe("en");
  });

  it("writes channel messages in CHANNEL_LOCALE, else DEFAULT_LOCALE", () => {
    expect(slackLocales({ client: client(), defaultLocale: "nl" }).forChannel().language).toBe("nl");
    expect(
      slackLocales({ client: client(), defaultLocale: "nl", channelLocale: "en" }).forChannel().language,
    ).toBe("en");
    expect(
      slackLocales({ client: client(), defaultLocale: "xx", channelLocale: "yy" }).forChannel().language,
    ).toBe("en");
  });
});

// The app, its server and a database per test: slow on a busy machine, so more time than the default.
describe("/restore-user for a Dutch admin, end to end", { timeout: 60_000 }, () => {
  const world = useWorld();
  const slack = useSlack(
    world,
    {},
    {
      moreDeps: () => ({
        locales: slackLocales({
          client: new WebClient("xoxb-test-token", {
            slackApiUrl: `${API}/api/`,
            retryConfig: { retries: 0 },
          }),
          defaultLocale: "en",
        }),
      }),
    },
  );

  it("opens the search modal in the admin's Slack language", async () => {
    slack.answer("users.info", (args) => [
      200,
      { ok: true, user: { id: args.user, locale: "nl-NL", tz: "Europe/Amsterdam" } },
    ]);
    await world.deleted({ userName: "alice@example.com", displayName: "Alice Smith", daysAgo: 18 });
    await slack.command(ADMIN, "alice");
    const [open] = await slack.waitFor("views.open");
    const view = open?.args.view as { title: { text: string } };
    expect(view.title.text).toBe("Gebruiker herstellen");
    expect(JSON.stringify(view)).toContain("Alice Smith");
    expect(JSON.stringify(view)).toContain("nog 12 dagen");
    expect(blockKitProblems(view, "modal")).toEqual([]);
    const [info] = await slack.waitFor("users.info");
    expect(info?.args.user).toBe(ADMIN);
  });

  it("answers the type-ahead in the admin's Slack language", async () => {
    slack.answer("users.info", () => [200, { ok: true, user: { locale: "nl-NL", tz: "Europe/Amsterdam" } }]);
    await world.deleted({ userName: "carol@example.com", displayName: "Carol King", daysAgo: 28 });
    const response = await slack.interact({
      type: "block_suggestion",
      user: { id: ADMIN },
      action_id: ACTION.lookup,
      block_id: BLOCK.lookup,
      value: "carol",
      view: { id: "V9", type: "modal", callback_id: CALLBACK.search },
    });
    const { options } = JSON.parse(response.text) as { options: { text: { text: string } }[] };
    expect(options[0]?.text.text).toBe("Carol King · carol@example.com · nog 2 dagen");
    expect(optionsProblems(options)).toEqual([]);
  });

  it("publishes the Home tab in the viewer's Slack language", async () => {
    slack.answer("users.info", () => [200, { ok: true, user: { locale: "nl-NL", tz: "Europe/Amsterdam" } }]);
    await world.deleted({ userName: "gina@example.com", displayName: "Gina Soon", daysAgo: 29 });
    await slack.event({ type: "app_home_opened", user: ADMIN, tab: "home", channel: "D1" });
    const [publish] = await slack.waitFor("views.publish");
    const text = JSON.stringify(publish?.args.view);
    expect(text).toContain("Verloopt het eerst");
    expect(text).toContain("Gina Soon");
    expect(text).toContain("nog 1 dag");
    expect(blockKitProblems(publish?.args.view, "home")).toEqual([]);
  });

  it("stays in English for an English Slack user", async () => {
    slack.answer("users.info", () => [200, { ok: true, user: { locale: "en-US", tz: "America/New_York" } }]);
    await world.deleted({ userName: "alice@example.com", displayName: "Alice Smith", daysAgo: 18 });
    await slack.command(ADMIN, "alice");
    const [open] = await slack.waitFor("views.open");
    expect(JSON.stringify(open?.args.view)).toContain("12 days left");
    expect((open?.args.view as { title?: { text: string } } | undefined)?.title?.text).toBe("Restore a user");
  });
});
