import type { Said } from "../i18n/said.ts";

/** What an import file holds once read: accounts, the directory's settings, and the problems found. */
export type ImportStatus = "active" | "deleting" | "deleted";

export interface ImportedAccount {
  /** 1-based CSV line number (the header is line 1) or, for JSON, the 1-based index in `accounts`. */
  line: number;
  externalId: string | null; // optional column/field `external_id`
  userName: string;
  email: string | null; // lower-cased
  displayName: string;
  givenName: string | null;
  familyName: string | null;
  department: string | null;
  phone: string | null; // normalised: spaces, dashes, dots and parentheses removed; must match /^\+?[0-9]{6,15}$/
  aliases: string[]; // lower-cased, de-duplicated, never containing the account's own email
  status: ImportStatus;
  deletedAt: Date | null; // required for deleting/deleted, must be null/empty for active, never in the future
  deletedBy: string | null;
  deletionCompletesAt: Date | null; // optional column `deletion_completes_at`; for status deleting defaults to deletedAt + 48 h; null otherwise
  license: string | null;
}

export interface ImportDirectorySettings {
  id: string;
  name: string;
  canRestore: boolean;
  retentionDays: number | null;
  followUp: string[];
}

export interface ImportFile {
  directory: ImportDirectorySettings | null; // JSON only
  domains: string[] | null; // JSON only: domains user names may use
  departments: string[] | null; // JSON only: departments that exist
  seats: { license: string; total: number }[]; // JSON only
  accounts: ImportedAccount[];
}

export interface ImportProblem {
  line: number;
  /** In English: what --json prints and the logs keep. */
  reason: string;
  /** The same, to be said in the reader's language (absent where only English exists yet). */
  said?: Said;
}

export type ParseResult = { ok: true; file: ImportFile } | { ok: false; problems: ImportProblem[] };
