import type { KnownBlock, ModalView } from "@slack/types";
import type { Refusal } from "../../restore/outcome.ts";
import type { RestoreDone, RestoreRequest } from "../../restore/types.ts";
import { formatTime } from "../../restore/window.ts";
import { CALLBACK } from "./ids.ts";
import { context, fitBlocks, linesToSections, MODAL_MAX_BLOCKS, section } from "./layout.ts";
import { bulletList, channelMention, esc, plain, toDate } from "./mrkdwn.ts";

export const PASSWORD_SHOWN_ONCE = "Shown once, only to you. The user must change it at next sign-in.";

function modal(title: string, blocks: KnownBlock[], callbackId?: string): ModalView {
  return {
    type: "modal",
    ...(callbackId ? { callback_id: callbackId } : {}),
    title: plain(title, 24),
    close: plain("Done", 24),
    blocks: fitBlocks(blocks, MODAL_MAX_BLOCKS),
  };
}

/** In a code span, so it can be copied exactly; escaped like any other text. */
function passwordCode(password: string): string {
  return `\`${esc(password, 500)}\``;
}

function who(name: string, userName: string): string {
  return `*${esc(name || userName, 200)}* (${esc(userName, 250)})`;
}

/** What the restore changed, one line each (escaped mrkdwn). */
function changeLines(done: RestoreDone): string[] {
  const lines: string[] = [];
  if (done.renamedFrom)
    lines.push(`Renamed from ${esc(done.renamedFrom, 250)} to ${esc(done.account.userName, 250)}`);
  if (done.droppedAliases.length > 0) {
    const shown = done.droppedAliases.slice(0, 20).map((a) => esc(a, 250));
    const more = done.droppedAliases.length > 20 ? ` …and ${done.droppedAliases.length - 20} more` : "";
    lines.push(`Aliases dropped (now used by others): ${shown.join(", ")}${more}`);
  }
  if (done.droppedEmail) lines.push(`Restored without the email ${esc(done.droppedEmail, 250)}`);
  if (done.droppedPhone) lines.push(`Restored without the phone ${esc(done.droppedPhone, 100)}`);
  if (done.department) lines.push(`Department: ${esc(done.department, 200)}`);
  if (done.replaced) {
    lines.push(
      `Replaced ${who(done.replaced.displayName, done.replaced.userName)}: that account is now deleted and can be restored for its own full window`,
    );
  }
  return lines;
}

function followUpBlocks(followUp: string[], heading: string): KnownBlock[] {
  if (followUp.length === 0) return [];
  return linesToSections([`*${heading}*`, ...followUp.slice(0, 50).map((f) => `☐ ${esc(f, 500)}`)], 3).blocks;
}

export function restoreResultView(done: RestoreDone, directoryName: string): ModalView {
  const recreate = done.action === "recreate";
  const blocks: KnownBlock[] = [];
  const account = who(done.account.displayName, done.account.userName);
  const where = directoryName ? ` in ${esc(directoryName, 200)}` : "";
  if (done.repeated) {
    blocks.push(
      section(
        `ℹ️ This was already done: ${account} was ${recreate ? "re-created" : "restored"}${where} by an earlier identical request. Nothing was done again.\nThe temporary password was shown the first time and cannot be shown again.`,
      ),
    );
  } else if (recreate) {
    blocks.push(
      section(
        `✅ Re-created as a new account: ${account}${where}.\nThis directory cannot restore, so this is a new account (new id) made from the saved details; what the directory did not keep does not come back.`,
      ),
    );
  } else {
    blocks.push(section(`✅ Restored ${account}${where}, with its data.`));
  }
  if (done.needsAttention) blocks.push(section(`⚠️ *Needs attention:* ${esc(done.needsAttention, 1500)}`));
  const changes = changeLines(done);
  if (changes.length > 0) blocks.push(section(changes.map((l) => `• ${l}`).join("\n")));
  const notes = (done.notes ?? []).slice(0, 10).map((n) => `• ${esc(n, 400)}`);
  if (notes.length > 0)
    blocks.push(section(`*This app's records were brought in line*\n${notes.join("\n")}`));

  if (done.temporaryPassword) {
    blocks.push(
      { type: "divider" },
      section(`*Temporary password*\n${passwordCode(done.temporaryPassword)}`),
      context(PASSWORD_SHOWN_ONCE),
    );
  } else if (!done.repeated && !done.mustChangePassword) {
    blocks.push(context("This directory does not set a password on restore: the user signs in as before."));
  }
  if (!done.repeated)
    blocks.push(...followUpBlocks(done.followUp, `After the ${recreate ? "re-creation" : "restore"}`));
  return modal(
    done.repeated ? "Already done" : recreate ? "Re-created" : "Restored",
    blocks,
    CALLBACK.result,
  );
}

export function batchResultView(items: { label: string; outcome: RestoreDone | Refusal }[]): ModalView {
  const restored = items.filter((i) => i.outcome.type === "restored").length;
  const failed = items.length - restored;
  const lines = items.map(({ label, outcome }) => {
    const name = `*${esc(label, 200)}*`;
    if (outcome.type === "refused") return `❌ ${name}: ${esc(outcome.message, 1500)}`;
    const verb = outcome.repeated
      ? "already done earlier"
      : outcome.action === "recreate"
        ? "re-created as a new account"
        : "restored";
    const as = outcome.account.userName !== label ? ` as ${esc(outcome.account.userName, 250)}` : "";
    const pw = outcome.temporaryPassword
      ? ` · temporary password ${passwordCode(outcome.temporaryPassword)}`
      : "";
    return `✅ ${name} ${verb}${as}${pw}`;
  });
  const blocks: KnownBlock[] = [
    section(
      `*${restored} restored, ${failed} failed*${failed > 0 ? "\nRetry the failed ones one by one: each shows what to resolve." : ""}`,
    ),
  ];
  const { blocks: list, omitted } = linesToSections(lines, 85);
  blocks.push(...list);
  if (omitted > 0) blocks.push(context(`…and ${omitted} more not shown.`));
  if (items.some((i) => i.outcome.type === "restored" && i.outcome.temporaryPassword)) {
    blocks.push(
      context(
        "Temporary passwords are shown once, only to you. Each user must change theirs at next sign-in.",
      ),
    );
  }
  const first = items.find((i) => i.outcome.type === "restored")?.outcome as RestoreDone | undefined;
  if (first) blocks.push(...followUpBlocks(first.followUp, "After the restore, for each account"));
  return modal("Restore results", blocks, CALLBACK.result);
}

export function replaceRequestedView(request: RestoreRequest, channelId: string | null): ModalView {
  const details = typeof request.details === "object" && request.details !== null ? request.details : {};
  const what = Array.isArray(details.whatHappens)
    ? details.whatHappens.filter((w): w is string => typeof w === "string")
    : [];
  const channel = channelMention(channelId);
  const expires = toDate(request.expiresAt);
  const n = request.approvalsNeeded;
  const blocks: KnownBlock[] = [
    section(
      `⏳ *Asked for approval${channel ? ` in ${channel}` : ""}.* Nothing changes until ${n <= 1 ? "another approver approves" : `${n} other approvers approve`}.${
        expires ? `\nThe request expires ${formatTime(expires)} if nobody decides.` : ""
      }`,
    ),
  ];
  if (what.length > 0) blocks.push(section(`*What happens when approved*\n${bulletList(what, 10, 500)}`));
  blocks.push(context("You get a direct message when it is decided."));
  return modal("Approval requested", blocks);
}

export function refusalView(refusal: Refusal, title = "Cannot restore"): ModalView {
  return modal(title, [section(`🚫 ${esc(refusal.message, 2900)}`)]);
}

/** A button or form whose value could not have come from one of our views. */
export const STALE_BUTTON_MESSAGE =
  "That button is not valid (or no longer is). Open it again from /restore-user.";

export function staleButtonView(): ModalView {
  return modal("Cannot restore", [section(`🚫 ${STALE_BUTTON_MESSAGE}`)]);
}

export function errorText(referenceId: string): string {
  return `Something went wrong on our side. Reference: \`${esc(referenceId, 200)}\` — the details are in the app's log.`;
}

export function errorView(referenceId: string): ModalView {
  return modal("Something went wrong", [section(`⚠️ ${errorText(referenceId)}`)]);
}

export function temporaryPasswordView(
  account: { displayName: string; userName: string },
  password: string,
): ModalView {
  return modal("Temporary password", [
    section(
      `Temporary password for ${who(account.displayName, account.userName)}:\n${passwordCode(password)}`,
    ),
    context(PASSWORD_SHOWN_ONCE),
  ]);
}
