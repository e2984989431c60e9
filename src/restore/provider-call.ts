/**
 * Calling a provider during a restore: its refusals become the plan's conflicts or a sentence that
 * names the provider and the next step, and a replace's removal is undone when the restore that
 * should follow it fails.
 */

import { eq } from "drizzle-orm";
import { snapshotOf } from "../accounts/rows.ts";
import type { Db } from "../db/client.ts";
import { type Account, type AccountSnapshot, type Directory, departments } from "../db/schema.ts";
import { type Said, said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";
import { type DirectoryConnector, ProviderError, type RestoredUser } from "../providers/port.ts";
import { Refused } from "./outcome.ts";
import { withProviderConflict } from "./plan.ts";
import type { AccountSummary, RestorePlan } from "./plan-types.ts";

/** What a replace removed, for undoing it when the restore that should follow fails. */
export interface Removed {
  externalId: string;
  summary: AccountSummary;
}

/**
 * Calls the provider; a ProviderError becomes a refusal that names the provider and its code, so
 * the transaction rolls back and the admin reads why. A conflict the provider found that our
 * check could not see (a group holding the address, a race with its console) comes back as the
 * same conflict in the plan, with the choices the directory has.
 */
export async function callProvider<T>(
  tx: Db,
  plan: RestorePlan,
  directory: Directory,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    if (error.conflict) {
      const message = providerFailureSaid(error, said("refusal.outcome.nothingRestored"));
      // A department the provider says is gone: offer the ones the last sync listed.
      const known =
        error.conflict === "department"
          ? (
              await tx
                .select({ name: departments.name })
                .from(departments)
                .where(eq(departments.directoryId, directory.id))
            ).map((d) => d.name)
          : [];
      throw new Refused("blocked", message, {
        plan: withProviderConflict(plan, error.conflict, message, directory.capabilities, known),
      });
    }
    throw new Refused("provider", providerFailureSaid(error, said("refusal.outcome.nothingRestored")), {
      plan,
    });
  }
}

/**
 * What happened, what it means for the account, and what to do next, in that order:
 * "Google Workspace: the app may not manage users (403). Nothing was restored. Give the service
 * account domain-wide delegation … and try again."
 */
export function providerFailureSaid(error: ProviderError, outcome: Said | string): Said {
  // The provider's words (and the connector's next step) are data: said as they came, escaped.
  const next =
    error.details.nextStepSaid ??
    error.nextStep ??
    (error.transient ? said("refusal.provider.tryLater") : null);
  return next
    ? said("refusal.provider.next", { error: error.message, outcome, next })
    : said("refusal.provider", { error: error.message, outcome });
}

/** `providerFailureSaid` in English (`outcome` already English): as the logs and tests read it. */
export function providerFailure(error: ProviderError, outcome: string): string {
  return say(ENGLISH, providerFailureSaid(error, outcome));
}

/**
 * The restore (or re-creation) in the provider, as the plan says. If it fails after an approved
 * replace removed the active holder there, the holder is put back, and the admin is told which.
 */
export async function restoreInProvider(
  tx: Db,
  connector: DirectoryConnector,
  { account, directory }: { account: Account; directory: Directory },
  plan: RestorePlan,
  password: string | null,
  removed: Removed | null,
): Promise<RestoredUser> {
  const o = plan.outcome;
  const source = account.snapshot ?? snapshotOf(account);
  const input = {
    externalId: account.externalId,
    user: { externalId: account.externalId, ...source },
    newUserName: o.userName === account.userName ? null : o.userName,
    dropAliases: o.droppedAliases,
    // Also when the email changes with a rename: the old address stays with whoever holds it now.
    dropEmail: account.email !== null && o.email?.toLowerCase() !== account.email.toLowerCase(),
    newEmail: o.email && o.email.toLowerCase() !== account.email?.toLowerCase() ? o.email : null,
    dropPhone: account.phone !== null && o.phone === null,
    department: o.department,
    license: o.license,
    temporaryPassword: password,
  };
  try {
    return await callProvider(tx, plan, directory, () =>
      plan.action === "restore" ? connector.restore(input) : connector.recreate(input),
    );
  } catch (error) {
    if (!removed || !(error instanceof Refused)) throw error;
    // The replaced user is already deleted in the provider: put it back, so a failed replace
    // leaves both accounts as they were.
    const who = {
      failure: error.said,
      name: removed.summary.displayName,
      userName: removed.summary.userName,
    };
    try {
      if (!connector.profile.capabilities.canRestore) throw new Error("cannot restore");
      await connector.restore({
        externalId: removed.externalId,
        user: { externalId: removed.externalId, ...snapshotFromSummary(removed.summary) },
        newUserName: null,
        dropAliases: [],
        dropEmail: false,
        newEmail: null,
        dropPhone: false,
        department: null,
        license: null,
        temporaryPassword: null,
      });
    } catch {
      throw new Refused(
        "provider",
        said("refusal.replace.notPutBack", { ...who, provider: connector.name }),
        {
          plan,
        },
      );
    }
    throw new Refused("provider", said("refusal.replace.putBack", who), { plan });
  }
}

function snapshotFromSummary(s: AccountSummary): AccountSnapshot {
  return {
    userName: s.userName,
    email: s.email,
    aliases: [],
    phone: null,
    displayName: s.displayName,
    givenName: null,
    familyName: null,
    department: s.department,
    license: s.license,
  };
}
