import type { KnownBlock, ModalView } from "@slack/types";
import { say, sayOr } from "../../i18n/said.ts";
import { sayFollowUp } from "../../i18n/stored.ts";
import { ENGLISH, type Translator } from "../../i18n/translator.ts";
import type { Refusal } from "../../restore/outcome.ts";
import type { RestoreDone, RestoreRequest } from "../../restore/types.ts";
import { parseDetails, whatHappensLines } from "./approval.ts";
import { CALLBACK } from "./ids.ts";
import { context, fitBlocks, linesToSections, MODAL_MAX_BLOCKS, section } from "./layout.ts";
import { channelMention, esc, escapeMrkdwn, plain, toDate, truncate } from "./mrkdwn.ts";

function modal(title: string, blocks: KnownBlock[], t: Translator, callbackId?: string): ModalView {
  return {
    type: "modal",
    ...(callbackId ? { callback_id: callbackId } : {}),
    title: plain(title, 24),
    close: plain(t.t("result.done"), 24),
    blocks: fitBlocks(blocks, MODAL_MAX_BLOCKS, t.t("plan.notAllShown")),
  };
}

/** In a code span, so it can be copied exactly; escaped like any other text. */
function passwordCode(password: string): string {
  return `\`${esc(password, 500)}\``;
}

function who(name: string, userName: string): string {
  return `*${esc(name || userName, 200)}* (${esc(userName, 250)})`;
}

/** " …and N more" after a list cut at `shown`, or nothing. */
function andMore(t: Translator, total: number, shown: number): string {
  return total > shown ? ` ${t.t("common.andMore", { count: total - shown })}` : "";
}

/** What the restore changed, one line each (escaped mrkdwn), from the result's fields. */
function changeLines(done: RestoreDone, t: Translator): string[] {
  const lines: string[] = [];
  if (done.renamedFrom)
    lines.push(
      t.t("result.renamed", { from: esc(done.renamedFrom, 250), to: esc(done.account.userName, 250) }),
    );
  if (done.droppedAliases.length > 0) {
    const shown = done.droppedAliases.slice(0, 20).map((a) => esc(a, 250));
    lines.push(
      t.t("result.aliasesDropped", {
        list: `${shown.join(", ")}${andMore(t, done.droppedAliases.length, 20)}`,
      }),
    );
  }
  if (done.droppedEmail)
    lines.push(t.t("result.without", { what: "email", value: esc(done.droppedEmail, 250) }));
  if (done.droppedPhone)
    lines.push(t.t("result.without", { what: "phone", value: esc(done.droppedPhone, 100) }));
  if (done.department) lines.push(t.t("result.department", { department: esc(done.department, 200) }));
  if (done.replaced) {
    lines.push(t.t("result.replaced", { account: who(done.replaced.displayName, done.replaced.userName) }));
  }
  return lines;
}

/**
 * The directory's follow-up checklist under `heading`: our default lines in the reader's language,
 * an admin's own as written; each line escaped whole.
 */
function followUpBlocks(done: RestoreDone, heading: string, t: Translator): KnownBlock[] {
  if (done.followUp.length === 0) return [];
  const lines = sayFollowUp(t, done.followUp, done.followUpSaid);
  return linesToSections([`*${heading}*`, ...lines.slice(0, 50).map((f) => `☐ ${esc(f, 500)}`)], 3).blocks;
}

export function restoreResultView(
  done: RestoreDone,
  directoryName: string,
  t: Translator = ENGLISH,
): ModalView {
  const recreate = done.action === "recreate" ? "yes" : "no";
  const blocks: KnownBlock[] = [];
  const account = who(done.account.displayName, done.account.userName);
  const directory = directoryName ? esc(directoryName, 200) : "";
  const values = { account, directory, where: directory ? "yes" : "no", recreate };
  if (done.repeated) {
    blocks.push(section(`ℹ️ ${t.t("result.repeated", values)}`));
  } else if (done.action === "recreate") {
    blocks.push(section(`✅ ${t.t("result.recreated", values)}`));
  } else {
    blocks.push(section(`✅ ${t.t("result.restored", values)}`));
  }
  if (done.needsAttention) {
    const text = done.needsAttentionSaid
      ? truncate(say(t, done.needsAttentionSaid, escapeMrkdwn), 1500)
      : esc(done.needsAttention, 1500);
    blocks.push(section(`⚠️ *${t.t("result.needsAttention")}* ${text}`));
  }
  const changes = changeLines(done, t);
  if (changes.length > 0) blocks.push(section(changes.map((l) => `• ${l}`).join("\n")));
  // The notes are the domain's own words (its logs and the CLI's --json keep them).
  // What our records changed to follow the provider: our words in the reader's language.
  const notes = (
    done.notesSaid
      ? done.notesSaid.map((n) => truncate(say(t, n, escapeMrkdwn), 400))
      : (done.notes ?? []).map((n) => esc(n, 400))
  )
    .slice(0, 10)
    .map((n) => `• ${n}`);
  if (notes.length > 0) blocks.push(section(`*${t.t("result.notes")}*\n${notes.join("\n")}`));

  if (done.temporaryPassword) {
    blocks.push(
      { type: "divider" },
      section(`*${t.t("result.password")}*\n${passwordCode(done.temporaryPassword)}`),
      context(t.t("result.passwordShownOnce")),
    );
  } else if (!done.repeated && !done.mustChangePassword) {
    blocks.push(context(t.t("result.noPassword")));
  }
  if (!done.repeated) blocks.push(...followUpBlocks(done, t.t("plan.after", { recreate }), t));
  return modal(
    t.t("result.title", {
      state: done.repeated ? "repeated" : done.action === "recreate" ? "recreated" : "restored",
    }),
    blocks,
    t,
    CALLBACK.result,
  );
}

export function batchResultView(
  items: { label: string; outcome: RestoreDone | Refusal }[],
  t: Translator = ENGLISH,
): ModalView {
  const restored = items.filter((i) => i.outcome.type === "restored").length;
  const failed = items.length - restored;
  const lines = items.map(({ label, outcome }) => {
    const name = `*${esc(label, 200)}*`;
    if (outcome.type === "refused") return `❌ ${name}: ${refusalMrkdwn(outcome, t, 1500)}`;
    const how = outcome.repeated ? "repeated" : outcome.action === "recreate" ? "recreated" : "restored";
    const as = outcome.account.userName !== label ? esc(outcome.account.userName, 250) : "";
    const pw = outcome.temporaryPassword
      ? ` · ${t.t("result.batch.password", { password: passwordCode(outcome.temporaryPassword) })}`
      : "";
    return `✅ ${t.t("result.batch.line", { name, how, as, renamed: as ? "yes" : "no" })}${pw}`;
  });
  const blocks: KnownBlock[] = [
    section(
      `*${t.t("result.batch.summary", { restored, failed })}*${failed > 0 ? `\n${t.t("result.batch.retry")}` : ""}`,
    ),
  ];
  const { blocks: list, omitted } = linesToSections(lines, 85);
  blocks.push(...list);
  if (omitted > 0) blocks.push(context(t.t("result.batch.omitted", { count: omitted })));
  if (items.some((i) => i.outcome.type === "restored" && i.outcome.temporaryPassword)) {
    blocks.push(context(t.t("result.batch.passwords")));
  }
  const first = items.find((i) => i.outcome.type === "restored")?.outcome as RestoreDone | undefined;
  if (first) blocks.push(...followUpBlocks(first, t.t("result.batch.after"), t));
  return modal(t.t("result.batch.title"), blocks, t, CALLBACK.result);
}

export function replaceRequestedView(
  request: RestoreRequest,
  channelId: string | null,
  t: Translator = ENGLISH,
): ModalView {
  const what = whatHappensLines(parseDetails(request), t);
  const channel = channelMention(channelId);
  const expires = toDate(request.expiresAt);
  const lines = [
    `⏳ ${t.t("result.requested", { channel: channel ?? "", inChannel: channel ? "yes" : "no", count: request.approvalsNeeded })}`,
  ];
  if (expires) lines.push(t.t("result.requested.expires", { time: t.time(expires) }));
  const blocks: KnownBlock[] = [section(lines.join("\n"))];
  if (what.length > 0) {
    const shown = what.slice(0, 10).map((w) => `• ${w}`);
    if (what.length > 10) shown.push(t.t("common.andMore", { count: what.length - 10 }));
    blocks.push(section(`*${t.t("result.requested.whatHappens")}*\n${shown.join("\n")}`));
  }
  blocks.push(context(t.t("result.requested.dm")));
  return modal(t.t("result.requested.title"), blocks, t);
}

/** A refusal in the reader's language as mrkdwn, at most `max` characters: the names in it escaped. */
export function refusalMrkdwn(
  refusal: Pick<Refusal, "message" | "said">,
  t: Translator,
  max: number,
): string {
  const text = sayOr(t, refusal.said, refusal.message, escapeMrkdwn);
  return truncate(text, max);
}

/** Why the service said no, in the reader's language (names escaped). */
export function refusalView(refusal: Refusal, title?: string, t: Translator = ENGLISH): ModalView {
  return modal(title ?? t.t("result.cannot"), [section(`🚫 ${refusalMrkdwn(refusal, t, 2900)}`)], t);
}

/** A button or form whose value could not have come from one of our views. */
export function staleButtonText(t: Translator = ENGLISH): string {
  return t.t("result.stale");
}

export function staleButtonView(t: Translator = ENGLISH): ModalView {
  return modal(t.t("result.cannot"), [section(`🚫 ${staleButtonText(t)}`)], t);
}

export function errorText(referenceId: string, t: Translator = ENGLISH): string {
  return t.t("result.error", { reference: esc(referenceId, 200) });
}

export function errorView(referenceId: string, t: Translator = ENGLISH): ModalView {
  return modal(t.t("result.error.title"), [section(`⚠️ ${errorText(referenceId, t)}`)], t);
}

export function temporaryPasswordView(
  account: { displayName: string; userName: string },
  password: string,
  t: Translator = ENGLISH,
): ModalView {
  return modal(
    t.t("result.password"),
    [
      section(
        `${t.t("result.passwordFor", { account: who(account.displayName, account.userName) })}\n${passwordCode(password)}`,
      ),
      context(t.t("result.passwordShownOnce")),
    ],
    t,
  );
}
