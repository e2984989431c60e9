import type {
  ActionsBlock,
  InputBlock,
  KnownBlock,
  ModalView,
  PlainTextOption,
  SectionBlock,
} from "@slack/types";
import { ENGLISH, type Translator } from "../../i18n/translator.ts";
import { QUERY_MAX } from "../../restore/names.ts";
import type { DeletedAccountView, SearchResult } from "../../restore/types.ts";
import { ACTION, BLOCK, CALLBACK } from "./ids.ts";
import { context, fitBlocks, MODAL_MAX_BLOCKS, section } from "./layout.ts";
import { esc, plain, squeeze, truncate } from "./mrkdwn.ts";
import { actorText, dayText, shortWindowText, windowText } from "./words.ts";

/** Accounts listed one per section; the rest are counted (the modal holds 100 blocks). */
export const SEARCH_MAX_LISTED = 40;
/** Options in a select: Slack's limit. */
export const MAX_OPTIONS = 100;
/** A batch restore takes at most this many accounts (private_metadata holds their ids). */
export const BATCH_MAX = 50;
const OPTION_TEXT_MAX = 75;
const OPTION_VALUE_MAX = 150;

export function loadingView(title: string, text: string, t: Translator = ENGLISH): ModalView {
  return {
    type: "modal",
    title: plain(title, 24),
    close: plain(t.t("common.cancel"), 24),
    blocks: [{ type: "section", text: plain(text || t.t("search.loading")) }],
  };
}

/** Only a "deleted" account can be restored now; deleting, expired and purged ones are listed without a button. */
export function isRestorableNow(view: DeletedAccountView): boolean {
  return view.restorability.state === "deleted";
}

/** The countdown part of an option is kept whole; the name and email give way. */
function optionFor(view: DeletedAccountView, second: string, t: Translator): PlainTextOption {
  const tail = ` · ${shortWindowText(t, view.restorability)}`;
  const head = squeeze(
    (a, b) => `${a} · ${b}`,
    view.displayName || view.userName,
    second,
    OPTION_TEXT_MAX - tail.length,
  );
  return { text: plain(`${head}${tail}`, OPTION_TEXT_MAX), value: view.id };
}

/** For the type-ahead: "Name · email · 12 days left" in 75 characters; the days left are never cut. */
export function accountOption(view: DeletedAccountView, t: Translator = ENGLISH): PlainTextOption {
  return optionFor(view, view.email ?? view.userName, t);
}

export function accountOptions(result: SearchResult, t: Translator = ENGLISH): PlainTextOption[] {
  return result.items
    .filter((v) => v.id.length <= OPTION_VALUE_MAX)
    .slice(0, MAX_OPTIONS)
    .map((v) => accountOption(v, t));
}

function moreLine(t: Translator, n: number): string {
  return t.t("search.more", { count: n });
}

/** One line of an account for lists: name, user name, directory, deleted when/by, window. */
export function accountLine(
  view: DeletedAccountView,
  directories: Record<string, string>,
  showDirectory: boolean,
  t: Translator = ENGLISH,
): string {
  const parts = [`*${esc(view.displayName || view.userName, 200)}*`, esc(view.userName, 250)];
  if (showDirectory) parts.push(esc(directories[view.directoryId] ?? view.directoryId, 100));
  const deleted = view.deletedAt
    ? t.t("search.deletedBy", { day: dayText(t, view.deletedAt), actor: actorText(t, view.deletedBy) })
    : t.t("search.deleted");
  const mark = isRestorableNow(view) ? "" : view.restorability.state === "deleting" ? "⏳ " : "🚫 ";
  return `${parts.join(" · ")}\n${deleted} · ${mark}${esc(windowText(t, view.restorability), 200)}`;
}

function resultSection(
  view: DeletedAccountView,
  directories: Record<string, string>,
  many: boolean,
  t: Translator,
): SectionBlock {
  const block: SectionBlock = section(accountLine(view, directories, many, t));
  if (isRestorableNow(view) && view.id.length <= 2000) {
    block.accessory = {
      type: "button",
      action_id: ACTION.planAccount,
      text: plain(t.t("search.restoreButton"), 75),
      value: view.id,
    };
  }
  return block;
}

export function searchView(input: {
  query: string;
  result: SearchResult | null;
  directories: Record<string, string>;
  /** The reader's language; English when not given. */
  t?: Translator;
}): ModalView {
  const t = input.t ?? ENGLISH;
  const query = input.query.trim();
  const blocks: KnownBlock[] = [
    {
      type: "input",
      block_id: BLOCK.lookup,
      optional: true,
      dispatch_action: true,
      label: plain(t.t("search.lookup.label")),
      element: {
        type: "external_select",
        action_id: ACTION.lookup,
        min_query_length: 2,
        placeholder: plain(t.t("search.lookup.placeholder"), 150),
      },
    },
    {
      type: "input",
      block_id: BLOCK.query,
      optional: true,
      dispatch_action: true,
      label: plain(t.t("search.query.label")),
      hint: plain(t.t("search.query.hint")),
      element: {
        type: "plain_text_input",
        action_id: ACTION.searchQuery,
        max_length: QUERY_MAX,
        placeholder: plain(t.t("search.query.placeholder"), 150),
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
    blocks.push(context(t.t("search.prompt")));
  } else if (result.items.length === 0) {
    blocks.push(
      section(query ? t.t("search.noMatch", { query: esc(query, 200) }) : t.t("search.noneWaiting")),
    );
  } else {
    const many =
      new Set(result.items.map((v) => v.directoryId)).size > 1 || Object.keys(input.directories).length > 1;
    const listed = result.items.slice(0, SEARCH_MAX_LISTED);
    blocks.push({ type: "divider" });
    for (const view of listed) blocks.push(resultSection(view, input.directories, many, t));
    const hidden = result.items.length - listed.length;
    if (hidden > 0 || result.hasMore) {
      blocks.push(context(hidden > 0 ? moreLine(t, hidden) : t.t("search.moreUncounted")));
    }
    if (restorable.length > 0) {
      const selection: InputBlock = {
        type: "input",
        block_id: BLOCK.selection,
        optional: true,
        label: plain(t.t("search.selection.label")),
        hint: plain(t.t("search.selection.hint", { max: BATCH_MAX })),
        element: {
          type: "multi_static_select",
          action_id: ACTION.selection,
          placeholder: plain(t.t("search.selection.placeholder"), 150),
          max_selected_items: BATCH_MAX,
          options: restorable.slice(0, MAX_OPTIONS).map((v) => optionFor(v, v.userName, t)),
        },
      };
      blocks.push({ type: "divider" }, selection);
    }
  }

  return {
    type: "modal",
    callback_id: CALLBACK.search,
    title: plain(t.t("search.title"), 24),
    // Slack requires a submit button whenever a modal has inputs: with nothing to select it searches.
    submit: plain(restorable.length > 0 ? t.t("search.submit.selected") : t.t("search.submit.search"), 24),
    close: plain(t.t("common.cancel"), 24),
    private_metadata: truncate(query, 1000),
    blocks: fitBlocks(blocks, MODAL_MAX_BLOCKS, moreLine(t, 0)),
  };
}

/** "Back to search" for the modals that come after the search; value = the query (absent when empty). */
export function backToSearch(query: string, t: Translator = ENGLISH): ActionsBlock {
  return {
    type: "actions",
    elements: [
      {
        type: "button",
        action_id: ACTION.back,
        text: plain(t.t("search.back"), 75),
        ...(query.trim() ? { value: truncate(query.trim(), 2000) } : {}),
      },
    ],
  };
}
