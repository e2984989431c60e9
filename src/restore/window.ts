import type { Account } from "../db/schema.ts";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** How long a `needs_attention` event is shown in App Home and the digest. */
export const ATTENTION_DAYS = 7;

/** Where an account stands in its lifecycle at a given moment, and whether it can come back. */
export type Restorability =
  | { state: "active" }
  /** The directory is still deleting it: listed, but restorable only from `restorableFrom`. */
  | { state: "deleting"; restorableFrom: Date; expiresAt: Date | null; daysLeft: number | null }
  /** Restorable now; `expiresAt` null means no countdown (Okta keeps deactivated users). */
  | { state: "deleted"; expiresAt: Date | null; daysLeft: number | null }
  /** The window has ended; the purge has not run yet, but it is gone for good. */
  | { state: "expired"; expiredAt: Date }
  | { state: "purged" }
  /** A directory that cannot restore already re-created it as a new account. */
  | { state: "recreated"; recreatedAs: string };

type WindowFields = Pick<Account, "status" | "purgeAfter" | "deletionCompletesAt" | "recreatedAs">;

/** Whole days left before the window ends: 0 means it ends within the next 24 hours. */
export function daysLeft(expiresAt: Date, now: Date): number {
  return Math.floor((expiresAt.getTime() - now.getTime()) / DAY_MS);
}

export function restorability(account: WindowFields, now: Date): Restorability {
  if (account.recreatedAs) return { state: "recreated", recreatedAs: account.recreatedAs };
  switch (account.status) {
    case "active":
      return { state: "active" };
    case "purged":
      return { state: "purged" };
    case "deleting":
    case "deleted": {
      const expiresAt = account.purgeAfter;
      if (expiresAt && expiresAt.getTime() <= now.getTime())
        return { state: "expired", expiredAt: expiresAt };
      const left = expiresAt ? daysLeft(expiresAt, now) : null;
      const completes = account.deletionCompletesAt;
      if (account.status === "deleting" && completes && completes.getTime() > now.getTime()) {
        return { state: "deleting", restorableFrom: completes, expiresAt, daysLeft: left };
      }
      return { state: "deleted", expiresAt, daysLeft: left };
    }
  }
}

export function isRestorable(r: Restorability): r is Extract<Restorability, { state: "deleted" }> {
  return r.state === "deleted";
}

/** "expires today", "1 day left", "12 days left": the countdown admins need everywhere an account appears. */
export function describeDaysLeft(days: number): string {
  if (days <= 0) return "expires today";
  return days === 1 ? "1 day left" : `${days} days left`;
}

/** One line for any state, in words an admin reads at a glance (plain text: callers escape for their medium). */
export function describeRestorability(r: Restorability): string {
  switch (r.state) {
    case "active":
      return "active";
    case "deleting":
      return `deletion still in progress, restorable from ${formatTime(r.restorableFrom)}`;
    case "deleted":
      return r.daysLeft === null ? "restorable, no time limit" : describeDaysLeft(r.daysLeft);
    case "expired":
      return `cannot be restored: the restore window ended ${formatTime(r.expiredAt)}`;
    case "purged":
      return "cannot be restored: purged";
    case "recreated":
      return "already re-created as a new account";
  }
}

/** ISO minute precision in UTC: unambiguous in a terminal and in logs. */
export function formatTime(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
