import type { Refusal } from "../restore/outcome.ts";
import type { Conflict, RestorePlan } from "../restore/plan-types.ts";
import type { Refreshed } from "../restore/refresh.ts";
import type { SearchResult } from "../restore/search.ts";
import type { ApproveOutcome, BatchItem, ReplaceRequested } from "../restore/service.ts";
import type {
  AuditEvent,
  Digest,
  ImportProblem,
  ImportSummary,
  RestoreDone,
  RestoreRequest,
  SyncResult,
} from "../restore/types.ts";
import { formatTime } from "../restore/window.ts";
import { printableDeep, terminalJson } from "./printable.ts";

export const USAGE = `restore-user: find deleted accounts and bring them back.

Usage: restore-user COMMAND [ARGS] [--as SLACK_USER_ID] [--json]

  import FILE…                 load accounts (CSV or JSON) into the built-in directory; \`import demo\` loads the demo set
  deleted [QUERY]              search deleted accounts (typos are fine)
      [--expiring-within DAYS] [--department NAME] [--deleted-by SLACK_USER_ID] [--limit N]
  plan ACCOUNT                 what a restore would do: conflicts, choices, follow-up
      [--rename NAME] [--replace] [--department NAME] [--drop-email] [--drop-phone]
  restore ACCOUNT…             restore one or several accounts
      [--rename NAME] [--department NAME] [--drop-email] [--drop-phone] [--idempotency-key KEY]
      [--replace --reason TEXT]  ask a second admin to approve replacing the active account
  requests [--pending]         replace requests
  approve REQUEST              approve a replace request (not your own)
  reject REQUEST --reason TEXT
  purge                        turn accounts past their window into tombstones
  audit [--since ISO] [--csv]  the audit trail
  digest [--date YYYY-MM-DD]   the daily digest, printed instead of sent (default: today, as of now)
  sync [DIRECTORY]             copy the identity providers' deleted users into restore-user now
                               (entra, google, lark, okta or jumpcloud; default: every one configured)
  refresh ACCOUNT              read a provider's account again and bring restore-user's records in
                               line (after a restore listed under "Needs attention")

ACCOUNT is a user name, email or id. --as names you (or set RESTORE_AS); it is checked against
RESTORE_ADMINS and RESTORE_APPROVERS. digest follows DIGEST_TIMEZONE (default UTC), DIGEST_TIME and
DIGEST_WINDOW_DAYS (default 7). Exit codes: 0 done, 1 refused by a rule, 2 bad usage or input.`;

function refreshedText(r: Refreshed): string {
  return [
    `${r.account.displayName} <${r.account.userName}> is ${r.account.status} here, as in its provider.`,
    ...r.notes.map((n) => `  ${n}`),
  ].join("\n");
}

function syncText(results: SyncResult[]): string {
  return results
    .map(
      (r) =>
        `${r.directoryId}: ${r.seen} deleted user${r.seen === 1 ? "" : "s"} seen in ${r.pages} page${r.pages === 1 ? "" : "s"}` +
        `${r.gone > 0 ? `, ${r.gone} no longer in the provider's bin` : ""} (${(r.ms / 1000).toFixed(1)} s)`,
    )
    .join("\n");
}

/** Stable machine output: ISO times, two-space indent, one document per command. */
export function toJson(value: unknown): string {
  return terminalJson(JSON.stringify(value, null, 2));
}

function refusalText(r: Refusal): string {
  const lines = [`Refused (${r.code}): ${r.message}`];
  if (r.plan && r.plan.conflicts.length > 0) lines.push("", conflictsSection(r.plan));
  return lines.join("\n");
}

function date(d: Date | string | null | undefined): string {
  if (!d) return "-";
  return new Date(d).toISOString().slice(0, 10);
}

/** Pads columns for a terminal; values are the accounts' own, shortened where very long. */
function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, i) => Math.min(40, Math.max(...rows.map((r) => (r[i] ?? "").length)))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => {
          const w = widths[i] ?? 0;
          const short = cell.length > w ? `${cell.slice(0, w - 1)}…` : cell;
          return i === r.length - 1 ? short : short.padEnd(w);
        })
        .join("  "),
    )
    .join("\n");
}

function searchResultText(result: SearchResult): string {
  if (result.items.length === 0) return "No deleted accounts match.";
  const rows = [["NAME", "USER NAME", "DIRECTORY", "DELETED", "BY", "WINDOW", "ID"]];
  for (const a of result.items) {
    rows.push([
      a.displayName,
      a.userName,
      a.directoryId,
      date(a.deletedAt),
      a.deletedBy ?? "-",
      a.window,
      a.id,
    ]);
  }
  const more = result.hasMore ? "\n…and more: refine the search or raise --limit." : "";
  return table(rows) + more;
}

function conflictLine(c: Conflict): string {
  const mark = c.resolvedBy ? "resolved" : "TO RESOLVE";
  switch (c.kind) {
    case "userName":
      return `[${mark}] user name ${c.userName} belongs to ${c.holder.displayName} (active)${
        c.resolvedBy
          ? `: ${c.resolvedBy}`
          : ": --rename NEW, or --replace --reason TEXT (needs approval), or rename the active account first"
      }`;
    case "alias":
      return `[${mark}] aliases now used elsewhere are dropped: ${c.dropped
        .map((d) => `${d.address} (${d.holder.userName})`)
        .join(", ")}`;
    case "email":
      return `[${mark}] email ${c.email} belongs to ${c.holder.displayName} (${c.holder.userName})${
        c.resolvedBy ? ": restored without it" : ": --drop-email, or change theirs first"
      }`;
    case "phone":
      return `[${mark}] phone ${c.phone} belongs to ${c.holder.displayName} (${c.holder.userName})${
        c.resolvedBy ? ": restored without it" : ": --drop-phone, or change theirs first"
      }`;
    case "seat":
      return `[${mark}] no free ${c.license} seat: ${c.used} of ${c.total} used; free or buy a seat, then retry`;
    case "department":
      return `[${mark}] department ${c.department} no longer exists${
        c.resolvedBy
          ? ""
          : `: --department NAME (${c.available.slice(0, 12).join(", ")}${c.available.length > 12 ? ", …" : ""})`
      }`;
  }
}

function conflictsSection(plan: RestorePlan): string {
  if (plan.conflicts.length === 0) return "Conflicts: none";
  return ["Conflicts:", ...plan.conflicts.map((c) => `  ${conflictLine(c)}`)].join("\n");
}

function providerCheckLines(p: RestorePlan): string[] {
  const check = p.providerCheck;
  if (!check) return [];
  if (check.error) return [`  ${check.error}`];
  return [
    `  conflicts checked with ${check.provider} at ${check.checkedAt?.slice(0, 19).replace("T", " ")} UTC`,
  ];
}

function planText(p: RestorePlan): string {
  const a = p.account;
  const o = p.outcome;
  const lines = [
    `${a.displayName} <${a.userName}>  in ${p.directory.name}`,
    `  deleted ${date(a.deletedAt)} by ${a.deletedBy ?? "unknown"}; ${windowLine(p)}`,
    `  ${p.action === "recreate" ? "This directory cannot restore: a NEW account is re-created from the snapshot." : "The same account comes back, with its data."}`,
    ...providerCheckLines(p),
    "",
    conflictsSection(p),
    "",
    "After the restore:",
    `  user name   ${o.userName}`,
    `  email       ${o.email ?? "(none)"}`,
    `  aliases     ${o.aliases.join(", ") || "(none)"}`,
    `  phone       ${o.phone ?? "(none)"}`,
    `  department  ${o.department ?? "(none)"}`,
    `  licence     ${o.license ?? "(none)"}${p.seats ? ` (${p.seats.used} of ${p.seats.total} seats used)` : ""}`,
  ];
  if (p.replaces) {
    lines.push(
      "",
      `Replace: ${p.replaces.displayName} (${p.replaces.userName}, active) is deleted, with its own full window.`,
    );
  }
  lines.push(
    "",
    p.ready ? (p.needsApproval ? "Ready, once a second admin approves." : "Ready to restore.") : "Not ready:",
  );
  if (!p.ready) lines.push(...p.blockers.map((b) => `  - ${b}`));
  lines.push("", "Follow-up after the restore:", ...p.followUp.map((f) => `  [ ] ${f}`));
  return lines.join("\n");
}

function windowLine(p: RestorePlan): string {
  const r = p.restorability;
  switch (r.state) {
    case "deleted":
      return r.daysLeft === null
        ? "no time limit"
        : `${r.daysLeft === 0 ? "expires today" : `${r.daysLeft} days left`} (until ${formatTime(r.expiresAt as Date)})`;
    case "deleting":
      return `deletion still in progress, restorable from ${formatTime(r.restorableFrom)}`;
    default:
      return r.state;
  }
}

function restoredText(d: RestoreDone): string {
  const lines = [
    d.repeated
      ? `Already done earlier (request ${d.requestId}): nothing was done again.`
      : `${d.action === "recreate" ? "Re-created" : "Restored"} ${d.account.displayName} <${d.account.userName}>${
          d.action === "recreate" ? ` as a new account ${d.account.id}` : ""
        }.`,
  ];
  if (d.needsAttention) lines.push(`  NEEDS ATTENTION: ${d.needsAttention}`);
  if (d.renamedFrom) lines.push(`  renamed from ${d.renamedFrom}`);
  for (const note of d.notes ?? []) lines.push(`  ${note}`);
  if (d.droppedAliases.length)
    lines.push(`  aliases dropped (now used elsewhere): ${d.droppedAliases.join(", ")}`);
  if (d.droppedEmail) lines.push(`  restored without the email ${d.droppedEmail}`);
  if (d.droppedPhone) lines.push(`  restored without the phone ${d.droppedPhone}`);
  if (d.replaced)
    lines.push(`  replaced ${d.replaced.displayName} (${d.replaced.userName}), now deleted and restorable`);
  if (d.temporaryPassword) {
    lines.push(`  temporary password (shown once; must be changed at next sign-in): ${d.temporaryPassword}`);
  }
  if (!d.repeated) lines.push("Follow-up:", ...d.followUp.map((f) => `  [ ] ${f}`));
  return lines.join("\n");
}

function batchText(items: BatchItem[]): string {
  const done = items.filter((i) => i.outcome.type === "restored").length;
  const lines = items.map((i) =>
    i.outcome.type === "restored"
      ? `restored  ${i.accountId}${i.outcome.temporaryPassword ? `  temporary password: ${i.outcome.temporaryPassword}` : ""}`
      : `FAILED    ${i.accountId}: ${i.outcome.message}`,
  );
  const followUp = items.find((i) => i.outcome.type === "restored")?.outcome as RestoreDone | undefined;
  lines.push(`${done} of ${items.length} restored; retry failed ones one by one.`);
  if (followUp) lines.push("Follow-up for each:", ...followUp.followUp.map((f) => `  [ ] ${f}`));
  return lines.join("\n");
}

function replaceRequestedText(r: ReplaceRequested): string {
  const details = r.request.details as { whatHappens?: string[] };
  return [
    `${r.repeated ? "Already requested" : "Requested"}: ${r.request.id}`,
    ...(details.whatHappens ?? []).map((w) => `  ${w}`),
    `  needs ${r.request.approvalsNeeded} approval(s) from another approver before ${formatTime(r.request.expiresAt as Date)}`,
    `  approve with: restore-user approve ${r.request.id} --as APPROVER_ID`,
  ].join("\n");
}

function approvalText(o: ApproveOutcome): string {
  switch (o.type) {
    case "approval_recorded":
      return `Approval recorded (${o.approvals} of ${o.needed}); waiting for another approver.`;
    case "failed":
      return `Not done: ${o.reason}`;
    case "restored":
      return `Approved request ${o.request.id}.\n${restoredText(o)}`;
  }
}

function requestsText(list: RestoreRequest[]): string {
  if (list.length === 0) return "No requests.";
  const rows = [["ID", "STATUS", "ACCOUNT", "REPLACES", "BY", "REASON", "EXPIRES"]];
  for (const r of list) {
    const d = r.details as { restore?: { userName?: string }; replace?: { userName?: string } };
    rows.push([
      r.id,
      r.status,
      d.restore?.userName ?? r.accountId,
      d.replace?.userName ?? "-",
      r.requestedBy,
      r.reason ?? "-",
      r.expiresAt ? formatTime(r.expiresAt) : "-",
    ]);
  }
  return table(rows);
}

function purgeText(purged: { userName: string }[]): string {
  if (purged.length === 0) return "Nothing to purge: no account is past its window.";
  return [
    `Purged ${purged.length} account(s) past their window:`,
    ...purged.map((p) => `  ${p.userName}`),
  ].join("\n");
}

function auditText(events: AuditEvent[]): string {
  if (events.length === 0) return "No audit events.";
  return events
    .map((e) => {
      const who = e.actor.padEnd(12);
      const extra = e.details && Object.keys(e.details).length > 0 ? ` ${JSON.stringify(e.details)}` : "";
      return `${e.at.toISOString()}  ${who}  ${e.action.padEnd(18)}  ${e.accountIds.join(",")}${extra}`;
    })
    .join("\n");
}

const CSV_COLUMNS = [
  "id",
  "at",
  "actor",
  "action",
  "directory_id",
  "account_ids",
  "request_id",
  "before",
  "after",
  "details",
];

function csvCell(value: unknown): string {
  const text =
    value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  // Quote everything that could break a row, and defuse spreadsheet formulas.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function auditCsv(events: AuditEvent[]): string {
  const rows = events.map((e) =>
    [
      e.id,
      e.at.toISOString(),
      e.actor,
      e.action,
      e.directoryId,
      e.accountIds.join(" "),
      e.requestId,
      e.before,
      e.after,
      e.details,
    ]
      .map(csvCell)
      .join(","),
  );
  return [CSV_COLUMNS.join(","), ...rows].join("\n");
}

function rejectedText(outcome: { request: RestoreRequest }): string {
  return `Rejected request ${outcome.request.id}: ${outcome.request.decisionReason}`;
}

function importProblemsText(path: string, problems: ImportProblem[]): string {
  return [
    `${path}: nothing imported; fix these ${problems.length} problem(s) and run again:`,
    ...problems.map((p) => `  line ${p.line}: ${p.reason}`),
  ].join("\n");
}

function importedText(summaries: ImportSummary[]): string {
  return summaries
    .map(
      (s) =>
        `Imported ${s.inserted} account(s) into ${s.directoryId}${s.skipped ? ` (${s.skipped} already there, left as they were)` : ""}.`,
    )
    .join("\n");
}

function digestText(d: Digest): string {
  const days = `${d.windowDays} day${d.windowDays === 1 ? "" : "s"}`;
  const lines = [
    `Restore digest for ${d.title} (${d.timeZone}, as of ${d.generatedAt.slice(0, 16).replace("T", " ")} UTC)`,
    d.accountCount === 0
      ? `No deleted account's window ends within ${days}.`
      : `${d.accountCount} deleted account(s) will be lost unless restored: their windows end within ${days}.`,
  ];
  if (d.friday && d.accountCount > 0)
    lines.push("It is Friday: what expires on Saturday or Sunday is grouped as this weekend.");
  const many = Object.keys(d.directories).length > 1;
  for (const g of d.groups) {
    lines.push("", `${g.label} · ${g.dates} (${g.accounts.length})`);
    const rows = [["  NAME", "USER NAME", ...(many ? ["DIRECTORY"] : []), "WINDOW ENDS", "ID"]];
    for (const a of g.accounts) {
      rows.push([
        `  ${a.displayName || a.userName}`,
        a.userName,
        ...(many ? [d.directories[a.directoryId] ?? a.directoryId] : []),
        a.restorableFrom ? `${a.deadline} (deleting)` : a.deadline,
        a.id,
      ]);
    }
    lines.push(table(rows));
  }
  lines.push("");
  if (d.pending.total === 0) lines.push("No approval is waiting.");
  else {
    lines.push(`Waiting for approval (${d.pending.total})`);
    const rows = [["  ID", "RESTORE", "REPLACES", "BY", "EXPIRES"]];
    for (const p of d.pending.items) {
      rows.push([
        `  ${p.id}`,
        p.restore.userName,
        p.replace?.userName ?? "-",
        p.requestedBy,
        p.expires ?? "-",
      ]);
    }
    lines.push(table(rows));
    if (d.pending.total > d.pending.items.length)
      lines.push(`  …and ${d.pending.total - d.pending.items.length} more: restore-user requests --pending`);
  }
  const since = d.purged.sinceLabel ? ` since the last digest (${d.purged.sinceLabel})` : " so far";
  lines.push(`Purged${since}: ${d.purged.count}`);
  if (d.attention.length > 0) {
    lines.push(
      "",
      `Needs attention (${d.attention.length}): restored in the provider, not in this app's records`,
    );
    for (const a of d.attention)
      lines.push(`  ${a.at.slice(0, 16).replace("T", " ")} ${a.userName} (${a.provider}): ${a.nextStep}`);
  }
  return lines.join("\n");
}

/**
 * The human formatters, each given its data made printable first (see printable.ts): names,
 * reasons and file contents reach the terminal as text, never as escape sequences. The
 * formatters' own newlines are theirs; one inside a value is shown as `\x0a`.
 */
function printed<A extends unknown[]>(format: (...args: A) => string): (...args: A) => string {
  return (...args) => format(...printableDeep(args));
}

export const sync = printed(syncText);
export const refusal = printed(refusalText);
export const searchResult = printed(searchResultText);
export const plan = printed(planText);
export const restored = printed(restoredText);
export const batch = printed(batchText);
export const replaceRequested = printed(replaceRequestedText);
export const approval = printed(approvalText);
export const rejected = printed(rejectedText);
export const requests = printed(requestsText);
export const purge = printed(purgeText);
export const audit = printed(auditText);
export const importProblems = printed(importProblemsText);
export const imported = printed(importedText);
export const digest = printed(digestText);
export const refreshed = printed(refreshedText);
