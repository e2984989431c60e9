/**
 * Who may act on what, decided by what the database stores and never by what a caller claims: the
 * temporary password of a restore, deciding one's own request, a reused idempotency key, ids that
 * are not ids. The same service answers Slack and the CLI, so these hold for both.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accounts, auditEvents, restoreRequests } from "../src/db/schema.ts";
import { verifyPassword } from "../src/restore/password.ts";
import { PASSWORD_PICKUP_HOURS } from "../src/restore/service.ts";
import { HOUR_MS } from "../src/restore/window.ts";
import { ok, refused } from "./support/outcomes.ts";
import { ADMIN, ADMIN_2, ADMIN_APPROVER, APPROVER, NOW, useWorld } from "./support/world.ts";

const world = useWorld();

async function audit(action: string) {
  const events = await world.database.db.select().from(auditEvents).orderBy(auditEvents.id);
  return events.filter((e) => e.action === action);
}

async function passwordHashOf(id: string) {
  const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, id));
  return row?.passwordHash ?? null;
}

/** A replace asked for by `requester` and approved by APPROVER: the requester collects the password. */
async function approvedReplace(requester = ADMIN) {
  await world.active({ userName: "alice@example.com", displayName: "Alice Newhire" });
  const deleted = await world.deleted({ userName: "alice@example.com", displayName: "Alice Smith" });
  const { request } = ok(await world.service.requestReplace(requester, deleted.id, "Alice is back"));
  ok(await world.service.approve(APPROVER, request.id));
  return { request, deleted };
}

describe("the temporary password after an approved replace", () => {
  it("goes to the requester once, and works", async () => {
    const { request, deleted } = await approvedReplace();
    const issued = ok(await world.service.issueTemporaryPassword(ADMIN, request.id));
    expect(issued.account.userName).toBe("alice@example.com");
    const hash = await passwordHashOf(deleted.id);
    expect(hash && (await verifyPassword(issued.temporaryPassword, hash))).toBe(true);

    const again = refused(await world.service.issueTemporaryPassword(ADMIN, request.id));
    expect(again.code).toBe("already_issued");
    expect(await passwordHashOf(deleted.id)).toBe(hash);
    const resets = await audit("password_reset");
    expect(resets).toHaveLength(1);
    expect(resets[0]?.requestId).toBe(request.id);
  });

  it("is refused to any other admin, and to the approver who ran it", async () => {
    const { request, deleted } = await approvedReplace();
    const before = await passwordHashOf(deleted.id);
    for (const other of [ADMIN_2, ADMIN_APPROVER]) {
      expect(refused(await world.service.issueTemporaryPassword(other, request.id)).code).toBe("not_allowed");
    }
    expect(refused(await world.service.issueTemporaryPassword(APPROVER, request.id)).code).toBe(
      "not_allowed",
    );
    expect(await passwordHashOf(deleted.id)).toBe(before);
    expect(await audit("password_reset")).toEqual([]);
    // Refusals did not use it up: the requester still gets it.
    ok(await world.service.issueTemporaryPassword(ADMIN, request.id));
  });

  it(`is refused after ${PASSWORD_PICKUP_HOURS} hours`, async () => {
    const { request } = await approvedReplace();
    world.clock.set(new Date(NOW.getTime() + (PASSWORD_PICKUP_HOURS + 1) * HOUR_MS));
    expect(refused(await world.service.issueTemporaryPassword(ADMIN, request.id)).code).toBe("expired");
    expect(await audit("password_reset")).toEqual([]);
  });

  it("is refused for a request that was not done: pending, rejected or failed", async () => {
    await world.active({ userName: "bo@example.com" });
    const deleted = await world.deleted({ userName: "bo@example.com" });
    const { request } = ok(await world.service.requestReplace(ADMIN, deleted.id, "Bo is back"));
    expect(refused(await world.service.issueTemporaryPassword(ADMIN, request.id)).code).toBe("blocked");
    ok(await world.service.reject(APPROVER, request.id, "no"));
    expect(refused(await world.service.issueTemporaryPassword(ADMIN, request.id)).code).toBe("blocked");
    expect(await audit("password_reset")).toEqual([]);
  });

  it("is never issued for an account id, an active account nobody restored, or a malformed id", async () => {
    const bystander = await world.active({ userName: "ceo@example.com" });
    const before = await passwordHashOf(bystander.id);
    for (const forged of [bystander.id, "zzz", "-".repeat(36), "not-a-uuid", ""]) {
      expect(refused(await world.service.issueTemporaryPassword(ADMIN, forged)).code).toBe("not_found");
    }
    expect(await passwordHashOf(bystander.id)).toBe(before);
    expect(await audit("password_reset")).toEqual([]);
  });

  it("is not issued again for a restore that showed it already (restore now)", async () => {
    const deleted = await world.deleted({ userName: "dee@example.com" });
    const done = ok(await world.service.restore(ADMIN, deleted.id, {}, { idempotencyKey: "k-dee" }));
    expect(done.temporaryPassword).toBeTruthy();
    const [row] = await world.database.db
      .select()
      .from(restoreRequests)
      .where(eq(restoreRequests.idempotencyKey, "k-dee"));
    expect(refused(await world.service.issueTemporaryPassword(ADMIN, row?.id ?? "")).code).toBe(
      "already_issued",
    );
  });

  it("is refused once the account was deleted again", async () => {
    const { request, deleted } = await approvedReplace();
    await world.database.db.update(accounts).set({ status: "deleted" }).where(eq(accounts.id, deleted.id));
    expect(refused(await world.service.issueTemporaryPassword(ADMIN, request.id)).code).toBe("blocked");
  });
});

describe("deciding one's own request", () => {
  it("a requester who is also an approver can neither approve nor reject it", async () => {
    const { request } = await (async () => {
      await world.active({ userName: "eve@example.com" });
      const deleted = await world.deleted({ userName: "eve@example.com" });
      return ok(await world.service.requestReplace(ADMIN_APPROVER, deleted.id, "Eve is back"));
    })();
    expect(refused(await world.service.reject(ADMIN_APPROVER, request.id, "changed my mind")).code).toBe(
      "own_request",
    );
    expect(refused(await world.service.checkDecision(ADMIN_APPROVER, request.id)).code).toBe("own_request");
    const [row] = await world.database.db
      .select()
      .from(restoreRequests)
      .where(eq(restoreRequests.id, request.id));
    expect(row?.status).toBe("pending");
    expect(await audit("reject")).toEqual([]);
    // Another approver still can.
    ok(await world.service.checkDecision(APPROVER, request.id));
    ok(await world.service.reject(APPROVER, request.id, "not now"));
  });
});

describe("idempotency keys belong to one request", () => {
  it("a key reused for another account is refused, and that account is not restored", async () => {
    const first = await world.deleted({ userName: "fay@example.com" });
    const second = await world.deleted({ userName: "gus@example.com" });
    ok(await world.service.restore(ADMIN, first.id, {}, { idempotencyKey: "slack:V1" }));
    const reused = refused(await world.service.restore(ADMIN, second.id, {}, { idempotencyKey: "slack:V1" }));
    expect(reused.code).toBe("invalid_input");
    expect(reused.message).toMatch(/already used for another request/);
    const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, second.id));
    expect(row?.status).toBe("deleted");
  });

  it("a key reused by another admin for the same account is refused too", async () => {
    const deleted = await world.deleted({ userName: "hal@example.com" });
    ok(await world.service.restore(ADMIN, deleted.id, {}, { idempotencyKey: "slack:V2" }));
    expect(
      refused(await world.service.restore(ADMIN_2, deleted.id, {}, { idempotencyKey: "slack:V2" })).code,
    ).toBe("invalid_input");
  });

  it("a restore key reused for a replace request is refused", async () => {
    const plain = await world.deleted({ userName: "ida@example.com" });
    ok(await world.service.restore(ADMIN, plain.id, {}, { idempotencyKey: "slack:V3" }));
    await world.active({ userName: "jo@example.com" });
    const deleted = await world.deleted({ userName: "jo@example.com" });
    expect(
      refused(await world.service.requestReplace(ADMIN, deleted.id, "Jo", {}, { idempotencyKey: "slack:V3" }))
        .code,
    ).toBe("invalid_input");
    expect(await world.database.db.select().from(restoreRequests)).toHaveLength(1);
  });

  it("the same key, account and admin still answers 'already done'", async () => {
    const deleted = await world.deleted({ userName: "kai@example.com" });
    ok(await world.service.restore(ADMIN, deleted.id, {}, { idempotencyKey: "slack:V4" }));
    expect(
      ok(await world.service.restore(ADMIN, deleted.id, {}, { idempotencyKey: "slack:V4" })).repeated,
    ).toBe(true);
  });
});

describe("ids that are not ids", () => {
  it("are 'no such request' for every decision, never a database error", async () => {
    for (const forged of ["zzz", "-".repeat(36), "not-a-uuid", "' or 1=1 --"]) {
      expect(refused(await world.service.approve(APPROVER, forged)).code).toBe("not_found");
      expect(refused(await world.service.reject(APPROVER, forged, "x")).code).toBe("not_found");
      expect(refused(await world.service.getRequest(APPROVER, forged)).code).toBe("not_found");
      expect(refused(await world.service.checkDecision(APPROVER, forged)).code).toBe("not_found");
    }
  });
});
