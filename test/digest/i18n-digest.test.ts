/**
 * The daily digest in the channel's language: plurals for 0, 1 and 2 days in English and Dutch,
 * the Dutch digest within Slack's limits with Dutch's longer words and names still escaped, and
 * the scheduled digest (no Slack request, so no user) in CHANNEL_LOCALE, else DEFAULT_LOCALE.
 */
import { WebClient } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { outbox } from "../../src/db/schema.ts";
import type { Digest, DigestAccount, DigestGroup } from "../../src/digest/build.ts";
import { digestCalendar, ZonedFormatter } from "../../src/digest/calendar.ts";
import { channelTranslator, queueDigest } from "../../src/digest/send.ts";
import { digestSettingsFrom } from "../../src/digest/settings.ts";
import { catalogs, languages, type MessageKey } from "../../src/i18n/catalog.ts";
import { ENGLISH, translator } from "../../src/i18n/translator.ts";
import { silentLog } from "../../src/log.ts";
import { digestMessages } from "../../src/slack/blocks/digest.ts";
import { slackLocales } from "../../src/slack/locales.ts";
import { blockKitProblems, mrkdwnTexts } from "../support/block-kit-limits.ts";
import { API, useSlack } from "../support/slack.ts";
import { ADMIN, useWorld } from "../support/world.ts";

const EVIL = "<!channel> Mallory <@U123> & friends";
const TZ = "Europe/Amsterdam";
const nl = translator("nl-NL", TZ);

let n = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;

/** A digest for Friday 2026-11-27 with `perDay[i]` accounts in the i-th group (the English labels of --json kept). */
function aDigest(perDay: number[], o: Partial<Digest> = {}): Digest {
  const calendar = digestCalendar("2026-11-27", TZ, Math.max(7, perDay.length));
  const zone = new ZonedFormatter(TZ);
  const groups: DigestGroup[] = calendar.spans
    .map((s, i) => ({
      ...s,
      startsAt: s.startsAt.toISOString(),
      endsAt: s.endsAt.toISOString(),
      accounts: Array.from({ length: perDay[i] ?? 0 }, (_, k): DigestAccount => {
        const at = new Date(s.startsAt.getTime() + 60_000 * (k % 1000));
        const id = uuid();
        return {
          id,
          directoryId: k % 2 ? "okta" : "builtin",
          userName: `maximiliana.wolfeschlegelsteinhausenberger${id.slice(-6)}@example.com`,
          displayName: k === 0 ? EVIL : `Maximiliana Wolfeschlegelsteinhausenberger ${id.slice(-6)}`,
          expiresAt: at.toISOString(),
          deadline: zone.deadline(at),
          restorableFrom: k === 1 ? new Date(at.getTime() - 3_600_000).toISOString() : null,
        };
      }),
    }))
    .filter((g) => g.accounts.length > 0);
  const accountCount = groups.reduce((x, g) => x + g.accounts.length, 0);
  return {
    date: "2026-11-27",
    title: "Fri 27 Nov 2026",
    timeZone: TZ,
    windowDays: 7,
    friday: true,
    generatedAt: "2026-11-27T08:00:00.000Z",
    from: "2026-11-27T08:00:00.000Z",
    until: calendar.until.toISOString(),
    directories: { builtin: "Ingebouwde directory", okta: "Okta" },
    accountCount,
    groups,
    pending: {
      total: 14,
      items: Array.from({ length: 12 }, (_, i) => ({
        id: uuid(),
        requestedBy: "U0ADMIN1",
        restore: { displayName: EVIL, userName: `oud${i}@example.com` },
        replace: i % 2 ? { displayName: `Nieuw ${i}`, userName: `oud${i}@example.com` } : null,
        expiresAt: "2026-11-28T08:00:00.000Z",
        expires: "Sat 28 Nov, 09:00 CET",
      })),
    },
    purged: { count: 1, since: "2026-11-26T08:00:00.000Z", sinceLabel: "Thu 26 Nov, 09:00 CET" },
    attention: [],
    empty: false,
    ...o,
  };
}

const emptyDigest = (windowDays: number) =>
  aDigest([], {
    windowDays,
    empty: true,
    pending: { total: 0, items: [] },
    purged: { count: 0, since: null, sinceLabel: null },
  });

const texts = (m: ReturnType<typeof digestMessages>) => JSON.stringify([m.summary, ...m.replies]);

describe("the digest's plurals", () => {
  it("counts 0, 1 and 2 days in English and in Dutch", () => {
    const line = (days: number, t = ENGLISH) =>
      digestMessages(emptyDigest(days), { emptyDay: "line" }, t).summary?.text;
    expect(line(0)).toContain("no deleted account's window ends within 0 days,");
    expect(line(1)).toContain("no deleted account's window ends within 1 day,");
    expect(line(2)).toContain("no deleted account's window ends within 2 days,");
    expect(line(0, nl)).toContain("eindigt de hersteltermijn binnen 0 dagen,");
    expect(line(1, nl)).toContain("eindigt de hersteltermijn binnen 1 dag,");
    expect(line(2, nl)).toContain("eindigt de hersteltermijn binnen 2 dagen,");
  });

  it("counts accounts and purges as Dutch does: one, several, none", () => {
    const one = texts(
      digestMessages(
        aDigest([1], { purged: { count: 0, since: null, sinceLabel: null } }),
        { emptyDay: "skip" },
        nl,
      ),
    );
    expect(one).toContain("*1 gebruiker gaat* definitief verloren");
    expect(one).toContain("Er is geen gebruiker definitief verwijderd tot nu toe.");
    const two = texts(digestMessages(aDigest([1, 1]), { emptyDay: "skip" }, nl));
    expect(two).toContain("*2 gebruikers gaan* definitief verloren");
    expect(two).toContain(
      "1 gebruiker definitief verwijderd sinds het vorige overzicht (do 26 nov, 09:00 CET)",
    );
  });
});

describe("the digest in Dutch", () => {
  it("passes Slack's limits, summary and every reply, with names escaped", () => {
    const digest = aDigest([3, 12, 5, 40]);
    const { summary, replies } = digestMessages(digest, { emptyDay: "skip" }, nl);
    expect(blockKitProblems(summary, "message")).toEqual([]);
    expect(replies.length).toBeGreaterThan(0);
    for (const reply of replies) expect(blockKitProblems(reply, "message")).toEqual([]);
    for (const text of mrkdwnTexts({ blocks: [summary, ...replies].flatMap((m) => m?.blocks ?? []) })) {
      expect(text).not.toContain("<!channel>");
      expect(text).not.toContain("<@U123>");
    }
  });

  it("reads Dutch: title, groups, dates, approvals, buttons, thread", () => {
    const digest = aDigest([3, 12, 5]);
    const { summary, replies } = digestMessages(digest, { emptyDay: "skip" }, nl);
    const all = texts({ summary, replies });
    for (const dutch of [
      "Herstel-overzicht · vr 27 nov 2026",
      "*20 gebruikers gaan* definitief verloren als ze niet worden hersteld",
      "(tijden in Europe/Amsterdam)",
      "Het is vrijdag",
      "• *Verloopt vandaag* (vr 27 nov): 3 gebruikers",
      "• *Verloopt dit weekend* (za 28 – zo 29 nov): 12 gebruikers",
      "• *Verloopt over 3 dagen* (ma 30 nov): 5 gebruikers",
      "*Wachten op goedkeuring (14)*",
      "aangevraagd door <@U0ADMIN1> · verloopt za 28 nov, 09:00 CET",
      "in plaats van *Nieuw 1*",
      "…en nog 4 die wachten",
      "De gebruikers staan in deze thread",
      "⏰ hersteltermijn eindigt vr 27 nov, 00:00 CET",
      "wordt nog verwijderd door de directory, te herstellen vanaf",
      "Herstellen…",
      "Verloopt dit weekend · za 28 – zo 29 nov (12 gebruikers)",
    ]) {
      expect(all).toContain(dutch);
    }
    for (const english of ["Restore digest", "window ends", "Expires", "asked by", "accounts"]) {
      expect(all).not.toContain(english);
    }
    expect(summary?.text).toBe(
      "Herstel-overzicht voor vr 27 nov 2026: 20 gebruikers verlopen binnen 7 dagen (3 vandaag), 14 goedkeuringen wachten, 1 definitief verwijderd.",
    );
    expect(replies[0]?.text).toBe("Herstel-overzicht voor vr 27 nov 2026: gebruikers 1–20 van 20");
  });

  it("fits every button and header of the digest whole, in every language", () => {
    const slots: [MessageKey, number][] = [["digest.account.restore", 75]];
    for (const language of languages()) {
      for (const [key, max] of slots) {
        expect(catalogs.get(language)?.[key]?.length, `${language} ${key}`).toBeLessThanOrEqual(max);
      }
    }
  });
});

describe("the scheduled digest's language", () => {
  it("is CHANNEL_LOCALE, else DEFAULT_LOCALE, else English; an unknown one is English", () => {
    expect(channelTranslator({ defaultLocale: "en", channelLocale: "nl_NL.UTF-8" }, TZ).language).toBe("nl");
    expect(channelTranslator({ defaultLocale: "nl", channelLocale: null }, TZ).language).toBe("nl");
    expect(channelTranslator({ defaultLocale: "nl", channelLocale: "en" }, TZ).language).toBe("en");
    expect(channelTranslator({ defaultLocale: "xx-YY", channelLocale: "klingon" }, TZ).language).toBe("en");
    expect(channelTranslator(undefined, TZ).language).toBe("en");
  });
});

describe("the digest the scheduler queues", () => {
  const world = useWorld();

  it("is written to the outbox in the channel's language", async () => {
    for (let i = 0; i < 3; i++) {
      await world.deleted({ userName: `weg${i}@example.com`, displayName: `Weg ${i}`, daysAgo: 25 });
    }
    const outcome = await queueDigest(
      {
        db: world.database.db,
        clock: world.clock,
        log: silentLog,
        settings: digestSettingsFrom({ DIGEST_TIME: "09:00", DIGEST_TIMEZONE: TZ }),
        owner: "copy-1",
        locales: { defaultLocale: "en", channelLocale: "nl-NL" },
      },
      "C0ADMIN01",
      world.clock.now().toISOString().slice(0, 10),
    );
    expect(outcome).toBe("queued");
    const rows = await world.database.db.select().from(outbox);
    const queued = JSON.stringify(rows.map((r) => r.notice));
    expect(queued).toContain("Herstel-overzicht");
    expect(queued).toContain("3 gebruikers");
    expect(queued).not.toContain("Restore digest");
  });
});

// The app, its server and a database per test: slow on a busy machine.
describe("/restore-user digest for a Dutch admin", { timeout: 60_000 }, () => {
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
          channelLocale: "en",
        }),
      }),
    },
  );

  it("shows today's digest in the asker's own Slack language, not the channel's", async () => {
    slack.answer("users.info", () => [200, { ok: true, user: { locale: "nl-NL", tz: "Europe/Amsterdam" } }]);
    await world.deleted({ userName: "omar@example.com", displayName: "Omar <!here>", daysAgo: 29 });
    const body = JSON.parse((await slack.command(ADMIN, "digest")).text);
    expect(body.response_type).toBe("ephemeral");
    const shown = JSON.stringify(body.blocks);
    expect(body.text).toMatch(/^Herstel-overzicht voor /);
    expect(shown).toContain("Herstellen…");
    expect(shown).toContain("Omar &lt;!here&gt;");
    expect(shown).not.toContain("Restore digest");
    expect(blockKitProblems({ text: body.text, blocks: body.blocks }, "message")).toEqual([]);
  });
});
