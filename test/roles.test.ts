/**
 * Roles from Slack user groups: RESTORE_ADMINS and RESTORE_APPROVERS name a group (S…) beside
 * user ids; its members are read with usergroups.users.list and kept current by Slack's events.
 * Slack's answers and events are in the shapes Slack documents:
 * https://docs.slack.dev/reference/methods/usergroups.users.list,
 * https://docs.slack.dev/reference/events/subteam_members_changed and
 * https://docs.slack.dev/reference/events/subteam_updated.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Logger } from "../src/log.ts";
import { silentLog } from "../src/log.ts";
import { GroupRoles } from "../src/roles/group-roles.ts";
import { storedMemberships, storeMembership } from "../src/roles/memberships.ts";
import { outboxClient } from "../src/slack/sender.ts";
import { groupMembersReader } from "../src/slack/user-groups.ts";
import { ok, refused } from "./support/outcomes.ts";
import { API, useSlack } from "./support/slack.ts";
import { ADMIN, ADMIN_2, APPROVER, APPROVER_2, NOW, STRANGER, useWorld } from "./support/world.ts";

const IT_ADMINS = "S0ITADMINS";
const APPROVERS = "S0APPROVERS";
/** Slack dates a group's changes in seconds; the test's clock stands at NOW. */
const T = NOW.getTime() / 1000;

const world = useWorld();
let roles: GroupRoles;
const logs: string[] = [];

beforeEach(() => {
  logs.length = 0;
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    logs.push(JSON.stringify({ level, message, ...fields }));
  };
  const log: Logger = { info: line("info"), warn: line("warn"), error: line("error") };
  // Only ADMIN and APPROVER are named by id; ADMIN_2 and APPROVER_2 hold roles through groups.
  roles = new GroupRoles({
    configured: { admins: [ADMIN, IT_ADMINS], approvers: [APPROVER, APPROVERS] },
    readMembers: groupMembersReader(outboxClient("xoxb-test-token", `${API}/api/`)),
    db: world.database.db,
    clock: world.clock,
    log,
    usePolicy: (policy) => world.service.usePolicy(policy),
  });
});

const slack = useSlack(world, { roles: () => roles.state() }, { moreDeps: () => ({ roles }) });

/** usergroups.users.list as Slack answers it, for these groups (others: no_such_subteam). */
function groupsInSlack(members: Record<string, string[]>) {
  slack.answer("usergroups.users.list", (args) => {
    const users = members[String(args.usergroup)];
    return users ? [200, { ok: true, users }] : [200, { ok: false, error: "no_such_subteam" }];
  });
}

/** Whether `user` gets past the permission check of /restore-user (a search opens its modal). */
async function mayUseCommand(user: string): Promise<boolean> {
  const opened = slack.calls.filter((c) => c.method === "views.open").length;
  const response = await slack.command(user, "alice");
  if (/not allowed/.test(response.text)) return false;
  await slack.waitFor("views.open", opened + 1);
  return true;
}

/** Events are handled after Slack's delivery is acknowledged: wait until the roles show it. */
/** Waits for what an event does after its ack (the listener goes on after answering Slack). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("the event was not applied");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function readyz() {
  return (await slack.get("/readyz")).json();
}

describe("a user group in RESTORE_ADMINS", () => {
  it("gives its members the admin role, read from Slack at start, and keeps them for the CLI", async () => {
    groupsInSlack({ [IT_ADMINS]: [ADMIN_2], [APPROVERS]: [APPROVER_2] });
    expect(await roles.refresh()).toBe("fresh");

    expect(await mayUseCommand(ADMIN_2)).toBe(true);
    expect(await mayUseCommand(ADMIN)).toBe(true);
    expect(await mayUseCommand(STRANGER)).toBe(false);
    expect(await readyz()).toEqual({ ok: true, database: "up", roles: "fresh" });
    const asked = slack.calls.filter((c) => c.method === "usergroups.users.list");
    expect(asked.map((c) => c.args.usergroup).sort()).toEqual([APPROVERS, IT_ADMINS]);

    const stored = await storedMemberships(world.database.db, [IT_ADMINS, APPROVERS]);
    expect(stored.get(IT_ADMINS)?.userIds).toEqual([ADMIN_2]);
    expect(stored.get(APPROVERS)?.userIds).toEqual([APPROVER_2]);
    expect(stored.get(IT_ADMINS)?.readAt).toEqual(world.clock.now());
  });

  it("follows members added and removed by subteam_members_changed", async () => {
    groupsInSlack({ [IT_ADMINS]: [ADMIN_2], [APPROVERS]: [] });
    await roles.refresh();
    expect(await mayUseCommand(STRANGER)).toBe(false);

    await slack.event({
      type: "subteam_members_changed",
      subteam_id: IT_ADMINS,
      team_id: "T0TEAM",
      date_previous_update: T - 100,
      date_update: T + 60,
      added_users: [STRANGER],
      added_users_count: "1",
      removed_users: [],
      removed_users_count: "0",
      event_ts: "1492906952.000001",
    });
    await until(() => world.service.rolesOf(STRANGER).admin);
    expect(await mayUseCommand(STRANGER)).toBe(true);

    await slack.event({
      type: "subteam_members_changed",
      subteam_id: IT_ADMINS,
      team_id: "T0TEAM",
      date_previous_update: T + 60,
      date_update: T + 120,
      added_users: [],
      added_users_count: "0",
      removed_users: [STRANGER, ADMIN_2],
      removed_users_count: "2",
      event_ts: "1492907000.000001",
    });
    await until(() => !world.service.rolesOf(STRANGER).admin);
    expect(await mayUseCommand(STRANGER)).toBe(false);
    expect(await mayUseCommand(ADMIN_2)).toBe(false);
    // The CLI sees the group as the events left it (stored just after the ack).
    const storedEmpty = async () =>
      (await storedMemberships(world.database.db, [IT_ADMINS])).get(IT_ADMINS)?.userIds.length === 0;
    await until(storedEmpty);
    expect(await storedEmpty()).toBe(true);
    // A group nobody configured changes nothing.
    await slack.event({
      type: "subteam_members_changed",
      subteam_id: "S0OTHERS",
      team_id: "T0TEAM",
      date_previous_update: 1,
      date_update: 2,
      added_users: [STRANGER],
      removed_users: [],
      event_ts: "2.000001",
    });
    expect(await mayUseCommand(STRANGER)).toBe(false);
  });

  it("on a missed or late event, counts its removals at once and takes additions from Slack's list", async () => {
    groupsInSlack({ [IT_ADMINS]: [ADMIN_2, STRANGER], [APPROVERS]: [] });
    await roles.refresh();
    const changed = (previous: number, update: number, added: string[], removed: string[]) =>
      roles.membersChanged({ groupId: IT_ADMINS, added, removed, previousUpdate: previous, update });
    await changed(T - 100, T + 60, [], []);
    const reads = () => slack.calls.filter((c) => c.method === "usergroups.users.list").length;
    const before = reads();

    // The event before this one was missed (its previous update is not the last one seen).
    groupsInSlack({ [IT_ADMINS]: [ADMIN_2], [APPROVERS]: [] });
    await changed(T + 90, T + 120, [APPROVER_2], [STRANGER]);
    expect(world.service.rolesOf(STRANGER).admin).toBe(false);
    expect(world.service.rolesOf(APPROVER_2).admin).toBe(false);
    expect(world.service.rolesOf(ADMIN_2).admin).toBe(true);
    expect(reads()).toBe(before + 1);

    // A late delivery, older than Slack's last answer, adds nobody.
    await roles.refresh();
    await changed(T - 300, T - 200, [STRANGER], []);
    expect(world.service.rolesOf(STRANGER).admin).toBe(false);
    // The next change after that answer counts; delivered twice (Slack retries), it is applied
    // once and Slack is not asked again.
    await changed(T - 100, T + 60, [APPROVER_2], []);
    const afterFirst = reads();
    await changed(T - 100, T + 60, [APPROVER_2], []);
    expect(world.service.rolesOf(APPROVER_2).admin).toBe(true);
    expect(reads()).toBe(afterFirst);
  });

  it("follows subteam_updated: its member list, a disabled group, and a list cut at 500", async () => {
    groupsInSlack({ [IT_ADMINS]: [ADMIN_2], [APPROVERS]: [] });
    await roles.refresh();
    const updated = (subteam: Record<string, unknown>) =>
      slack.event({
        type: "subteam_updated",
        subteam: {
          id: IT_ADMINS,
          team_id: "T0TEAM",
          is_usergroup: true,
          is_subteam: true,
          name: "IT admins",
          description: "",
          handle: "it-admins",
          is_external: false,
          date_create: 1492655498,
          date_delete: 0,
          auto_type: null,
          auto_provision: false,
          enterprise_subteam_id: "",
          created_by: ADMIN,
          updated_by: ADMIN,
          deleted_by: null,
          prefs: { channels: [], groups: [] },
          channel_count: 0,
          ...subteam,
        },
        event_ts: "1595814882.000100",
      });

    await updated({ users: [STRANGER], user_count: 1, date_update: T + 60 });
    await until(() => world.service.rolesOf(STRANGER).admin);
    expect(world.service.rolesOf(ADMIN_2).admin).toBe(false);

    // More than 500 members: Slack sends the first 500 only, so the whole group is read again.
    groupsInSlack({ [IT_ADMINS]: [ADMIN_2, STRANGER], [APPROVERS]: [] });
    await updated({ users: [STRANGER], user_count: 2, date_update: T + 120 });
    await until(() => world.service.rolesOf(ADMIN_2).admin);
    expect(world.service.rolesOf(STRANGER).admin).toBe(true);

    await updated({ users: [], user_count: 0, date_update: T + 180, date_delete: T + 180 });
    await until(() => !world.service.rolesOf(STRANGER).admin);
    expect(world.service.rolesOf(ADMIN_2).admin).toBe(false);
    expect(world.service.rolesOf(ADMIN).admin).toBe(true);
  });
});

describe("when Slack cannot be asked at start", () => {
  it("starts with the plain ids only, says so in the log and on /readyz, and catches up later", async () => {
    // Members the app stored in an earlier run are not trusted: someone may have left since.
    await storeMembership(world.database.db, IT_ADMINS, [STRANGER], world.clock.now());
    slack.answer("usergroups.users.list", () => [503, "Service Unavailable"]);
    expect(await roles.refresh()).toBe("stale");

    expect(await mayUseCommand(ADMIN)).toBe(true);
    expect(await mayUseCommand(ADMIN_2)).toBe(false);
    expect(await mayUseCommand(STRANGER)).toBe(false);
    expect(world.service.rolesOf(APPROVER_2).approver).toBe(false);
    expect(world.service.rolesOf(APPROVER).approver).toBe(true);
    expect(await readyz()).toEqual({ ok: true, database: "up", roles: "stale" });
    await roles.follow();
    expect(await mayUseCommand(STRANGER)).toBe(false);
    const warning = logs.find((l) => l.includes("could not be asked for the members"));
    expect(warning).toContain(IT_ADMINS);
    expect(logs.join("\n")).not.toContain("xoxb-test-token");

    groupsInSlack({ [IT_ADMINS]: [ADMIN_2], [APPROVERS]: [APPROVER_2] });
    expect(await roles.refresh()).toBe("fresh");
    expect(await mayUseCommand(ADMIN_2)).toBe(true);
    expect(await readyz()).toEqual({ ok: true, database: "up", roles: "fresh" });
  });

  it("names a group Slack does not know, and gives it to nobody", async () => {
    groupsInSlack({ [APPROVERS]: [APPROVER_2] });
    expect(await roles.refresh()).toBe("fresh");
    expect(await mayUseCommand(ADMIN)).toBe(true);
    expect(logs.find((l) => l.includes("does not exist in Slack"))).toContain(IT_ADMINS);
  });
});

describe("several copies of the app", () => {
  it("follow a change that only one of them heard from Slack", async () => {
    groupsInSlack({ [IT_ADMINS]: [ADMIN_2], [APPROVERS]: [] });
    const otherService = world.serviceWith({});
    const other = new GroupRoles({
      configured: { admins: [ADMIN, IT_ADMINS], approvers: [APPROVER, APPROVERS] },
      readMembers: groupMembersReader(outboxClient("xoxb-test-token", `${API}/api/`)),
      db: world.database.db,
      clock: world.clock,
      log: silentLog,
      usePolicy: (policy) => otherService.usePolicy(policy),
    });
    await roles.refresh();
    await other.refresh();
    expect(otherService.rolesOf(ADMIN_2).admin).toBe(true);

    // Slack delivers the event to this copy only.
    world.clock.advance(1000);
    await slack.event({
      type: "subteam_members_changed",
      subteam_id: IT_ADMINS,
      team_id: "T0TEAM",
      date_previous_update: T - 100,
      date_update: T + 60,
      added_users: [STRANGER],
      removed_users: [ADMIN_2],
      event_ts: "1492906952.000001",
    });
    await until(() => !world.service.rolesOf(ADMIN_2).admin);
    // This copy stores what it heard just after its ack; the other one reads it from there.
    await until(async () =>
      Boolean(
        (await storedMemberships(world.database.db, [IT_ADMINS])).get(IT_ADMINS)?.userIds.includes(STRANGER),
      ),
    );
    await other.follow();
    expect(otherService.rolesOf(ADMIN_2).admin).toBe(false);
    expect(otherService.rolesOf(STRANGER).admin).toBe(true);
    // Its own reading is not taken again as news.
    await roles.follow();
    expect(world.service.rolesOf(STRANGER).admin).toBe(true);
  });
});

describe("a user group in RESTORE_APPROVERS", () => {
  it("lets its members approve a replace, and only while they are members", async () => {
    groupsInSlack({ [IT_ADMINS]: [], [APPROVERS]: [APPROVER_2] });
    await roles.refresh();
    await world.active({ userName: "alice@example.com", displayName: "Alice Newhire" });
    const deleted = await world.deleted({ userName: "alice@example.com", displayName: "Alice Smith" });
    const first = ok(await world.service.requestReplace(ADMIN, deleted.id, "Alice is back"));
    expect(refused(await world.service.approve(STRANGER, first.request.id)).code).toBe("not_allowed");

    const approved = ok(await world.service.approve(APPROVER_2, first.request.id));
    expect(approved.type).toBe("restored");
    expect(approved.request.status).toBe("completed");

    // Removed from the group: the next approval is refused.
    await roles.membersChanged({
      groupId: APPROVERS,
      added: [],
      removed: [APPROVER_2],
      previousUpdate: T - 100,
      update: T + 60,
    });
    const bob = await world.deleted({ userName: "bob@example.com" });
    await world.active({ userName: "bob@example.com" });
    const second = ok(await world.service.requestReplace(ADMIN, bob.id, "Bob is back"));
    expect(refused(await world.service.approve(APPROVER_2, second.request.id)).code).toBe("not_allowed");
  });
});
