import type { ActionsBlock, Button, KnownBlock, ModalView } from "@slack/types";
import { ENGLISH, type Translator } from "../../i18n/translator.ts";
import type { RestoreRequest } from "../../restore/types.ts";
import { daysLeft, describeDaysLeft, formatTime } from "../../restore/window.ts";
import { ACTION, BLOCK, CALLBACK } from "./ids.ts";
import { context, fitBlocks, MESSAGE_MAX_BLOCKS, section } from "./layout.ts";
import {
  bulletList,
  capitalize,
  day,
  esc,
  mention,
  plain,
  slackDate,
  squeeze,
  toDate,
  truncate,
} from "./mrkdwn.ts";

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

/** The deleted account's window as of now (the details hold it as it was at the request). */
function windowNow(d: Details, now: Date): string {
  const { state, expiresAt } = d.restore;
  if (expiresAt && expiresAt.getTime() <= now.getTime()) return `window ended ${formatTime(expiresAt)}`;
  if (expiresAt) return describeDaysLeft(daysLeft(expiresAt, now));
  if (state === "deleted") return "restorable, no time limit";
  return state ?? "unknown window";
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

function summaryBlocks(
  request: RestoreRequest,
  d: Details,
  now: Date,
  headerText: string,
  pending: boolean,
): KnownBlock[] {
  const restoreExtra = [
    d.restore.deletedAt ? `deleted ${day(d.restore.deletedAt)} by ${mention(d.restore.deletedBy)}` : "",
    // Once decided, the countdown no longer means anything: the history line says what happened.
    pending ? esc(windowNow(d, now), 200) : "",
  ];
  const blocks: KnownBlock[] = [
    { type: "header", text: plain(headerText, 150) },
    section(
      `${mention(request.requestedBy)} asks to restore *${esc(d.restore.displayName, 200)}* (${esc(d.restore.userName, 250)}) in place of the active account *${esc(d.replace.displayName, 200)}* (${esc(d.replace.userName, 250)}), which has the same user name.`,
    ),
    {
      type: "section",
      fields: [
        { type: "mrkdwn", text: sideText("Restore (deleted)", d.restore, restoreExtra), verbatim: true },
        {
          type: "mrkdwn",
          text: sideText(
            "Replace (active, will be deleted — restorable for its own full window)",
            d.replace,
            [],
          ),
          verbatim: true,
        },
      ],
    },
  ];
  if (d.whatHappens.length > 0) blocks.push(section(`*What happens*\n${bulletList(d.whatHappens, 10, 500)}`));
  const reason = (request.reason ?? "").trim();
  blocks.push(
    section(
      `*Reason*\n${
        reason
          ? esc(reason, 1500)
              .split("\n")
              .map((l) => `> ${l}`)
              .join("\n")
          : "_none given_"
      }`,
    ),
  );
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

/** The service words a failed approval "The re-check … failed, so nothing was changed: why"; the line says the rest. */
function failureReason(request: RestoreRequest): string {
  const reason = request.decisionReason ?? "unknown reason";
  return reason.replace(
    /^The re-check at approval failed, so nothing was changed: /,
    "the re-check at approval found: ",
  );
}

/** One line of what became of the request, for the message and the Home tab. */
export function historyLine(request: RestoreRequest, now: Date): string {
  const at = slackDate(request.decidedAt ?? request.expiresAt);
  switch (request.status) {
    case "completed":
      return `✅ Approved by ${mention(request.decidedBy)} at ${at}: the replace is done.`;
    case "rejected":
      return `❌ Rejected by ${mention(request.decidedBy)} at ${at}: ${esc(request.decisionReason ?? "no reason given", 1000)}`;
    case "expired":
      return `⌛ Expired at ${at} — nobody decided in time`;
    case "failed":
      return `⚠️ Approval by ${mention(request.decidedBy)} failed: ${esc(failureReason(request), 1500)} — nothing was changed`;
    case "pending": {
      const expires = toDate(request.expiresAt);
      if (expires && expires.getTime() <= now.getTime())
        return `⌛ Expired at ${slackDate(expires)} — nobody decided in time`;
      return `⏳ Waiting for ${request.approvalsNeeded <= 1 ? "an approver" : `${request.approvalsNeeded} approvers`} other than the requester${expires ? ` · expires ${slackDate(expires)}` : ""}`;
    }
  }
}

export function approvalMessage(request: RestoreRequest, now: Date): { text: string; blocks: KnownBlock[] } {
  const d = parseDetails(request);
  const pending = isPending(request, now);
  const blocks = summaryBlocks(
    request,
    d,
    now,
    pending ? "Approval needed: replace an active account" : "Replace an active account",
    pending,
  );
  if (pending) {
    const expires = toDate(request.expiresAt);
    const n = request.approvalsNeeded;
    blocks.push(
      context(
        `Asked by ${mention(request.requestedBy)}${expires ? ` · expires ${slackDate(expires)}` : ""} · needs ${n} approval${n === 1 ? "" : "s"} from approvers other than the requester`,
      ),
      decisionButtons(request, d),
    );
  } else {
    blocks.push(context(`Asked by ${mention(request.requestedBy)}`), context(historyLine(request, now)));
  }
  const state = pending
    ? "Approval needed"
    : `Replace request ${request.status === "completed" ? "approved" : request.status}`;
  return {
    text: `${state}: restore ${esc(d.restore.userName, 200)} in place of the active ${esc(d.replace.userName, 200)}`,
    blocks: fitBlocks(blocks, MESSAGE_MAX_BLOCKS),
  };
}

export function rejectReasonView(requestId: string, meta: { channel: string; ts: string }): ModalView {
  return {
    type: "modal",
    callback_id: CALLBACK.rejectReason,
    title: plain("Reject the request", 24),
    submit: plain("Reject", 24),
    close: plain("Cancel", 24),
    private_metadata: truncate(JSON.stringify({ requestId, channel: meta.channel, ts: meta.ts }), 3000),
    blocks: [
      section("The requester reads this reason. Nothing is changed."),
      {
        type: "input",
        block_id: BLOCK.rejectReason,
        label: plain("Why are you rejecting it?"),
        element: { type: "plain_text_input", action_id: ACTION.value, multiline: true, max_length: 1000 },
      },
    ],
  };
}

export function requesterNotice(request: RestoreRequest): { text: string; blocks: KnownBlock[] } {
  const d = parseDetails(request);
  const what = `restore *${esc(d.restore.displayName, 200)}* (${esc(d.restore.userName, 250)}) in place of *${esc(d.replace.displayName, 200)}* (${esc(d.replace.userName, 250)})`;
  const by = mention(request.decidedBy);
  const blocks: KnownBlock[] = [];
  let text: string;
  switch (request.status) {
    case "completed": {
      const result = obj(request.result);
      text = `✅ Your request was approved by ${by} and done: ${what}.`;
      blocks.push(
        section(
          `${text} ${esc(d.replace.userName, 250)} is deleted and can be restored for its own full window.`,
        ),
      );
      // The provider acted but this app's records could not follow it (restore/follow.ts).
      if (typeof result.needsAttention === "string" && result.needsAttention) {
        blocks.push(section(`⚠️ *Needs attention:* ${esc(result.needsAttention, 1500)}`));
      }
      const notes = Array.isArray(result.notes)
        ? result.notes.filter((n): n is string => typeof n === "string")
        : [];
      if (notes.length > 0)
        blocks.push(section(`*This app's records were brought in line*\n${bulletList(notes, 10, 400)}`));
      const followUp = Array.isArray(result.followUp)
        ? result.followUp.filter((f): f is string => typeof f === "string")
        : [];
      if (followUp.length > 0) blocks.push(section(`*After the restore*\n${bulletList(followUp, 20, 300)}`));
      if (result.mustChangePassword !== false) {
        blocks.push(
          context(
            "The temporary password is never sent in a message: get it here, privately. The user must change it at next sign-in.",
          ),
          {
            type: "actions",
            elements: [
              {
                type: "button",
                action_id: ACTION.getPassword,
                text: plain("Get a temporary password", 75),
                style: "primary",
                // The request, not the account: who may collect is decided by what it stores.
                value: request.id,
              },
            ],
          },
        );
      }
      break;
    }
    case "rejected":
      text = `❌ Your request to ${what} was rejected by ${by}.`;
      blocks.push(
        section(
          `${text}\n*Reason*\n> ${esc(request.decisionReason ?? "no reason given", 1500)
            .split("\n")
            .join("\n> ")}`,
        ),
      );
      break;
    case "expired":
      text = `⌛ Your request to ${what} expired: nobody decided in time.`;
      blocks.push(section(`${text} Nothing was changed. Ask again if it is still needed.`));
      break;
    case "failed":
      text = `⚠️ Your request to ${what} was approved by ${by} but could not be done.`;
      blocks.push(section(`${text}\n${esc(capitalize(failureReason(request)), 1500)}\nNothing was changed.`));
      break;
    case "pending":
      text = `⏳ Your request to ${what} is waiting for approval.`;
      blocks.push(section(text));
      break;
  }
  return { text: truncate(text, 1000), blocks: fitBlocks(blocks, MESSAGE_MAX_BLOCKS) };
}

/** The one reminder, in the approval message's thread, for a request that has waited long. */
export function reminderText(request: RestoreRequest, now: Date): string {
  const d = parseDetails(request);
  const since = toDate(request.createdAt) ?? now;
  const waited = Math.max(1, Math.floor((now.getTime() - since.getTime()) / 3_600_000));
  return `⏰ Still waiting for an approver (${waited} h): replace *${esc(d.replace.displayName, 200)}* with *${esc(d.restore.displayName, 200)}*, asked by ${mention(request.requestedBy)}. It expires ${slackDate(request.expiresAt)}.`;
}
