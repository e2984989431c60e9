/**
 * Concurrency: on the real server (TEST_DATABASE_URL) these calls really overlap, each on its own
 * connection; on PGlite they are serialised. Either way the outcome must be the same: one effect.
 */
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  accountAddresses,
  accounts,
  approvals,
  auditEvents,
  outbox,
  restoreRequests,
} from "../src/db/schema.ts";
import { policyFrom } from "../src/restore/access.ts";
import { isRefusal, type Refusal } from "../src/restore/outcome.ts";
import { RestoreService } from "../src/restore/service.ts";
import { ADMIN, ADMIN_2, APPROVER, useWorld } from "./support/world.ts";

const world = useWorld();

const APPROVERS = Array.from({ length: 20 }, (_, i) => `U0APPR${String(i).padStart(2, "0")}`);

function serviceFor(approvalsRequired = 1): RestoreService {
  return new RestoreService(
    world.database.db,
    world.clock,
    policyFrom([ADMIN, ADMIN_2], [APPROVER, ...APPROVERS]),
    {
      approvalsRequired,
      approvalTtlHours: 24,
    },
  );
}

function ok<T>(value: T | Threw): Exclude<T, { type: "refused" }> {
  if (isRefusal(value)) throw new Error(`refused: ${value.code}: ${value.message}`);
  if ((value as Threw).type === "threw") throw new Error(`threw: ${(value as Threw).message}`);
  return value as Exclude<T, { type: "refused" }>;
}

/** A call that threw (rather than answering or refusing) shows up as this, so every call is awaited. */
type Threw = { type: "threw"; message: string };

/** Runs the calls at once and waits for all of them, whatever happens. */
async function all<T>(calls: Promise<T>[]): Promise<(T | Threw)[]> {
  const settled = await Promise.allSettled(calls);
  return settled.map((s) =>
    s.status === "fulfilled"
      ? s.value
      : { type: "threw" as const, message: String(s.reason?.cause ?? s.reason) },
  );
}

function threw(outcomes: unknown[]): string[] {
  return outcomes.flatMap((o) => ((o as Threw).type === "threw" ? [(o as Threw).message] : []));
}

function codes(outcomes: unknown[]): string[] {
  return outcomes.filter(isRefusal).map((r: Refusal) => r.code);
}

async function stored(id: string) {
  const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, id));
  if (!row) throw new Error(`no account ${id}`);
  return row;
}

async function auditCount(action: string): Promise<number> {
  const rows = await world.database.db.select().from(auditEvents).where(eq(auditEvents.action, action));
  return rows.length;
}

async function activeWithUserName(userName: string) {
  return world.database.db
    .select()
    .from(accounts)
    .where(and(eq(accounts.status, "active"), sql`lower(${accounts.userName}) = ${userName.toLowerCase()}`));
}

async function replaceRequest(service: RestoreService) {
  const active = await world.active({ userName: "alice@example.com", displayName: "Alice Newhire" });
  const deleted = await world.deleted({ userName: "alice@example.com", displayName: "Alice Smith" });
  const { request } = ok(await service.requestReplace(ADMIN, deleted.id, "Alice is back"));
  return { active, deleted, request };
}

describe("approvers clicking at once", () => {
  it("20 approvers approving one request at once restore it exactly once", async () => {
    const service = serviceFor();
    const { active, deleted, request } = await replaceRequest(service);

    const outcomes = await all(APPROVERS.map((approver) => service.approve(approver, request.id)));

    expect(threw(outcomes), "no call may fail with an error instead of an answer").toEqual([]);

    const restored = outcomes.filter((o) => !isRefusal(o) && o.type === "restored");
    expect(restored).toHaveLength(1);
    expect(outcomes.filter((o) => !isRefusal(o) && o.type !== "restored")).toEqual([]);
    expect(codes(outcomes)).toEqual(Array.from({ length: 19 }, () => "not_pending"));
    expect(await auditCount("restore")).toBe(1);
    expect(await auditCount("replace")).toBe(1);
    expect(await auditCount("approve")).toBe(1);

    const replaced = await stored(active.id);
    expect(replaced.status).toBe("deleted");
    expect(replaced.version).toBe(active.version + 1);
    const back = await stored(deleted.id);
    expect(back.status).toBe("active");
    expect(back.version).toBe(deleted.version + 1);
    const [row] = await world.database.db
      .select()
      .from(restoreRequests)
      .where(eq(restoreRequests.id, request.id));
    expect(row?.status).toBe("completed");
    expect(await activeWithUserName("alice@example.com")).toHaveLength(1);
    // The one decision owes one update of the ask and one word to the requester; the refused
    // clicks owe nothing.
    const owed = await world.database.db.select().from(outbox).orderBy(outbox.id);
    expect(owed.map((o) => o.kind)).toEqual(["approval_asked", "approval_changed", "requester_notice"]);
  });

  it("one approver's double click (or Slack's redelivery) has one effect", async () => {
    const service = serviceFor();
    const { active, deleted, request } = await replaceRequest(service);

    const outcomes = await all([
      service.approve(APPROVER, request.id),
      service.approve(APPROVER, request.id),
    ]);

    expect(threw(outcomes), "no call may fail with an error instead of an answer").toEqual([]);

    expect(outcomes.filter((o) => !isRefusal(o) && o.type === "restored")).toHaveLength(1);
    expect(codes(outcomes)).toHaveLength(1);
    expect(["not_pending", "already_approved"]).toContain(codes(outcomes)[0]);
    expect(await auditCount("restore")).toBe(1);
    expect(await auditCount("replace")).toBe(1);
    expect((await stored(active.id)).status).toBe("deleted");
    expect((await stored(deleted.id)).status).toBe("active");
  });

  it("with two approvals required, one approver's double click counts once and restores nothing", async () => {
    const service = serviceFor(2);
    const { active, deleted, request } = await replaceRequest(service);

    const outcomes = await all([
      service.approve(APPROVER, request.id),
      service.approve(APPROVER, request.id),
    ]);

    expect(threw(outcomes), "no call may fail with an error instead of an answer").toEqual([]);

    expect(outcomes.filter((o) => !isRefusal(o) && o.type === "approval_recorded")).toHaveLength(1);
    expect(codes(outcomes)).toEqual(["already_approved"]);
    const rows = await world.database.db.select().from(approvals).where(eq(approvals.requestId, request.id));
    expect(rows).toHaveLength(1);
    expect(await stored(active.id)).toEqual(active);
    expect(await stored(deleted.id)).toEqual(deleted);
  });

  it("with two approvals required, 20 approvers at once restore exactly once", async () => {
    const service = serviceFor(2);
    const { active, request } = await replaceRequest(service);

    const outcomes = await all(APPROVERS.map((approver) => service.approve(approver, request.id)));

    expect(threw(outcomes), "no call may fail with an error instead of an answer").toEqual([]);

    expect(outcomes.filter((o) => !isRefusal(o) && o.type === "approval_recorded")).toHaveLength(1);
    expect(outcomes.filter((o) => !isRefusal(o) && o.type === "restored")).toHaveLength(1);
    expect(codes(outcomes)).toEqual(Array.from({ length: 18 }, () => "not_pending"));
    expect(await auditCount("restore")).toBe(1);
    expect(await auditCount("replace")).toBe(1);
    expect((await stored(active.id)).status).toBe("deleted");
  });
});

describe("restores at once", () => {
  it("10 restores of one account with the same idempotency key restore it once; the others are repeats", async () => {
    const gina = await world.deleted({ userName: "gina@example.com" });

    const outcomes = await all(
      Array.from({ length: 10 }, () =>
        world.service.restore(ADMIN, gina.id, {}, { idempotencyKey: "click-1" }),
      ),
    );

    expect(threw(outcomes), "no call may fail with an error instead of an answer").toEqual([]);

    const done = outcomes.map(ok);
    expect(done.filter((d) => !d.repeated)).toHaveLength(1);
    expect(done.filter((d) => d.repeated)).toHaveLength(9);
    expect(done.filter((d) => d.temporaryPassword !== null)).toHaveLength(1);
    expect(new Set(done.map((d) => d.requestId)).size).toBe(1);
    expect(done.every((d) => d.account.id === gina.id && d.account.status === "active")).toBe(true);
    expect(await auditCount("restore")).toBe(1);
    expect(await world.database.db.select().from(restoreRequests)).toHaveLength(1);
    expect((await stored(gina.id)).version).toBe(gina.version + 1);
  });

  it("10 restores of one account without a key: exactly one succeeds, the others are refused", async () => {
    const hank = await world.deleted({ userName: "hank@example.com" });

    const outcomes = await all(Array.from({ length: 10 }, () => world.service.restore(ADMIN, hank.id)));

    expect(threw(outcomes), "no call may fail with an error instead of an answer").toEqual([]);

    const restored = outcomes.filter((o) => !isRefusal(o));
    expect(restored).toHaveLength(1);
    expect(codes(outcomes)).toHaveLength(9);
    for (const code of codes(outcomes)) expect(["blocked", "race"]).toContain(code);
    expect(await auditCount("restore")).toBe(1);
    expect(await world.database.db.select().from(restoreRequests)).toHaveLength(1);
    expect((await stored(hank.id)).version).toBe(hank.version + 1);
  });

  it("two accounts renamed at once to the same new user name: one wins, never both active", async () => {
    const one = await world.deleted({ userName: "ivan@example.com" });
    const two = await world.deleted({ userName: "ivana@example.com" });

    const outcomes = await all([
      world.service.restore(ADMIN, one.id, { renameTo: "ivan.k@example.com" }),
      world.service.restore(ADMIN_2, two.id, { renameTo: "ivan.k@example.com" }),
    ]);

    expect(threw(outcomes), "no call may fail with an error instead of an answer").toEqual([]);

    expect(outcomes.filter((o) => !isRefusal(o))).toHaveLength(1);
    expect(codes(outcomes)).toHaveLength(1);
    expect(["race", "invalid_choice"]).toContain(codes(outcomes)[0]);
    expect(await activeWithUserName("ivan.k@example.com")).toHaveLength(1);
    const statuses = [(await stored(one.id)).status, (await stored(two.id)).status].sort();
    expect(statuses).toEqual(["active", "deleted"]);
    expect(await auditCount("restore")).toBe(1);
  });

  it("two accounts with the same email restored at once: never both active with that address", async () => {
    // User names differ, the email is the same: only the address index can tell.
    const one = await world.deleted({ userName: "jo@example.com", email: "jo.smith@example.com" });
    const two = await world.deleted({ userName: "joanne@example.com", email: "jo.smith@example.com" });

    const outcomes = await all([
      world.service.restore(ADMIN, one.id),
      world.service.restore(ADMIN_2, two.id),
    ]);

    expect(threw(outcomes), "no call may fail with an error instead of an answer").toEqual([]);

    const holders = await world.database.db
      .select()
      .from(accounts)
      .where(and(eq(accounts.status, "active"), eq(accounts.email, "jo.smith@example.com")));
    expect(holders).toHaveLength(1);
    expect(outcomes.filter((o) => !isRefusal(o))).toHaveLength(1);
    expect(codes(outcomes).length).toBe(1);
    expect(["race", "blocked"]).toContain(codes(outcomes)[0]);
    const addresses = await world.database.db
      .select()
      .from(accountAddresses)
      .where(and(eq(accountAddresses.address, "jo.smith@example.com"), eq(accountAddresses.active, true)));
    expect(addresses.map((a) => a.accountId)).toEqual(holders.map((h) => h.id));
  });

  it("two accounts with the same phone restored at once: never both active with that phone", async () => {
    const one = await world.deleted({ userName: "kay@example.com", phone: "+15550177" });
    const two = await world.deleted({ userName: "kai@example.com", phone: "+15550177" });

    const outcomes = await all([
      world.service.restore(ADMIN, one.id),
      world.service.restore(ADMIN_2, two.id),
    ]);

    expect(threw(outcomes), "no call may fail with an error instead of an answer").toEqual([]);

    expect(outcomes.filter((o) => !isRefusal(o))).toHaveLength(1);
    expect(["race", "blocked"]).toContain(codes(outcomes)[0]);
    const holders = await world.database.db
      .select()
      .from(accounts)
      .where(and(eq(accounts.status, "active"), eq(accounts.phone, "+15550177")));
    expect(holders).toHaveLength(1);
  });
});

describe("the last free seat", () => {
  it("two different accounts restored at once into the last seat: only one gets it", async () => {
    await world.seatPlan("pro", 2);
    await world.active({ userName: "holder@example.com", license: "pro" });
    const one = await world.deleted({ userName: "lena@example.com", license: "pro" });
    const two = await world.deleted({ userName: "lars@example.com", license: "pro" });

    const outcomes = await all([
      world.service.restore(ADMIN, one.id),
      world.service.restore(ADMIN_2, two.id),
    ]);

    expect(threw(outcomes), "no call may fail with an error instead of an answer").toEqual([]);
    const used = await world.database.db
      .select()
      .from(accounts)
      .where(and(eq(accounts.status, "active"), eq(accounts.license, "pro")));
    expect(used).toHaveLength(2);
    expect(outcomes.filter((o) => !isRefusal(o))).toHaveLength(1);
    expect(codes(outcomes)).toEqual(["blocked"]);
    const refusal = outcomes.find(isRefusal);
    expect(refusal?.message).toContain("No free pro seat (2 of 2 used)");
  });
});

describe("collecting a temporary password", () => {
  it("ten clicks at once on the requester's button give out one password", async () => {
    const service = serviceFor();
    await world.active({ userName: "nia@example.com" });
    const deleted = await world.deleted({ userName: "nia@example.com" });
    const { request } = ok(await service.requestReplace(ADMIN, deleted.id, "Nia is back"));
    ok(await service.approve(APPROVER, request.id));

    const outcomes = await all(
      Array.from({ length: 10 }, () => service.issueTemporaryPassword(ADMIN, request.id)),
    );

    expect(threw(outcomes), "no call may fail with an error instead of an answer").toEqual([]);
    expect(outcomes.filter((o) => !isRefusal(o))).toHaveLength(1);
    expect(codes(outcomes)).toEqual(Array(9).fill("already_issued"));
    const resets = await world.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "password_reset"));
    expect(resets).toHaveLength(1);
  });
});
