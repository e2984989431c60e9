import type { InputBlock, KnownBlock, ModalView, PlainTextOption, SectionBlock } from "@slack/types";
import type { Conflict, RestorePlan } from "../../restore/plan-types.ts";
import type { DeletedAccountView, RestoreChoicesRecord } from "../../restore/types.ts";
import { describeRestorability } from "../../restore/window.ts";
import { ACTION, BLOCK, CALLBACK } from "./ids.ts";
import { context, fitBlocks, linesToSections, MODAL_MAX_BLOCKS, section } from "./layout.ts";
import { bulletList, capitalize, day, esc, mention, plain, slackDate, squeeze, truncate } from "./mrkdwn.ts";
import { BATCH_MAX, backToSearch, isRestorableNow, MAX_OPTIONS } from "./search.ts";

const METADATA_MAX = 3000;

export const RECREATE_NOTE =
  "This directory cannot restore: a new account is created from the saved details (new id).";
export const PASSWORD_NOTE =
  "A new temporary password is generated and shown only to you; the user must change it at next sign-in.";

function who(name: string, userName: string): string {
  return `*${esc(name || userName, 200)}* (${esc(userName, 250)})`;
}

function field(label: string, value: string | null | undefined, max = 500): string {
  return `*${label}*\n${value ? esc(value, max) : "—"}`;
}

function windowText(plan: RestorePlan): string {
  return describeRestorability(plan.restorability);
}

/** Blockers no control in the modal can fix: the submit button is not offered. */
export function unfixableBlockers(plan: RestorePlan): string[] {
  const out: string[] = [];
  if (plan.restorability.state !== "deleted") out.push(capitalize(windowText(plan)));
  for (const c of plan.conflicts) {
    if (c.kind === "seat") {
      out.push(`No free ${c.license} seat: ${c.used}/${c.total} used. Free or buy a seat, then try again.`);
    }
    if (c.kind === "department" && c.available.filter((d) => d.length <= 150).length === 0) {
      out.push(
        `The department ${c.department} no longer exists and this directory has no department to choose.`,
      );
    }
  }
  return out;
}

function checkboxInput(
  blockId: string,
  label: string,
  what: "email" | "phone",
  value: string,
  holder: { displayName: string; userName: string },
  checked: boolean,
): InputBlock {
  const option: PlainTextOption = {
    text: plain(
      squeeze(
        (v, h) => `Restore without the ${what} ${v} (it belongs to ${h})`,
        value,
        holder.displayName || holder.userName,
        75,
      ),
      75,
    ),
    value: "drop",
    description: plain(`Or change ${holder.userName}'s ${what} first, then try again.`, 75),
  };
  return {
    type: "input",
    block_id: blockId,
    optional: true,
    label: plain(label),
    element: {
      type: "checkboxes",
      action_id: ACTION.value,
      options: [option],
      ...(checked ? { initial_options: [option] } : {}),
    },
  };
}

/** The new user name field, for directories that can rename as they restore. */
function renameInput(canRename: boolean, renamed: string): KnownBlock[] {
  if (!canRename) return [];
  return [
    {
      type: "input",
      block_id: BLOCK.renameTo,
      optional: true,
      label: plain("New user name"),
      hint: plain(
        "For rename. Must be free in this directory. Before the @ use letters, digits and . _ - ' ! # ^ ~ (at most 64, no dot at either end); after it, one of the directory's domains.",
        2000,
      ),
      element: {
        type: "plain_text_input",
        action_id: ACTION.value,
        max_length: 320,
        placeholder: plain("e.g. jane.doe2@example.com", 150),
        ...(renamed ? { initial_value: truncate(renamed, 320) } : {}),
      },
    },
  ];
}

/** The blocks for one conflict; `interactive` false when the plan cannot go ahead anyway (no inputs without a submit). */
function conflictBlocks(plan: RestorePlan, c: Conflict, interactive: boolean): KnownBlock[] {
  switch (c.kind) {
    case "userName":
      return userNameBlocks(plan, c, interactive);
    case "alias":
      return aliasBlocks(plan, c);
    case "email":
      if (!interactive || !c.resolutions.includes("dropEmail"))
        return [
          section(
            `⚠️ ${who(c.holder.displayName, c.holder.userName)} (active) has the email ${esc(c.email, 250)}.`,
          ),
        ];
      return [
        checkboxInput(BLOCK.dropEmail, "Email", "email", c.email, c.holder, c.resolvedBy === "dropEmail"),
      ];
    case "phone":
      if (!interactive || !c.resolutions.includes("dropPhone"))
        return [
          section(
            `⚠️ ${who(c.holder.displayName, c.holder.userName)} (active) has the phone ${esc(c.phone, 100)}.`,
          ),
        ];
      return [
        checkboxInput(BLOCK.dropPhone, "Phone", "phone", c.phone, c.holder, c.resolvedBy === "dropPhone"),
      ];
    case "seat":
      return [
        section(
          `🚫 No free ${esc(c.license, 200)} seat: ${c.used}/${c.total} used. Free or buy a seat, then try again.`,
        ),
      ];
    case "department":
      return departmentBlocks(plan, c, interactive);
  }
}

/** A user name held by an active account: rename or replace (approved), as the directory allows. */
function userNameBlocks(
  plan: RestorePlan,
  c: Extract<Conflict, { kind: "userName" }>,
  interactive: boolean,
): KnownBlock[] {
  // Some directories cannot rename at restore time (Google): then replace is the only way on.
  const canRename = c.resolutions.includes("rename");
  // Replace needs a known account to delete: a holder only the provider saw has none.
  const canReplace = c.resolutions.includes("replace");
  const holder = c.holder.id ? who(c.holder.displayName, c.holder.userName) : esc(c.holder.displayName, 200);
  const text = !canReplace
    ? `⚠️ ${holder} (active) has the user name *${esc(c.userName, 250)}*. ${canRename ? "Restore under a new user name, or cancel" : "Cancel"}, rename the active account first, and try again.`
    : canRename
      ? `⚠️ ${holder} (active) has the user name *${esc(c.userName, 250)}*. Restore under a new user name, or replace the active account (a second admin must approve). Or cancel, rename the active account first, and try again.`
      : `⚠️ ${holder} (active) has the user name *${esc(c.userName, 250)}*. ${esc(plan.directory.name, 100)} cannot restore under a new user name: replace the active account (a second admin must approve), or cancel, rename the active account first, and try again.`;
  if (!interactive || (!canRename && !canReplace)) return [section(text)];
  const rename: PlainTextOption = { text: plain("Restore under a new user name", 75), value: "rename" };
  const replace: PlainTextOption = {
    text: plain("Replace the active account — a second admin must approve", 75),
    value: "replace",
  };
  const initial = c.resolvedBy === "rename" ? rename : c.resolvedBy === "replace" ? replace : null;
  const renamed = plan.outcome.userName !== plan.account.userName ? plan.outcome.userName : "";
  return [
    section(text),
    {
      type: "input",
      block_id: BLOCK.resolution,
      label: plain("How to resolve the user name"),
      element: {
        type: "radio_buttons",
        action_id: ACTION.resolution,
        options: [...(canRename ? [rename] : []), ...(canReplace ? [replace] : [])],
        ...(initial ? { initial_option: initial } : {}),
      },
    },
    ...renameInput(canRename, renamed),
    ...(canReplace
      ? [
          {
            type: "input" as const,
            block_id: BLOCK.reason,
            optional: true,
            label: plain("Reason for replacing (required for replace)"),
            hint: plain("The approver reads it."),
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
function aliasBlocks(plan: RestorePlan, c: Extract<Conflict, { kind: "alias" }>): KnownBlock[] {
  const list = c.dropped
    .slice(0, 20)
    .map((d) => `${esc(d.address, 250)} (${esc(d.holder.userName, 250)})`)
    .join(", ");
  const more = c.dropped.length > 20 ? ` …and ${c.dropped.length - 20} more` : "";
  if (c.resolvedBy === null) {
    return [
      section(
        `⚠️ These aliases now belong to active accounts, and ${esc(plan.directory.name, 100)} cannot leave them out: remove them from those accounts first, then try again: ${list}${more}`,
      ),
    ];
  }
  return [context(`These aliases now belong to others and will be dropped: ${list}${more}`)];
}

/** A department gone: choose one that exists (the first MAX_OPTIONS), where the directory lists them. */
function departmentBlocks(
  plan: RestorePlan,
  c: Extract<Conflict, { kind: "department" }>,
  interactive: boolean,
): KnownBlock[] {
  const usable = c.available.filter((d) => d.length <= 150);
  const label = `Department (${truncate(c.department, 100)} no longer exists)`;
  if (!interactive || usable.length === 0) {
    return [
      section(`⚠️ The department ${esc(c.department, 200)} no longer exists: a department must be chosen.`),
    ];
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
        ? { hint: plain(`Showing the first ${MAX_OPTIONS} of ${usable.length} departments.`) }
        : {}),
      element: {
        type: "static_select",
        action_id: ACTION.value,
        placeholder: plain("Choose a department", 150),
        options,
        ...(chosen ? { initial_option: chosen } : {}),
      },
    },
  ];
}

function accountBlocks(plan: RestorePlan, directoryName: string): KnownBlock[] {
  const a = plan.account;
  const deleted = a.deletedAt ? `${day(a.deletedAt)} by ${mention(a.deletedBy)}` : "—";
  const fields = [
    field("User name", a.userName),
    field("Email", a.email),
    field("Phone", a.phone, 100),
    field("Department", a.department),
    field("License", a.license),
    field("Directory", directoryName || plan.directory.name),
    `*Deleted*\n${deleted}`,
    field("Restore window", windowText(plan)),
  ];
  if (a.aliases.length > 0) {
    const shown = a.aliases.slice(0, 10).map((x) => esc(x, 150));
    fields.push(
      `*Aliases*\n${shown.join(", ")}${a.aliases.length > 10 ? ` …and ${a.aliases.length - 10} more` : ""}`,
    );
  }
  const header: SectionBlock = {
    type: "section",
    text: { type: "mrkdwn", text: `*${esc(a.displayName || a.userName, 500)}*`, verbatim: true },
    fields: fields.slice(0, 10).map((f) => ({ type: "mrkdwn", text: truncate(f, 2000), verbatim: true })),
  };
  return [header];
}

export function planView(
  plan: RestorePlan,
  meta: { accountId: string; query: string; directoryName: string; notice?: string },
  _errors?: never,
): ModalView {
  const recreate = plan.action === "recreate";
  const blockers = unfixableBlockers(plan);
  const interactive = blockers.length === 0;
  const blocks: KnownBlock[] = [];

  // Why the plan is shown again: a check at submit time found something it did not show before.
  if (meta.notice) blocks.push(section(`⚠️ ${esc(meta.notice, 2900)}`));
  if (recreate) blocks.push(section(`ℹ️ ${RECREATE_NOTE}`));
  // The provider's own caveat (Okta: a deleted user is gone; Lark: departures by event only).
  if (plan.directory.note)
    blocks.push(context(`${esc(plan.directory.name, 100)}: ${esc(plan.directory.note, 2500)}`));
  const check = plan.providerCheck;
  if (check?.error) blocks.push(context(`⚠️ ${esc(check.error, 2500)}`));
  else if (check?.checkedAt)
    blocks.push(context(`Conflicts checked with ${esc(check.provider, 100)} ${slackDate(check.checkedAt)}.`));
  blocks.push(...accountBlocks(plan, meta.directoryName));

  if (blockers.length > 0) {
    blocks.push(
      section(
        `🚫 *This account cannot be ${recreate ? "re-created" : "restored"} now*\n${bulletList(blockers, 10, 500)}`,
      ),
    );
  }

  if (plan.conflicts.length > 0) blocks.push({ type: "divider" });
  const seen = new Set<string>();
  for (const c of plan.conflicts) {
    // One of each kind: block ids must be unique in a view.
    if (seen.has(c.kind)) continue;
    seen.add(c.kind);
    blocks.push(...conflictBlocks(plan, c, interactive));
  }

  const seatConflict = plan.conflicts.some((c) => c.kind === "seat");
  if (plan.seats && !seatConflict) {
    blocks.push(
      context(
        `License ${esc(plan.seats.license, 200)}: ${plan.seats.used} of ${plan.seats.total} seats used`,
      ),
    );
  }
  if (plan.replaces) {
    blocks.push(
      section(
        `Replace: ${who(plan.replaces.displayName, plan.replaces.userName)} (active) is deleted, restorable for its own full window.`,
      ),
    );
  }

  blocks.push({ type: "divider" }, section(PASSWORD_NOTE));
  if (plan.followUp.length > 0) {
    const { blocks: follow } = linesToSections(
      [
        `*After the ${recreate ? "re-creation" : "restore"}*`,
        ...plan.followUp.slice(0, 50).map((f) => `☐ ${esc(f, 500)}`),
      ],
      2,
    );
    blocks.push(...follow);
  }
  blocks.push(backToSearch(meta.query));

  const hasUserNameConflict = plan.conflicts.some((c) => c.kind === "userName");
  const submit = hasUserNameConflict ? "Continue" : recreate ? "Re-create" : "Restore";
  return {
    type: "modal",
    callback_id: CALLBACK.plan,
    title: plain(recreate ? "Re-create" : "Restore", 24),
    close: plain("Cancel", 24),
    ...(interactive ? { submit: plain(submit, 24) } : {}),
    private_metadata: planMetadata(meta.accountId, meta.query),
    blocks: fitBlocks(blocks, MODAL_MAX_BLOCKS),
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

export function batchConfirmView(items: DeletedAccountView[], meta: { query: string }): ModalView {
  const capped = items.slice(0, BATCH_MAX);
  const { json, ids } = batchMetadata(
    capped.map((v) => v.id),
    meta.query,
  );
  const included = capped.slice(0, ids.length);
  const left = items.length - included.length;
  const blocks: KnownBlock[] = [];
  if (included.length === 0) {
    blocks.push(section("Nothing is selected: choose the accounts to restore in the search."));
  } else {
    blocks.push(
      section(
        `*${included.length === 1 ? "This account is" : `These ${included.length} accounts are`} restored:* each is checked and restored on its own, and one failure does not undo the others. Accounts with a conflict (user name, email, phone, seat) fail here: restore those one by one.`,
      ),
    );
    const lines = included.map(
      (v) =>
        `${isRestorableNow(v) ? "•" : "🚫"} *${esc(v.displayName || v.userName, 150)}* · ${esc(v.userName, 200)} · ${esc(v.window, 150)}`,
    );
    const { blocks: list, omitted } = linesToSections(lines, 60);
    blocks.push(...list);
    if (omitted > 0) blocks.push(context(`…and ${omitted} more`));
    if (left > 0) {
      blocks.push(
        context(
          `⚠️ ${left} more selected account${left === 1 ? " is" : "s are"} not included: at most ${BATCH_MAX} are restored in one go. Select the rest afterwards.`,
        ),
      );
    }
    blocks.push(
      context(
        "New temporary passwords are generated and shown only to you, once; each user must change theirs at next sign-in.",
      ),
    );
  }
  blocks.push(backToSearch(meta.query));
  const n = included.length;
  return {
    type: "modal",
    callback_id: CALLBACK.batch,
    title: plain("Restore several", 24),
    close: plain("Cancel", 24),
    ...(n > 0 ? { submit: plain(`Restore ${n} account${n === 1 ? "" : "s"}`, 24) } : {}),
    private_metadata: json,
    blocks: fitBlocks(blocks, MODAL_MAX_BLOCKS),
  };
}
