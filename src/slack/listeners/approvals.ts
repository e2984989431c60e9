import type { App, BlockAction, ButtonAction, ViewSubmitAction } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { z } from "zod";
import type { Translator } from "../../i18n/translator.ts";
import { isRefusal, type Refusal, refusalText } from "../../restore/outcome.ts";
import { rejectReasonView } from "../blocks/approval.ts";
import { ACTION, BLOCK, CALLBACK } from "../blocks/ids.ts";
import {
  approvalCountedNotice,
  approvalFailedNotice,
  failureNotice,
  type Notice,
  refusalNotice,
  staleButtonNotice,
} from "../blocks/notice.ts";
import { errorView, refusalView, temporaryPasswordView } from "../blocks/result.ts";
import { loadingView } from "../blocks/search.ts";
import type { SlackDeps } from "../deps.ts";
import { readerOf } from "../locales.ts";
import { channelId, messageTs, recordId, recordIdOf } from "./edge.ts";
import { forgedForm, readMetadata, reportFailure } from "./support.ts";

const rejectMeta = z.object({
  requestId: recordId,
  channel: z.union([channelId, z.literal("")]),
  ts: z.union([messageTs, z.literal("")]),
});

/**
 * Approve and Reject on the approval message (and on the Home tab). The service decides; here a
 * refusal goes privately to whoever clicked. What a decision owes (the message updated in place,
 * the requester told; also for a request that expired as it was clicked) the service wrote to the
 * outbox with the decision, and the outbox's sender delivers it: only these private answers to
 * the clicker are sent from here.
 */
export function registerApprovals(app: App, deps: SlackDeps): void {
  const { service } = deps;

  /** A private answer to the person who clicked, where they clicked (a Notice: escaped when built). */
  const tellPrivately = async (client: WebClient, body: BlockAction, notice: Notice) => {
    const channel = channelId.safeParse(body.channel?.id);
    if (channel.success) {
      await client.chat.postEphemeral({ channel: channel.data, user: body.user.id, text: notice.text });
    } else await client.chat.postMessage({ channel: body.user.id, text: notice.text });
  };

  /** A refused click; a request decided meanwhile loses its buttons (an expired one did already). */
  const refused = async (
    client: WebClient,
    body: BlockAction,
    requestId: string,
    refusal: Refusal,
    t: Translator,
  ) => {
    await tellPrivately(client, body, refusalNotice(refusal, t));
    if (refusal.code === "not_pending") await service.showDecided(body.user.id, requestId);
  };

  app.action<BlockAction<ButtonAction>>(ACTION.approve, async ({ ack, body, action, client }) => {
    await ack();
    // The clicker's own language: these answers are for them alone.
    const t = await readerOf(deps.locales, body.user.id);
    const requestId = recordIdOf(action.value);
    if (!requestId) {
      await tellPrivately(client, body, staleButtonNotice(t));
      return;
    }
    try {
      const outcome = await service.approve(body.user.id, requestId);
      if (isRefusal(outcome)) {
        await refused(client, body, requestId, outcome, t);
        return;
      }
      if (outcome.type === "approval_recorded") {
        await tellPrivately(client, body, approvalCountedNotice(outcome.approvals, outcome.needed, t));
      } else if (outcome.type === "failed") {
        await tellPrivately(client, body, approvalFailedNotice(outcome.said, t));
      }
    } catch (error) {
      await tellPrivately(client, body, failureNotice(reportFailure(deps, error, "approve"), t)).catch(
        () => {},
      );
    }
  });

  // Reject asks for a reason first, in a modal; who may decide is checked before it opens.
  app.action<BlockAction<ButtonAction>>(ACTION.reject, async ({ ack, body, action, client }) => {
    await ack();
    const t = await readerOf(deps.locales, body.user.id);
    const requestId = recordIdOf(action.value);
    if (!requestId) {
      await tellPrivately(client, body, staleButtonNotice(t));
      return;
    }
    try {
      // Refused here already (not allowed, no such request, decided, one's own), before a form
      // asks for a reason that would only be refused on submit.
      const request = await service.checkDecision(body.user.id, requestId);
      if (isRefusal(request)) {
        await refused(client, body, requestId, request, t);
        return;
      }
      const at = request.approvalMessage;
      await client.views.open({
        trigger_id: body.trigger_id,
        view: rejectReasonView(request.id, { channel: at?.channel ?? "", ts: at?.ts ?? "" }, t),
      });
    } catch (error) {
      await tellPrivately(client, body, failureNotice(reportFailure(deps, error, "reject"), t)).catch(
        () => {},
      );
    }
  });

  app.view<ViewSubmitAction>(CALLBACK.rejectReason, async ({ ack, body, view }) => {
    const meta = readMetadata(rejectMeta, view.private_metadata);
    if (!meta) {
      await ack(await forgedForm(deps, "reject", body.user.id));
      return;
    }
    const reason = (view.state.values[BLOCK.rejectReason]?.[ACTION.value]?.value ?? "").trim();
    const outcome = await service.reject(body.user.id, meta.requestId, reason);
    if (!isRefusal(outcome)) {
      await ack();
      return;
    }
    // Plain text on the field, in the clicker's own language.
    const t = await readerOf(deps.locales, body.user.id);
    await ack({ response_action: "errors", errors: { [BLOCK.rejectReason]: refusalText(outcome, t) } });
    if (outcome.code === "not_pending") await service.showDecided(body.user.id, meta.requestId);
  });

  // In the requester's DM after an approved replace: a fresh temporary password, shown once.
  app.action<BlockAction<ButtonAction>>(ACTION.getPassword, async ({ ack, body, action, client }) => {
    await ack();
    const t = await readerOf(deps.locales, body.user.id);
    const opened = await client.views.open({
      trigger_id: body.trigger_id,
      view: loadingView(t.t("result.password"), t.t("loading.password"), t),
    });
    const viewId = opened.view?.id;
    if (!viewId) return;
    try {
      // The service checks the stored request (whose, done, not yet collected); a malformed value
      // is simply no request.
      const issued = await service.issueTemporaryPassword(body.user.id, recordIdOf(action.value) ?? "");
      const view = isRefusal(issued)
        ? refusalView(issued, t.t("loading.noPassword"), t)
        : temporaryPasswordView(issued.account, issued.temporaryPassword, t);
      await client.views.update({ view_id: viewId, view });
    } catch (error) {
      await client.views.update({
        view_id: viewId,
        view: errorView(reportFailure(deps, error, "password"), t),
      });
    }
  });
}
