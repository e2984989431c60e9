/**
 * GET /metrics: the app's Prometheus metrics. With METRICS_TOKEN set, only a scraper that sends it
 * as a bearer token gets them; the token is compared in constant time and never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { AppMetrics } from "../metrics/metrics.ts";
import { type Exchange, json } from "./exchange.ts";

export interface MetricsEndpoint {
  metrics: AppMetrics;
  /** Required as `Authorization: Bearer <token>` when set. */
  token: string | null;
}

export async function serveMetrics(ex: Exchange, endpoint: MetricsEndpoint): Promise<void> {
  if (endpoint.token !== null && !bearerMatches(ex.req.headers.authorization, endpoint.token)) {
    ex.reason = "the metrics token is missing or wrong";
    json(ex.res, 401, { ok: false, error: "unauthorized" }, { "www-authenticate": 'Bearer realm="metrics"' });
    return;
  }
  const { contentType, text } = await endpoint.metrics.scrape();
  ex.res
    .writeHead(200, {
      "content-type": contentType,
      "content-length": String(Buffer.byteLength(text)),
      "cache-control": "no-store",
    })
    .end(text);
}

/** Digests of equal length, so neither the token's length nor its first wrong byte shows in the time taken. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? "")?.[1] ?? "";
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}
