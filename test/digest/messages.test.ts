import { describe, expect, it } from "vitest";
import type { Digest, DigestAccount, DigestGroup } from "../../src/digest/build.ts";
import { digestCalendar, ZonedFormatter } from "../../src/digest/calendar.ts";
import { digestMessages } from "../../src/slack/blocks/digest.ts";
import { ACTION } from "../../src/slack/blocks/ids.ts";
import { blockKitProblems, mrkdwnTexts } from "../support/block-kit-limits.ts";

const EVIL = "<!channel> Mallory <@U123> <https://evil.example|click here> & friends";
const LONG = "Maximiliana Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh ".repeat(60);
const TZ = "Europe/Amsterdam";

let n = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;

/** A digest for Friday 2026-11-27 with `perDay[i]` accounts on the i-th group. */
function aDigest(perDay: number[], o: Partial<Digest> = {}, account: Partial<DigestAccount> = {}): Digest {
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
          directoryId: "builtin",
          userName: `user${id.slice(-6)}@example.com`,
          displayName: `Person ${id.slice(-6)}`,
          expiresAt: at.toISOString(),
          deadline: zone.deadline(at),
          restorableFrom: null,
          ...account,
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
    directories: { builtin: "Built-in directory" },
    accountCount,
    groups,
    pending: { total: 0, items: [] },
    purged: { count: 0, since: "2026-11-26T08:00:00.000Z", sinceLabel: "Thu 26 Nov, 09:00 CET" },
    attention: [],
    empty: false,
    ...o,
  };
}

const json = (x: unknown) => JSON.stringify(x);

type Block = { type: string; accessory?: { action_id?: string; value?: string } };
const buttonValues = (blocks: unknown[]) =>
  (blocks as Block[])
    .filter((b) => b.accessory?.action_id === ACTION.planAccount)
    .map((b) => b.accessory?.value);

function expectNoInjection(surface: unknown) {
  for (const text of mrkdwnTexts(surface)) {
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("<!here>");
    expect(text).not.toContain("<@U123>");
    expect(text).not.toContain("<https://evil");
  }
}

describe("digestMessages", () => {
  it("lists 2,000 accounts in thread replies, each within Block Kit's limits, every account once with its button", () => {
    const digest = aDigest(
      [300, 500, 200, 400, 100, 250, 250],
      {},
      { displayName: EVIL + LONG, userName: `${LONG}@example.com` },
    );
    expect(digest.accountCount).toBe(2000);
    const { summary, replies } = digestMessages(digest, {
      emptyDay: "skip",
      maxListed: Number.POSITIVE_INFINITY,
    });
    expect(summary).not.toBeNull();
    expect(blockKitProblems(summary, "message")).toEqual([]);
    expect(replies.length).toBeGreaterThanOrEqual(Math.ceil(2000 / 49));
    for (const reply of replies) {
      expect(blockKitProblems(reply, "message")).toEqual([]);
      expect(reply.blocks.length).toBeLessThanOrEqual(50);
      expect(reply.blocks[reply.blocks.length - 1]?.type).not.toBe("header");
      expect(reply.text.length).toBeLessThan(200);
      expectNoInjection(reply);
    }
    const values = replies.flatMap((r) => buttonValues(r.blocks));
    expect(values).toEqual(digest.groups.flatMap((g) => g.accounts.map((a) => a.id)));
    expect(json(replies[0])).toContain("Expires today · Fri 27 Nov (300 accounts)");
    expect(json(replies)).toContain("Expires today · Fri 27 Nov (continued)");
    expect(replies[0]?.text).toBe("Restore digest for Fri 27 Nov 2026: accounts 1–49 of 2,000");
    expectNoInjection(summary);
  });

  it("lists at most 1,000 by default and counts the rest", () => {
    const digest = aDigest([300, 500, 200, 400, 100, 250, 250]);
    const { summary, replies } = digestMessages(digest, { emptyDay: "skip" });
    const values = replies.flatMap((r) => buttonValues(r.blocks));
    expect(values).toHaveLength(1000);
    for (const reply of replies) expect(blockKitProblems(reply, "message")).toEqual([]);
    expect(json(replies[replies.length - 1])).toContain("…and 1,000 accounts more not listed here");
    expect(json(summary)).toContain("the first 1,000");
  });

  it("summarises counts per group, the Friday weekend, approvals waiting with their expiry, and purges", () => {
    const digest = aDigest([3, 12, 5], {
      pending: {
        total: 12,
        items: Array.from({ length: 12 }, (_, i) => ({
          id: uuid(),
          requestedBy: i === 0 ? "<!here>" : "U0ADMIN1",
          restore: { displayName: EVIL, userName: `old${i}@example.com` },
          replace: { displayName: LONG, userName: `old${i}@example.com` },
          expiresAt: "2026-11-28T08:00:00.000Z",
          expires: "Sat 28 Nov, 09:00 CET",
        })),
      },
      purged: { count: 4, since: "2026-11-26T08:00:00.000Z", sinceLabel: "Thu 26 Nov, 09:00 CET" },
    });
    const { summary, replies } = digestMessages(digest, { emptyDay: "skip" });
    expect(summary).not.toBeNull();
    expect(blockKitProblems(summary, "message")).toEqual([]);
    const text = json(summary);
    expect(text).toContain("*20 accounts* will be lost for good unless restored");
    expect(text).toContain("• *Expires today* (Fri 27 Nov): 3 accounts");
    expect(text).toContain("• *Expires this weekend* (Sat 28 – Sun 29 Nov): 12 accounts");
    expect(text).toContain("• *Expires in 3 days* (Mon 30 Nov): 5 accounts");
    expect(text).toContain("It is Friday: what expires on Saturday or Sunday is grouped as _this weekend_");
    expect(text).toContain("*Waiting for approval (12)*");
    expect(text).toContain("asked by <@U0ADMIN1> · expires Sat 28 Nov, 09:00 CET");
    expect(text).toContain("…and 2 more waiting");
    expect(text).toContain("4 accounts purged since the last digest (Thu 26 Nov, 09:00 CET)");
    expect(summary?.text).toBe(
      "Restore digest for Fri 27 Nov 2026: 20 accounts expire within 7 days (3 today), 12 approvals waiting, 4 purged.",
    );
    expectNoInjection(summary);
    // 20 accounts do not fit beside the summary: they go to the thread.
    expect(replies).toHaveLength(1);
    expect(buttonValues(replies[0]?.blocks ?? [])).toHaveLength(20);
  });

  it("puts a short digest in one message, and offers no button for an account still being deleted", () => {
    const digest = aDigest([2]);
    const first = digest.groups[0]?.accounts[0] as DigestAccount;
    first.restorableFrom = "2026-11-27T12:00:00.000Z";
    const { summary, replies } = digestMessages(digest, { emptyDay: "skip" });
    expect(replies).toEqual([]);
    expect(blockKitProblems(summary, "message")).toEqual([]);
    const values = buttonValues(summary?.blocks ?? []);
    expect(values).toEqual([digest.groups[0]?.accounts[1]?.id]);
    expect(json(summary)).toContain(
      "still being deleted by the directory, restorable from 2026-11-27 12:00 UTC",
    );
    expect(json(summary)).toContain("⏰ window ends Fri 27 Nov, 00:01 CET");
  });

  it("shows the directory when the accounts come from several", () => {
    const digest = aDigest([1, 1], { directories: { builtin: "Built-in", okta: `Okta ${EVIL}` } });
    (digest.groups[1]?.accounts[0] as DigestAccount).directoryId = "okta";
    const { summary } = digestMessages(digest, { emptyDay: "skip" });
    expect(json(summary)).toContain("Okta &lt;!channel&gt;");
    expectNoInjection(summary);
  });

  it("an empty day: nothing when skipped, one short line otherwise", () => {
    const empty = aDigest([], { empty: true, purged: { count: 0, since: null, sinceLabel: null } });
    expect(digestMessages(empty, { emptyDay: "skip" })).toEqual({ summary: null, replies: [] });
    const line = digestMessages(empty, { emptyDay: "line" });
    expect(line.replies).toEqual([]);
    expect(line.summary?.blocks).toHaveLength(1);
    expect(line.summary?.text).toBe(
      "Restore digest for Fri 27 Nov 2026: no deleted account's window ends within 7 days, no approval is waiting and nothing was purged.",
    );
    expect(blockKitProblems(line.summary, "message")).toEqual([]);
  });

  it("stays within limits with a long window of busy days", () => {
    const digest = aDigest(
      Array.from({ length: 61 }, () => 3),
      { windowDays: 60 },
    );
    const { summary, replies } = digestMessages(digest, { emptyDay: "skip" });
    expect(blockKitProblems(summary, "message")).toEqual([]);
    for (const reply of replies) expect(blockKitProblems(reply, "message")).toEqual([]);
    expect(replies.flatMap((r) => buttonValues(r.blocks))).toHaveLength(digest.accountCount);
  });

  it("lists restores a provider did that the records could not follow, escaped, on an otherwise quiet day", () => {
    const digest = aDigest([], {
      accountCount: 0,
      attention: [
        {
          at: "2026-11-26T15:00:00.000Z",
          actor: "U0ADMIN1",
          userName: "mallory@example.com",
          displayName: EVIL,
          provider: "Microsoft Entra ID",
          nextStep: "Run restore-user sync entra, then check mallory@example.com in Microsoft Entra ID.",
        },
      ],
      empty: false,
    });
    const { summary } = digestMessages(digest, { emptyDay: "skip" });
    expect(json(summary)).toContain("Needs attention (1)");
    expect(json(summary)).toContain("Run restore-user sync entra, then check mallory@example.com");
    expect(summary?.text).toContain("1 provider restore needs attention");
    expect(blockKitProblems(summary, "message")).toEqual([]);
    expectNoInjection(summary);
  });
});
