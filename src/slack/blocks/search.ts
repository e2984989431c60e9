import type {
  ActionsBlock,
  InputBlock,
  KnownBlock,
  ModalView,
  PlainTextOption,
  SectionBlock,
} from "@slack/types";
import { QUERY_MAX } from "../../restore/names.ts";
import type { DeletedAccountView, SearchResult } from "../../restore/types.ts";
import { ACTION, BLOCK, CALLBACK } from "./ids.ts";
import { context, fitBlocks, MODAL_MAX_BLOCKS, moreLine, section } from "./layout.ts";
import { day, esc, mention, plain, squeeze, truncate } from "./mrkdwn.ts";

/** Accounts listed one per section; the rest are counted (the modal holds 100 blocks). */
export const SEARCH_MAX_LISTED = 40;
/** Options in a select: Slack's limit. */
export const MAX_OPTIONS = 100;
/** A batch restore takes at most this many accounts (private_metadata holds their ids). */
export const BATCH_MAX = 50;
const OPTION_TEXT_MAX = 75;
const OPTION_VALUE_MAX = 150;

export function loadingView(title: string, text: string): ModalView {
  return {
    type: "modal",
    title: plain(title, 24),
    close: plain("Cancel", 24),
    blocks: [{ type: "section", text: plain(text || "Searching…") }],
  };
}

/** Only a "deleted" account can be restored now; deleting, expired and purged ones are listed without a button. */
export function isRestorableNow(view: DeletedAccountView): boolean {
  return view.restorability.state === "deleted";
}

/** The countdown part of an option: kept whole, the name and email give way. */
function shortWindow(view: DeletedAccountView): string {
  const r = view.restorability;
  switch (r.state) {
    case "deleted":
      return view.window;
    case "deleting":
      return `restorable from ${day(r.restorableFrom)}`;
    case "expired":
      return "window ended";
    case "purged":
      return "purged";
    case "recreated":
      return "re-created";
    case "active":
      return "active";
  }
}

function optionFor(view: DeletedAccountView, second: string): PlainTextOption {
  const tail = ` · ${shortWindow(view)}`;
  const head = squeeze(
    (a, b) => `${a} · ${b}`,
    view.displayName || view.userName,
    second,
    OPTION_TEXT_MAX - tail.length,
  );
  return { text: plain(`${head}${tail}`, OPTION_TEXT_MAX), value: view.id };
}

/** For the type-ahead: "Name · email · 12 days left" in 75 characters; the days left are never cut. */
export function accountOption(view: DeletedAccountView): PlainTextOption {
  return optionFor(view, view.email ?? view.userName);
}

export function accountOptions(result: SearchResult): PlainTextOption[] {
  return result.items
    .filter((v) => v.id.length <= OPTION_VALUE_MAX)
    .slice(0, MAX_OPTIONS)
    .map(accountOption);
}

/** One line of an account for lists: name, user name, directory, deleted when/by, window. */
export function accountLine(
  view: DeletedAccountView,
  directories: Record<string, string>,
  showDirectory: boolean,
): string {
  const parts = [`*${esc(view.displayName || view.userName, 200)}*`, esc(view.userName, 250)];
  if (showDirectory) parts.push(esc(directories[view.directoryId] ?? view.directoryId, 100));
  const deleted = view.deletedAt ? `deleted ${day(view.deletedAt)} by ${mention(view.deletedBy)}` : "deleted";
  const mark = isRestorableNow(view) ? "" : view.restorability.state === "deleting" ? "⏳ " : "🚫 ";
  return `${parts.join(" · ")}\n${deleted} · ${mark}${esc(view.window, 200)}`;
}

function resultSection(
  view: DeletedAccountView,
  directories: Record<string, string>,
  many: boolean,
): SectionBlock {
  const block: SectionBlock = section(accountLine(view, directories, many));
  if (isRestorableNow(view) && view.id.length <= 2000) {
    block.accessory = {
      type: "button",
      action_id: ACTION.planAccount,
      text: plain("Restore…", 75),
      value: view.id,
    };
  }
  return block;
}

export function searchView(input: {
  query: string;
  result: SearchResult | null;
  directories: Record<string, string>;
}): ModalView {
  const query = input.query.trim();
  const blocks: KnownBlock[] = [
    {
      type: "input",
      block_id: BLOCK.lookup,
      optional: true,
      dispatch_action: true,
      label: plain("Go straight to an account"),
      element: {
        type: "external_select",
        action_id: ACTION.lookup,
        min_query_length: 2,
        placeholder: plain("Type a name or email", 150),
      },
    },
    {
      type: "input",
      block_id: BLOCK.query,
      optional: true,
      dispatch_action: true,
      label: plain("Search deleted accounts"),
      hint: plain("Name, user name or email; typos are fine. Press Enter to search."),
      element: {
        type: "plain_text_input",
        action_id: ACTION.searchQuery,
        max_length: QUERY_MAX,
        placeholder: plain("e.g. jane or jane.doe@example.com", 150),
        dispatch_action_config: { trigger_actions_on: ["on_enter_pressed"] },
        ...(query ? { initial_value: truncate(query, QUERY_MAX) } : {}),
      },
    },
  ];

  const result = input.result;
  const restorable = result
    ? result.items.filter((v) => isRestorableNow(v) && v.id.length <= OPTION_VALUE_MAX)
    : [];

  if (!result) {
    blocks.push(context("Type a name, user name or email and press Enter to search. Typos are fine."));
  } else if (result.items.length === 0) {
    blocks.push(
      section(
        query
          ? `No deleted account matches “${esc(query, 200)}”. Try part of the name, the user name or an email address.`
          : "No deleted accounts are waiting to be restored.",
      ),
    );
  } else {
    const many =
      new Set(result.items.map((v) => v.directoryId)).size > 1 || Object.keys(input.directories).length > 1;
    const listed = result.items.slice(0, SEARCH_MAX_LISTED);
    blocks.push({ type: "divider" });
    for (const view of listed) blocks.push(resultSection(view, input.directories, many));
    const hidden = result.items.length - listed.length;
    if (hidden > 0 || result.hasMore) {
      blocks.push(context(hidden > 0 ? moreLine(hidden) : "…and more — refine the search"));
    }
    if (restorable.length > 0) {
      const selection: InputBlock = {
        type: "input",
        block_id: BLOCK.selection,
        optional: true,
        label: plain("Restore several at once"),
        hint: plain(
          `Each account is restored on its own; one failure does not undo the others. At most ${BATCH_MAX} at a time.`,
        ),
        element: {
          type: "multi_static_select",
          action_id: ACTION.selection,
          placeholder: plain("Choose accounts", 150),
          max_selected_items: BATCH_MAX,
          options: restorable.slice(0, MAX_OPTIONS).map((v) => optionFor(v, v.userName)),
        },
      };
      blocks.push({ type: "divider" }, selection);
    }
  }

  return {
    type: "modal",
    callback_id: CALLBACK.search,
    title: plain("Restore a user", 24),
    // Slack requires a submit button whenever a modal has inputs: with nothing to select it searches.
    submit: plain(restorable.length > 0 ? "Restore selected" : "Search", 24),
    close: plain("Cancel", 24),
    private_metadata: truncate(query, 1000),
    blocks: fitBlocks(blocks, MODAL_MAX_BLOCKS, moreLine(0)),
  };
}

/** "Back to search" for the modals that come after the search; value = the query (absent when empty). */
export function backToSearch(query: string): ActionsBlock {
  return {
    type: "actions",
    elements: [
      {
        type: "button",
        action_id: ACTION.back,
        text: plain("← Back to search", 75),
        ...(query.trim() ? { value: truncate(query.trim(), 2000) } : {}),
      },
    ],
  };
}
