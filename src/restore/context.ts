/**
 * What the use cases behind the service share: the database, the clock, the log, the providers'
 * connectors and the cached answers about their holders, the settings, and the way to say that
 * notices were written. The service builds it once; each use case takes what it uses.
 */
import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../log.ts";
import type { DirectoryConnector } from "../providers/port.ts";
import type { ProviderChecks } from "./provider-check.ts";

export interface ServiceSettings {
  /** Distinct approvers needed before a replace runs (APPROVALS_REQUIRED). */
  approvalsRequired: number;
  /** A pending request expires after this long (APPROVAL_TTL_HOURS). */
  approvalTtlHours: number;
}

export interface RestoreOptions {
  /** The same key twice does the work once; the second call gets the first answer (without the password). */
  idempotencyKey?: string;
}

export interface ServiceContext {
  db: Db;
  clock: Clock;
  log: Logger;
  settings: ServiceSettings;
  /** Provider connectors by directory id; directories without one live in our database. */
  connectors: ReadonlyMap<string, DirectoryConnector>;
  /** The provider's answers about holders, kept a minute for plans (provider-check.ts). */
  checks: ProviderChecks;
  /** Called after a change committed notices to the outbox, so a sender delivers them at once. */
  noticesWritten: () => void;
}

/** The connector of an account's directory, or null for the built-in directory. */
export function connectorOf(
  ctx: Pick<ServiceContext, "connectors">,
  directoryId: string,
): DirectoryConnector | null {
  return ctx.connectors.get(directoryId) ?? null;
}
