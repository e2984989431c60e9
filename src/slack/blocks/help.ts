/** `/restore-user help`, in mrkdwn (no user data in it). */
export function helpText(): string {
  return [
    "*restore-user* finds deleted accounts and brings them back.",
    "",
    "• `/restore-user` — open the search: what expires soonest, or search by name, user name or email (typos are fine)",
    "• `/restore-user NAME` — open the search for NAME straight away",
    "• `/restore-user help` — this help",
    "",
    "Pick an account and press *Restore…* to see what the restore would do: every conflict with an active account, and the choices for each. Several accounts can be restored at once where the directory allows it; each is restored on its own, and one failure does not undo the others. Where a directory cannot restore, the account is *re-created* as a new account from the saved details.",
    "",
    "*Replace*: when an active account now has the deleted account's user name, you can rename the restored account, or *replace* the active one. Replace deletes the active account (softly: it can itself be restored for its own full window) and restores the deleted one in its place.",
    "*Approval*: a replace needs a second admin. You give a reason; an approver other than you approves or rejects it in the approvals channel. Nothing changes until then; everything is checked again at approval, and a request nobody decides in time expires. You get a direct message either way.",
    "",
    "The temporary password of a restored account is shown once, only to the admin who restored it, never in a channel. The user must change it at next sign-in.",
    "Only configured admins can search and restore, and only configured approvers can approve.",
  ].join("\n");
}
