/**
 * One account's cells checked and normalised (addresses lower-cased, phones without separators,
 * times in range), then the file's accounts checked against each other. Shared by the CSV and
 * JSON readers; pure.
 */
import type { MessageKey } from "../i18n/catalog.ts";
import type { SaidValue } from "../i18n/said.ts";
import { LineIndex } from "./line-index.ts";
import { problemAt } from "./problem.ts";
import { parseIsoTime } from "./times.ts";
import type { ImportedAccount, ImportProblem, ImportStatus } from "./types.ts";

export const STATUSES: readonly ImportStatus[] = ["active", "deleting", "deleted"];
export const REQUIRED_COLUMNS = [
  "user_name",
  "email",
  "display_name",
  "given_name",
  "family_name",
  "department",
  "phone",
  "aliases",
  "status",
  "deleted_at",
  "deleted_by",
  "license",
] as const;
export const OPTIONAL_COLUMNS = ["external_id", "deletion_completes_at"] as const;
export const COLUMNS: readonly Column[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];
export type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

export function isColumn(name: string): name is Column {
  return (COLUMNS as readonly string[]).includes(name);
}

/** Lark: a deletion takes up to 48 hours before the account can be restored. */
export const DELETION_TAKES_MS = 48 * 3_600_000;
export const MAX_USER_NAME = 256;
export const PHONE = /^\+?[0-9]{6,15}$/;
export const PHONE_SEPARATORS = /[\s\-.()]/g;
/** `local@domain.tld`, checked on a lower-cased address: looks like an address, not RFC 5322. */
export const ADDRESS = /^[^\s@;,<>"()[\]]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+[\p{L}]{2,}$/u;
export const DOMAIN = /^(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+[\p{L}]{2,}$/u;
export const DIRECTORY_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** One account's cells before validation: trimmed text or null, aliases possibly already a list. */
export type RawAccount = { [K in Exclude<Column, "aliases">]?: string | null } & {
  aliases?: string | string[] | null;
};

export interface TimeContext {
  now: Date;
  /** Added to every time in the file (JSON `relative_to`); 0 otherwise. */
  shiftMs: number;
}

export interface Checked {
  line: number;
  /** Complete only when the account had no problem of its own. */
  account: ImportedAccount | null;
  // What the checks across accounts need, as far as it could be read.
  externalId: string | null;
  userName: string | null;
  active: boolean;
  email: string | null;
  aliases: string[];
  phone: string | null;
}

export function checkAccount(
  raw: RawAccount,
  line: number,
  time: TimeContext,
  problems: ImportProblem[],
  alreadyReported: ReadonlySet<Column>,
): Checked {
  const before = problems.length;
  const problem = (key: MessageKey, values?: Record<string, SaidValue>) =>
    problems.push(problemAt(line, key, values));
  const value = (column: Exclude<Column, "aliases">): string | null => {
    const v = raw[column]?.trim();
    return v ? v : null;
  };

  const userName = value("user_name");
  if (userName === null) {
    if (!alreadyReported.has("user_name")) problem("import.problem.userNameMissing");
  } else {
    if (userName.length > MAX_USER_NAME) {
      problem("import.problem.userNameTooLong", {
        length: String(userName.length),
        max: String(MAX_USER_NAME),
      });
    }
    if (/\s/.test(userName)) problem("import.problem.userNameSpace", { userName });
  }

  const givenName = value("given_name");
  const familyName = value("family_name");
  const displayName = value("display_name") ?? ([givenName, familyName].filter(Boolean).join(" ") || null);
  if (displayName === null && !alreadyReported.has("display_name")) {
    problem("import.problem.displayNameMissing");
  }

  const statusText = value("status");
  const status = STATUSES.find((s) => s === statusText?.toLowerCase()) ?? null;
  if (statusText === null) {
    if (!alreadyReported.has("status"))
      problem("import.problem.statusMissing", { statuses: STATUSES.join(", ") });
  } else if (status === null) {
    problem("import.problem.statusUnknown", { status: statusText, statuses: STATUSES.join(", ") });
  }

  const emailText = value("email");
  const email = emailText?.toLowerCase() ?? null;
  if (email !== null && !ADDRESS.test(email))
    problem("import.problem.emailInvalid", { email: emailText ?? "" });

  const aliasCells = Array.isArray(raw.aliases) ? raw.aliases : (raw.aliases ?? "").split(";");
  const aliases: string[] = [];
  for (const cell of aliasCells) {
    const alias = cell.trim().toLowerCase();
    if (alias === "") continue;
    if (!ADDRESS.test(alias)) problem("import.problem.aliasInvalid", { alias: cell.trim() });
    else if (alias !== email && !aliases.includes(alias)) aliases.push(alias);
  }

  const phoneText = value("phone");
  let phone: string | null = null;
  if (phoneText !== null) {
    phone = phoneText.replace(PHONE_SEPARATORS, "");
    if (!PHONE.test(phone)) {
      problem("import.problem.phoneInvalid", { phone: phoneText });
    }
  }

  const deletedAt = timeOf("deleted_at", value("deleted_at"), time, problem);
  const completesAt = timeOf("deletion_completes_at", value("deletion_completes_at"), time, problem);
  const deletedBy = value("deleted_by");
  let deletionCompletesAt: Date | null = null;
  if (status === "active") {
    if (deletedAt.text !== null) problem("import.problem.setWhileActive", { column: "deleted_at" });
    if (deletedBy !== null) problem("import.problem.setWhileActive", { column: "deleted_by" });
    if (completesAt.text !== null)
      problem("import.problem.setWhileActive", { column: "deletion_completes_at" });
  } else if (status !== null) {
    if (deletedAt.text === null && !alreadyReported.has("deleted_at")) {
      problem("import.problem.deletedAtMissing", { status });
    }
    if (deletedAt.at && deletedAt.at.getTime() > time.now.getTime()) {
      problem("import.problem.deletedAtFuture", { time: deletedAt.text ?? "" });
    }
    if (status === "deleting" && deletedAt.at) {
      deletionCompletesAt = completesAt.at ?? new Date(deletedAt.at.getTime() + DELETION_TAKES_MS);
      if (deletionCompletesAt.getTime() < deletedAt.at.getTime()) {
        problem("import.problem.completesBeforeDeleted");
      }
    }
  }

  const externalId = value("external_id");
  const checked: Checked = {
    line,
    account: null,
    externalId,
    userName,
    active: status === "active",
    email,
    aliases,
    phone: phone !== null && PHONE.test(phone) ? phone : null,
  };
  if (problems.length === before && userName !== null && displayName !== null && status !== null) {
    checked.account = {
      line,
      externalId,
      userName,
      email,
      displayName,
      givenName,
      familyName,
      department: value("department"),
      phone,
      aliases,
      status,
      deletedAt: status === "active" ? null : deletedAt.at,
      deletedBy,
      deletionCompletesAt,
      license: value("license"),
    };
  }
  return checked;
}

/** A time cell: `at` is null when the cell is empty or not a valid time (the latter is reported). */
export function timeOf(
  column: string,
  text: string | null,
  time: TimeContext,
  problem: (key: MessageKey, values?: Record<string, SaidValue>) => void,
): { text: string | null; at: Date | null } {
  if (text === null) return { text, at: null };
  const at = parseIsoTime(text);
  if (at === null) {
    problem("import.problem.timeInvalid", { column, time: text });
    return { text, at: null };
  }
  return { text, at: new Date(at.getTime() + time.shiftMs) };
}

/**
 * Two active accounts never share a user name, an address or a phone (the database refuses it
 * too), and no two accounts share an external id. The later line gets the problem. Accounts are
 * checked in file order, each against those before it.
 */
export class AcrossAccounts {
  private readonly externalIds = new LineIndex();
  private readonly userNames = new LineIndex();
  private readonly addresses = new LineIndex();
  private readonly phones = new LineIndex();

  check(c: Checked, problems: ImportProblem[]): void {
    const problem = (key: MessageKey, values: Record<string, SaidValue>) =>
      problems.push(problemAt(c.line, key, values));
    if (c.externalId !== null) {
      const earlier = this.externalIds.firstSeen(c.externalId, c.line);
      if (earlier !== undefined)
        problem("import.problem.externalIdTwice", { externalId: c.externalId, earlier: String(earlier) });
    }
    if (!c.active) return;
    if (c.userName !== null) {
      const earlier = this.userNames.firstSeen(c.userName.toLowerCase(), c.line);
      if (earlier !== undefined) {
        problem("import.problem.userNameTaken", { userName: c.userName, earlier: String(earlier) });
      }
    }
    for (const address of [...(c.email === null ? [] : [c.email]), ...c.aliases]) {
      const earlier = this.addresses.firstSeen(address, c.line);
      if (earlier !== undefined) {
        problem("import.problem.addressTaken", { address, earlier: String(earlier) });
      }
    }
    if (c.phone !== null) {
      const earlier = this.phones.firstSeen(c.phone, c.line);
      if (earlier !== undefined) {
        problem("import.problem.phoneTaken", { phone: c.phone, earlier: String(earlier) });
      }
    }
  }
}

export function checkAcrossAccounts(checked: readonly Checked[], problems: ImportProblem[]): void {
  const across = new AcrossAccounts();
  for (const c of checked) across.check(c, problems);
}

export function accountsOf(checked: readonly Checked[]): ImportedAccount[] {
  return checked.flatMap((c) => (c.account ? [c.account] : []));
}
