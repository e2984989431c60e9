import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accountAddresses, accounts, auditEvents } from "../src/db/schema.ts";
import { isRefusal } from "../src/restore/outcome.ts";
import { verifyPassword } from "../src/restore/password.ts";
import { DAY_MS, HOUR_MS } from "../src/restore/window.ts";
import { ok } from "./support/outcomes.ts";
import { ADMIN, STRANGER, useWorld } from "./support/world.ts";

const world = useWorld();

async function stored(id: string) {
  const [row] = await world.database.db.select().from(accounts).where(eq(accounts.id, id));
  return row;
}

describe("restoring a deleted account as it was", () => {
  it("brings it back active with its names, a temporary password that must be changed, and an audit event", async () => {
    const alice = await world.deleted({
      userName: "alice@example.com",
      displayName: "Alice Smith",
      aliases: ["a.smith@example.com"],
    });
    const done = ok(await world.service.restore(ADMIN, "alice@example.com"));

    expect(done.action).toBe("restore");
    expect(done.account.status).toBe("active");
    expect(done.account.userName).toBe("alice@example.com");
    expect(done.temporaryPassword).toMatch(/^.{16}$/);
    const row = await stored(alice.id);
    expect(row?.status).toBe("active");
    expect(row?.deletedAt).toBeNull();
    expect(row?.mustChangePassword).toBe(true);
    expect(row?.passwordHash).not.toContain(done.temporaryPassword as string);
    expect(await verifyPassword(done.temporaryPassword as string, row?.passwordHash as string)).toBe(true);
    expect(done.followUp.length).toBeGreaterThan(0);

    const events = await world.database.db.select().from(auditEvents);
    expect(events.map((e) => e.action)).toEqual(["restore"]);
    expect(events[0]?.actor).toBe(ADMIN);
    expect(events[0]?.accountIds).toEqual([alice.id]);
    expect(events[0]?.before).toMatchObject({ status: "deleted" });
    expect(events[0]?.after).toMatchObject({ status: "active" });
    expect(JSON.stringify(events)).not.toContain(done.temporaryPassword as string);
  });

  it("makes its addresses count as taken again", async () => {
    await world.deleted({ userName: "bob@example.com", aliases: ["robert@example.com"] });
    ok(await world.service.restore(ADMIN, "bob@example.com"));
    const rows = await world.database.db
      .select()
      .from(accountAddresses)
      .where(eq(accountAddresses.active, true));
    expect(rows.map((r) => r.address).sort()).toEqual(["bob@example.com", "robert@example.com"]);
  });

  it("refuses someone who is neither admin nor approver without saying anything about the account", async () => {
    await world.deleted({ userName: "carol@example.com" });
    for (const outcome of [
      await world.service.restore(STRANGER, "carol@example.com"),
      await world.service.plan(STRANGER, "carol@example.com"),
      await world.service.search(STRANGER, { query: "carol" }),
      await world.service.restore(STRANGER, "nobody@example.com"),
    ]) {
      expect(isRefusal(outcome) && outcome.code).toBe("not_allowed");
      expect(JSON.stringify(outcome)).not.toContain("carol");
    }
  });

  it("cannot restore an account whose deletion is still in progress, and says from when it can", async () => {
    await world.deleted({
      userName: "dan@example.com",
      status: "deleting",
      daysAgo: 0.5,
      deletionCompletesAt: new Date(world.clock.now().getTime() + 36 * HOUR_MS),
    });
    const plan = ok(await world.service.plan(ADMIN, "dan@example.com"));
    expect(plan.restorability.state).toBe("deleting");
    expect(plan.ready).toBe(false);
    expect(plan.blockers[0]).toMatch(/deletion still in progress, restorable from 2026-11-24 00:00 UTC/i);
    const refused = await world.service.restore(ADMIN, "dan@example.com");
    expect(isRefusal(refused) && refused.code).toBe("blocked");

    world.clock.advance(37 * HOUR_MS);
    expect(ok(await world.service.restore(ADMIN, "dan@example.com")).account.status).toBe("active");
  });

  it("cannot restore an account past its window, even before the purge ran", async () => {
    await world.deleted({ userName: "erin@example.com", daysAgo: 31 });
    const refused = await world.service.restore(ADMIN, "erin@example.com");
    expect(isRefusal(refused) && refused.code).toBe("blocked");
    expect(isRefusal(refused) && refused.message).toMatch(/restore window ended/);
  });

  it("asks for an id when several deleted accounts share the user name", async () => {
    const first = await world.deleted({ userName: "frank@example.com", daysAgo: 20 });
    await world.deleted({ userName: "frank@example.com", daysAgo: 2 });
    const refused = await world.service.restore(ADMIN, "frank@example.com");
    expect(isRefusal(refused) && refused.code).toBe("ambiguous");
    expect(isRefusal(refused) && refused.message).toContain(first.id);
    expect(ok(await world.service.restore(ADMIN, first.id)).fromAccountId).toBe(first.id);
  });

  it("says so when no account matches", async () => {
    const refused = await world.service.restore(ADMIN, "ghost@example.com");
    expect(isRefusal(refused) && refused.code).toBe("not_found");
  });
});

describe("idempotency", () => {
  it("does the work once for a repeated key and answers the repeat without the password", async () => {
    const gina = await world.deleted({ userName: "gina@example.com" });
    const first = ok(await world.service.restore(ADMIN, gina.id, {}, { idempotencyKey: "k-1" }));
    const second = ok(await world.service.restore(ADMIN, gina.id, {}, { idempotencyKey: "k-1" }));
    expect(first.repeated).toBe(false);
    expect(second.repeated).toBe(true);
    expect(second.temporaryPassword).toBeNull();
    expect(second.requestId).toBe(first.requestId);
    expect(second.account.userName).toBe("gina@example.com");
    const events = await world.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "restore"));
    expect(events).toHaveLength(1);
  });

  it("frees the key again when the attempt was refused, so a retry after fixing things works", async () => {
    await world.active({ userName: "hal@example.com" });
    const hal = await world.deleted({ userName: "hal@example.com" });
    expect(isRefusal(await world.service.restore(ADMIN, hal.id, {}, { idempotencyKey: "k-2" }))).toBe(true);
    const done = ok(
      await world.service.restore(ADMIN, hal.id, { renameTo: "hal2@example.com" }, { idempotencyKey: "k-2" }),
    );
    expect(done.account.userName).toBe("hal2@example.com");
  });
});

describe("batch restore", () => {
  it("restores each account on its own and reports one result per account; a failure rolls back nothing else", async () => {
    await world.deleted({ userName: "i1@example.com" });
    await world.active({ userName: "i2@example.com" });
    await world.deleted({ userName: "i2@example.com" });
    await world.deleted({ userName: "i3@example.com" });
    const items = ok(
      await world.service.restoreMany(ADMIN, ["i1@example.com", "i2@example.com", "i3@example.com", "nope"]),
    );
    expect(items.map((i) => i.outcome.type)).toEqual(["restored", "refused", "restored", "refused"]);
    const failed = items[1]?.outcome;
    expect(isRefusal(failed) && failed.message).toMatch(/has the user name i2@example.com/);
    const passwords = items.flatMap((i) =>
      i.outcome.type === "restored" ? [i.outcome.temporaryPassword] : [],
    );
    expect(new Set(passwords).size).toBe(2);
  });
});

describe("re-creation where the directory cannot restore", () => {
  it("creates a new account from the snapshot and lists the licence follow-up", async () => {
    await world.database.db.execute(
      // A re-create-only directory, as Secure Exchanges and JumpCloud are.
      (await import("drizzle-orm"))
        .sql`insert into directories (id, name, kind, retention_days, capabilities, follow_up)
        values ('legacy', 'Legacy mail', 'builtin', 90,
          '{"canRestore": false, "batchRestore": true, "hasDeletingState": false, "setsPassword": true}',
          '["Reset the licence", "Assign a licence", "Activate the licence"]')`,
    );
    const old = await world.deleted({
      directoryId: "legacy",
      userName: "ivy@example.com",
      displayName: "Ivy Chen",
      purgeAfter: new Date(world.clock.now().getTime() + 80 * DAY_MS),
    });
    const plan = ok(await world.service.plan(ADMIN, old.id));
    expect(plan.action).toBe("recreate");
    const done = ok(await world.service.restore(ADMIN, old.id));
    expect(done.action).toBe("recreate");
    expect(done.account.id).not.toBe(old.id);
    expect(done.account.displayName).toBe("Ivy Chen");
    expect(done.followUp).toEqual(["Reset the licence", "Assign a licence", "Activate the licence"]);
    expect((await stored(old.id))?.recreatedAs).toBe(done.account.id);
    const again = await world.service.restore(ADMIN, old.id);
    expect(isRefusal(again) && again.message).toMatch(/already re-created/i);
  });
});
