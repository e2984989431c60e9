import type { InputBlock, KnownBlock, ModalView, PlainTextOption, SectionBlock } from "@slack/types";
import { type Said, say, sayOr } from "../../i18n/said.ts";
import { sayFollowUp } from "../../i18n/stored.ts";
import { ENGLISH, type Translator } from "../../i18n/translator.ts";
import type { AccountSummary, Conflict, RestorePlan } from "../../restore/plan-types.ts";
import type { DeletedAccountView, RestoreChoicesRecord } from "../../restore/types.ts";
import { ACTION, BLOCK, CALLBACK } from "./ids.ts";
import { context, fitBlocks, linesToSections, MODAL_MAX_BLOCKS, section } from "./layout.ts";
import { capitalize, esc, escapeMrkdwn, plain, squeeze, truncate } from "./mrkdwn.ts";
import { BATCH_MAX, backToSearch, isRestorableNow, MAX_OPTIONS } from "./search.ts";
import { actorText, dayText, slackDateText, windowText } from "./words.ts";

const METADATA_MAX = 3000;

function who(name: string, userName: string): string {
  return `*${esc(name || userName, 200)}* (${esc(userName, 250)})`;
}

function field(label: string, value: string | null | undefined, max = 500): string {
  return `*${label}*\n${value ? esc(value, max) : "—"}`;
}

/** " …and N more" after a list cut at `shown`, or nothing. */
function andMore(t: Translator, total: number, shown: number): string {
  return total > shown ? ` ${t.t("common.andMore", { count: total - shown })}` : "";
}

/**
 * Blockers no control in the modal can fix: the submit button is not offered. Drawn from the
 * plan's structure (not its English `blockers`), as escaped mrkdwn in the reader's language.
 */
export function unfixableBlockers(plan: RestorePlan, t: Translator = ENGLISH): string[] {
  const out: string[] = [];
  if (plan.restorability.state !== "deleted")
    out.push(esc(capitalize(windowText(t, plan.restorability)), 500));
  for (const c of plan.conflicts) {
    if (c.kind === "seat") {
      out.push(t.t("plan.seat.none", { license: esc(c.license, 200), used: c.used, total: c.total }));
    }
    if (c.kind === "department" && c.available.filter((d) => d.length <= 150).length === 0) {
      out.push(t.t("plan.department.noChoice", { department: esc(c.department, 200) }));
    }
  }
  return out;
}

/** A conflict's holder in mrkdwn: as the directory names it, or ours in the reader's language. */
function holderOf(holder: AccountSummary, t: Translator): string {
  if (holder.displayNameSaid) return `*${say(t, holder.displayNameSaid, (s) => esc(s, 100))}*`;
  return holder.id ? who(holder.displayName, holder.userName) : esc(holder.displayName, 200);
}

function checkboxInput(
  blockId: string,
  what: "email" | "phone",
  value: string,
  holder: AccountSummary,
  checked: boolean,
  t: Translator,
): InputBlock {
  // Plain text (options, labels): nothing to escape.
  const option: PlainTextOption = {
    text: plain(
      squeeze(
        (v, h) => t.t("plan.drop.option", { what, value: v, holder: h }),
        value,
        sayOr(t, holder.displayNameSaid, holder.displayName || holder.userName),
        75,
      ),
      75,
    ),
    value: "drop",
    description: plain(t.t("plan.drop.description", { what, holder: holder.userName }), 75),
  };
  return {
    type: "input",
    block_id: blockId,
    optional: true,
    label: plain(t.t(what === "email" ? "plan.field.email" : "plan.field.phone")),
    element: {
      type: "checkboxes",
      action_id: ACTION.value,
      options: [option],
      ...(checked ? { initial_options: [option] } : {}),
    },
  };
}

/** The new user name field, for directories that can rename as they restore. */
function renameInput(canRename: boolean, renamed: string, t: Translator): KnownBlock[] {
  if (!canRename) return [];
  return [
    {
      type: "input",
      block_id: BLOCK.renameTo,
      optional: true,
      label: plain(t.t("plan.rename.label")),
      hint: plain(t.t("plan.rename.hint"), 2000),
      element: {
        type: "plain_text_input",
        action_id: ACTION.value,
        max_length: 320,
        placeholder: plain(t.t("plan.rename.placeholder"), 150),
        ...(renamed ? { initial_value: truncate(renamed, 320) } : {}),
      },
    },
  ];
}

/** The blocks for one conflict; `interactive` false when the plan cannot go ahead anyway (no inputs without a submit). */
function conflictBlocks(plan: RestorePlan, c: Conflict, interactive: boolean, t: Translator): KnownBlock[] {
  switch (c.kind) {
    case "userName":
      return userNameBlocks(plan, c, interactive, t);
    case "alias":
      return aliasBlocks(plan, c, t);
    case "email":
      if (!interactive || !c.resolutions.includes("dropEmail"))
        return [
          section(
            `⚠️ ${t.t("plan.held", { what: "email", holder: holderOf(c.holder, t), value: esc(c.email, 250) })}`,
          ),
        ];
      return [checkboxInput(BLOCK.dropEmail, "email", c.email, c.holder, c.resolvedBy === "dropEmail", t)];
    case "phone":
      if (!interactive || !c.resolutions.includes("dropPhone"))
        return [
          section(
            `⚠️ ${t.t("plan.held", { what: "phone", holder: holderOf(c.holder, t), value: esc(c.phone, 100) })}`,
          ),
        ];
      return [checkboxInput(BLOCK.dropPhone, "phone", c.phone, c.holder, c.resolvedBy === "dropPhone", t)];
    case "seat":
      return [
        section(
          `🚫 ${t.t("plan.seat.none", { license: esc(c.license, 200), used: c.used, total: c.total })}`,
        ),
      ];
    case "department":
      return departmentBlocks(plan, c, interactive, t);
  }
}

/** A user name held by an active account: rename or replace (approved), as the directory allows. */
function userNameBlocks(
  plan: RestorePlan,
  c: Extract<Conflict, { kind: "userName" }>,
  interactive: boolean,
  t: Translator,
): KnownBlock[] {
  // Some directories cannot rename at restore time (Google): then replace is the only way on.
  const canRename = c.resolutions.includes("rename");
  // Replace needs a known account to delete: a holder only the provider saw has none.
  const canReplace = c.resolutions.includes("replace");
  const holder = c.holder.displayNameSaid
    ? say(t, c.holder.displayNameSaid, (s) => esc(s, 100))
    : c.holder.id
      ? who(c.holder.displayName, c.holder.userName)
      : esc(c.holder.displayName, 200);
  const way = canReplace ? (canRename ? "both" : "replace") : canRename ? "rename" : "none";
  const text = `⚠️ ${t.t("plan.userName.held", {
    holder,
    userName: esc(c.userName, 250),
    directory: esc(plan.directory.name, 100),
    way,
  })}`;
  if (!interactive || (!canRename && !canReplace)) return [section(text)];
  const rename: PlainTextOption = { text: plain(t.t("plan.option.rename"), 75), value: "rename" };
  const replace: PlainTextOption = { text: plain(t.t("plan.option.replace"), 75), value: "replace" };
  const initial = c.resolvedBy === "rename" ? rename : c.resolvedBy === "replace" ? replace : null;
  const renamed = plan.outcome.userName !== plan.account.userName ? plan.outcome.userName : "";
  return [
    section(text),
    {
      type: "input",
      block_id: BLOCK.resolution,
      label: plain(t.t("plan.resolution.label")),
      element: {
        type: "radio_buttons",
        action_id: ACTION.resolution,
        options: [...(canRename ? [rename] : []), ...(canReplace ? [replace] : [])],
        ...(initial ? { initial_option: initial } : {}),
      },
    },
    ...renameInput(canRename, renamed, t),
    ...(canReplace
      ? [
          {
            type: "input" as const,
            block_id: BLOCK.reason,
            optional: true,
            label: plain(t.t("plan.reason.label")),
            hint: plain(t.t("plan.reason.hint")),
            element: {
              type: "plain_text_input" as const,
              action_id: ACTION.value,
              multiline: true,
              max_length: 500,
            },
          },
        ]
      : []),
  ];
}

/** Aliases held by others: dropped and listed, or, where the directory cannot drop them, blocking. */
function aliasBlocks(
  plan: RestorePlan,
  c: Extract<Conflict, { kind: "alias" }>,
  t: Translator,
): KnownBlock[] {
  const list = c.dropped
    .slice(0, 20)
    .map((d) => `${esc(d.address, 250)} (${esc(d.holder.userName, 250)})`)
    .join(", ");
  const all = `${list}${andMore(t, c.dropped.length, 20)}`;
  if (c.resolvedBy === null) {
    return [
      section(`⚠️ ${t.t("plan.alias.blocking", { directory: esc(plan.directory.name, 100), list: all })}`),
    ];
  }
  return [context(t.t("plan.alias.dropped", { list: all }))];
}

/** A department gone: choose one that exists (the first MAX_OPTIONS), where the directory lists them. */
function departmentBlocks(
  plan: RestorePlan,
  c: Extract<Conflict, { kind: "department" }>,
  interactive: boolean,
  t: Translator,
): KnownBlock[] {
  const usable = c.available.filter((d) => d.length <= 150);
  // A label is plain text: the department as it is, cut.
  const label = t.t("plan.department.label", { department: truncate(c.department, 100) });
  if (!interactive || usable.length === 0) {
    return [section(`⚠️ ${t.t("plan.department.gone", { department: esc(c.department, 200) })}`)];
  }
  const options: PlainTextOption[] = usable
    .slice(0, MAX_OPTIONS)
    .map((d) => ({ text: plain(d, 75), value: d }));
  const chosen = options.find(
    (o) => o.value === plan.outcome.department && c.resolvedBy === "chooseDepartment",
  );
  return [
    {
      type: "input",
      block_id: BLOCK.department,
      label: plain(label),
      ...(usable.length > MAX_OPTIONS
        ? { hint: plain(t.t("plan.department.hint", { shown: MAX_OPTIONS, count: usable.length })) }
        : {}),
      element: {
        type: "static_select",
        action_id: ACTION.value,
        placeholder: plain(t.t("plan.department.placeholder"), 150),
        options,
        ...(chosen ? { initial_option: chosen } : {}),
      },
    },
  ];
}

function accountBlocks(plan: RestorePlan, directoryName: string, t: Translator): KnownBlock[] {
  const a = plan.account;
  const deleted = a.deletedAt
    ? t.t("plan.deletedBy", { day: dayText(t, a.deletedAt), actor: actorText(t, a.deletedBy) })
    : "—";
  const fields = [
    field(t.t("plan.field.userName"), a.userName),
    field(t.t("plan.field.email"), a.email),
    field(t.t("plan.field.phone"), a.phone, 100),
    field(t.t("plan.field.department"), a.department),
    field(t.t("plan.field.license"), a.license),
    field(t.t("plan.field.directory"), directoryName || plan.directory.name),
    `*${t.t("plan.field.deleted")}*\n${deleted}`,
    field(t.t("plan.field.window"), windowText(t, plan.restorability)),
  ];
  if (a.aliases.length > 0) {
    const shown = a.aliases.slice(0, 10).map((x) => esc(x, 150));
    fields.push(`*${t.t("plan.field.aliases")}*\n${shown.join(", ")}${andMore(t, a.aliases.length, 10)}`);
  }
  const header: SectionBlock = {
    type: "section",
    text: { type: "mrkdwn", text: `*${esc(a.displayName || a.userName, 500)}*`, verbatim: true },
    fields: fields.slice(0, 10).map((f) => ({ type: "mrkdwn", text: truncate(f, 2000), verbatim: true })),
  };
  return [header];
}

export interface PlanMeta {
  accountId: string;
  query: string;
  directoryName: string;
  /** Why the plan is shown again (plain text, escaped here). */
  notice?: string;
  /** Shown again because the check at submit with the provider found more: its refusal, as it says it. */
  /** What the provider's check at submit found: the refusal, said in the reader's language. */
  checkedAgain?: { directory: string; message: string; said?: Said };
}

export function planView(plan: RestorePlan, meta: PlanMeta, t: Translator = ENGLISH): ModalView {
  const recreate = plan.action === "recreate";
  const again = recreate ? "yes" : "no";
  const blockers = unfixableBlockers(plan, t);
  const interactive = blockers.length === 0;
  const blocks: KnownBlock[] = [];

  // Why the plan is shown again: a check at submit time found something it did not show before.
  if (meta.checkedAgain) {
    const { directory, message, said } = meta.checkedAgain;
    const found = said ? truncate(say(t, said, escapeMrkdwn), 2700) : esc(message, 2700);
    blocks.push(section(`⚠️ ${t.t("plan.checkedAgain", { directory: esc(directory, 100), message: found })}`));
  } else if (meta.notice) blocks.push(section(`⚠️ ${esc(meta.notice, 2900)}`));
  if (recreate) blocks.push(section(`ℹ️ ${t.t("plan.recreateNote")}`));
  // The provider's own caveat (Okta: a deleted user is gone; Lark: departures by event only).
  if (plan.directory.note)
    blocks.push(
      context(
        `${esc(plan.directory.name, 100)}: ${esc(sayOr(t, plan.directory.noteSaid, plan.directory.note), 2500)}`,
      ),
    );
  const check = plan.providerCheck;
  if (check?.error) {
    const why = check.errorSaid
      ? truncate(say(t, check.errorSaid, escapeMrkdwn), 2500)
      : esc(check.error, 2500);
    blocks.push(context(`⚠️ ${why}`));
  } else if (check?.checkedAt)
    blocks.push(
      context(
        t.t("plan.checkedWith", {
          provider: esc(check.provider, 100),
          time: slackDateText(t, check.checkedAt),
        }),
      ),
    );
  blocks.push(...accountBlocks(plan, meta.directoryName, t));

  if (blockers.length > 0) {
    const list = blockers.slice(0, 10).map((b) => `• ${truncate(b, 500)}`);
    if (blockers.length > 10) list.push(t.t("common.andMore", { count: blockers.length - 10 }));
    blocks.push(section(`🚫 *${t.t("plan.cannot", { recreate: again })}*\n${list.join("\n")}`));
  }

  if (plan.conflicts.length > 0) blocks.push({ type: "divider" });
  const seen = new Set<string>();
  for (const c of plan.conflicts) {
    // One of each kind: block ids must be unique in a view.
    if (seen.has(c.kind)) continue;
    seen.add(c.kind);
    blocks.push(...conflictBlocks(plan, c, interactive, t));
  }

  const seatConflict = plan.conflicts.some((c) => c.kind === "seat");
  if (plan.seats && !seatConflict) {
    blocks.push(
      context(
        t.t("plan.seats", {
          license: esc(plan.seats.license, 200),
          used: plan.seats.used,
          total: plan.seats.total,
        }),
      ),
    );
  }
  if (plan.replaces) {
    blocks.push(
      section(t.t("plan.replaces", { account: who(plan.replaces.displayName, plan.replaces.userName) })),
    );
  }

  blocks.push({ type: "divider" }, section(t.t("plan.passwordNote")));
  if (plan.followUp.length > 0) {
    // The directory's checklist: our default lines in the reader's language, an admin's own as written.
    const { blocks: follow } = linesToSections(
      [
        `*${t.t("plan.after", { recreate: again })}*`,
        ...sayFollowUp(t, plan.followUp, plan.followUpSaid)
          .slice(0, 50)
          .map((f) => `☐ ${esc(f, 500)}`),
      ],
      2,
    );
    blocks.push(...follow);
  }
  blocks.push(backToSearch(meta.query, t));

  const hasUserNameConflict = plan.conflicts.some((c) => c.kind === "userName");
  const submit = hasUserNameConflict
    ? t.t("plan.submit.continue")
    : t.t("plan.submit.restore", { recreate: again });
  return {
    type: "modal",
    callback_id: CALLBACK.plan,
    title: plain(t.t("plan.title", { recreate: again }), 24),
    close: plain(t.t("common.cancel"), 24),
    ...(interactive ? { submit: plain(submit, 24) } : {}),
    private_metadata: planMetadata(meta.accountId, meta.query),
    blocks: fitBlocks(blocks, MODAL_MAX_BLOCKS, t.t("plan.notAllShown")),
  };
}

function planMetadata(accountId: string, query: string): string {
  let q = truncate(query, 1000);
  let json = JSON.stringify({ accountId, query: q });
  while (json.length > METADATA_MAX && q.length > 0) {
    q = truncate(q, Math.floor(q.length / 2));
    json = JSON.stringify({ accountId, query: q });
  }
  return json.length > METADATA_MAX ? JSON.stringify({ accountId: "", query: "" }) : json;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The action state of `block` → `action`, whatever it is (missing blocks are fine). */
function stateOf(values: Record<string, Record<string, unknown>>, block: string, action: string) {
  return record(record(record(values)[block])[action]);
}

function textValue(values: Record<string, Record<string, unknown>>, block: string): string {
  const v = stateOf(values, block, ACTION.value).value;
  return typeof v === "string" ? v.trim() : "";
}

function selectedValue(state: Record<string, unknown>): string | null {
  const v = record(state.selected_option).value;
  return typeof v === "string" ? v : null;
}

function checked(values: Record<string, Record<string, unknown>>, block: string): boolean {
  const selected = stateOf(values, block, ACTION.value).selected_options;
  return Array.isArray(selected) && selected.some((o) => record(o).value === "drop");
}

/**
 * The admin's choices from Bolt's `view.state.values` (block_id → action_id → state). A typed
 * new user name without a picked resolution counts as rename.
 */
export function readPlanChoices(values: Record<string, Record<string, unknown>>): {
  choices: RestoreChoicesRecord;
  resolution: "rename" | "replace" | null;
  reason: string;
} {
  const picked = selectedValue(stateOf(values, BLOCK.resolution, ACTION.resolution));
  const renameTo = textValue(values, BLOCK.renameTo);
  const reason = textValue(values, BLOCK.reason);
  const resolution =
    picked === "rename" || picked === "replace" ? picked : renameTo ? ("rename" as const) : null;
  const choices: RestoreChoicesRecord = {};
  if (resolution === "rename" && renameTo) choices.renameTo = renameTo;
  if (resolution === "replace") choices.replace = true;
  if (checked(values, BLOCK.dropEmail)) choices.dropEmail = true;
  if (checked(values, BLOCK.dropPhone)) choices.dropPhone = true;
  const department = selectedValue(stateOf(values, BLOCK.department, ACTION.value));
  if (department) choices.department = department;
  return { choices, resolution, reason };
}

/** The metadata of the batch modal: the ids that fit (at most 50) and the query. */
function batchMetadata(ids: string[], query: string): { json: string; ids: string[] } {
  const kept: string[] = [];
  const q = truncate(query, 200);
  for (const id of ids) {
    if (JSON.stringify({ ids: [...kept, id], query: q }).length > METADATA_MAX) break;
    kept.push(id);
  }
  return { json: JSON.stringify({ ids: kept, query: q }), ids: kept };
}

export function batchConfirmView(
  items: DeletedAccountView[],
  meta: { query: string },
  t: Translator = ENGLISH,
): ModalView {
  const capped = items.slice(0, BATCH_MAX);
  const { json, ids } = batchMetadata(
    capped.map((v) => v.id),
    meta.query,
  );
  const included = capped.slice(0, ids.length);
  const left = items.length - included.length;
  const blocks: KnownBlock[] = [];
  if (included.length === 0) {
    blocks.push(section(t.t("plan.batch.nothing")));
  } else {
    blocks.push(section(t.t("plan.batch.intro", { count: included.length })));
    const lines = included.map(
      (v) =>
        `${isRestorableNow(v) ? "•" : "🚫"} *${esc(v.displayName || v.userName, 150)}* · ${esc(v.userName, 200)} · ${esc(windowText(t, v.restorability), 150)}`,
    );
    const { blocks: list, omitted } = linesToSections(lines, 60);
    blocks.push(...list);
    if (omitted > 0) blocks.push(context(t.t("common.andMore", { count: omitted })));
    if (left > 0) blocks.push(context(`⚠️ ${t.t("plan.batch.left", { count: left, max: BATCH_MAX })}`));
    blocks.push(context(t.t("plan.batch.passwords")));
  }
  blocks.push(backToSearch(meta.query, t));
  const n = included.length;
  return {
    type: "modal",
    callback_id: CALLBACK.batch,
    title: plain(t.t("plan.batch.title"), 24),
    close: plain(t.t("common.cancel"), 24),
    ...(n > 0 ? { submit: plain(t.t("plan.batch.submit", { count: n }), 24) } : {}),
    private_metadata: json,
    blocks: fitBlocks(blocks, MODAL_MAX_BLOCKS, t.t("plan.notAllShown")),
  };
}
