import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { outbox, restoreRequests } from "../db/schema.ts";

/**
 * What a change owes people, as data: ids, never rendered messages (the Slack layer renders a
 * request's notices at send time from the request as it is then). Written into the outbox in the
 * transaction of the change, so the change and what it owes commit together or not at all.
 */
export type Notice =
  /** Ask the approvers: post the request where they decide it. */
  | { kind: "approval_asked"; requestId: string }
  /** The ask should show where the request stands now (decided, expired: no buttons). */
  | { kind: "approval_changed"; requestId: string }
  /** Tell the requester what became of their request. */
  | { kind: "requester_notice"; requestId: string }
  /** Remind the approvers, once, in the ask's thread. */
  | { kind: "approval_reminder"; requestId: string }
  /**
   * One message of a day's digest, as it was built that day (a digest is a snapshot). Part 0 is
   * the summary; the others go in its thread.
   */
  | {
      kind: "digest_message";
      channel: string;
      date: string;
      part: number;
      message: { text: string; blocks: unknown[] };
    };

export type NoticeKind = Notice["kind"];

/** A request's notices are sent in the order they were owed: the ask before its updates. */
function chainOf(notice: Notice): string {
  return notice.kind === "digest_message"
    ? `digest:${notice.channel}:${notice.date}`
    : `request:${notice.requestId}`;
}

/** A digest's messages are written once per channel and day, whoever writes them. */
function keyOf(notice: Notice): string | null {
  return notice.kind === "digest_message" ? `${chainOf(notice)}:${notice.part}` : null;
}

/** Writes what a change owes, in the caller's transaction. */
export async function enqueueNotices(tx: Db, notices: readonly Notice[], now: Date): Promise<void> {
  if (notices.length === 0) return;
  await tx
    .insert(outbox)
    .values(
      notices.map((notice) => ({
        kind: notice.kind,
        chain: chainOf(notice),
        key: keyOf(notice),
        notice: notice as unknown as Record<string, unknown>,
        availableAt: now,
        createdAt: now,
      })),
    )
    .onConflictDoNothing();
}

/** A decision (or an expiry) owes the approvers an updated ask and the requester a word. */
export function decisionNotices(requestId: string): Notice[] {
  return [
    { kind: "approval_changed", requestId },
    { kind: "requester_notice", requestId },
  ];
}

/**
 * Written with the delivery, in the same transaction: where the ask was posted, so later notices
 * (and clicks) find the message to update.
 */
export async function recordDelivery(
  tx: Db,
  notice: Notice,
  result: Record<string, unknown> | null,
): Promise<void> {
  if (notice.kind !== "approval_asked" || !result) return;
  const { channel, ts } = result;
  if (typeof channel !== "string" || typeof ts !== "string") return;
  await tx
    .update(restoreRequests)
    .set({ approvalMessage: { channel, ts } })
    .where(eq(restoreRequests.id, notice.requestId));
}

/** A row's notice, read without trusting its shape more than the kinds above. */
export function noticeOf(stored: Record<string, unknown>): Notice | null {
  const kind = stored.kind;
  if (kind === "digest_message") {
    const { channel, date, part, message } = stored;
    if (typeof channel !== "string" || typeof date !== "string" || typeof part !== "number") return null;
    if (typeof message !== "object" || message === null) return null;
    return stored as unknown as Notice;
  }
  if (
    (kind === "approval_asked" ||
      kind === "approval_changed" ||
      kind === "requester_notice" ||
      kind === "approval_reminder") &&
    typeof stored.requestId === "string"
  ) {
    return { kind, requestId: stored.requestId };
  }
  return null;
}
