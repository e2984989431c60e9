/**
 * The restore plan as the domain hands it out: what the admin chose, the conflicts found (the
 * README's "The rules it keeps", Conflicts), and the outcome. Types only (and `summarize`), so the Slack
 * blocks and the CLI's output can read a plan without importing the code that builds one.
 */
import type { Account, RestoreChoicesRecord } from "../db/schema.ts";
import type { Said } from "../i18n/said.ts";
import type { Restorability } from "./window.ts";

/** What the admin chose for each conflict. Absent means "not chosen yet". */
export type RestoreChoices = RestoreChoicesRecord;

export interface AccountSummary {
  id: string;
  directoryId: string;
  userName: string;
  displayName: string;
  /**
   * The display name in the reader's language, where it is ours and not the directory's: a holder
   * only the provider saw ("Another object in …"). Absent: `displayName` as the directory has it.
   */
  displayNameSaid?: Said;
  email: string | null;
  department: string | null;
  license: string | null;
  status: Account["status"];
}

/** One kind of conflict with an active account, with the resolutions the admin may pick. */
export type Conflict =
  | {
      kind: "userName";
      userName: string;
      holder: AccountSummary;
      resolutions: ("rename" | "replace" | "cancel")[];
      resolvedBy: "rename" | "replace" | null;
    }
  | {
      kind: "alias";
      /** Addresses that now belong to other active accounts: the restore goes ahead without them. */
      dropped: { address: string; holder: AccountSummary }[];
      resolutions: ("dropAliases" | "cancel")[];
      resolvedBy: "dropAliases" | null;
    }
  | {
      kind: "email";
      email: string;
      holder: AccountSummary;
      resolutions: ("dropEmail" | "cancel")[];
      resolvedBy: "dropEmail" | null;
    }
  | {
      kind: "phone";
      phone: string;
      holder: AccountSummary;
      resolutions: ("dropPhone" | "cancel")[];
      resolvedBy: "dropPhone" | null;
    }
  | { kind: "seat"; license: string; used: number; total: number; resolutions: ["cancel"]; resolvedBy: null }
  | {
      kind: "department";
      department: string;
      available: string[];
      resolutions: ("chooseDepartment" | "cancel")[];
      resolvedBy: "chooseDepartment" | null;
    };

export type ConflictKind = Conflict["kind"];

export interface ChoiceError {
  field: keyof RestoreChoices;
  /** In English, as `--json`, logs and scripts read it. */
  message: string;
  /**
   * The same, to be said in the reader's language (`say` in i18n/said.ts). Always set by the
   * plan's rules; optional so a hand-made value still type-checks (absent: the English message).
   */
  said?: Said;
}

export interface RestorePlan {
  account: AccountSummary & {
    aliases: string[];
    phone: string | null;
    deletedAt: Date | null;
    deletedBy: string | null;
  };
  directory: {
    id: string;
    name: string;
    kind: string;
    canRestore: boolean;
    batchRestore: boolean;
    /** What to know about this directory wherever it is named (Okta: no countdown), in English. */
    note: string | null;
    /** The same, to be said in the reader's language; absent when `note` is null. */
    noteSaid?: Said;
  };
  /** "recreate" where the directory cannot restore: a new account from the snapshot. */
  action: "restore" | "recreate";
  restorability: Restorability;
  conflicts: Conflict[];
  choiceErrors: ChoiceError[];
  /** The account as it will be after the restore, given the choices. */
  outcome: {
    userName: string;
    email: string | null;
    aliases: string[];
    droppedAliases: string[];
    phone: string | null;
    department: string | null;
    license: string | null;
  };
  /** The active account a replace would delete (softly, with its own full window). */
  replaces: AccountSummary | null;
  needsApproval: boolean;
  seats: { license: string; used: number; total: number } | null;
  /** Why it cannot go ahead as chosen, in sentences an admin can act on. Empty when ready. */
  blockers: string[];
  /**
   * The same blockers, one Said each, to be said in the reader's language. Always set by the
   * plan's rules; optional so a hand-made plan still type-checks (absent: the English blockers).
   */
  blockersSaid?: Said[];
  ready: boolean;
  /** What the admin still has to do after it (the directory's checklist), in English. */
  followUp: string[];
  /** The same lines, to be said in the reader's language; absent: the English lines. */
  followUpSaid?: Said[];
  /**
   * For a provider's account: when its active users were last asked who holds these names (the
   * conflicts above come from that answer), or why they could not be asked. Absent: built-in.
   */
  providerCheck?: {
    provider: string;
    /** ISO; null when the provider could not be asked. */
    checkedAt: string | null;
    cached: boolean;
    /** What went wrong and what to do, when the provider could not be asked (English). */
    error: string | null;
    /** The same, to be said in the reader's language; absent when `error` is null. */
    errorSaid?: Said;
  };
}

export function summarize(
  a: Pick<Account, Exclude<keyof AccountSummary, "displayNameSaid">>,
): AccountSummary {
  return {
    id: a.id,
    directoryId: a.directoryId,
    userName: a.userName,
    displayName: a.displayName,
    email: a.email,
    department: a.department,
    license: a.license,
    status: a.status,
  };
}
