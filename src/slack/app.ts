import { App, HTTPReceiver, type Receiver, SocketModeReceiver } from "@slack/bolt";
import { WebClient, type WebClientOptions } from "@slack/web-api";
import { errorFields } from "../log.ts";
import { measuredSlackFetch, timeAcks } from "../metrics/slack.ts";
import type { SlackDeps } from "./deps.ts";
import { registerListeners } from "./listeners/index.ts";
import { slackLogger } from "./logger.ts";

/** The longest a listener's Web API call (views.open, a private reply) may take. */
const LISTENER_CALL_TIMEOUT_MS = 10_000;

export interface SlackApp {
  app: App;
  /** HTTP mode: hand it requests to /slack/events (main serves it next to /healthz). */
  http: HTTPReceiver | null;
  /** Socket Mode: started and stopped with the app. */
  socket: SocketModeReceiver | null;
}

export interface SlackAppOptions {
  /** A receiver of the caller's own (tests hand bodies to app.processEvent). */
  receiver?: Receiver;
  /** Extra Web API client options (tests turn retries off). */
  clientOptions?: WebClientOptions;
}

/**
 * The Bolt app: Socket Mode with an app token, otherwise HTTP mode with the signing secret. The
 * token is handed over by `authorize`, so starting makes no call to Slack.
 */
export function createSlackApp(deps: SlackDeps, options: SlackAppOptions = {}): SlackApp {
  const { settings } = deps;
  const logger = slackLogger(deps.log, "bolt");
  let http: HTTPReceiver | null = null;
  let socket: SocketModeReceiver | null = null;
  let receiver = options.receiver;
  if (!receiver && settings.appToken) {
    // An app token means Socket Mode (a laptop, no public URL), even if a signing secret is set.
    socket = new SocketModeReceiver({ appToken: settings.appToken, logger });
    useApiUrl(socket, settings.appToken, settings.apiUrl, logger, options.clientOptions);
    receiver = socket;
  } else if (!receiver && settings.signingSecret) {
    http = new HTTPReceiver({
      signingSecret: settings.signingSecret,
      endpoints: "/slack/events",
      logger,
      // Slack gives up after 3 s; a listener that never acknowledges is answered before that.
      unhandledRequestTimeoutMillis: 2900,
    });
    receiver = http;
  }
  const app = new App({
    receiver: receiver as Receiver,
    authorize: async () => ({ botToken: settings.botToken }),
    logger,
    // Bolt's conversation store keeps per-channel state we never read; it is a middleware and a
    // cache write on every request, so it is off.
    convoStore: false,
    // A Web API call that never answers would hold its listener for ever: none waits past this.
    clientOptions: {
      slackApiUrl: settings.apiUrl,
      timeout: LISTENER_CALL_TIMEOUT_MS,
      ...(deps.metrics ? { fetch: measuredSlackFetch(deps.metrics, settings.apiUrl) } : {}),
      ...options.clientOptions,
    },
  });
  if (deps.metrics) timeAcks(app, deps.metrics);
  app.error(async (error) => {
    deps.log.error("slack listener failed", errorFields(error));
  });
  registerListeners(app, deps);
  return { app, http, socket };
}

/**
 * Socket Mode asks apps.connections.open for its WebSocket URL with a client of its own, and
 * Bolt's SocketModeReceiver passes it no options: without this, GovSlack (or a local fake) would
 * be asked at slack.com. The client is replaced before start with one on SLACK_API_URL, set up as
 * SocketModeClient sets up its own (the app token, patient retries).
 */
function useApiUrl(
  socket: SocketModeReceiver,
  appToken: string,
  slackApiUrl: string,
  logger: ReturnType<typeof slackLogger>,
  clientOptions: WebClientOptions = {},
): void {
  (socket.client as unknown as { webClient: WebClient }).webClient = new WebClient("", {
    logger,
    headers: { Authorization: `Bearer ${appToken}` },
    retryConfig: { retries: 100, factor: 1.3 },
    ...clientOptions,
    slackApiUrl,
  });
}
