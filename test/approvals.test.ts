import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type Account, accountAddresses, accounts, auditEvents, restoreRequests } from "../src/db/schema.ts";
import { verifyPassword } from "../src/restore/password.ts";
import { DAY_MS, HOUR_MS } from "../src/restore/window.ts";
import { ok, refused } from "./support/outcomes.ts";
import {
  ADMIN,
  ADMIN_2,
  ADMIN_APPROVER,
  APPROVER,
  APPROVER_2,
  NOW,
  RETENTION_DAYS,
  STRANGER,
  useWorld,
} from "./support/world.ts";

const world = useWorld();

async function stored(id: string): Promise<Account> {
  const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, id));
  if (!row) throw new Error(`no account ${id}`);
  return row;
}

async function requestRow(id: string) {
  const [row] = await world.database.db.select().from(restoreRequests).where(eq(restoreRequests.id, id));
  if (!row) throw new Error(`no request ${id}`);
  return row;
}

async function auditActions(): Promise<string[]> {
  const events = await world.database.db.select().from(auditEvents).orderBy(auditEvents.id);
  return events.map((e) => e.action);
}

/** The case replace exists for: a deleted account whose user name an active account took since. */
async function replaceCase() {
  const active = await world.active({
    userName: "alice@example.com",
    displayName: "Alice Newhire",
    phone: "+15550100",
    aliases: ["alice.n@example.com"],
  });
  const deleted = await world.deleted({
    userName: "alice@example.com",
    displayName: "Alice Smith",
    phone: "+15550100",
    aliases: ["a.smith@example.com"],
    daysAgo: 10,
  });
  return { active, deleted };
}

async function requested(requester = ADMIN, service = world.service) {
  const { active, deleted } = await replaceCase();
  const outcome = ok(
    await service.requestReplace(requester, deleted.id, "Alice came back; the new hire moves"),
  );
  return { active, deleted, request: outcome.request, outcome };
}

describe("requesting a replace", () => {
  it("creates a pending request with who, why, expiry, approvals needed and both accounts, and changes nothing else", async () => {
    const { active, deleted } = await replaceCase();
    const outcome = ok(
      await world.service.requestReplace(ADMIN, deleted.id, "  Alice came back; the new hire moves  "),
    );

    expect(outcome.type).toBe("requested");
    expect(outcome.repeated).toBe(false);
    const request = await requestRow(outcome.request.id);
    expect(request).toMatchObject({
      kind: "replace",
      status: "pending",
      requestedBy: ADMIN,
      reason: "Alice came back; the new hire moves",
      accountId: deleted.id,
      replacesAccountId: active.id,
      replacesVersion: active.version,
      approvalsNeeded: 1,
      decidedAt: null,
      decidedBy: null,
    });
    expect(request.expiresAt?.toISOString()).toBe(new Date(NOW.getTime() + 24 * HOUR_MS).toISOString());
    expect(request.details).toMatchObject({
      restore: { id: deleted.id, userName: "alice@example.com", displayName: "Alice Smith" },
      replace: {
        id: active.id,
        userName: "alice@example.com",
        displayName: "Alice Newhire",
        status: "active",
      },
    });
    const whatHappens = (request.details as { whatHappens: string[] }).whatHappens.join(" ");
    expect(whatHappens).toContain(
      "Alice Newhire (alice@example.com, active) is deleted, restorable for 30 days",
    );
    expect(whatHappens).toContain("Alice Smith (alice@example.com) is restored in its place");
    expect(outcome.plan.replaces?.id).toBe(active.id);
    expect(outcome.plan.needsApproval).toBe(true);

    // Nothing else changed: both accounts as they were.
    expect(await stored(active.id)).toEqual(active);
    expect(await stored(deleted.id)).toEqual(deleted);
    const events = await world.database.db.select().from(auditEvents);
    expect(events.map((e) => e.action)).toEqual(["replace_requested"]);
    expect(events[0]).toMatchObject({ actor: ADMIN, requestId: request.id });
    expect(events[0]?.accountIds.sort()).toEqual([active.id, deleted.id].sort());
  });

  it("refuses a blank reason", async () => {
    const { deleted } = await replaceCase();
    const refusal = refused(await world.service.requestReplace(ADMIN, deleted.id, "   "));
    expect(refusal.code).toBe("invalid_input");
    expect(refusal.field).toBe("reason");
    expect(await world.database.db.select().from(restoreRequests)).toEqual([]);
    expect(await auditActions()).toEqual([]);
  });

  it("refuses when there is no active account to replace", async () => {
    const lone = await world.deleted({ userName: "lone@example.com" });
    const refusal = refused(await world.service.requestReplace(ADMIN, lone.id, "why not"));
    expect(refusal.code).toBe("invalid_choice");
    expect(refusal.message).toMatch(/nothing to replace/);
    expect(await world.database.db.select().from(restoreRequests)).toEqual([]);
  });

  it("refuses someone who is not an admin", async () => {
    const { deleted } = await replaceCase();
    for (const actor of [STRANGER, APPROVER]) {
      const refusal = refused(await world.service.requestReplace(actor, deleted.id, "please"));
      expect(refusal.code).toBe("not_allowed");
    }
    expect(await world.database.db.select().from(restoreRequests)).toEqual([]);
  });
});

describe("who may approve", () => {
  it("never the requester, even one who is an approver", async () => {
    const { active, deleted, request } = await requested(ADMIN_APPROVER);
    const refusal = refused(await world.service.approve(ADMIN_APPROVER, request.id));
    expect(refusal.code).toBe("own_request");
    expect((await requestRow(request.id)).status).toBe("pending");
    expect(await stored(active.id)).toEqual(active);
    expect(await stored(deleted.id)).toEqual(deleted);
  });

  it("never someone outside the approvers set", async () => {
    const { request } = await requested();
    for (const actor of [ADMIN, ADMIN_2, STRANGER]) {
      const refusal = refused(await world.service.approve(actor, request.id));
      expect(refusal.code).toBe("not_allowed");
      expect(JSON.stringify(refusal)).not.toContain("alice");
    }
    expect((await requestRow(request.id)).status).toBe("pending");
    expect(await auditActions()).toEqual(["replace_requested"]);
  });
});

describe("approving a replace", () => {
  it("deletes the active account with a full window, restores the deleted one, and returns the password once", async () => {
    const { active, deleted, request } = await requested();
    world.clock.advance(2 * HOUR_MS);
    const approvedAt = world.clock.now();

    const outcome = ok(await world.service.approve(APPROVER, request.id));
    if (outcome.type !== "restored") throw new Error(`expected restored, got ${outcome.type}`);
    expect(outcome.account).toMatchObject({
      id: deleted.id,
      userName: "alice@example.com",
      status: "active",
    });
    expect(outcome.replaced).toMatchObject({ id: active.id, status: "deleted" });
    expect(outcome.request.status).toBe("completed");
    expect(outcome.request.decidedBy).toBe(APPROVER);
    expect(outcome.temporaryPassword).toMatch(/^.{16}$/);

    const replaced = await stored(active.id);
    expect(replaced.status).toBe("deleted");
    expect(replaced.deletedBy).toBe(APPROVER);
    expect(replaced.deletedAt?.toISOString()).toBe(approvedAt.toISOString());
    expect(replaced.purgeAfter?.toISOString()).toBe(
      new Date(approvedAt.getTime() + RETENTION_DAYS * DAY_MS).toISOString(),
    );
    expect(replaced.version).toBe(active.version + 1);

    const restored = await stored(deleted.id);
    expect(restored.status).toBe("active");
    expect(restored.userName).toBe("alice@example.com");
    expect(restored.phone).toBe("+15550100");
    expect(restored.mustChangePassword).toBe(true);
    expect(await verifyPassword(outcome.temporaryPassword as string, restored.passwordHash as string)).toBe(
      true,
    );

    // The password is shown once: not in the request, not in the audit, not on a later look.
    const row = await requestRow(request.id);
    expect(row.status).toBe("completed");
    expect(JSON.stringify(row)).not.toContain(outcome.temporaryPassword as string);
    const events = await world.database.db.select().from(auditEvents).orderBy(auditEvents.id);
    expect(JSON.stringify(events)).not.toContain(outcome.temporaryPassword as string);
    expect(events.map((e) => e.action)).toEqual(["replace_requested", "approve", "replace", "restore"]);
    expect(events.slice(1).every((e) => e.actor === APPROVER && e.requestId === request.id)).toBe(true);
    expect(events[2]?.before).toMatchObject({ id: active.id, status: "active" });
    expect(events[2]?.after).toMatchObject({ id: active.id, status: "deleted", deletedBy: APPROVER });
    expect(events[3]?.after).toMatchObject({ id: deleted.id, status: "active" });

    const again = refused(await world.service.approve(APPROVER_2, request.id));
    expect(again.code).toBe("not_pending");
    expect(again.message).toContain("completed");
  });

  it("leaves the replaced account restorable, with its 30 days and its own data", async () => {
    const { active, request } = await requested();
    ok(await world.service.approve(APPROVER, request.id));

    const plan = ok(await world.service.plan(ADMIN, active.id));
    expect(plan.restorability).toMatchObject({ state: "deleted", daysLeft: 30 });
    expect(plan.conflicts.map((c) => c.kind).sort()).toEqual(["phone", "userName"]);

    world.clock.advance(3 * DAY_MS);
    const back = ok(
      await world.service.restore(ADMIN, active.id, {
        renameTo: "alice.newhire@example.com",
        dropPhone: true,
      }),
    );
    expect(back.account).toMatchObject({
      id: active.id,
      userName: "alice.newhire@example.com",
      displayName: "Alice Newhire",
      status: "active",
    });
    expect((await stored(active.id)).aliases).toEqual(["alice.n@example.com"]);
  });

  it("counts the replaced account's seat as freed", async () => {
    await world.seatPlan("pro", 1);
    const active = await world.active({ userName: "kim@example.com", license: "pro" });
    const deleted = await world.deleted({ userName: "kim@example.com", license: "pro" });
    const { request } = ok(await world.service.requestReplace(ADMIN, deleted.id, "Kim is back"));
    const outcome = ok(await world.service.approve(APPROVER, request.id));
    expect(outcome.type).toBe("restored");
    expect((await stored(deleted.id)).status).toBe("active");
    expect((await stored(active.id)).status).toBe("deleted");
  });
});

describe("rejecting", () => {
  it("needs a reason, then rejects for good", async () => {
    const { active, deleted, request } = await requested();
    const blank = refused(await world.service.reject(APPROVER, request.id, " "));
    expect(blank.code).toBe("invalid_input");
    expect(blank.field).toBe("reason");
    expect((await requestRow(request.id)).status).toBe("pending");

    const rejected = ok(await world.service.reject(APPROVER, request.id, "Ask Alice's manager first"));
    expect(rejected.type).toBe("rejected");
    const row = await requestRow(request.id);
    expect(row).toMatchObject({
      status: "rejected",
      decidedBy: APPROVER,
      decisionReason: "Ask Alice's manager first",
    });

    const late = refused(await world.service.approve(APPROVER_2, request.id));
    expect(late.code).toBe("not_pending");
    expect(late.message).toContain("rejected");
    expect(await stored(active.id)).toEqual(active);
    expect(await stored(deleted.id)).toEqual(deleted);
    expect(await auditActions()).toEqual(["replace_requested", "reject"]);
  });

  it("is refused to someone outside the approvers set", async () => {
    const { request } = await requested();
    expect(refused(await world.service.reject(ADMIN_2, request.id, "no")).code).toBe("not_allowed");
    expect((await requestRow(request.id)).status).toBe("pending");
  });
});

describe("expiry", () => {
  it("a request nobody decided within 24 hours cannot be approved and is marked expired", async () => {
    const { active, deleted, request } = await requested();
    world.clock.advance(24 * HOUR_MS + 1);
    const refusal = refused(await world.service.approve(APPROVER, request.id));
    expect(refusal.code).toBe("expired");
    expect((await requestRow(request.id)).status).toBe("expired");
    expect(await stored(active.id)).toEqual(active);
    expect(await stored(deleted.id)).toEqual(deleted);
    expect(await auditActions()).toEqual(["replace_requested", "expire"]);

    const again = refused(await world.service.approve(APPROVER_2, request.id));
    expect(again.code).toBe("not_pending");
  });

  it("can still be approved just before it expires", async () => {
    const { request } = await requested();
    world.clock.advance(24 * HOUR_MS - 60_000);
    expect(ok(await world.service.approve(APPROVER, request.id)).type).toBe("restored");
  });

  it("expirePending() expires the requests that are due and leaves the others", async () => {
    const { request: due } = await requested();
    world.clock.advance(20 * HOUR_MS);
    const fresh = await world.deleted({ userName: "zoe@example.com" });
    await world.active({ userName: "zoe@example.com" });
    const { request: notDue } = ok(await world.service.requestReplace(ADMIN_2, fresh.id, "Zoe is back"));

    world.clock.advance(5 * HOUR_MS);
    const expired = await world.service.expirePending();
    expect(expired.map((r) => r.id)).toEqual([due.id]);
    expect(expired[0]?.status).toBe("expired");
    expect((await requestRow(due.id)).status).toBe("expired");
    expect((await requestRow(notDue.id)).status).toBe("pending");
    expect(await world.service.expirePending()).toEqual([]);
    expect((await auditActions()).filter((a) => a === "expire")).toHaveLength(1);
  });

  it("a request past its expiry cannot be rejected either: it expired", async () => {
    const { request } = await requested();
    world.clock.advance(25 * HOUR_MS);
    const refusal = refused(await world.service.reject(APPROVER, request.id, "too late anyway"));
    expect(["expired", "not_pending"]).toContain(refusal.code);
    expect((await requestRow(request.id)).status).toBe("expired");
  });

  it("follows the configured time to live", async () => {
    const service = world.serviceWith({ approvalTtlHours: 2 });
    const { request } = await requested(ADMIN, service);
    expect(request.expiresAt?.toISOString()).toBe(new Date(NOW.getTime() + 2 * HOUR_MS).toISOString());
    world.clock.advance(2 * HOUR_MS);
    expect(refused(await service.approve(APPROVER, request.id)).code).toBe("expired");
  });
});

describe("two approvals required", () => {
  it("records the first approval and does nothing; the same approver again is refused; a second approver executes", async () => {
    const service = world.serviceWith({ approvalsRequired: 2 });
    const { active, deleted, request } = await requested(ADMIN, service);
    expect(request.approvalsNeeded).toBe(2);

    const first = ok(await service.approve(APPROVER, request.id));
    expect(first).toMatchObject({ type: "approval_recorded", approvals: 1, needed: 2 });
    expect((await requestRow(request.id)).status).toBe("pending");
    expect(await stored(active.id)).toEqual(active);
    expect(await stored(deleted.id)).toEqual(deleted);

    const twice = refused(await service.approve(APPROVER, request.id));
    expect(twice.code).toBe("already_approved");
    expect(await stored(active.id)).toEqual(active);

    const second = ok(await service.approve(APPROVER_2, request.id));
    expect(second.type).toBe("restored");
    expect((await stored(active.id)).status).toBe("deleted");
    expect((await stored(deleted.id)).status).toBe("active");
    expect(await auditActions()).toEqual(["replace_requested", "approve", "approve", "replace", "restore"]);
  });

  it("the requester's own approval never counts", async () => {
    const service = world.serviceWith({ approvalsRequired: 2 });
    const { request } = await requested(ADMIN_APPROVER, service);
    expect(refused(await service.approve(ADMIN_APPROVER, request.id)).code).toBe("own_request");
    expect(ok(await service.approve(APPROVER, request.id)).type).toBe("approval_recorded");
  });
});

describe("the re-check at approval", () => {
  it("fails safely when the deleted account's window ended meanwhile", async () => {
    const active = await world.active({ userName: "olga@example.com" });
    const deleted = await world.deleted({ userName: "olga@example.com", daysAgo: RETENTION_DAYS - 0.25 });
    const { request } = ok(await world.service.requestReplace(ADMIN, deleted.id, "Olga is back"));
    world.clock.advance(7 * HOUR_MS);

    const outcome = ok(await world.service.approve(APPROVER, request.id));
    if (outcome.type !== "failed") throw new Error(`expected failed, got ${outcome.type}`);
    expect(outcome.reason).toMatch(/nothing was changed/);
    expect(outcome.reason).toMatch(/restore window ended/);
    const row = await requestRow(request.id);
    expect(row.status).toBe("failed");
    expect(row.decisionReason).toBe(outcome.reason);
    expect(await stored(active.id)).toEqual(active);
    expect(await stored(deleted.id)).toEqual(deleted);
    expect(await auditActions()).toEqual(["replace_requested", "approve", "approval_failed"]);
    expect(refused(await world.service.approve(APPROVER_2, request.id)).code).toBe("not_pending");
  });

  it("fails with 'changed' when the active account changed since the request", async () => {
    const { active, deleted, request } = await requested();
    await world.database.db
      .update(accounts)
      .set({ displayName: "Alice Newhire-Jones", version: active.version + 1 })
      .where(eq(accounts.id, active.id));
    const before = await stored(active.id);

    const outcome = ok(await world.service.approve(APPROVER, request.id));
    if (outcome.type !== "failed") throw new Error(`expected failed, got ${outcome.type}`);
    expect(outcome.reason).toMatch(/changed since the request/);
    expect((await requestRow(request.id)).status).toBe("failed");
    expect(await stored(active.id)).toEqual(before);
    expect(await stored(deleted.id)).toEqual(deleted);
  });

  it("fails when the active account was deleted by someone else meanwhile", async () => {
    const { active, deleted, request } = await requested();
    await world.database.db
      .update(accounts)
      .set({
        status: "deleted",
        deletedAt: world.clock.now(),
        deletedBy: ADMIN_2,
        purgeAfter: new Date(world.clock.now().getTime() + RETENTION_DAYS * DAY_MS),
        version: active.version + 1,
      })
      .where(eq(accounts.id, active.id));
    const before = await stored(active.id);

    const outcome = ok(await world.service.approve(APPROVER, request.id));
    expect(outcome.type).toBe("failed");
    if (outcome.type === "failed") expect(outcome.reason).toMatch(/nothing/);
    expect((await requestRow(request.id)).status).toBe("failed");
    expect(await stored(active.id)).toEqual(before);
    expect(await stored(deleted.id)).toEqual(deleted);
  });

  it("fails when the active account was renamed meanwhile and another took the name", async () => {
    const { active, deleted, request } = await requested();
    await world.database.db
      .update(accounts)
      .set({ userName: "alice.n@example.org", email: "alice.n@example.org", version: active.version + 1 })
      .where(eq(accounts.id, active.id));
    await world.database.db
      .update(accountAddresses)
      .set({ address: "alice.n@example.org" })
      .where(
        and(eq(accountAddresses.accountId, active.id), eq(accountAddresses.address, "alice@example.com")),
      );
    const newcomer = await world.active({ userName: "alice@example.com", displayName: "Another Alice" });

    const outcome = ok(await world.service.approve(APPROVER, request.id));
    expect(outcome.type).toBe("failed");
    expect((await stored(newcomer.id)).status).toBe("active");
    expect(await stored(deleted.id)).toEqual(deleted);
  });

  it("fails when the deleted account was restored some other way meanwhile", async () => {
    const { active, deleted, request } = await requested();
    ok(
      await world.service.restore(ADMIN_2, deleted.id, {
        renameTo: "alice.smith@example.com",
        dropPhone: true,
      }),
    );
    const outcome = ok(await world.service.approve(APPROVER, request.id));
    expect(outcome.type).toBe("failed");
    expect(await stored(active.id)).toEqual(active);
    expect((await stored(deleted.id)).userName).toBe("alice.smith@example.com");
  });
});

describe("listing requests", () => {
  it("lists replace requests newest first, and only pending ones when asked", async () => {
    const { request: first } = await requested();
    world.clock.advance(HOUR_MS);
    const bert = await world.deleted({ userName: "bert@example.com" });
    await world.active({ userName: "bert@example.com" });
    const { request: second } = ok(await world.service.requestReplace(ADMIN_2, bert.id, "Bert is back"));
    // A plain restore is not a replace request.
    ok(await world.service.restore(ADMIN, (await world.deleted({ userName: "carl@example.com" })).id));
    ok(await world.service.reject(APPROVER, first.id, "No"));

    const all = ok(await world.service.listRequests(APPROVER));
    expect(all.map((r) => r.id)).toEqual([second.id, first.id]);
    const pending = ok(await world.service.listRequests(ADMIN, { pendingOnly: true }));
    expect(pending.map((r) => r.id)).toEqual([second.id]);
    expect(refused(await world.service.listRequests(STRANGER)).code).toBe("not_allowed");
  });
});

describe("idempotent requests", () => {
  it("the same key twice makes one request", async () => {
    const { deleted } = await replaceCase();
    const first = ok(
      await world.service.requestReplace(ADMIN, deleted.id, "back", {}, { idempotencyKey: "r-1" }),
    );
    const second = ok(
      await world.service.requestReplace(ADMIN, deleted.id, "back", {}, { idempotencyKey: "r-1" }),
    );
    expect(second.repeated).toBe(true);
    expect(second.request.id).toBe(first.request.id);
    expect(await world.database.db.select().from(restoreRequests)).toHaveLength(1);
    expect(await auditActions()).toEqual(["replace_requested"]);
  });
});
