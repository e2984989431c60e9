import { randomUUID } from "node:crypto";
import { afterAll, beforeEach } from "vitest";
import { insertAddresses, searchTextOf, snapshotOf } from "../../src/accounts/rows.ts";
import { FixedClock } from "../../src/clock.ts";
import type { Database } from "../../src/db/client.ts";
import { type Account, accounts, departments, type NewAccount, seats } from "../../src/db/schema.ts";
import { BUILTIN_DIRECTORY_ID, ensureBuiltinDirectory } from "../../src/mirror/builtin.ts";
import { policyFrom } from "../../src/restore/access.ts";
import { RestoreService, type ServiceSettings } from "../../src/restore/service.ts";
import { DAY_MS } from "../../src/restore/window.ts";
import { openTestDatabase, truncateAll } from "./database.ts";

export const ADMIN = "U0ADMIN1";
export const ADMIN_2 = "U0ADMIN2";
export const APPROVER = "U0APPROVER1";
export const APPROVER_2 = "U0APPROVER2";
/** An admin who may also approve: the case where "never the requester" matters. */
export const ADMIN_APPROVER = "U0BOTH";
export const STRANGER = "U0STRANGER";
export const NOW = new Date("2026-11-22T12:00:00Z");
export const RETENTION_DAYS = 30;

export interface World {
  database: Database;
  clock: FixedClock;
  service: RestoreService;
  /** A service with other settings over the same database and clock. */
  serviceWith(settings: Partial<ServiceSettings>): RestoreService;
  active(overrides?: Partial<NewAccount>): Promise<Account>;
  /** Deleted `daysAgo` days before now (default 5) in the built-in directory (30-day window). */
  deleted(overrides?: Partial<NewAccount> & { daysAgo?: number }): Promise<Account>;
  department(name: string): Promise<void>;
  seatPlan(license: string, total: number): Promise<void>;
}

let counter = 0;

/** One database per test file, emptied before each test; a fixed clock at NOW. */
export function useWorld(): World {
  const world = {} as World;
  let database: Database | undefined;
  beforeEach(async () => {
    if (!database) database = await openTestDatabase();
    await truncateAll(database);
    await ensureBuiltinDirectory(database.db, {
      retentionDays: RETENTION_DAYS,
      domains: ["example.com", "example.org"],
    });
    const db = database.db;
    const clock = new FixedClock(NOW);
    const policy = policyFrom([ADMIN, ADMIN_2, ADMIN_APPROVER], [APPROVER, APPROVER_2, ADMIN_APPROVER]);
    const serviceWith = (s: Partial<ServiceSettings>) =>
      new RestoreService(db, clock, policy, { approvalsRequired: 1, approvalTtlHours: 24, ...s });
    const insert = async (values: NewAccount): Promise<Account> => {
      const full = { aliases: [], ...values };
      const [row] = await db
        .insert(accounts)
        .values({
          ...full,
          searchText: searchTextOf({ givenName: null, familyName: null, email: null, ...full }),
        })
        .returning();
      await insertAddresses(db, row as Account);
      return row as Account;
    };
    Object.assign(world, {
      database,
      clock,
      service: serviceWith({}),
      serviceWith,
      active: (o: Partial<NewAccount> = {}) => insert(anAccount({ status: "active", ...o })),
      deleted: async ({ daysAgo = 5, ...o }: Partial<NewAccount> & { daysAgo?: number } = {}) => {
        const deletedAt = new Date(NOW.getTime() - daysAgo * DAY_MS);
        const values = anAccount({
          status: "deleted",
          deletedAt,
          deletedBy: ADMIN_2,
          purgeAfter: new Date(deletedAt.getTime() + RETENTION_DAYS * DAY_MS),
          ...o,
        });
        return insert({ ...values, snapshot: snapshotOf(values as Account) });
      },
      department: async (name: string) => {
        await db
          .insert(departments)
          .values({ directoryId: BUILTIN_DIRECTORY_ID, name })
          .onConflictDoNothing();
      },
      seatPlan: async (license: string, total: number) => {
        await db.insert(seats).values({ directoryId: BUILTIN_DIRECTORY_ID, license, total });
      },
    });
  });
  afterAll(async () => {
    await database?.close();
  });
  return world;
}

/** A plausible account; every field can be overridden. */
export function anAccount(overrides: Partial<NewAccount> = {}): NewAccount {
  const n = ++counter;
  const userName = overrides.userName ?? `person${n}@example.com`;
  return {
    directoryId: BUILTIN_DIRECTORY_ID,
    externalId: `ext-${randomUUID()}`,
    userName,
    email: userName,
    aliases: [],
    phone: null,
    displayName: `Person ${n}`,
    givenName: "Person",
    familyName: `${n}`,
    department: null,
    license: null,
    status: "active",
    ...overrides,
  };
}
