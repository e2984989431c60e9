import type { WebClient } from "@slack/web-api";
import type { Clock } from "../clock.ts";
import type { RestoreRequest } from "../db/schema.ts";
import type { PostMessage } from "../digest/send.ts";
import type { HousekeepingNotifier } from "../schedule/housekeeping.ts";
import { approvalMessage, reminderText, requesterNotice } from "./blocks/approval.ts";

/** Scheduled work's voice in Slack: the digest's messages, expiries, reminders. */
export function slackNotifier(client: WebClient, clock: Clock): HousekeepingNotifier & { post: PostMessage } {
  return {
    post: async ({ channel, text, blocks, threadTs }) => {
      const posted = await client.chat.postMessage({
        channel,
        text,
        blocks,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        unfurl_links: false,
      });
      return { ts: String(posted.ts) };
    },
    expired: async (request: RestoreRequest) => {
      if (request.approvalMessage) {
        await client.chat.update({
          channel: request.approvalMessage.channel,
          ts: request.approvalMessage.ts,
          ...approvalMessage(request, clock.now()),
        });
      }
      await client.chat.postMessage({ channel: request.requestedBy, ...requesterNotice(request) });
    },
    remind: async (request: RestoreRequest) => {
      if (!request.approvalMessage) return;
      await client.chat.postMessage({
        channel: request.approvalMessage.channel,
        thread_ts: request.approvalMessage.ts,
        text: reminderText(request, clock.now()),
      });
    },
  };
}
