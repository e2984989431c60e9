/**
 * Slack's side of the metrics: how long each request waits for its ack, and every Web API call.
 * Both are hooked where Bolt hands work over (processEvent, the client's fetch), so no listener
 * records anything itself.
 */
import type { App, ReceiverEvent } from "@slack/bolt";
import type { FetchFunction } from "@slack/web-api";
import type { AckKind, AppMetrics } from "./metrics.ts";

/** The kind of a request Slack waits on, or null for those Bolt acknowledges itself (events). */
export function ackKindOf(body: Record<string, unknown>): AckKind | null {
  if (typeof body.command === "string") return "command";
  switch (body.type) {
    case "block_suggestion":
      return "options";
    case "block_actions":
      return "action";
    case "view_submission":
      return "submission";
    default:
      return null;
  }
}

/**
 * Times each request from the moment a receiver hands it to Bolt until it is acknowledged. Done by
 * wrapping processEvent, which every receiver calls (HTTP, Socket Mode, tests'): Bolt's middleware
 * gets a copy of the listener's arguments, so an ack cannot be wrapped there.
 */
export function timeAcks(app: App, metrics: AppMetrics): void {
  const process = app.processEvent.bind(app);
  app.processEvent = (event: ReceiverEvent) => {
    const kind = ackKindOf(event.body);
    if (!kind) return process(event);
    const started = performance.now();
    let acked = false;
    const ack: ReceiverEvent["ack"] = async (response) => {
      if (!acked) {
        acked = true;
        metrics.slackAck(kind, (performance.now() - started) / 1000);
      }
      return event.ack(response);
    };
    return process({ ...event, ack });
  };
}

/** A Web API method name as a label; anything else (a response_url, a file upload URL) is not a method. */
const METHOD = /^[a-z]+(\.[a-zA-Z]+)+$/;
const SLACK_ERROR = /^[a-z_]{1,64}$/;

/**
 * A fetch for the Web API client that times each call to `apiUrl` (each try, retries apart) and
 * counts its failures: Slack's `error` code from an `ok: false` answer, `http_<status>` (429 is
 * `ratelimited`), or `unreachable`. Other URLs (response_url) pass through unmeasured.
 */
export function measuredSlackFetch(metrics: AppMetrics, apiUrl: string): FetchFunction {
  return async (url, init) => {
    const href = String(url);
    const method = href.startsWith(apiUrl) ? href.slice(apiUrl.length).split("?")[0] : undefined;
    // Read at call time: tests' interceptors replace the global fetch.
    if (!method || !METHOD.test(method)) return globalThis.fetch(url, init as RequestInit);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let response: Response;
    try {
      response = await globalThis.fetch(url, init as RequestInit);
    } catch (error) {
      metrics.slackApiCall(method, seconds(), "unreachable");
      throw error;
    }
    metrics.slackApiCall(method, seconds(), await failureOf(response));
    return response;
  };
}

async function failureOf(response: Response): Promise<string | null> {
  if (response.status === 429) return "ratelimited";
  if (response.status !== 200) return `http_${response.status}`;
  try {
    const body = (await response.clone().json()) as { ok?: unknown; error?: unknown };
    if (body.ok !== false) return null;
    return typeof body.error === "string" && SLACK_ERROR.test(body.error) ? body.error : "unknown";
  } catch {
    return "unreadable";
  }
}
