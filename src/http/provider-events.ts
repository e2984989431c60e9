/**
 * POST /directories/<kind>/events: deletions pushed by a provider (Lark). The connector checks that
 * the event comes from the provider and reads it; this checks that its deletion time is believable
 * before the mirror takes it.
 */
import type { Db } from "../db/client.ts";
import type { Logger } from "../log.ts";
import { upsertDeleted } from "../mirror/sync.ts";
import type { DirectoryConnector } from "../providers/port.ts";
import { readBody, tooLarge, utf8 } from "./body.ts";
import { type Exchange, json, refuse } from "./exchange.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ProviderEventDeps {
  db: Db;
  now: () => Date;
  log: Logger;
}

export async function providerEvents(
  ex: Exchange,
  connector: DirectoryConnector,
  deps: ProviderEventDeps,
): Promise<void> {
  const body = await readBody(ex.req);
  if (body.kind === "too large") return tooLarge(ex, body.drained);
  const rawBody = utf8(body.bytes);
  if (rawBody === null) return refuse(ex, 400, "bad request", "body is not UTF-8");
  const headers = Object.fromEntries(
    Object.entries(ex.req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]),
  );
  const read = connector.readEvent?.({ rawBody, headers });
  if (!read) return refuse(ex, 404, "not found", "directory takes no events");
  if (read.kind === "challenge") return json(ex.res, 200, { challenge: read.challenge });
  if (read.kind === "rejected") return refuse(ex, 401, "unauthorized", `${connector.name}: ${read.reason}`);
  if (read.kind === "deleted") {
    const now = deps.now();
    const unbelievable = deletionTimeProblem(read.user.deletedAt, now, connector.profile.retentionDays);
    if (unbelievable) return refuse(ex, 400, "bad request", `${connector.name}: ${unbelievable}`);
    await upsertDeleted(deps.db, connector.kind, connector.profile.retentionDays, [read.user], now);
    deps.log.info("provider reported a deletion", {
      provider: connector.name,
      externalId: read.user.externalId,
    });
  }
  json(ex.res, 200, { ok: true });
}

/**
 * Why a reported deletion time cannot be true, or null. A deletion is reported as it happens (Lark
 * retries for hours, not days), so a time in the future (beyond a day of clock skew) or older than
 * the retention window plus a year (1970, say) is a broken or forged event: stored, it would become
 * the account's window.
 */
export function deletionTimeProblem(
  deletedAt: Date | null,
  now: Date,
  retentionDays: number | null,
): string | null {
  if (deletedAt === null) return null;
  const at = deletedAt.getTime();
  if (!Number.isFinite(at)) return "deletion time is not a date";
  const oldestDays = (retentionDays ?? 0) + 365;
  if (at < now.getTime() - oldestDays * DAY_MS) {
    return `deletion time ${deletedAt.toISOString()} is more than ${oldestDays} days ago`;
  }
  if (at > now.getTime() + DAY_MS) return `deletion time ${deletedAt.toISOString()} is in the future`;
  return null;
}
