import { digestDates } from "../i18n/digest-dates.ts";
import { say, sayOr } from "../i18n/said.ts";
import { sayFollowUp } from "../i18n/stored.ts";
import { ENGLISH, type Translator } from "../i18n/translator.ts";
import { type Refusal, refusalText as sayRefusal } from "../restore/outcome.ts";
import type { AccountSummary, Conflict, RestorePlan } from "../restore/plan-types.ts";
import type { Refreshed } from "../restore/refresh.ts";
import type { SearchResult } from "../restore/search.ts";
import type { ApproveOutcome, BatchItem, ReplaceRequested } from "../restore/service.ts";
import type {
  AuditEvent,
  Digest,
  DigestGroup,
  ImportProblem,
  ImportSummary,
  RestoreDone,
  RestoreRequest,
  SyncResult,
} from "../restore/types.ts";
import { windowText } from "../slack/blocks/words.ts";
import { printableDeep, terminalJson } from "./printable.ts";

/** The help text, in the reader's language. */
export function usage(t: Translator = ENGLISH): string {
  return t.t("cli.usage");
}

export const USAGE = usage(ENGLISH);

export { auditCsv } from "./csv.ts";

/**
 * The domain's messages as catalog keys and values (for a reader's language): the English texts
 * beside them are the machine output, so scripts never depend on our catalog's key names.
 */
const SAID_FIELDS = new Set([
  "said",
  "blockersSaid",
  "errorSaid",
  "followUpSaid",
  "displayNameSaid",
  "noteSaid",
  "notesSaid",
  "needsAttentionSaid",
  "nextStepSaid",
]);

/** Stable machine output: ISO times, two-space indent, one document per command. Always English. */
export function toJson(value: unknown): string {
  return terminalJson(JSON.stringify(value, (key, v) => (SAID_FIELDS.has(key) ? undefined : v), 2));
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

/** Labels padded to one column: "user name   ", "email       ". */
function labelled(pairs: [string, string][]): string[] {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 2;
  return pairs.map(([label, value]) => `${label.padEnd(width)}${value}`);
}

/** Every human formatter, speaking `tr`'s language; dates in its time zone. */
function formatters(tr: Translator) {
  const t = tr.t;
  const none = () => t("cli.none");
  const day = (d: Date | string | null | undefined) => (d ? tr.day(new Date(d)) : "-");
  const time = (d: Date | string) => tr.time(new Date(d));

  function refreshedText(r: Refreshed): string {
    return [
      t("cli.refreshed", {
        name: r.account.displayName,
        userName: r.account.userName,
        status: r.account.status,
      }),
      ...(r.notesSaid ? r.notesSaid.map((n) => say(tr, n)) : r.notes).map((n) => `  ${n}`),
    ].join("\n");
  }

  function syncText(results: SyncResult[]): string {
    return results
      .map((r) =>
        t("cli.sync.line", {
          directory: r.directoryId,
          seen: r.seen,
          pages: r.pages,
          gone: r.gone > 0 ? t("cli.sync.gone", { count: r.gone }) : "",
          seconds: r.ms / 1000,
        }),
      )
      .join("\n");
  }

  function refusalText(r: Refusal): string {
    const lines = [t("cli.refused", { code: r.code, message: sayRefusal(r, tr) })];
    if (r.plan && r.plan.conflicts.length > 0) lines.push("", conflictsSection(r.plan));
    return lines.join("\n");
  }

  function searchResultText(result: SearchResult): string {
    if (result.items.length === 0) return t("cli.search.none");
    const rows = [
      [
        t("cli.col.name"),
        t("cli.col.userName"),
        t("cli.col.directory"),
        t("cli.col.deleted"),
        t("cli.col.by"),
        t("cli.col.window"),
        t("cli.col.id"),
      ],
    ];
    for (const a of result.items) {
      rows.push([
        a.displayName,
        a.userName,
        a.directoryId,
        day(a.deletedAt),
        a.deletedBy ?? "-",
        windowText(tr, a.restorability),
        a.id,
      ]);
    }
    const more = result.hasMore ? `\n${t("cli.search.more")}` : "";
    return table(rows) + more;
  }

  /** A conflict's holder: as the directory names it, or ours in the reader's language (one only the provider saw). */
  function holderName(holder: AccountSummary): string {
    return sayOr(tr, holder.displayNameSaid, holder.displayName);
  }

  function conflictLine(c: Conflict): string {
    const mark = c.resolvedBy ? t("cli.conflict.resolved") : t("cli.conflict.toResolve");
    switch (c.kind) {
      case "userName":
        return t("cli.conflict.userName", {
          mark,
          userName: c.userName,
          holder: holderName(c.holder),
          how: c.resolvedBy ? `: ${c.resolvedBy}` : t("cli.conflict.userName.how"),
        });
      case "alias":
        return t("cli.conflict.alias", {
          mark,
          aliases: c.dropped.map((d) => `${d.address} (${d.holder.userName})`).join(", "),
        });
      case "email":
        return t("cli.conflict.email", {
          mark,
          email: c.email,
          holder: holderName(c.holder),
          userName: c.holder.userName,
          how: c.resolvedBy ? t("cli.conflict.without") : t("cli.conflict.email.how"),
        });
      case "phone":
        return t("cli.conflict.phone", {
          mark,
          phone: c.phone,
          holder: holderName(c.holder),
          userName: c.holder.userName,
          how: c.resolvedBy ? t("cli.conflict.without") : t("cli.conflict.phone.how"),
        });
      case "seat":
        return t("cli.conflict.seat", { mark, license: c.license, used: c.used, total: c.total });
      case "department":
        return t("cli.conflict.department", {
          mark,
          department: c.department,
          how: c.resolvedBy
            ? ""
            : t("cli.conflict.department.how", {
                departments: `${c.available.slice(0, 12).join(", ")}${c.available.length > 12 ? ", …" : ""}`,
              }),
        });
    }
  }

  function conflictsSection(plan: RestorePlan): string {
    if (plan.conflicts.length === 0) return t("cli.conflicts.none");
    return [t("cli.conflicts"), ...plan.conflicts.map((c) => `  ${conflictLine(c)}`)].join("\n");
  }

  function providerCheckLines(p: RestorePlan): string[] {
    const check = p.providerCheck;
    if (!check) return [];
    if (check.error) return [`  ${sayOr(tr, check.errorSaid, check.error)}`];
    return [
      `  ${t("cli.plan.checked", { provider: check.provider, time: check.checkedAt ? time(check.checkedAt) : "-" })}`,
    ];
  }

  function windowLine(p: RestorePlan): string {
    const r = p.restorability;
    switch (r.state) {
      case "deleted":
        return r.daysLeft === null
          ? t("cli.window.noLimit")
          : t("cli.window.daysLeft", { days: r.daysLeft, time: time(r.expiresAt as Date) });
      case "deleting":
        return t("window.deleting", { time: time(r.restorableFrom) });
      default:
        return t("cli.window.state", { state: r.state });
    }
  }

  function planText(p: RestorePlan): string {
    const a = p.account;
    const o = p.outcome;
    const seats = p.seats ? t("cli.plan.seats", { used: p.seats.used, total: p.seats.total }) : "";
    const lines = [
      t("cli.plan.account", { name: a.displayName, userName: a.userName, directory: p.directory.name }),
      `  ${t("cli.plan.deleted", { day: day(a.deletedAt), actor: a.deletedBy ?? t("cli.unknown"), window: windowLine(p) })}`,
      `  ${p.action === "recreate" ? t("cli.plan.recreate") : t("cli.plan.same")}`,
      // The provider's own caveat (Okta: a deleted user is gone), in the reader's language.
      ...(p.directory.note
        ? [`  ${p.directory.name}: ${sayOr(tr, p.directory.noteSaid, p.directory.note)}`]
        : []),
      ...providerCheckLines(p),
      "",
      conflictsSection(p),
      "",
      t("cli.plan.after"),
      ...labelled([
        [t("cli.field.userName"), o.userName],
        [t("cli.field.email"), o.email ?? none()],
        [t("cli.field.aliases"), o.aliases.join(", ") || none()],
        [t("cli.field.phone"), o.phone ?? none()],
        [t("cli.field.department"), o.department ?? none()],
        [t("cli.field.license"), `${o.license ?? none()}${seats}`],
      ]).map((line) => `  ${line}`),
    ];
    if (p.replaces) {
      lines.push("", t("cli.plan.replace", { name: p.replaces.displayName, userName: p.replaces.userName }));
    }
    lines.push(
      "",
      p.ready
        ? p.needsApproval
          ? t("cli.plan.readyOnceApproved")
          : t("cli.plan.ready")
        : t("cli.plan.notReady"),
    );
    if (!p.ready) {
      const blockers = p.blockersSaid ? p.blockersSaid.map((b) => say(tr, b)) : p.blockers;
      lines.push(...blockers.map((b) => `  - ${b}`));
    }
    lines.push(
      "",
      t("cli.plan.followUp"),
      ...sayFollowUp(tr, p.followUp, p.followUpSaid).map((f) => `  [ ] ${f}`),
    );
    return lines.join("\n");
  }

  function restoredText(d: RestoreDone): string {
    const lines = [
      d.repeated
        ? t("cli.restored.repeated", { id: d.requestId })
        : d.action === "recreate"
          ? t("cli.restored.recreated", {
              name: d.account.displayName,
              userName: d.account.userName,
              id: d.account.id,
            })
          : t("cli.restored.restored", { name: d.account.displayName, userName: d.account.userName }),
    ];
    if (d.needsAttention) {
      const text = d.needsAttentionSaid ? say(tr, d.needsAttentionSaid) : d.needsAttention;
      lines.push(`  ${t("cli.restored.attention", { text })}`);
    }
    if (d.renamedFrom) lines.push(`  ${t("cli.restored.renamed", { name: d.renamedFrom })}`);
    for (const note of d.notesSaid ? d.notesSaid.map((n) => say(tr, n)) : (d.notes ?? []))
      lines.push(`  ${note}`);
    if (d.droppedAliases.length)
      lines.push(`  ${t("cli.restored.aliases", { aliases: d.droppedAliases.join(", ") })}`);
    if (d.droppedEmail) lines.push(`  ${t("cli.restored.noEmail", { email: d.droppedEmail })}`);
    if (d.droppedPhone) lines.push(`  ${t("cli.restored.noPhone", { phone: d.droppedPhone })}`);
    if (d.replaced)
      lines.push(
        `  ${t("cli.restored.replaced", { name: d.replaced.displayName, userName: d.replaced.userName })}`,
      );
    if (d.temporaryPassword) {
      lines.push(`  ${t("cli.restored.password", { password: d.temporaryPassword })}`);
    }
    if (!d.repeated)
      lines.push(t("cli.followUp"), ...sayFollowUp(tr, d.followUp, d.followUpSaid).map((f) => `  [ ] ${f}`));
    return lines.join("\n");
  }

  function passwordOf(password: string | undefined | null): string {
    return password ? `  ${t("cli.batch.password", { password })}` : "";
  }

  function batchText(items: BatchItem[]): string {
    const done = items.filter((i) => i.outcome.type === "restored").length;
    const [ok, failed] = [t("cli.batch.restored"), t("cli.batch.failed")];
    const width = Math.max(ok.length, failed.length) + 2;
    const lines = items.map((i) =>
      i.outcome.type === "restored"
        ? ok.padEnd(width) + i.accountId + passwordOf(i.outcome.temporaryPassword)
        : `${failed.padEnd(width)}${i.accountId}: ${i.outcome.message}`,
    );
    const followUp = items.find((i) => i.outcome.type === "restored")?.outcome as RestoreDone | undefined;
    lines.push(t("cli.batch.summary", { done, total: items.length }));
    if (followUp)
      lines.push(
        t("cli.batch.followUp"),
        ...sayFollowUp(tr, followUp.followUp, followUp.followUpSaid).map((f) => `  [ ] ${f}`),
      );
    return lines.join("\n");
  }

  function replaceRequestedText(r: ReplaceRequested): string {
    const details = r.request.details as { whatHappens?: string[] };
    return [
      r.repeated
        ? t("cli.replace.repeated", { id: r.request.id })
        : t("cli.replace.requested", { id: r.request.id }),
      ...(details.whatHappens ?? []).map((w) => `  ${w}`),
      `  ${t("cli.replace.needs", { count: r.request.approvalsNeeded, time: time(r.request.expiresAt as Date) })}`,
      `  ${t("cli.replace.approveWith", { id: r.request.id })}`,
    ].join("\n");
  }

  function approvalText(o: ApproveOutcome): string {
    switch (o.type) {
      case "approval_recorded":
        return t("cli.approval.recorded", { approvals: o.approvals, needed: o.needed });
      case "failed":
        return t("cli.approval.failed", { reason: say(tr, o.said) });
      case "restored":
        return `${t("cli.approval.approved", { id: o.request.id })}\n${restoredText(o)}`;
    }
  }

  function requestsText(list: RestoreRequest[]): string {
    if (list.length === 0) return t("cli.requests.none");
    const rows = [
      [
        t("cli.col.id"),
        t("cli.col.status"),
        t("cli.col.account"),
        t("cli.col.replaces"),
        t("cli.col.by"),
        t("cli.col.reason"),
        t("cli.col.expires"),
      ],
    ];
    for (const r of list) {
      const d = r.details as { restore?: { userName?: string }; replace?: { userName?: string } };
      rows.push([
        r.id,
        t("cli.requests.status", { status: r.status }),
        d.restore?.userName ?? r.accountId,
        d.replace?.userName ?? "-",
        r.requestedBy,
        r.reason ?? "-",
        r.expiresAt ? time(r.expiresAt) : "-",
      ]);
    }
    return table(rows);
  }

  function purgeText(purged: { userName: string }[]): string {
    if (purged.length === 0) return t("cli.purge.none");
    return [t("cli.purge.done", { count: purged.length }), ...purged.map((p) => `  ${p.userName}`)].join(
      "\n",
    );
  }

  /** The trail keeps its exact ISO instants (UTC, to the millisecond) in every language. */
  function auditText(events: AuditEvent[]): string {
    if (events.length === 0) return t("cli.audit.none");
    return events
      .map((e) => {
        const who = e.actor.padEnd(12);
        const extra = e.details && Object.keys(e.details).length > 0 ? ` ${JSON.stringify(e.details)}` : "";
        return `${e.at.toISOString()}  ${who}  ${e.action.padEnd(18)}  ${e.accountIds.join(",")}${extra}`;
      })
      .join("\n");
  }

  function rejectedText(outcome: { request: RestoreRequest }): string {
    return t("cli.rejected", { id: outcome.request.id, reason: outcome.request.decisionReason ?? "" });
  }

  function importProblemsText(path: string, problems: ImportProblem[]): string {
    return [
      t("cli.import.problems", { path, count: problems.length }),
      ...problems.map(
        (p) => `  ${t("cli.import.line", { line: String(p.line), reason: sayOr(tr, p.said, p.reason) })}`,
      ),
    ].join("\n");
  }

  function importedText(summaries: ImportSummary[]): string {
    return summaries
      .map((s) =>
        t("cli.imported", {
          count: s.inserted,
          directory: s.directoryId,
          skipped: s.skipped ? t("cli.imported.skipped", { count: s.skipped }) : "",
        }),
      )
      .join("\n");
  }

  function groupLabel(g: DigestGroup): string {
    switch (g.kind) {
      case "today":
        return t("digest.group.today");
      case "tomorrow":
        return t("digest.group.tomorrow");
      case "weekend":
        return t("digest.group.weekend");
      default:
        return t("digest.group.days", { days: g.firstDay });
    }
  }

  /** English keeps the digest's UTC minutes as they were; other languages get the reader's zone. */
  function minute(iso: string): string {
    return tr.language === "en" ? iso.slice(0, 16).replace("T", " ") : time(iso);
  }

  function digestText(d: Digest): string {
    const dates = digestDates(tr, d.timeZone);
    const lines = [
      t("cli.digest.title", { title: dates.longDay(d.date), zone: d.timeZone, time: time(d.generatedAt) }),
      d.accountCount === 0
        ? t("cli.digest.none", { days: d.windowDays })
        : t("cli.digest.some", { count: d.accountCount, days: d.windowDays }),
    ];
    if (d.friday && d.accountCount > 0) lines.push(t("cli.digest.friday"));
    const many = Object.keys(d.directories).length > 1;
    for (const g of d.groups) {
      lines.push(
        "",
        t("cli.digest.group", {
          label: groupLabel(g),
          dates: dates.range(g.from, g.through),
          count: g.accounts.length,
        }),
      );
      const rows = [
        [
          `  ${t("cli.col.name")}`,
          t("cli.col.userName"),
          ...(many ? [t("cli.col.directory")] : []),
          t("cli.col.windowEnds"),
          t("cli.col.id"),
        ],
      ];
      for (const a of g.accounts) {
        const deadline = dates.deadline(a.expiresAt);
        rows.push([
          `  ${a.displayName || a.userName}`,
          a.userName,
          ...(many ? [d.directories[a.directoryId] ?? a.directoryId] : []),
          a.restorableFrom ? t("cli.digest.deleting", { deadline }) : deadline,
          a.id,
        ]);
      }
      lines.push(table(rows));
    }
    lines.push("");
    if (d.pending.total === 0) lines.push(t("digest.pending.none"));
    else {
      lines.push(t("cli.digest.pending", { count: d.pending.total }));
      const rows = [
        [
          `  ${t("cli.col.id")}`,
          t("cli.col.restore"),
          t("cli.col.replaces"),
          t("cli.col.by"),
          t("cli.col.expires"),
        ],
      ];
      for (const p of d.pending.items) {
        rows.push([
          `  ${p.id}`,
          p.restore.userName,
          p.replace?.userName ?? "-",
          p.requestedBy,
          p.expiresAt ? dates.deadline(p.expiresAt) : "-",
        ]);
      }
      lines.push(table(rows));
      if (d.pending.total > d.pending.items.length)
        lines.push(`  ${t("cli.digest.morePending", { count: d.pending.total - d.pending.items.length })}`);
    }
    const when = d.purged.since
      ? t("digest.purged.since", { time: dates.deadline(d.purged.since) })
      : t("digest.purged.soFar");
    lines.push(t("cli.digest.purged", { when, count: d.purged.count }));
    if (d.attention.length > 0) {
      lines.push("", t("cli.digest.attention", { count: d.attention.length }));
      for (const a of d.attention)
        lines.push(
          `  ${minute(a.at)} ${a.userName} (${a.provider}): ${sayOr(tr, a.nextStepSaid, a.nextStep)}`,
        );
    }
    return lines.join("\n");
  }

  /**
   * Each formatter is given its data made printable first (see printable.ts): names, reasons and
   * file contents reach the terminal as text, never as escape sequences. The formatters' own
   * newlines are theirs; one inside a value is shown as `\x0a`.
   */
  function printed<A extends unknown[]>(format: (...args: A) => string): (...args: A) => string {
    return (...args) => format(...printableDeep(args));
  }

  return {
    usage: () => usage(tr),
    sync: printed(syncText),
    refusal: printed(refusalText),
    searchResult: printed(searchResultText),
    plan: printed(planText),
    restored: printed(restoredText),
    batch: printed(batchText),
    replaceRequested: printed(replaceRequestedText),
    approval: printed(approvalText),
    rejected: printed(rejectedText),
    requests: printed(requestsText),
    purge: printed(purgeText),
    audit: printed(auditText),
    importProblems: printed(importProblemsText),
    imported: printed(importedText),
    digest: printed(digestText),
    refreshed: printed(refreshedText),
  };
}

export type Formatters = ReturnType<typeof formatters>;

const made = new Map<Translator, Formatters>();

/** The human formatters in `t`'s language (English by default), made once per translator. */
export function formattersFor(t: Translator = ENGLISH): Formatters {
  let f = made.get(t);
  if (!f) {
    f = formatters(t);
    made.set(t, f);
  }
  return f;
}

/** English, as scripts and tests have always read it. */
export const {
  sync,
  refusal,
  searchResult,
  plan,
  restored,
  batch,
  replaceRequested,
  approval,
  rejected,
  requests,
  purge,
  audit,
  importProblems,
  imported,
  digest,
  refreshed,
} = formattersFor(ENGLISH);
