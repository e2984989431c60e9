import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import { describeError, errorFields, type Logger } from "../log.ts";
import { type AccessPolicy, type ConfiguredRoles, policyOf, userGroupsIn } from "../restore/access.ts";
import { storedMemberships, storeMembership } from "./memberships.ts";

/**
 * Reads a user group's members from Slack (usergroups.users.list): their user ids, or null when
 * Slack says there is no such group. Throws when Slack cannot be asked.
 */
export type ReadGroupMembers = (groupId: string) => Promise<string[] | null>;

/** subteam_members_changed: a delta, with the group's previous and new update times (seconds). */
export interface MembersChanged {
  groupId: string;
  added: readonly string[];
  removed: readonly string[];
  previousUpdate: number;
  update: number;
}

/** subteam_updated: the group itself (its `users` list is cut at 500; `userCount` is not). */
export interface GroupUpdated {
  groupId: string;
  userIds: readonly string[];
  userCount: number;
  /** The group was disabled: it gives nobody a role. */
  disabled: boolean;
  update: number;
}

export type RolesState = "fresh" | "stale";

export interface GroupRolesDeps {
  configured: ConfiguredRoles;
  readMembers: ReadGroupMembers;
  db: Db;
  clock: Clock;
  log: Logger;
  /** Receives each new policy: the service's usePolicy. */
  usePolicy(policy: AccessPolicy): void;
}

/** While some group could not be read, it is asked again this often (not only at the refresh). */
export const STALE_RETRY_MS = 60_000;
/** Each copy of the app looks this often for what another copy heard (Slack sends an event to one). */
export const FOLLOW_MS = 5_000;

/**
 * The members of the user groups named in RESTORE_ADMINS and RESTORE_APPROVERS, kept current: read
 * from Slack at start and at each refresh, changed by Slack's events in between, stored for the CLI
 * and for the other copies of the app (follow). Every change hands the service a new policy. A group never read from Slack in this run gives
 * nobody anything, so the app never has more rights than configured; one that could not be read
 * again keeps the members Slack last gave, and the roles are "stale" until it is read.
 */
export class GroupRoles {
  readonly groups: readonly string[];
  private readonly members = new Map<string, Set<string>>();
  /** The group's update time (Slack's date_update, seconds) as of the last event applied. */
  private readonly lastUpdate = new Map<string, number>();
  /** When Slack last answered a full read of the group (ms): older events are in that answer. */
  private readonly readAt = new Map<string, number>();
  /** Groups whose last read failed (or that were never read). */
  private readonly unread = new Set<string>();
  /** Bumped by every change from an event: a read that started before one is outdated. */
  private readonly changes = new Map<string, number>();
  /** When this copy last stored each group (ms): a later stored reading is another copy's. */
  private readonly storedAt = new Map<string, number>();
  /** Readings stored before this copy started may be out of date: never taken from the database. */
  private readonly startedAt: number;

  constructor(private readonly deps: GroupRolesDeps) {
    this.startedAt = deps.clock.now().getTime();
    this.groups = userGroupsIn(deps.configured);
    for (const group of this.groups) this.unread.add(group);
    this.publish();
  }

  /** "stale" while some group's members could not be read from Slack. */
  state(): RolesState {
    return this.unread.size > 0 ? "stale" : "fresh";
  }

  /** Reads every group from Slack (at start, then as a safety net); a failure is logged, not thrown. */
  async refresh(): Promise<RolesState> {
    const failed: string[] = [];
    for (const group of this.groups) {
      if (!(await this.read(group))) failed.push(group);
    }
    if (failed.length > 0) {
      this.deps.log.warn(
        "Slack could not be asked for the members of some user groups: each keeps the members last read in this run, and one never read gives nobody a role; asked again every minute. User ids named in RESTORE_ADMINS and RESTORE_APPROVERS work meanwhile",
        { groups: failed },
      );
    }
    return this.state();
  }

  async membersChanged(change: MembersChanged): Promise<void> {
    if (!this.groups.includes(change.groupId)) return;
    const known = this.members.get(change.groupId);
    if (!known) {
      await this.read(change.groupId);
      return;
    }
    // Removals count at once, whatever the order events arrive in: never more rights than Slack says.
    for (const user of change.removed) known.delete(user);
    // The next change after the last one applied, or after the last full read: its additions count.
    const last = this.lastUpdate.get(change.groupId);
    const inSequence =
      last !== undefined ? change.previousUpdate === last : this.afterRead(change.groupId, change.update);
    if (inSequence) {
      for (const user of change.added) known.add(user);
      this.lastUpdate.set(change.groupId, change.update);
    }
    this.changed(change.groupId);
    await this.store(change.groupId);
    // An event missed or out of order (not a repeat of the last one): Slack's list is the truth.
    if (!inSequence && change.update !== last) await this.read(change.groupId);
  }

  async groupUpdated(update: GroupUpdated): Promise<void> {
    if (!this.groups.includes(update.groupId)) return;
    const last = this.lastUpdate.get(update.groupId);
    if (last !== undefined && update.update < last) return;
    const older = last === undefined && !this.afterRead(update.groupId, update.update);
    if (older || (!update.disabled && update.userIds.length < update.userCount)) {
      // Older than the last read (a late delivery), or the list Slack cuts at 500: read it again.
      await this.read(update.groupId);
      return;
    }
    this.members.set(update.groupId, new Set(update.disabled ? [] : update.userIds));
    this.lastUpdate.set(update.groupId, update.update);
    this.unread.delete(update.groupId);
    this.changed(update.groupId);
    await this.store(update.groupId);
  }

  /**
   * Takes the readings other copies of the app stored since this one started and after this one
   * last did: behind a load balancer, Slack delivers an event to one copy only.
   */
  async follow(): Promise<void> {
    const stored = await storedMemberships(this.deps.db, this.groups);
    let changed = false;
    for (const [groupId, reading] of stored) {
      const at = reading.readAt.getTime();
      if (at <= this.startedAt || at <= (this.storedAt.get(groupId) ?? 0)) continue;
      this.members.set(groupId, new Set(reading.userIds));
      this.storedAt.set(groupId, at);
      this.lastUpdate.delete(groupId);
      this.readAt.set(groupId, at);
      this.unread.delete(groupId);
      this.changes.set(groupId, (this.changes.get(groupId) ?? 0) + 1);
      changed = true;
    }
    if (changed) this.publish();
  }

  /**
   * Refreshes every `everyMs` (every minute while some group could not be read) and follows
   * other copies every few seconds. The timers keep no process alive.
   */
  startRefreshing(everyMs: number, followMs = FOLLOW_MS): { stop(): Promise<void> } {
    const refreshing = this.repeat(
      () => this.refresh(),
      () => (this.state() === "stale" ? Math.min(everyMs, STALE_RETRY_MS) : everyMs),
    );
    const following = this.repeat(
      () =>
        this.follow().catch((error: unknown) => {
          this.deps.log.warn("user groups' stored members could not be read", errorFields(error));
        }),
      () => followMs,
    );
    return {
      stop: async () => {
        await Promise.all([refreshing.stop(), following.stop()]);
      },
    };
  }

  private repeat(work: () => Promise<unknown>, delayMs: () => number): { stop(): Promise<void> } {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<unknown> = Promise.resolve();
    const schedule = () => {
      if (stopped) return;
      timer = setTimeout(() => {
        running = work().finally(schedule);
      }, delayMs());
      timer.unref();
    };
    schedule();
    return {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      },
    };
  }

  /** One group from Slack; false when Slack could not be asked. */
  private async read(groupId: string): Promise<boolean> {
    const before = this.changes.get(groupId) ?? 0;
    let userIds: string[] | null;
    try {
      userIds = await this.deps.readMembers(groupId);
    } catch (error) {
      this.unread.add(groupId);
      this.deps.log.warn("a user group's members could not be read from Slack", {
        group: groupId,
        cause: describeError(error),
      });
      return false;
    }
    // An event changed the group while Slack answered: the event is newer than this answer.
    if ((this.changes.get(groupId) ?? 0) !== before) return true;
    if (userIds === null) {
      this.deps.log.warn(
        "a user group in RESTORE_ADMINS or RESTORE_APPROVERS does not exist in Slack: it gives nobody a role; check the id",
        { group: groupId },
      );
    }
    this.members.set(groupId, new Set(userIds ?? []));
    this.lastUpdate.delete(groupId);
    this.readAt.set(groupId, this.deps.clock.now().getTime());
    this.unread.delete(groupId);
    this.publish();
    await this.store(groupId);
    return true;
  }

  /** Whether a change Slack dates `update` (seconds) came after the group's last full read. */
  private afterRead(groupId: string, update: number): boolean {
    return update * 1000 > (this.readAt.get(groupId) ?? 0);
  }

  private changed(groupId: string): void {
    this.changes.set(groupId, (this.changes.get(groupId) ?? 0) + 1);
    this.publish();
  }

  private publish(): void {
    this.deps.usePolicy(policyOf(this.deps.configured, this.members));
  }

  /** For the CLI; the roles in this process are already in force, so a failed write is only logged. */
  private async store(groupId: string): Promise<void> {
    const now = this.deps.clock.now();
    this.storedAt.set(groupId, now.getTime());
    try {
      await storeMembership(this.deps.db, groupId, this.members.get(groupId) ?? [], now);
    } catch (error) {
      this.deps.log.error("a user group's members could not be stored for the CLI", {
        group: groupId,
        ...errorFields(error),
      });
    }
  }
}
