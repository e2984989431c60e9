import { ErrorCode, type WebClient } from "@slack/web-api";
import type { ReadGroupMembers } from "../roles/group-roles.ts";

/** What to do about Slack's refusals an admin can fix. */
const NEXT_STEP: Record<string, string> = {
  missing_scope: "add the usergroups:read scope (manifest.yml) and reinstall the app",
  not_allowed_token_type: "SLACK_BOT_TOKEN must be the bot token (xoxb-…)",
  invalid_auth: "check SLACK_BOT_TOKEN",
  plan_upgrade_required: "user groups need a paid Slack plan; name user ids instead",
};

/**
 * usergroups.users.list: a group's members. Slack's no_such_subteam is an answer (nobody), not a
 * failure; any other refusal or a network error throws, with a next step where there is one.
 */
export function groupMembersReader(client: WebClient): ReadGroupMembers {
  return async (groupId) => {
    try {
      const answer = await client.usergroups.users.list({ usergroup: groupId });
      return answer.users ?? [];
    } catch (error) {
      const e = error as { code?: unknown; data?: { error?: unknown } };
      if (e.code !== ErrorCode.PlatformError) throw error;
      const code = String(e.data?.error);
      if (code === "no_such_subteam") return null;
      const next = NEXT_STEP[code];
      throw new Error(`Slack refused usergroups.users.list: ${code}${next ? `; ${next}` : ""}`);
    }
  };
}
