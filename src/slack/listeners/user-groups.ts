import type { App } from "@slack/bolt";
import { z } from "zod";
import { SLACK_USER_GROUP_ID } from "../../restore/access.ts";
import type { SlackDeps } from "../deps.ts";
import { slackUserId } from "./edge.ts";
import { reportFailure } from "./support.ts";

const groupId = z.string().regex(SLACK_USER_GROUP_ID);
const userIds = z.array(slackUserId).default([]);
/** Slack's times are seconds; some payloads send numbers as strings. */
const seconds = z.coerce.number().nonnegative();

/** https://docs.slack.dev/reference/events/subteam_members_changed */
const membersChanged = z.object({
  subteam_id: groupId,
  added_users: userIds,
  removed_users: userIds,
  date_previous_update: seconds,
  date_update: seconds,
});

/** https://docs.slack.dev/reference/events/subteam_updated (users is cut at 500; user_count is not) */
const groupUpdated = z.object({
  subteam: z.object({
    id: groupId,
    users: userIds,
    user_count: z.coerce.number().int().nonnegative().default(0),
    date_delete: seconds.default(0),
    date_update: seconds,
  }),
});

/** User groups named in RESTORE_ADMINS or RESTORE_APPROVERS: their changes reach the roles at once. */
export function registerUserGroups(app: App, deps: SlackDeps): void {
  const roles = deps.roles;
  if (!roles) return;
  app.event("subteam_members_changed", async ({ event }) => {
    const parsed = membersChanged.safeParse(event);
    if (!parsed.success) return void deps.log.warn("ignored a malformed subteam_members_changed event");
    const e = parsed.data;
    try {
      await roles.membersChanged({
        groupId: e.subteam_id,
        added: e.added_users,
        removed: e.removed_users,
        previousUpdate: e.date_previous_update,
        update: e.date_update,
      });
    } catch (error) {
      reportFailure(deps, error, "user group members changed");
    }
  });
  app.event("subteam_updated", async ({ event }) => {
    const parsed = groupUpdated.safeParse(event);
    if (!parsed.success) return void deps.log.warn("ignored a malformed subteam_updated event");
    const group = parsed.data.subteam;
    try {
      await roles.groupUpdated({
        groupId: group.id,
        userIds: group.users,
        userCount: group.user_count,
        disabled: group.date_delete > 0,
        update: group.date_update,
      });
    } catch (error) {
      reportFailure(deps, error, "user group updated");
    }
  });
}
