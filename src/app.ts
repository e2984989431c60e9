import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import { type Database, openDatabase, redactUrl } from "./db/client.ts";
import { FolderInUse, type Role } from "./db/owner.ts";
import { DatabaseUnavailable, unreachable } from "./db/unavailable.ts";
import { type Logger, silentLog } from "./log.ts";
import { ensureBuiltinDirectory } from "./mirror/builtin.ts";
import { ensureProviderDirectory } from "./mirror/sync.ts";
import type { DirectoryConnector } from "./providers/port.ts";
import { policyOf, userGroupsIn } from "./restore/access.ts";
import { RestoreService } from "./restore/service.ts";
import { storedMemberships } from "./roles/memberships.ts";

/** Everything the interfaces share: the open database and the service over it. */
export interface Core {
  database: Database;
  service: RestoreService;
  clock: Clock;
  /** The identity providers configured (none: the built-in directory only). */
  connectors: DirectoryConnector[];
  /** CLI: user groups in the roles whose members the app has not stored yet (they count for nobody). */
  unknownGroups: string[];
}

/**
 * Opens the database, applies migrations, makes sure the built-in directory matches the config.
 * `role`: the app holds an embedded folder and serves it to commands; a command works through it.
 */
export async function openCore(
  config: Config,
  clock: Clock,
  connectors: DirectoryConnector[] = [],
  log: Logger = silentLog,
  role: Role = "cli",
): Promise<Core> {
  const database = await openDatabase(
    config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.DATA_DIR, role },
  );
  try {
    await ensureBuiltinDirectory(database.db, {
      retentionDays: config.RETENTION_DAYS,
      domains: config.ALLOWED_DOMAINS,
    });
    // Each provider is a directory of its own, named after it, with what it can do.
    for (const connector of connectors) await ensureProviderDirectory(database.db, connector);
  } catch (error) {
    await database.close();
    throw error;
  }
  const roles = { admins: config.RESTORE_ADMINS, approvers: config.RESTORE_APPROVERS };
  const service = new RestoreService(
    database.db,
    clock,
    // User groups give nobody anything yet: the app reads their members from Slack (GroupRoles).
    policyOf(roles, new Map()),
    { approvalsRequired: config.APPROVALS_REQUIRED, approvalTtlHours: config.APPROVAL_TTL_HOURS },
    new Map(connectors.map((c) => [c.kind, c])),
    log,
  );
  // The CLI cannot ask Slack: a group counts with the members the app last stored, or not at all.
  let unknownGroups: string[] = [];
  if (role === "cli" && userGroupsIn(roles).length > 0) {
    const stored = await storedMemberships(database.db, userGroupsIn(roles)).catch(async (error) => {
      await database.close();
      throw error;
    });
    service.usePolicy(policyOf(roles, new Map([...stored].map(([id, m]) => [id, m.userIds]))));
    unknownGroups = userGroupsIn(roles).filter((id) => !stored.has(id));
  }
  return { database, service, clock, connectors, unknownGroups };
}

/**
 * The database could not be opened or reached, or its folder is another's: the error that says
 * where, why and what next, or null when `error` is something else. `location` defaults to where
 * the environment points (the URL without its password, or the data folder).
 */
export function databaseProblem(
  error: unknown,
  env: NodeJS.ProcessEnv,
  location = env.DATABASE_URL ? redactUrl(env.DATABASE_URL) : (env.DATA_DIR ?? "./data"),
): Error | null {
  if (error instanceof DatabaseUnavailable || error instanceof FolderInUse) return error;
  return unreachable(error, location);
}
