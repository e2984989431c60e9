/** Every callback_id, action_id and block_id the Slack surfaces use: listeners match on these. */

export const CALLBACK = {
  search: "restore_search",
  plan: "restore_plan",
  batch: "restore_batch",
  rejectReason: "reject_reason",
  result: "restore_result",
} as const;

export const ACTION = {
  /** External select type-ahead in the search modal (options request and selection). */
  lookup: "account_lookup",
  /** The search box in the search modal (dispatches on Enter). */
  searchQuery: "search_query",
  /** Multi-select "Restore several at once" in the search modal. */
  selection: "restore_selection",
  /** "Restore…" on an account: in the search modal, the Home tab and (later) the digest. */
  planAccount: "plan_account",
  approve: "approve_request",
  reject: "reject_request",
  /** "Find a deleted account…" on the Home tab: opens the search modal. */
  restoreFromHome: "restore_from_home",
  /** In the requester's DM after an approved replace: the password is never put in a message. */
  getPassword: "get_temporary_password",
  /** "Back to search" in the plan and batch modals; value = the query. */
  back: "back_to_search",
  /** The radio buttons of the user name conflict. */
  resolution: "resolution",
  /** Every other input element in the plan and reject modals. */
  value: "value",
} as const;

export const BLOCK = {
  lookup: "lookup",
  query: "query",
  selection: "selection",
  resolution: "user_name_resolution",
  renameTo: "rename_to",
  reason: "replace_reason",
  dropEmail: "drop_email",
  dropPhone: "drop_phone",
  department: "department",
  rejectReason: "reject_reason",
  /** The actions block with Approve / Reject in the approval message. */
  decision: "decision",
} as const;

const FIELD_BLOCKS: Record<string, string> = {
  renameTo: BLOCK.renameTo,
  replace: BLOCK.resolution,
  resolution: BLOCK.resolution,
  department: BLOCK.department,
  dropEmail: BLOCK.dropEmail,
  dropPhone: BLOCK.dropPhone,
  reason: BLOCK.reason,
};

/**
 * The block where a service Refusal.field is shown with `response_action: "errors"`. In the reject
 * modal "reason" is its one input. An unknown field maps to the user name choice: check that the
 * view has that block before using it.
 */
export function blockForField(field: string, modal: "plan" | "reject" = "plan"): string {
  if (modal === "reject") return BLOCK.rejectReason;
  return FIELD_BLOCKS[field] ?? BLOCK.resolution;
}
