/**
 * The Directory port: what the restore service needs from an identity provider. One connector per
 * provider (entra.ts, google.ts, lark.ts, okta.ts, jumpcloud.ts) implements it over the provider's
 * HTTP API (provider-http.ts). The service keeps a mirror of deleted accounts in Postgres (mirror/sync.ts)
 * so search, plans and digests never wait on a provider; restores call the provider, then update
 * the mirror.
 */

import type { z } from "zod";
import type { Said } from "../i18n/said.ts";
import type { Logger } from "../log.ts";
import type { DirectoryCapabilities } from "./capabilities.ts";

export type ProviderKind = "entra" | "google" | "lark" | "okta" | "jumpcloud";

/** A user as a provider reports it, in our terms. Enough to search, plan and re-create. */
export interface ProviderUser {
  /** The provider's immutable id (Graph object id, Google user id, Lark user_id, Okta id, JumpCloud id). */
  externalId: string;
  /** The sign-in name: UPN, primary email, Okta login, JumpCloud username, Lark user_id. */
  userName: string;
  email: string | null;
  /** Other addresses the user answers to (proxy addresses, Google aliases), without the primary. */
  aliases: string[];
  phone: string | null;
  displayName: string;
  givenName: string | null;
  familyName: string | null;
  department: string | null;
  /** A licence or seat (SKU, subscription id) the user held, when the provider says. */
  license: string | null;
}

/** A user in the provider's bin (or deactivated, for Okta). */
export interface DeletedProviderUser extends ProviderUser {
  /** `deleting`: the provider is still finishing the deletion (Lark); restore becomes possible later. */
  status: "deleted" | "deleting";
  /** When it was deleted; null when the provider does not say (the mirror keeps the first time it saw it). */
  deletedAt: Date | null;
  deletedBy: string | null;
  /** For `deleting`: when a restore becomes possible. */
  deletionCompletesAt?: Date | null;
}

/** Names and addresses a restore would take, to check against the provider's active users. */
export interface ConflictKeys {
  userNames: string[];
  /** Email and aliases, lower-cased. */
  addresses: string[];
  phones: string[];
}

/** A restore (or re-creation) as the admin chose it; the plan has already checked it. */
export interface RestoreInput {
  /** The deleted user's id in the provider. */
  externalId: string;
  /** The mirror's snapshot of the deleted user: what a re-creation creates again. */
  user: ProviderUser;
  /** Rename on restore (Entra's newUserPrincipalName); null keeps the user name. */
  newUserName: string | null;
  /** Addresses that other active users hold now: the restore goes ahead without them. */
  dropAliases: string[];
  dropEmail: boolean;
  /**
   * The email the account gets instead of the snapshot's: a rename moves an email that followed the
   * user name (JumpCloud's re-creation needs one). null: the snapshot's, unless dropEmail.
   */
  newEmail: string | null;
  dropPhone: boolean;
  /** Department to restore into (Lark's departments), when the plan asked. */
  department: string | null;
  /** Licence/seat to restore with (Lark's subscription_ids), when the user had one. */
  license: string | null;
  /** For providers that need a password on re-creation; never logged. */
  temporaryPassword: string | null;
}

/** The user as the provider has it after the restore or re-creation. */
export type RestoredUser = ProviderUser;

/**
 * How one provider behaves: stored on the directory row, so plans and screens can say it.
 * `capabilities.resolves` lists what a restore can settle itself (Entra: rename, dropAliases);
 * `capabilities.listsWholeBin` says whether listDeleted is the whole bin (so an account missing
 * from it is gone) or a feed of deletion events (JumpCloud, Lark: the mirror keeps what it learned);
 * `capabilities.note` is said wherever the directory is named (Okta: no countdown).
 */
export interface DirectoryProfile {
  capabilities: DirectoryCapabilities;
  /** Days a deleted user can be restored; null: no countdown (Okta's deactivated users). */
  retentionDays: number | null;
  /** What an admin still has to do after a restore, from the provider's help articles. */
  followUp: string[];
}

export interface DirectoryConnector {
  readonly kind: ProviderKind;
  /** The provider's name for people and error messages: "Microsoft Entra ID". */
  readonly name: string;
  readonly profile: DirectoryProfile;
  /**
   * Deleted users, one page at a time, following the provider's paging to the end. Pages are
   * yielded as they arrive so a sync never holds the whole bin in memory.
   */
  listDeleted(): AsyncIterable<DeletedProviderUser[]>;
  /** Active users holding any of these names, addresses or phones (the conflict check at restore). */
  findActive(keys: ConflictKeys): Promise<ProviderUser[]>;
  /** Restores a deleted user (capabilities.canRestore). */
  restore(input: RestoreInput): Promise<RestoredUser>;
  /** Creates the user again from the snapshot, with a new id (directories that cannot restore). */
  recreate(input: RestoreInput): Promise<RestoredUser>;
  /** Deletes (or, for Okta, deactivates) an active user: the first half of an approved replace. */
  removeActive(externalId: string): Promise<void>;
  /**
   * The *active* user with this id, read by id (strongly consistent, never through a search): after
   * the provider has acted, the mirror follows this answer. null: the provider has no active user
   * with this id (deleted, deactivated or unknown).
   */
  readActive?(externalId: string): Promise<ProviderUser | null>;
  /**
   * Where an account can go, when the provider keeps a fixed list (Google's org unit paths, Lark's
   * departments): the sync mirrors it so a plan can say a department is gone and offer the others.
   * Absent where a department is a free-text attribute (Entra, Okta, JumpCloud): never "gone".
   */
  listDepartments?(): Promise<string[]>;
  /**
   * Providers that push deletions instead of listing them (Lark's contact.user.deleted_v3): reads
   * one request to POST /directories/<kind>/events, checking that it comes from the provider.
   */
  readEvent?(request: { rawBody: string; headers: Record<string, string | undefined> }): ProviderEvent;
}

export type ProviderEvent =
  /** The provider checks the endpoint: answer `{"challenge": …}`. */
  | { kind: "challenge"; challenge: string }
  | { kind: "deleted"; user: DeletedProviderUser }
  | { kind: "ignored" }
  /** Not from the provider (bad token or signature), or unreadable. */
  | { kind: "rejected"; reason: string };

/** What a connector is built with besides its settings. Injected so tests need not wait or guess. */
export interface ConnectorDeps {
  now: () => Date;
  /** Waits between retries; tests pass one that returns at once. */
  sleep: (ms: number) => Promise<void>;
  log: Logger;
}

/**
 * A provider's configuration, read from the environment. A connector is on when any of its
 * variables is set; then every required one must be, and each problem is named.
 */
export interface ConnectorModule<S> {
  kind: ProviderKind;
  name: string;
  /** Variables that must all be set to turn the connector on. */
  required: readonly string[];
  /** Variables with defaults (base URLs, …). */
  optional: readonly string[];
  settings: z.ZodType<S>;
  create(settings: S, deps: ConnectorDeps): DirectoryConnector;
}

/** Our conflict kinds, which a provider's own conflict errors are mapped to. */
export type ProviderConflict =
  | "userName"
  | "alias"
  | "email"
  | "phone"
  | "seat"
  | "department"
  | "deleting"
  | "expired";

/**
 * A provider said no, or could not be reached. The message names the provider and its code and is
 * safe to show an admin: it never holds a token or a password.
 */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  constructor(
    /** The provider's name, e.g. "Microsoft Entra ID". */
    readonly provider: string,
    /** The provider's own code (Request_BadRequest, 44031, E0000007, …) or ours (unreachable, throttled). */
    readonly code: string,
    message: string,
    readonly details: {
      status?: number | null;
      /** The provider reported a conflict of this kind: the plan offers the same choices as ours. */
      conflict?: ProviderConflict | null;
      /** true: trying again later may work (throttled, provider down). */
      transient?: boolean;
      /** How long the provider asked us to wait, when it said so in the body rather than Retry-After. */
      retryAfterMs?: number | null;
      /**
       * What the admin does next, as one sentence: a choice in the plan, a retry, or what to fix in
       * the provider's console ("Grant the app User.ReadWrite.All in Entra and try again."). Shown
       * after what happened, in the plan, the result and the CLI; never holds a secret.
       */
      nextStep?: string | null;
      /** `nextStep`, when it is ours rather than the connector's own words, to be said in the reader's language. */
      nextStepSaid?: Said | null;
    } = {},
  ) {
    super(`${provider}: ${message} (${code})`);
  }
  get status(): number | null {
    return this.details.status ?? null;
  }
  get conflict(): ProviderConflict | null {
    return this.details.conflict ?? null;
  }
  get transient(): boolean {
    return this.details.transient ?? false;
  }
  get nextStep(): string | null {
    return this.details.nextStep ?? null;
  }
}
