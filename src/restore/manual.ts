/**
 * What an admin can ask for now that otherwise runs on a schedule: a sync of providers' bins into
 * the mirror, and a preview of a day's digest.
 */

import { buildDigest, type Digest } from "../digest/build.ts";
import { isLocalDate, localDateOf, zonedTime } from "../digest/calendar.ts";
import { said } from "../i18n/said.ts";
import { type SyncResult, syncDirectory } from "../mirror/sync.ts";
import { ProviderError } from "../providers/port.ts";
import { digestJob, lastFinished } from "../schedule/runs.ts";
import type { ServiceContext } from "./context.ts";
import { Refused } from "./outcome.ts";

/**
 * Copies providers' deleted users into the mirror now (the scheduler also does, claimed once per
 * slot). One directory, or every configured provider.
 */
export async function syncNow(
  ctx: ServiceContext,
  actor: string,
  directoryId?: string,
): Promise<SyncResult[]> {
  const all = [...ctx.connectors.values()];
  if (all.length === 0) {
    throw new Refused("invalid_input", said("refusal.sync.noProvider"));
  }
  const chosen = directoryId ? all.filter((c) => c.kind === directoryId) : all;
  if (chosen.length === 0) {
    throw new Refused(
      "not_found",
      said("refusal.sync.unknownProvider", {
        id: directoryId ?? "",
        configured: all.map((c) => c.kind).join(", "),
      }),
    );
  }
  const results: SyncResult[] = [];
  for (const connector of chosen) {
    try {
      results.push(await syncDirectory(ctx.db, connector, () => ctx.clock.now(), { actor, log: ctx.log }));
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      throw new Refused(
        "provider",
        results.length
          ? said("refusal.sync.failedAfter", {
              error: error.message,
              synced: results.map((r) => r.directoryId).join(", "),
            })
          : said("refusal.sync.failed", { error: error.message }),
      );
    }
  }
  return results;
}

/**
 * A day's digest as it would be sent, for an admin or approver to preview: today's as of now,
 * another day's as of its digest time. Purges are counted since the channel's last digest.
 */
export async function previewDigest(
  ctx: Pick<ServiceContext, "db" | "clock">,
  settings: { timeZone: string; windowDays: number; time: string; channel: string | null },
  date?: string,
): Promise<Digest> {
  const now = ctx.clock.now();
  const today = localDateOf(now, settings.timeZone);
  const day = date ?? today;
  if (!isLocalDate(day)) {
    throw new Refused("invalid_input", said("refusal.badDay", { day }));
  }
  const at = day === today ? now : zonedTime(day, settings.time, settings.timeZone);
  return buildDigest(ctx.db, {
    date: day,
    timeZone: settings.timeZone,
    windowDays: settings.windowDays,
    now: at,
    since: settings.channel ? await lastFinished(ctx.db, digestJob(settings.channel), at) : null,
  });
}
