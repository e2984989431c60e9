/**
 * The app's Prometheus metrics: one registry per app instance (never prom-client's global one, so
 * tests and two apps in one process keep theirs apart), with small functions that the edges call
 * (the HTTP front door, the Slack layer, the service's results, the provider connectors). Labels
 * are fixed words (kinds, outcomes, Slack method names, provider kinds, directory ids): never a
 * person's name, address, Slack user id, account id or request id.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

const PREFIX = "restore_user_";

/** Slack waits 3 s for an ack; the buckets are dense below that. */
const ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 3, 5];
/** Web API and provider calls: milliseconds when well, tens of seconds with retries. */
const CALL_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A database read at scrape time gives up after this: Prometheus's own scrape timeout is 10 s. */
const READ_TIMEOUT_MS = 2_000;

export type AckKind = "command" | "options" | "action" | "submission";

/** A value read from the database at scrape time; null leaves the series out. */
export type Reading<T> = () => Promise<T>;

export class AppMetrics {
  readonly registry = new Registry();

  private readonly ack = new Histogram({
    name: `${PREFIX}slack_ack_seconds`,
    help: "Time from a Slack request reaching the app to its acknowledgement, by kind.",
    labelNames: ["kind"] as const,
    buckets: ACK_BUCKETS,
    registers: [this.registry],
  });
  private readonly webApi = new Histogram({
    name: `${PREFIX}slack_api_call_seconds`,
    help: "Slack Web API calls (each try), by method.",
    labelNames: ["method"] as const,
    buckets: CALL_BUCKETS,
    registers: [this.registry],
  });
  private readonly webApiErrors = new Counter({
    name: `${PREFIX}slack_api_errors_total`,
    help: "Slack Web API calls that failed, by method and Slack's error code (or http_<status>, unreachable).",
    labelNames: ["method", "error"] as const,
    registers: [this.registry],
  });
  private readonly restores = new Counter({
    name: `${PREFIX}restores_total`,
    help: "Restores asked for, by directory and outcome (restored, recreated, repeated, a refusal's code, error).",
    labelNames: ["directory", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly replaces = new Counter({
    name: `${PREFIX}replace_requests_total`,
    help: "Replace requests by outcome: requested, approval_recorded, approved, failed, rejected, expired.",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly providerCalls = new Histogram({
    name: `${PREFIX}provider_call_seconds`,
    help: "Identity provider calls (retries included), by provider and operation.",
    labelNames: ["provider", "operation"] as const,
    buckets: CALL_BUCKETS,
    registers: [this.registry],
  });
  private readonly providerErrors = new Counter({
    name: `${PREFIX}provider_errors_total`,
    help: "Identity provider calls that failed, by provider and operation.",
    labelNames: ["provider", "operation"] as const,
    registers: [this.registry],
  });
  private readonly takeovers = new Counter({
    name: `${PREFIX}lease_takeovers_total`,
    help: "Scheduled runs this copy took over from a holder whose lease lapsed, by job.",
    labelNames: ["job"] as const,
    registers: [this.registry],
  });
  private readonly importRows = new Counter({
    name: `${PREFIX}import_rows_total`,
    help: "Rows of imported files, by directory and outcome (inserted, skipped, rejected).",
    labelNames: ["directory", "outcome"] as const,
    registers: [this.registry],
  });

  constructor() {
    // Node's process metrics under their usual names (process_*, nodejs_*), as dashboards expect.
    collectDefaultMetrics({ register: this.registry });
  }

  /** The scrape: Prometheus's text format and its content type. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  slackAck(kind: AckKind, seconds: number): void {
    this.ack.observe({ kind }, seconds);
  }

  slackApiCall(method: string, seconds: number, error: string | null): void {
    this.webApi.observe({ method }, seconds);
    if (error) this.webApiErrors.inc({ method, error });
  }

  restore(directory: string, outcome: string): void {
    this.restores.inc({ directory, outcome });
  }

  replaceRequest(outcome: string, count = 1): void {
    if (count > 0) this.replaces.inc({ outcome }, count);
  }

  providerCall(provider: string, operation: string, seconds: number, failed: boolean): void {
    this.providerCalls.observe({ provider, operation }, seconds);
    if (failed) this.providerErrors.inc({ provider, operation });
  }

  /** `job` as claimed (digest:C012…, sync:entra): labelled by its kind only (digest, sync, housekeeping). */
  leaseTakenOver(job: string): void {
    this.takeovers.inc({ job: job.split(":")[0] ?? job });
  }

  imported(directory: string, counts: { inserted: number; skipped: number; rejected: number }): void {
    for (const [outcome, n] of Object.entries(counts)) {
      if (n > 0) this.importRows.inc({ directory, outcome }, n);
    }
  }

  /**
   * State that lives in Postgres and is shared by every copy of the app (pending requests, the last
   * sync, the last digest), read at each scrape so every copy reports the same truth. A failed read
   * does not fail the scrape: a series with labels is left out, one without says NaN (unknown).
   */
  readAtScrape(
    readings: {
      pendingReplaces: Reading<number>;
      /** Seconds since each provider's last successful sync (providers never synced are left out). */
      syncAges: Reading<{ provider: string; seconds: number }[]>;
      /** When the last daily digest was done, or null. */
      digestLastSent: Reading<Date | null>;
    },
    onError: (what: string, error: unknown) => void,
  ): void {
    const guarded = <T>(what: string, read: Reading<T>, set: (gauge: Gauge<string>, value: T) => void) =>
      async function (this: Gauge<string>) {
        this.reset();
        try {
          set(this, await withinTime(read(), READ_TIMEOUT_MS));
        } catch (error) {
          onError(what, error);
          // reset() leaves a gauge without labels at 0, which would read as a real value.
          if (this !== syncAge) this.set(Number.NaN);
        }
      };
    new Gauge({
      name: `${PREFIX}replace_requests_pending`,
      help: "Replace requests waiting for approval now.",
      registers: [this.registry],
      collect: guarded("pending replace requests", readings.pendingReplaces, (g, n) => g.set(n)),
    });
    const syncAge = new Gauge({
      name: `${PREFIX}provider_sync_age_seconds`,
      help: "Seconds since each provider's last successful scheduled sync (absent until its first).",
      labelNames: ["provider"] as const,
      registers: [this.registry],
      collect: guarded("last syncs", readings.syncAges, (g, ages) => {
        for (const { provider, seconds } of ages) g.set({ provider }, seconds);
      }),
    });
    new Gauge({
      name: `${PREFIX}digest_last_sent_timestamp_seconds`,
      help: "When the last daily digest was done (queued for Slack), as a Unix time; 0 before the first.",
      registers: [this.registry],
      collect: guarded("last digest", readings.digestLastSent, (g, at) => {
        if (at) g.set(at.getTime() / 1000);
      }),
    });
  }
}

/** The value, or a rejection once `ms` have passed (the read itself is left to finish). */
async function withinTime<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  // Abandoned after the timeout: its late failure must not surface as an unhandled rejection.
  work.catch(() => {});
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
