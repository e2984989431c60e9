/**
 * Restoring now, one account or a batch: the provider asked first, the account locked, the request
 * claimed once per idempotency key, then executeRestore. A provider that acted before our
 * transaction failed is said so, never "nothing was restored".
 */

import { eq } from "drizzle-orm";
import { isUniqueViolation } from "../db/errors.ts";
import { restoreRequests } from "../db/schema.ts";
import { said } from "../i18n/said.ts";
import { describeError, errorFields } from "../log.ts";
import type { DirectoryConnector, RestoredUser } from "../providers/port.ts";
import { recordAudit, refreshStepSaid } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { executeRestore, loadDirectory, lockForRestore, type RestoreDone } from "./execute.ts";
import { resolveAccount } from "./lookup.ts";
import { type Refusal, Refused, refusalsAsValues } from "./outcome.ts";
import type { RestoreChoices } from "./plan-types.ts";
import { checkProvider } from "./provider-ask.ts";
import { claimRequest, repeatOf, toJson } from "./requests.ts";

export type BatchItem = { accountId: string; outcome: RestoreDone | Refusal };

/**
 * Restores one account now (or re-creates it where the directory cannot restore), under its row
 * lock, once per idempotency key. Replace is not done here: it needs an approved request.
 */
export async function restoreNow(
  ctx: ServiceContext,
  actor: string,
  accountId: string,
  choices: RestoreChoices,
  key?: string,
): Promise<RestoreDone> {
  const connector = await checkProvider(ctx, accountId, choices.renameTo);
  const now = ctx.clock.now();
  const acted = new ProviderActed();
  return acted.guard(ctx, { actor, accountId, now, connector }, () =>
    withRaceMessage(() =>
      ctx.db.transaction(async (tx): Promise<RestoreDone> => {
        // Lock the account before the request row references it: inserting the request takes a
        // key-share lock on the account, and ten of those waiting to upgrade would deadlock.
        const locked = await lockForRestore(tx, accountId);
        const { account } = locked;
        const claimed = await claimRequest(tx, {
          idempotencyKey: key ?? null,
          kind: "restore",
          directoryId: account.directoryId,
          accountId,
          requestedBy: actor,
          choices,
          status: "completed",
          createdAt: now,
        });
        if (!claimed.fresh) return repeatOf(claimed.request);
        const { record, temporaryPassword } = await executeRestore(
          tx,
          {
            actor,
            now,
            requestId: claimed.request.id,
            allowReplace: false,
            connector,
            acted: acted.seen,
            log: ctx.log,
          },
          locked,
          choices,
        );
        await tx
          .update(restoreRequests)
          .set({
            result: toJson(record),
            decidedAt: now,
            decidedBy: actor,
            // Shown in this very answer: nobody collects it again later.
            passwordIssuedAt: temporaryPassword ? now : null,
          })
          .where(eq(restoreRequests.id, claimed.request.id));
        return { type: "restored", ...record, temporaryPassword, repeated: false };
      }),
    ),
  );
}

/**
 * Several accounts, each checked and restored on its own: one failure rolls back nothing else.
 * Rename does not apply to a batch (each account needs its own name).
 */
export async function restoreBatch(
  ctx: ServiceContext,
  actor: string,
  refs: string[],
  choices: Omit<RestoreChoices, "renameTo" | "replace">,
  idempotencyKey: string | undefined,
): Promise<BatchItem[]> {
  const items: BatchItem[] = [];
  for (const [i, ref] of refs.entries()) {
    const key = idempotencyKey ? `${idempotencyKey}:${i}` : undefined;
    const outcome = await refusalsAsValues(async () => {
      const account = await resolveAccount(ctx.db, ref);
      const directory = await loadDirectory(ctx.db, account.directoryId);
      if (refs.length > 1 && !directory.capabilities.batchRestore) {
        throw new Refused("batch_not_supported", said("refusal.oneAtATime", { provider: directory.name }));
      }
      return restoreNow(ctx, actor, account.id, choices, key);
    });
    items.push({ accountId: ref, outcome });
  }
  return items;
}

/**
 * The provider acted, then our transaction failed as a whole (the database went away, the commit
 * failed): the admin must not read "nothing was restored". Records what it can, in a transaction
 * of its own, and says exactly what happened.
 */
export async function providerActedButNotRecorded(
  ctx: Pick<ServiceContext, "db" | "log">,
  input: { actor: string; accountId: string; now: Date; connector: DirectoryConnector },
  user: RestoredUser,
  error: unknown,
): Promise<Refused> {
  const { connector } = input;
  ctx.log.error("a provider acted but the restore could not be recorded", {
    provider: connector.name,
    ...errorFields(error),
  });
  const cause = error instanceof Error ? describeError(error) : "the database failed";
  try {
    await recordAudit(ctx.db, {
      at: input.now,
      actor: input.actor,
      action: "needs_attention",
      directoryId: connector.kind,
      accountIds: [input.accountId],
      after: { externalId: user.externalId, userName: user.userName, displayName: user.displayName },
      details: {
        provider: connector.name,
        providerId: user.externalId,
        cause: "the restore was not recorded",
      },
    });
  } catch (again) {
    ctx.log.error("could not record that a provider acted", { ...errorFields(again) });
  }
  return new Refused(
    "not_recorded",
    said("refusal.notRecorded", {
      name: user.displayName,
      userName: user.userName,
      provider: connector.name,
      cause,
      refresh: refreshStepSaid(input.accountId, connector.name),
    }),
  );
}

/** The unique indexes catch what a plan could not see: a name taken between check and write. */
export async function withRaceMessage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new Refused("race", said("refusal.race.restore"));
    }
    throw error;
  }
}

/** Remembers whether the provider acted during a unit of work, to word a later failure truthfully. */
export class ProviderActed {
  private user: RestoredUser | null = null;
  readonly seen = (user: RestoredUser): void => {
    this.user = user;
  };
  async guard<T>(
    ctx: Pick<ServiceContext, "db" | "log">,
    input: { actor: string; accountId: string; now: Date; connector: DirectoryConnector | null },
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const { connector } = input;
      if (!this.user || !connector || error instanceof Refused) throw error;
      throw await providerActedButNotRecorded(ctx, { ...input, connector }, this.user, error);
    }
  }
}
