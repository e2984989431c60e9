/**
 * GET /metrics as Prometheus scrapes it: the app driven through Slack (signed requests, nock as
 * the Web API) and a provider (nock as Okta), then the scrape read back in the text format. What
 * an operator watches must move, and no label may carry a person or an account.
 */
import { LogLevel, WebClient } from "@slack/web-api";
import { eq } from "drizzle-orm";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { restoreRequests } from "../src/db/schema.ts";
import { queueDigest } from "../src/digest/send.ts";
import { digestSettingsFrom } from "../src/digest/settings.ts";
import { parseImportFile } from "../src/import/import-file.ts";
import { silentLog } from "../src/log.ts";
import { AppMetrics } from "../src/metrics/metrics.ts";
import { measuredConnector } from "../src/metrics/providers.ts";
import { withMetrics } from "../src/metrics/service.ts";
import { measuredSlackFetch } from "../src/metrics/slack.ts";
import { readStateAtScrape } from "../src/metrics/state.ts";
import { ensureProviderDirectory } from "../src/mirror/sync.ts";
import { oktaModule } from "../src/providers/okta.ts";
import { policyFrom } from "../src/restore/access.ts";
import { RestoreService } from "../src/restore/service.ts";
import { runHousekeeping } from "../src/schedule/housekeeping.ts";
import { claimRun } from "../src/schedule/runs.ts";
import { runSyncs } from "../src/schedule/sync-job.ts";
import { ACTION, BLOCK, CALLBACK } from "../src/slack/blocks/ids.ts";
import { quietDeps } from "./directory/support.ts";
import * as okta from "./fixtures/okta.ts";
import { openTestDatabase } from "./support/database.ts";
import { parseScrape, type Sample, sumOf } from "./support/prometheus.ts";
import { ADMIN_CHANNEL, type ApiCall, useSlack } from "./support/slack.ts";
import { ADMIN, APPROVER, NOW, useWorld } from "./support/world.ts";

const TOKEN = "metrics-token-0123456789abcdef";
const world = useWorld();
const slack = useSlack(world, {}, { metrics: { token: TOKEN } });

type View = { callback_id?: string; private_metadata?: string; blocks: { block_id?: string }[] };

function scrape(headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, method = "GET") {
  return fetch(`${slack.base()}/metrics`, { method, headers });
}

async function samples(): Promise<{ text: string; samples: Sample[] }> {
  const response = await scrape();
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, samples: parseScrape(text) };
}

/** Scrapes until `ready` holds: what a listener records after its ack lands a moment later. */
async function scrapeUntil(ready: (s: Sample[]) => boolean): Promise<{ text: string; samples: Sample[] }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const scraped = await samples();
    if (ready(scraped.samples) || Date.now() > deadline) return scraped;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function viewOf(call: ApiCall | undefined): View {
  if (!call) throw new Error("no call");
  return call.args.view as View;
}

/** The plan in place of the search modal `viewId` (each submission's idempotency key is its view's id). */
async function openPlanFor(user: string, accountId: string, viewId: string, n: number) {
  await slack.interact({
    type: "block_actions",
    user: { id: user },
    trigger_id: "trigger.plan",
    actions: [{ type: "button", action_id: ACTION.planAccount, block_id: "b", value: accountId }],
    view: { id: viewId, type: "modal", callback_id: CALLBACK.search, private_metadata: "" },
  });
  const updates = await slack.waitFor("views.update", n);
  const update = updates[n - 1];
  return { viewId: String(update?.args.view_id), view: viewOf(update) };
}

const submission = (user: string, viewId: string, view: View, values: Record<string, unknown> = {}) => ({
  type: "view_submission",
  user: { id: user },
  view: { ...view, id: viewId, state: { values } },
});

describe("GET /metrics after people use the app in Slack", () => {
  it("moves acks, Web API calls, restores and replace requests, and no label names a person or an account", async () => {
    const dana = await world.deleted({ userName: "dana@example.com", displayName: "Dana White" });
    const frankOld = await world.deleted({ userName: "frank@example.com", displayName: "Frank Old" });
    const frankNew = await world.active({ userName: "frank@example.com", displayName: "Frank New" });

    // A command: its ack, then the modal opened, filled with the search's results.
    await slack.command(ADMIN, "dana");
    await slack.waitFor("views.open");
    // Type-ahead: an options request.
    await slack.interact({
      type: "block_suggestion",
      user: { id: ADMIN },
      action_id: ACTION.lookup,
      block_id: BLOCK.lookup,
      value: "dana",
      view: { id: "V9", type: "modal", callback_id: CALLBACK.search },
    });
    // A restore from the plan's modal.
    const plan = await openPlanFor(ADMIN, dana.id, "VDANA", 1);
    expect(JSON.parse((await slack.interact(submission(ADMIN, plan.viewId, plan.view))).text)).toMatchObject({
      response_action: "update",
    });
    // A replace asked for, then approved by an approver.
    const replace = await openPlanFor(ADMIN, frankOld.id, "VFRANK", 2);
    const asked = await slack.interact(
      submission(ADMIN, replace.viewId, replace.view, {
        [BLOCK.resolution]: {
          [ACTION.resolution]: { type: "radio_buttons", selected_option: { value: "replace" } },
        },
        [BLOCK.reason]: { [ACTION.value]: { type: "plain_text_input", value: "Frank came back" } },
      }),
    );
    expect(asked.text).toContain("Asked for approval");
    await slack.waitFor("chat.postMessage");
    const pending = await samples();
    expect(sumOf(pending.samples, "restore_user_replace_requests_total", { outcome: "requested" })).toBe(1);
    expect(sumOf(pending.samples, "restore_user_replace_requests_pending")).toBe(1);

    const [request] = await world.database.db
      .select()
      .from(restoreRequests)
      .where(eq(restoreRequests.kind, "replace"));
    await slack.interact({
      type: "block_actions",
      user: { id: APPROVER },
      trigger_id: "trigger.click",
      channel: { id: ADMIN_CHANNEL },
      message: { ts: "1700000000.1" },
      actions: [{ type: "button", action_id: ACTION.approve, block_id: BLOCK.decision, value: request?.id }],
    });
    await slack.waitFor("chat.update");
    const { text, samples: after } = await scrapeUntil(
      // The outbox's chat.update is counted once its answer is read, a moment after nock saw it.
      (s) =>
        sumOf(s, "restore_user_replace_requests_total", { outcome: "approved" }) === 1 &&
        sumOf(s, "restore_user_slack_api_call_seconds_count", { method: "chat.update" }) >= 1,
    );

    const acks = (kind: string) => sumOf(after, "restore_user_slack_ack_seconds_count", { kind });
    expect(acks("command")).toBe(1);
    expect(acks("options")).toBe(1);
    expect(acks("action")).toBe(3);
    expect(acks("submission")).toBe(2);
    // Acks well inside Slack's 3 s are in the 3 s bucket.
    expect(sumOf(after, "restore_user_slack_ack_seconds_bucket", { kind: "command", le: "3" })).toBe(1);
    const calls = (method: string) => sumOf(after, "restore_user_slack_api_call_seconds_count", { method });
    const made = (method: string) => slack.calls.filter((c) => c.method === method).length;
    expect(calls("views.open")).toBe(made("views.open"));
    expect(calls("views.update")).toBe(made("views.update"));
    expect(calls("views.update")).toBeGreaterThanOrEqual(2);
    expect(calls("chat.postMessage")).toBeGreaterThanOrEqual(1);
    expect(calls("chat.update")).toBeGreaterThanOrEqual(1);
    expect(sumOf(after, "restore_user_slack_api_errors_total")).toBe(0);
    // Dana restored at once, Frank's old account by the approved replace.
    expect(sumOf(after, "restore_user_restores_total", { directory: "builtin", outcome: "restored" })).toBe(
      2,
    );
    expect(sumOf(after, "restore_user_replace_requests_total", { outcome: "approved" })).toBe(1);
    expect(sumOf(after, "restore_user_replace_requests_pending")).toBe(0);
    // Node's own process metrics are there too.
    expect(sumOf(after, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(after.some((s) => s.name === "nodejs_heap_size_used_bytes")).toBe(true);

    // The whole scrape, not only the labels we set: nobody's name, address or id anywhere.
    const people = [dana, frankOld, frankNew].flatMap((a) => [a.id, a.userName, a.displayName, a.externalId]);
    for (const value of [...people, ADMIN, APPROVER, request?.id as string])
      expect(text).not.toContain(value);
    expect(text).not.toMatch(/@|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
  });
});

describe("who may scrape", () => {
  it("asks for the bearer token when METRICS_TOKEN is set, and logs no token", async () => {
    expect((await scrape({})).status).toBe(401);
    const wrong = await scrape({ authorization: "Bearer metrics-token-0123456789abcdeX" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await scrape({ authorization: `Basic ${TOKEN}` })).status).toBe(401);
    expect((await scrape()).status).toBe(200);
    await expect.poll(() => slack.logs.join("\n")).toMatch(/"status":401/);
    expect(slack.logs.join("\n")).not.toContain("metrics-token");
  });

  it("answers GET and HEAD only (405 naming them otherwise), and never under Slack's path", async () => {
    const post = await scrape({ authorization: `Bearer ${TOKEN}` }, "POST");
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const head = await scrape({ authorization: `Bearer ${TOKEN}` }, "HEAD");
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    for (const path of ["/slack/events/metrics", "/slack/metrics"]) {
      const response = await fetch(`${slack.base()}${path}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.status).toBe(404);
    }
  });
});

describe("the app's background work", () => {
  it("counts a provider's failed and successful calls and says how long ago it last synced", async () => {
    const metrics = slack.metrics as AppMetrics;
    const connector = measuredConnector(
      oktaModule.create(
        oktaModule.settings.parse({ OKTA_ORG_URL: okta.ORG, OKTA_API_TOKEN: okta.API_TOKEN }),
        quietDeps(() => world.clock.now()).deps,
      ),
      metrics,
    );
    await ensureProviderDirectory(world.database.db, connector);
    const service = withMetrics(
      new RestoreService(
        world.database.db,
        world.clock,
        policyFrom([ADMIN], [APPROVER]),
        { approvalsRequired: 1, approvalTtlHours: 24 },
        new Map([["okta", connector]]),
      ),
      metrics,
    );
    const deprovisioned = () =>
      nock(okta.ORG).get("/api/v1/users").query({ search: 'status eq "DEPROVISIONED"', limit: "200" });

    // Okta refuses: the admin's sync says so, and the error is counted by provider and operation.
    deprovisioned().reply(403, okta.forbidden);
    expect(await service.sync(ADMIN, "okta")).toMatchObject({ type: "refused", code: "provider" });
    let scraped = parseScrape((await metrics.scrape()).text);
    const oktaList = { provider: "okta", operation: "listDeleted" };
    expect(sumOf(scraped, "restore_user_provider_errors_total", oktaList)).toBe(1);
    expect(sumOf(scraped, "restore_user_provider_call_seconds_count", oktaList)).toBe(1);

    // The scheduled sync goes through; a minute and a half later, that is its age.
    deprovisioned().reply(200, [okta.ada]);
    const scheduled = {
      db: world.database.db,
      clock: world.clock,
      owner: "this-copy",
      connectors: [connector],
    };
    expect(await runSyncs(scheduled, NOW.toISOString())).toMatchObject([{ directoryId: "okta" }]);
    world.clock.advance(90_000);
    const state = new AppMetrics();
    readStateAtScrape(
      state,
      { db: world.database.db, clock: world.clock, providers: ["okta"], digestChannel: null },
      () => {},
    );
    scraped = parseScrape((await state.scrape()).text);
    expect(sumOf(scraped, "restore_user_provider_sync_age_seconds", { provider: "okta" })).toBe(90);
    scraped = parseScrape((await metrics.scrape()).text);
    expect(sumOf(scraped, "restore_user_provider_errors_total", oktaList)).toBe(1);
    expect(sumOf(scraped, "restore_user_provider_call_seconds_count", oktaList)).toBe(3);
  });

  it("says when the digest was last done and counts a lease taken over from a copy that died", async () => {
    const metrics = slack.metrics as AppMetrics;
    const onTakeover = (job: string) => metrics.leaseTakenOver(job);
    const db = world.database.db;
    const digestDeps = {
      db,
      clock: world.clock,
      log: silentLog,
      settings: digestSettingsFrom({}),
      owner: "this-copy",
      onTakeover,
    };
    const before = parseScrape((await metrics.scrape()).text);
    expect(sumOf(before, "restore_user_digest_last_sent_timestamp_seconds")).toBe(0);
    await queueDigest(digestDeps, ADMIN_CHANNEL, "2026-11-22");

    // Another copy claimed this housekeeping slot and died; its lease lapses and this copy takes over.
    const slot = NOW.toISOString();
    await claimRun(db, "housekeeping", slot, "dead-copy", world.clock.now(), 1_000);
    world.clock.advance(5_000);
    const service = withMetrics(world.service, metrics);
    await runHousekeeping(
      { db, clock: world.clock, service, owner: "this-copy", reminderHours: 4, onTakeover },
      slot,
    );

    const scraped = parseScrape((await metrics.scrape()).text);
    expect(sumOf(scraped, "restore_user_digest_last_sent_timestamp_seconds")).toBe(NOW.getTime() / 1000);
    expect(sumOf(scraped, "restore_user_lease_takeovers_total", { job: "housekeeping" })).toBe(1);
    expect(sumOf(scraped, "restore_user_lease_takeovers_total", { job: "digest" })).toBe(0);
  });

  it("still answers when the database does not: its gauges say NaN or are left out, and why is reported", async () => {
    const gone = await openTestDatabase();
    await gone.close();
    const metrics = new AppMetrics();
    const problems: string[] = [];
    readStateAtScrape(
      metrics,
      { db: gone.db, clock: world.clock, providers: ["okta"], digestChannel: ADMIN_CHANNEL },
      (what) => problems.push(what),
    );
    const scraped = parseScrape((await metrics.scrape()).text);
    expect(sumOf(scraped, "restore_user_replace_requests_pending")).toBeNaN();
    expect(sumOf(scraped, "restore_user_digest_last_sent_timestamp_seconds")).toBeNaN();
    expect(scraped.some((s) => s.name === "restore_user_provider_sync_age_seconds")).toBe(false);
    expect(sumOf(scraped, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(problems.sort()).toEqual(["last digest", "last syncs", "pending replace requests"]);
  });

  it("counts imported rows by directory and outcome", async () => {
    const metrics = slack.metrics as AppMetrics;
    const csv = [
      "user_name,email,aliases,display_name,phone,department,status,deleted_at,deleted_by,given_name,family_name,license",
      "kim@example.com,kim@example.com,,Kim Park,,,deleted,2026-11-20T10:00:00Z,U0ADMIN2,,,",
      "lee@example.com,lee@example.com,,Lee Chan,,,active,,,,,",
    ].join("\n");
    const parsed = parseImportFile(csv, "csv", NOW);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const service = withMetrics(world.service, metrics);
    await service.importAccounts(ADMIN, parsed.file);
    await service.importAccounts(ADMIN, parsed.file);
    const scraped = parseScrape((await metrics.scrape()).text);
    const rows = (outcome: string) =>
      sumOf(scraped, "restore_user_import_rows_total", { directory: "builtin", outcome });
    expect(rows("inserted")).toBe(2);
    expect(rows("skipped")).toBe(2);
  });
});

describe("Web API failures", () => {
  it("are counted by method and Slack's error code, and a network failure as unreachable", async () => {
    const metrics = new AppMetrics();
    const api = "http://slack-errors.test/api/";
    const client = new WebClient("xoxb-test", {
      slackApiUrl: api,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
      fetch: measuredSlackFetch(metrics, api),
    });
    nock("http://slack-errors.test")
      .post("/api/chat.postMessage")
      .reply(200, { ok: false, error: "not_in_channel" });
    nock("http://slack-errors.test").post("/api/views.update").reply(500, "oops");
    await expect(client.chat.postMessage({ channel: "C1", text: "hi" })).rejects.toThrow(/not_in_channel/);
    await expect(
      client.views.update({
        view_id: "V1",
        view: { type: "modal", title: { type: "plain_text", text: "x" }, blocks: [] },
      }),
    ).rejects.toThrow();
    await expect(client.auth.test()).rejects.toThrow();
    const scraped = parseScrape((await metrics.scrape()).text);
    const errors = (method: string, error: string) =>
      sumOf(scraped, "restore_user_slack_api_errors_total", { method, error });
    expect(errors("chat.postMessage", "not_in_channel")).toBe(1);
    expect(errors("views.update", "http_500")).toBe(1);
    expect(errors("auth.test", "unreachable")).toBe(1);
    expect(sumOf(scraped, "restore_user_slack_api_call_seconds_count", { method: "chat.postMessage" })).toBe(
      1,
    );
  });
});
