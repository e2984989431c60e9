/**
 * What a directory can do, as its connector declares it and as the database stores it
 * (directories.capabilities). Defined beside the connectors, which know no database; db/schema.ts
 * imports it.
 */
/** What a directory can do; the built-in one can do everything, providers declare less. */
export interface DirectoryCapabilities {
  /** false: the directory cannot restore, only re-create from the snapshot (JumpCloud, Secure Exchanges). */
  canRestore: boolean;
  /** Several accounts in one request (Office 365 yes, Lark no). */
  batchRestore: boolean;
  /** Deletions take time to finish (Lark: up to 48 h). */
  hasDeletingState: boolean;
  /** The directory sets a temporary password on restore. */
  setsPassword: boolean;
  /**
   * The conflict resolutions the directory can apply at restore time. Absent: all of them (the
   * built-in directory). Google has none: the conflicting user or alias must be freed first.
   */
  resolves?: ConflictResolution[];
  /**
   * Which of a user's keys the directory keeps unique among active users, besides the user name.
   * Absent: all of them (the built-in directory). Okta: none; Entra and Google: not phones.
   */
  unique?: UniqueKey[];
  /**
   * false: removing the active holder does not free its user name (Okta keeps a deactivated
   * user's login), so replace is not offered. Absent: it does.
   */
  replaceFreesUserName?: boolean;
  /** The listing is the provider's whole bin (Entra, Google, Okta), not a feed of events (Lark, JumpCloud). */
  listsWholeBin?: boolean;
  /** Said wherever the directory is named, e.g. that Okta's deactivated users have no countdown. */
  note?: string | null;
}

export type UniqueKey = "email" | "alias" | "phone";

/** How a restore can settle a conflict as it runs (replace is always a separate, approved step). */
export type ConflictResolution = "rename" | "dropAliases" | "dropEmail" | "dropPhone" | "chooseDepartment";
