import type { ActionsBlock, Button, KnownBlock, ModalView } from "@slack/types";
import { type Said, say } from "../../i18n/said.ts";
import { sayFollowUp } from "../../i18n/stored.ts";
import { ENGLISH, type Translator } from "../../i18n/translator.ts";
import type { RestoreRequest } from "../../restore/types.ts";
import { daysLeft } from "../../restore/window.ts";
import { ACTION, BLOCK, CALLBACK } from "./ids.ts";
import { context, fitBlocks, MESSAGE_MAX_BLOCKS, section } from "./layout.ts";
import { capitalize, esc, escapeMrkdwn, plain, squeeze, toDate, truncate } from "./mrkdwn.ts";
import { actorText, dayText, slackDateText } from "./words.ts";

interface Side {
  displayName: string;
  userName: string;
  email: string | null;
  department: string | null;
  license: string | null;
  id: string | null;
}

export interface Details {
  restore: Side & {
    deletedAt: Date | null;
    deletedBy: string | null;
    expiresAt: Date | null;
    state: string | null;
  };
  replace: Side;
  whatHappens: string[];
  /** "30" from "restorable for 30 days", when the request said so. */
  retentionDays: string | null;
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function str(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

function side(value: unknown): Side {
  const o = obj(value);
  const userName = str(o.userName) ?? "unknown";
  return {
    displayName: str(o.displayName) ?? userName,
    userName,
    email: str(o.email),
    department: str(o.department),
    license: str(o.license),
    id: str(o.id),
  };
}

/** request.details is JSON written by requestReplace: read it without trusting its shape. */
export function parseDetails(request: RestoreRequest): Details {
  const d = obj(request.details);
  const r = obj(d.restore);
  const window = obj(r.window);
  const whatHappens = Array.isArray(d.whatHappens)
    ? d.whatHappens.filter((w): w is string => typeof w === "string")
    : [];
  const retention = whatHappens.map((w) => /restorable for (\d+) days/.exec(w)?.[1]).find(Boolean) ?? null;
  return {
    restore: {
      ...side(r),
      deletedAt: toDate(r.deletedAt),
      deletedBy: str(r.deletedBy),
      expiresAt: toDate(window.expiresAt),
      state: str(window.state),
    },
    replace: side(d.replace),
    whatHappens,
    retentionDays: retention,
  };
}

/**
 * What a replace does, in the reader's language: drawn from the request's details (the two
 * accounts and the directory's window) where the stored English lines have the shape the service
 * writes; otherwise those lines as they are. Escaped mrkdwn, one line each.
 */
export function whatHappensLines(d: Details, t: Translator = ENGLISH): string[] {
  const [first, second, ...others] = d.whatHappens;
  const shape = first
    ? /, active\) is (deleted|deactivated), restorable (?:for (\d+) days|with no time limit)\.$/.exec(first)
    : null;
  if (!shape || second === undefined || others.length > 0) return d.whatHappens.map((w) => esc(w, 500));
  const days = shape[2] ? Number(shape[2]) : null;
  return [
    t.t("approval.happens.replace", {
      name: esc(d.replace.displayName, 200),
      userName: esc(d.replace.userName, 250),
      verb: shape[1] === "deactivated" ? "deactivated" : "deleted",
      limited: days === null ? "no" : "yes",
      days: days ?? 0,
    }),
    t.t("approval.happens.restore", {
      name: esc(d.restore.displayName, 200),
      userName: esc(d.restore.userName, 250),
    }),
  ];
}

/** "• a\n• b" of lines already escaped, at most `max`, then "…and N more". */
function bullets(lines: readonly string[], max: number, t: Translator): string {
  const shown = lines.slice(0, max).map((l) => `• ${l}`);
  if (lines.length > max) shown.push(t.t("common.andMore", { count: lines.length - max }));
  return shown.join("\n");
}

/** The deleted account's window as of now (the details hold it as it was at the request). Mrkdwn. */
function windowNow(d: Details, now: Date, t: Translator): string {
  const { state, expiresAt } = d.restore;
  if (expiresAt && expiresAt.getTime() <= now.getTime())
    return t.t("approval.windowEnded", { time: slackDateText(t, expiresAt) });
  if (expiresAt) return t.t("window.daysLeft", { days: Math.max(0, daysLeft(expiresAt, now)) });
  if (state === "deleted") return t.t("window.noLimit");
  return state ? esc(state, 200) : t.t("approval.unknownWindow");
}

function sideText(title: string, s: Side, extra: string[]): string {
  const lines = [
    `*${title}*`,
    `*${esc(s.displayName, 200)}*`,
    esc(s.userName, 250),
    ...(s.email && s.email.toLowerCase() !== s.userName.toLowerCase() ? [esc(s.email, 250)] : []),
    [s.department, s.license]
      .filter((x): x is string => Boolean(x))
      .map((x) => esc(x, 150))
      .join(" · "),
    ...extra,
  ].filter((l) => l.length > 0);
  return truncate(lines.join("\n"), 2000);
}

/** The two accounts of a request, named for a sentence: *Name* (user name), escaped. */
function sides(d: Details): { restore: string; replace: string } {
  return {
    restore: `*${esc(d.restore.displayName, 200)}* (${esc(d.restore.userName, 250)})`,
    replace: `*${esc(d.replace.displayName, 200)}* (${esc(d.replace.userName, 250)})`,
  };
}

function quoted(text: string): string {
  return text
    .split("\n")
    .map((l) => `> ${l}`)
    .join("\n");
}

function summaryBlocks(
  request: RestoreRequest,
  d: Details,
  now: Date,
  headerText: string,
  pending: boolean,
  t: Translator,
): KnownBlock[] {
  const restoreExtra = [
    d.restore.deletedAt
      ? t.t("approval.deletedBy", {
          day: dayText(t, d.restore.deletedAt),
          actor: actorText(t, d.restore.deletedBy),
        })
      : "",
    // Once decided, the countdown no longer means anything: the history line says what happened.
    pending ? truncate(windowNow(d, now, t), 200) : "",
  ];
  const blocks: KnownBlock[] = [
    { type: "header", text: plain(headerText, 150) },
    section(t.t("approval.asks", { requester: actorText(t, request.requestedBy), ...sides(d) })),
    {
      type: "section",
      fields: [
        {
          type: "mrkdwn",
          text: sideText(t.t("approval.side.restore"), d.restore, restoreExtra),
          verbatim: true,
        },
        { type: "mrkdwn", text: sideText(t.t("approval.side.replace"), d.replace, []), verbatim: true },
      ],
    },
  ];
  const what = whatHappensLines(d, t);
  if (what.length > 0) blocks.push(section(`*${t.t("approval.whatHappens")}*\n${bullets(what, 10, t)}`));
  const reason = (request.reason ?? "").trim();
  const said = reason ? quoted(esc(reason, 1500)) : `_${t.t("approval.noReason")}_`;
  blocks.push(section(`*${t.t("approval.reason")}*\n${said}`));
  return blocks;
}

export function isPending(request: RestoreRequest, now: Date): boolean {
  const expires = toDate(request.expiresAt);
  return request.status === "pending" && !(expires && expires.getTime() <= now.getTime());
}

/** Approve (with a confirm dialog saying what happens) and Reject; block ids must be unique on the Home tab. */
export function decisionButtons(
  request: RestoreRequest,
  d: Details,
  blockId: string = BLOCK.decision,
  t: Translator = ENGLISH,
): ActionsBlock {
  const keep = d.retentionDays
    ? t.t("decision.keepDays", { days: Number(d.retentionDays) })
    : t.t("decision.keepWindow");
  const approve: Button = {
    type: "button",
    action_id: ACTION.approve,
    text: plain(t.t("decision.approve"), 75),
    style: "primary",
    value: request.id,
    confirm: {
      title: plain(t.t("decision.confirmTitle", { userName: d.replace.userName }), 100),
      text: plain(
        squeeze(
          (a, b) => t.t("decision.confirmText", { replace: a, keep, restore: b }),
          `${d.replace.displayName} (${d.replace.userName})`,
          `${d.restore.displayName} (${d.restore.userName})`,
          300,
        ),
        300,
      ),
      confirm: plain(t.t("decision.approve"), 30),
      deny: plain(t.t("common.cancel"), 30),
    },
  };
  const reject: Button = {
    type: "button",
    action_id: ACTION.reject,
    text: plain(t.t("decision.reject"), 75),
    style: "danger",
    value: request.id,
  };
  return { type: "actions", block_id: truncate(blockId, 255), elements: [approve, reject] };
}

/**
 * The service words a failed approval "The re-check … failed, so nothing was changed: why"; the
 * line says the rest. The why is the service's own (English) words, escaped here.
 */
function failureReason(request: RestoreRequest, t: Translator): string {
  const reason = request.decisionReason ?? "";
  if (!reason) return t.t("approval.unknownReason");
  const recheck = /^The re-check at approval failed, so nothing was changed: /.exec(reason);
  return recheck
    ? t.t("approval.recheckFound", { why: esc(reason.slice(recheck[0].length), 1400) })
    : esc(reason, 1500);
}

/** One line of what became of the request, for the message and the Home tab. */
export function historyLine(request: RestoreRequest, now: Date, t: Translator = ENGLISH): string {
  const at = slackDateText(t, request.decidedAt ?? request.expiresAt);
  const actor = actorText(t, request.decidedBy);
  switch (request.status) {
    case "completed":
      return `✅ ${t.t("approval.history.completed", { actor, time: at })}`;
    case "rejected":
      return `❌ ${t.t("approval.history.rejected", {
        actor,
        time: at,
        reason: request.decisionReason ? esc(request.decisionReason, 1000) : t.t("approval.noReasonGiven"),
      })}`;
    case "expired":
      return `⌛ ${t.t("approval.history.expired", { time: at })}`;
    case "failed":
      return `⚠️ ${t.t("approval.history.failed", { actor, reason: failureReason(request, t) })}`;
    case "pending": {
      const expires = toDate(request.expiresAt);
      if (expires && expires.getTime() <= now.getTime())
        return `⌛ ${t.t("approval.history.expired", { time: slackDateText(t, expires) })}`;
      return `⏳ ${t.t("approval.history.waiting", { count: request.approvalsNeeded })}${
        expires ? t.t("approval.expiresSuffix", { time: slackDateText(t, expires) }) : ""
      }`;
    }
  }
}

/** The request in the approvers' channel: write it with the channel's translator (CHANNEL_LOCALE). */
export function approvalMessage(
  request: RestoreRequest,
  now: Date,
  t: Translator = ENGLISH,
): { text: string; blocks: KnownBlock[] } {
  const d = parseDetails(request);
  const pending = isPending(request, now);
  const blocks = summaryBlocks(
    request,
    d,
    now,
    t.t(pending ? "approval.header.pending" : "approval.header.decided"),
    pending,
    t,
  );
  const askedBy = actorText(t, request.requestedBy);
  if (pending) {
    const expires = toDate(request.expiresAt);
    blocks.push(
      context(
        t.t("approval.askedBy.pending", {
          actor: askedBy,
          expires: expires ? t.t("approval.expiresSuffix", { time: slackDateText(t, expires) }) : "",
          count: request.approvalsNeeded,
        }),
      ),
      decisionButtons(request, d, BLOCK.decision, t),
    );
  } else {
    blocks.push(context(t.t("approval.askedBy", { actor: askedBy })), context(historyLine(request, now, t)));
  }
  return {
    text: t.t("approval.text", {
      state: pending ? "pending" : request.status,
      restore: esc(d.restore.userName, 200),
      replace: esc(d.replace.userName, 200),
    }),
    blocks: fitBlocks(blocks, MESSAGE_MAX_BLOCKS, t.t("plan.notAllShown")),
  };
}

export function rejectReasonView(
  requestId: string,
  meta: { channel: string; ts: string },
  t: Translator = ENGLISH,
): ModalView {
  return {
    type: "modal",
    callback_id: CALLBACK.rejectReason,
    title: plain(t.t("approval.reject.title"), 24),
    submit: plain(t.t("approval.reject.submit"), 24),
    close: plain(t.t("common.cancel"), 24),
    private_metadata: truncate(JSON.stringify({ requestId, channel: meta.channel, ts: meta.ts }), 3000),
    blocks: [
      section(t.t("approval.reject.intro")),
      {
        type: "input",
        block_id: BLOCK.rejectReason,
        label: plain(t.t("approval.reject.label")),
        element: { type: "plain_text_input", action_id: ACTION.value, multiline: true, max_length: 1000 },
      },
    ],
  };
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Stored Saids (a request's result, as JSON); undefined when absent or not Saids (records made before). */
function saids(value: unknown): Said[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const ok = value.every(
    (v) => typeof v === "object" && v !== null && typeof (v as { key?: unknown }).key === "string",
  );
  return ok ? (value as Said[]) : undefined;
}

/** The requester's direct message: write it with the requester's own translator. */
export function requesterNotice(
  request: RestoreRequest,
  t: Translator = ENGLISH,
): { text: string; blocks: KnownBlock[] } {
  const d = parseDetails(request);
  const values = { ...sides(d), actor: actorText(t, request.decidedBy) };
  const blocks: KnownBlock[] = [];
  let text: string;
  switch (request.status) {
    case "completed": {
      const result = obj(request.result);
      text = `✅ ${t.t("approval.notice.completed", values)}`;
      blocks.push(
        section(
          `${text} ${t.t("approval.notice.completed.more", { userName: esc(d.replace.userName, 250) })}`,
        ),
      );
      // The provider acted but this app's records could not follow it (restore/follow.ts).
      if (typeof result.needsAttention === "string" && result.needsAttention) {
        const said = saids([result.needsAttentionSaid])?.[0];
        const text = said ? truncate(say(t, said, escapeMrkdwn), 1500) : esc(result.needsAttention, 1500);
        blocks.push(section(`⚠️ *${t.t("result.needsAttention")}* ${text}`));
      }
      // Notes and follow-up steps are the service's and the directory's own words.
      const notesSaid = saids(result.notesSaid);
      const notes = notesSaid
        ? notesSaid.map((n) => truncate(say(t, n, escapeMrkdwn), 400))
        : strings(result.notes).map((n) => esc(n, 400));
      if (notes.length > 0) blocks.push(section(`*${t.t("result.notes")}*\n${bullets(notes, 10, t)}`));
      const followUp = sayFollowUp(t, strings(result.followUp), saids(result.followUpSaid)).map((f) =>
        esc(f, 300),
      );
      if (followUp.length > 0)
        blocks.push(section(`*${t.t("plan.after", { recreate: "no" })}*\n${bullets(followUp, 20, t)}`));
      if (result.mustChangePassword !== false) {
        blocks.push(context(t.t("approval.notice.password")), {
          type: "actions",
          elements: [
            {
              type: "button",
              action_id: ACTION.getPassword,
              text: plain(t.t("approval.notice.getPassword"), 75),
              style: "primary",
              // The request, not the account: who may collect is decided by what it stores.
              value: request.id,
            },
          ],
        });
      }
      break;
    }
    case "rejected":
      text = `❌ ${t.t("approval.notice.rejected", values)}`;
      blocks.push(
        section(
          `${text}\n*${t.t("approval.reason")}*\n${quoted(
            request.decisionReason ? esc(request.decisionReason, 1500) : t.t("approval.noReasonGiven"),
          )}`,
        ),
      );
      break;
    case "expired":
      text = `⌛ ${t.t("approval.notice.expired", values)}`;
      blocks.push(section(`${text} ${t.t("approval.notice.expired.more")}`));
      break;
    case "failed":
      text = `⚠️ ${t.t("approval.notice.failed", values)}`;
      blocks.push(
        section(`${text}\n${capitalize(failureReason(request, t))}\n${t.t("approval.notice.failed.more")}`),
      );
      break;
    case "pending":
      text = `⏳ ${t.t("approval.notice.pending", values)}`;
      blocks.push(section(text));
      break;
  }
  return {
    text: truncate(text, 1000),
    blocks: fitBlocks(blocks, MESSAGE_MAX_BLOCKS, t.t("plan.notAllShown")),
  };
}

/** The one reminder, in the approval message's thread (the channel's language), for a request that has waited long. */
export function reminderText(request: RestoreRequest, now: Date, t: Translator = ENGLISH): string {
  const d = parseDetails(request);
  const since = toDate(request.createdAt) ?? now;
  const waited = Math.max(1, Math.floor((now.getTime() - since.getTime()) / 3_600_000));
  return `⏰ ${t.t("approval.reminder", {
    hours: waited,
    replace: esc(d.replace.displayName, 200),
    restore: esc(d.restore.displayName, 200),
    actor: actorText(t, request.requestedBy),
    time: slackDateText(t, request.expiresAt),
  })}`;
}
