/**
 * Plans ask the provider who holds an account's names and addresses now, as the restore does, so
 * replace is offered from the first plan and a plan never promises what the provider will refuse.
 * Type-ahead and repeated renders would ask again every few hundred milliseconds: answers are kept
 * for a short while (60 s), per directory and set of keys; a restore always asks afresh.
 */
import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import type { Account } from "../db/schema.ts";
import type { Logger } from "../log.ts";
import { conflictKeysOf, refreshHolders } from "../mirror/holders.ts";
import type { DirectoryConnector } from "../providers/port.ts";

export const PROVIDER_CHECK_TTL_MS = 60_000;
/** Distinct key sets remembered at once; the oldest are dropped first. */
const MAX_ENTRIES = 1_000;

/** When the plan's view of the provider's active users was taken, for the admin to see. */
export interface ProviderCheck {
  provider: string;
  /** ISO time the provider answered. */
  checkedAt: string;
  /** Whether this answer was kept from an earlier plan rather than asked now. */
  cached: boolean;
}

interface Entry {
  at: number;
  answer: Promise<void>;
}

export class ProviderChecks {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly ttlMs = PROVIDER_CHECK_TTL_MS,
  ) {}

  /**
   * Asks the provider (or reuses an answer younger than the TTL, unless `fresh`) and writes its
   * holders into the mirror. A ProviderError is thrown to the caller and never kept.
   */
  async check(
    connector: DirectoryConnector,
    account: Account,
    renameTo: string | null | undefined,
    options: { fresh?: boolean } = {},
  ): Promise<ProviderCheck> {
    const keys = conflictKeysOf(account, renameTo, connector.profile.capabilities.unique);
    const key = `${connector.kind}\u0000${JSON.stringify(keys)}`;
    const now = this.clock.now().getTime();
    const kept = this.entries.get(key);
    if (!options.fresh && kept && now - kept.at < this.ttlMs) {
      await kept.answer;
      return { provider: connector.name, checkedAt: new Date(kept.at).toISOString(), cached: true };
    }
    const answer = refreshHolders(this.db, connector, keys, this.clock.now(), this.log).then(() => {});
    const entry = { at: now, answer };
    this.remember(key, entry);
    try {
      await answer;
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
    return { provider: connector.name, checkedAt: new Date(now).toISOString(), cached: false };
  }

  private remember(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
