/**
 * The service's results as metrics: restores by directory and outcome, replace requests by
 * outcome, imported rows. Read from what the service returns, so no rule knows about metrics.
 */
import type { RestoreDone } from "../restore/execute.ts";
import { isRefusal, type Refusal } from "../restore/outcome.ts";
import type { RestoreService } from "../restore/service.ts";
import type { AppMetrics } from "./metrics.ts";

/** A refusal names no directory unless it came with a plan. */
const UNKNOWN = "unknown";

export function recordRestore(metrics: AppMetrics, result: RestoreDone | Refusal): void {
  if (isRefusal(result)) {
    metrics.restore(result.plan?.directory.id ?? UNKNOWN, result.code);
    return;
  }
  const outcome = result.repeated ? "repeated" : result.action === "recreate" ? "recreated" : "restored";
  metrics.restore(result.account.directoryId, outcome);
}

/** Counts the result, and a failure (the database gone) as `error`, then hands it on unchanged. */
async function counted<T>(work: Promise<T>, record: (result: T) => void, failed: () => void): Promise<T> {
  let result: T;
  try {
    result = await work;
  } catch (error) {
    failed();
    throw error;
  }
  record(result);
  return result;
}

/**
 * The same service, with the results of the calls that change things counted. Every other
 * method is the service's own.
 */
export function withMetrics(service: RestoreService, metrics: AppMetrics): RestoreService {
  const restoreFailed = () => metrics.restore(UNKNOWN, "error");
  const none = () => {};
  const expiredOr = (result: unknown, outcome: string | null) => {
    if (isRefusal(result)) {
      if (result.code === "expired") metrics.replaceRequest("expired");
    } else if (outcome) metrics.replaceRequest(outcome);
  };
  const measured: Partial<RestoreService> = {
    restore: (...args) => counted(service.restore(...args), (r) => recordRestore(metrics, r), restoreFailed),
    restoreMany: (...args) =>
      counted(
        service.restoreMany(...args),
        (items) => {
          if (isRefusal(items)) metrics.restore(UNKNOWN, items.code);
          else for (const item of items) recordRestore(metrics, item.outcome);
        },
        restoreFailed,
      ),
    requestReplace: (...args) =>
      counted(
        service.requestReplace(...args),
        (r) => {
          if (!isRefusal(r) && !r.repeated) metrics.replaceRequest("requested");
        },
        none,
      ),
    approve: (...args) =>
      counted(
        service.approve(...args),
        (r) => {
          if (!isRefusal(r) && r.type === "restored") recordRestore(metrics, r);
          expiredOr(r, isRefusal(r) ? null : r.type === "restored" ? "approved" : r.type);
        },
        none,
      ),
    reject: (...args) => counted(service.reject(...args), (r) => expiredOr(r, "rejected"), none),
    expirePending: () =>
      counted(service.expirePending(), (expired) => metrics.replaceRequest("expired", expired.length), none),
    importAccounts: (...args) =>
      counted(
        service.importAccounts(...args),
        (r) => {
          if (!isRefusal(r))
            metrics.imported(r.directoryId, {
              inserted: r.inserted,
              skipped: r.skipped,
              rejected: r.rejected.length,
            });
        },
        none,
      ),
  };
  return new Proxy(service, {
    get: (target, key, receiver) =>
      key in measured ? measured[key as keyof RestoreService] : Reflect.get(target, key, receiver),
  });
}
