import { ENGLISH } from "../i18n/translator.ts";
/** Who may do what: checked in the service, so every interface (Slack, CLI) gets the same answer. */
export interface AccessPolicy {
  admins: ReadonlySet<string>;
  approvers: ReadonlySet<string>;
}

export type Action =
  | "search" // find deleted accounts, see plans
  | "restore" // restore, re-create, request a replace
  | "decide" // approve or reject a request
  | "read" // requests and the audit trail
  | "purge"
  | "import"; // load accounts into a built-in directory (the app's own demo load is not a person's)

/** The actor for work the app does by itself (purges, expiry): never a person, never typed in. */
export const SYSTEM_ACTOR = "system";

/** People act under their Slack user id (the CLI's --as too); the policy lists only such ids. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
/** A Slack user group (`@it-admins`): RESTORE_ADMINS and RESTORE_APPROVERS may name one. */
export const SLACK_USER_GROUP_ID = /^S[A-Z0-9]{2,}$/;

export function policyFrom(admins: Iterable<string>, approvers: Iterable<string>): AccessPolicy {
  return { admins: new Set(admins), approvers: new Set(approvers) };
}

/** Roles as configured: user ids and user group ids, mixed. */
export interface ConfiguredRoles {
  admins: readonly string[];
  approvers: readonly string[];
}

/** The user groups named in the configuration, each once. */
export function userGroupsIn(roles: ConfiguredRoles): string[] {
  return [...new Set([...roles.admins, ...roles.approvers])].filter((id) => SLACK_USER_GROUP_ID.test(id));
}

/**
 * The policy for the configured roles, each group replaced by its known members. A group whose
 * members are not known gives nobody anything: never more rights than configured.
 */
export function policyOf(
  roles: ConfiguredRoles,
  members: ReadonlyMap<string, Iterable<string>>,
): AccessPolicy {
  const expand = (ids: readonly string[]) =>
    ids.flatMap((id) => (SLACK_USER_GROUP_ID.test(id) ? [...(members.get(id) ?? [])] : [id]));
  return policyFrom(expand(roles.admins), expand(roles.approvers));
}

export function may(policy: AccessPolicy, actor: string, action: Action): boolean {
  if (actor === SYSTEM_ACTOR) return action === "purge" || action === "read";
  const admin = policy.admins.has(actor);
  const approver = policy.approvers.has(actor);
  switch (action) {
    case "search":
    case "restore":
    case "purge":
    case "import":
      return admin;
    case "decide":
      return approver;
    case "read":
      return admin || approver;
  }
}

/** Says nothing about any account: someone who may not look learns only that. */
export const NOT_ALLOWED_MESSAGE = ENGLISH.t("refusal.notAllowed");
