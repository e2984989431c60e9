/**
 * Follow-up checklists in the reader's language: the default lines are stored as catalog keys and
 * said in Dutch in Slack and the CLI; an admin's own line (from a JSON import) is shown as written,
 * escaped for Slack; --json keeps the English lines. An existing database's stored English defaults
 * become keys through migration 0014.
 */
import { readFileSync } from "node:fs";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { formattersFor, toJson } from "../../src/cli/format.ts";
import { directories } from "../../src/db/schema.ts";
import { isStoredKey, sayFollowUp, storedEnglish } from "../../src/i18n/stored.ts";
import { translator } from "../../src/i18n/translator.ts";
import { BUILTIN_DIRECTORY_ID, BUILTIN_FOLLOW_UP, RECREATE_FOLLOW_UP } from "../../src/mirror/builtin.ts";
import { ENTRA_PROFILE } from "../../src/providers/entra.ts";
import { GOOGLE_PROFILE } from "../../src/providers/google.ts";
import { JUMPCLOUD_PROFILE } from "../../src/providers/jumpcloud.ts";
import { LARK_PROFILE } from "../../src/providers/lark.ts";
import { OKTA_PROFILE } from "../../src/providers/okta.ts";
import { planView } from "../../src/slack/blocks/plan.ts";
import { restoreResultView } from "../../src/slack/blocks/result.ts";
import { ok } from "../support/outcomes.ts";
import { ADMIN, useWorld } from "../support/world.ts";

const world = useWorld();
const nl = translator("nl-NL", "Europe/Amsterdam");

const MIGRATION = readFileSync(new URL("../../drizzle/0015_follow_up_keys.sql", import.meta.url), "utf8");
const OWN_LINE = "Call <the helpdesk> & tell *Jan*";
const ENGLISH_DEFAULTS = BUILTIN_FOLLOW_UP.map(storedEnglish);
const FIRST_NL = "Geef de gebruiker het tijdelijke wachtwoord persoonlijk;";

async function storeFollowUp(id: string, followUp: string[]): Promise<void> {
  await world.database.db.update(directories).set({ followUp }).where(eq(directories.id, id));
}

async function storedFollowUp(id: string): Promise<string[]> {
  const [row] = await world.database.db.select().from(directories).where(eq(directories.id, id));
  return row?.followUp ?? [];
}

describe("follow-up checklists in the reader's language", () => {
  it("turns a database's stored English defaults into keys, keeping an admin's own line in its place", async () => {
    // As a deployment stored them before: the English lines, one of them the admin's own.
    await storeFollowUp(BUILTIN_DIRECTORY_ID, [
      ...ENGLISH_DEFAULTS.slice(0, 2),
      OWN_LINE,
      ...ENGLISH_DEFAULTS.slice(2),
    ]);
    await world.database.db.insert(directories).values([
      {
        id: "secure-exchanges",
        name: "Secure Exchanges",
        kind: "builtin",
        retentionDays: 30,
        capabilities: { canRestore: false, batchRestore: true, hasDeletingState: true, setsPassword: true },
        followUp: RECREATE_FOLLOW_UP.map(storedEnglish),
      },
      {
        id: "empty",
        name: "Nothing to do",
        kind: "builtin",
        retentionDays: 30,
        capabilities: { canRestore: true, batchRestore: true, hasDeletingState: true, setsPassword: true },
        followUp: [],
      },
    ]);

    await world.database.db.execute(sql.raw(MIGRATION));

    expect(await storedFollowUp(BUILTIN_DIRECTORY_ID)).toEqual([
      ...BUILTIN_FOLLOW_UP.slice(0, 2),
      OWN_LINE,
      ...BUILTIN_FOLLOW_UP.slice(2),
    ]);
    expect(await storedFollowUp("secure-exchanges")).toEqual(RECREATE_FOLLOW_UP);
    expect(await storedFollowUp("empty")).toEqual([]);

    // Said in Dutch from then on, the admin's line as written.
    const deleted = await world.deleted({ userName: "jan@example.com" });
    const plan = ok(await world.service.plan(ADMIN, deleted.id));
    const cli = formattersFor(nl).plan(plan);
    expect(cli).toContain(`  [ ] ${FIRST_NL}`);
    expect(cli).toContain(`  [ ] ${OWN_LINE}`);
    expect(cli).not.toContain(ENGLISH_DEFAULTS[0]);
  });

  it("shows a Dutch plan's and result's checklist in Dutch, an admin's own line escaped in Slack; --json stays English", async () => {
    await storeFollowUp(BUILTIN_DIRECTORY_ID, [...BUILTIN_FOLLOW_UP, OWN_LINE]);
    const deleted = await world.deleted({ userName: "jan@example.com" });
    const meta = { accountId: deleted.id, query: "jan", directoryName: "Ingebouwd" };

    const plan = ok(await world.service.plan(ADMIN, deleted.id));
    const slackPlan = JSON.stringify(planView(plan, meta, nl));
    expect(slackPlan).toContain(`☐ ${FIRST_NL}`);
    expect(slackPlan).toContain("☐ Call &lt;the helpdesk&gt; &amp; tell *Jan*");
    expect(slackPlan).not.toContain(ENGLISH_DEFAULTS[0]);
    expect(slackPlan).not.toContain("followUp.");
    expect(JSON.parse(toJson(plan)).followUp).toEqual([...ENGLISH_DEFAULTS, OWN_LINE]);
    expect(toJson(plan)).not.toContain("followUp.");

    const done = ok(await world.service.restore(ADMIN, deleted.id));
    const slackResult = JSON.stringify(restoreResultView(done, "Ingebouwd", nl));
    expect(slackResult).toContain(`☐ ${FIRST_NL}`);
    expect(slackResult).toContain("☐ Call &lt;the helpdesk&gt; &amp; tell *Jan*");
    const cli = formattersFor(nl).restored(done);
    expect(cli).toContain(`  [ ] ${FIRST_NL}`);
    expect(cli).toContain(`  [ ] ${OWN_LINE}`);
    expect(JSON.parse(toJson(done)).followUp).toEqual([...ENGLISH_DEFAULTS, OWN_LINE]);
    expect(toJson(done)).not.toContain("followUp.");

    // In English, the same lines as before.
    expect(formattersFor().restored(done)).toContain(`  [ ] ${ENGLISH_DEFAULTS[0]}`);
  });

  it("escapes a default line's own angle brackets in Slack (Entra's PowerShell placeholders)", async () => {
    await storeFollowUp(BUILTIN_DIRECTORY_ID, ["followUp.entra.mailOnly"]);
    const deleted = await world.deleted({ userName: "jan@example.com" });
    const plan = ok(await world.service.plan(ADMIN, deleted.id));
    const slack = JSON.stringify(
      planView(plan, { accountId: deleted.id, query: "jan", directoryName: "" }, nl),
    );
    expect(slack).toContain("Get-Mailbox -SoftDeletedMailbox &lt;name&gt;");
    expect(slack).toContain("postvak");
    expect(slack).not.toContain("<name>");
  });

  it("keeps no English default line in the code: every provider's checklist and note is a catalog key", () => {
    const profiles = [ENTRA_PROFILE, GOOGLE_PROFILE, JUMPCLOUD_PROFILE, LARK_PROFILE, OKTA_PROFILE];
    const lines = [
      ...BUILTIN_FOLLOW_UP,
      ...RECREATE_FOLLOW_UP,
      ...profiles.flatMap((p) => [...p.followUp, ...(p.capabilities.note ? [p.capabilities.note] : [])]),
    ];
    expect(lines.filter((line) => !isStoredKey(line))).toEqual([]);
  });

  it("says a record's English default lines, kept before the keys, in the reader's language too", () => {
    const kept = [storedEnglish("followUp.okta.apps"), OWN_LINE];
    expect(sayFollowUp(nl, kept)).toEqual([
      "Wijs de apps die de gebruiker rechtstreeks had opnieuw toe: door het deactiveren zijn ze uit elke app verwijderd. Apps die via groepen zijn toegewezen, komen terug met de groepslidmaatschappen die Okta heeft bewaard.",
      OWN_LINE,
    ]);
  });
});
