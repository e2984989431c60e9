import type { App, BlockAction, ButtonAction, ViewSubmitAction } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { z } from "zod";
import type { RestoreRequest } from "../../db/schema.ts";
import { NOT_ALLOWED_MESSAGE } from "../../restore/access.ts";
import { isRefusal } from "../../restore/outcome.ts";
import type { SlackDeps } from "../app.ts";
import { approvalMessage, rejectReasonView } from "../blocks/approval.ts";
import { ACTION, BLOCK, CALLBACK } from "../blocks/ids.ts";
import { errorText, errorView, refusalView, temporaryPasswordView } from "../blocks/result.ts";
import { loadingView } from "../blocks/search.ts";
import { notifyRequester, readMetadata, refreshApprovalMessage, reportFailure } from "./support.ts";

const rejectMeta = z.object({ requestId: z.string().uuid(), channel: z.string(), ts: z.string() });

/** Posts a replace request to the admin channel and remembers the message, to update it later. */
export async function postApprovalRequest(
  client: WebClient,
  deps: SlackDeps,
  request: RestoreRequest,
): Promise<void> {
  const posted = await client.chat.postMessage({
    channel: deps.settings.adminChannelId,
    ...approvalMessage(request, deps.clock.now()),
  });
  if (posted.channel && posted.ts) {
    await deps.service.recordApprovalMessage(request.id, { channel: posted.channel, ts: posted.ts });
  }
}

/**
 * Approve and Reject on the approval message (and on the Home tab). The service decides; here a
 * refusal goes privately to whoever clicked, and a decision updates the message in place and tells
 * the requester.
 */
export function registerApprovals(app: App, deps: SlackDeps): void {
  const { service } = deps;

  /** A private answer to the person who clicked, where they clicked. */
  const tellPrivately = async (client: WebClient, body: BlockAction, text: string) => {
    const channel = body.channel?.id;
    if (channel) await client.chat.postEphemeral({ channel, user: body.user.id, text });
    else await client.chat.postMessage({ channel: body.user.id, text });
  };

  /** After a decision, or a click on a request already decided: the message shows where it stands. */
  const settle = async (client: WebClient, requestId: string, notify: boolean) => {
    const request = await service.getRequest("system", requestId);
    if (isRefusal(request)) return;
    await refreshApprovalMessage(client, deps, request);
    if (notify) await notifyRequester(client, request);
  };

  app.action<BlockAction<ButtonAction>>(ACTION.approve, async ({ ack, body, action, client }) => {
    await ack();
    const requestId = action.value ?? "";
    try {
      const outcome = await service.approve(body.user.id, requestId);
      if (isRefusal(outcome)) {
        await tellPrivately(client, body, outcome.message);
        // Expired or decided meanwhile: make sure nobody else sees live buttons.
        if (outcome.code === "expired" || outcome.code === "not_pending")
          await settle(client, requestId, outcome.code === "expired");
        return;
      }
      if (outcome.type === "approval_recorded") {
        await tellPrivately(
          client,
          body,
          `Your approval is counted: ${outcome.approvals} of ${outcome.needed}.`,
        );
        await refreshApprovalMessage(client, deps, outcome.request);
        return;
      }
      await refreshApprovalMessage(client, deps, outcome.request);
      await notifyRequester(client, outcome.request);
      if (outcome.type === "failed") await tellPrivately(client, body, outcome.reason);
    } catch (error) {
      await tellPrivately(client, body, errorText(reportFailure(deps, error, "approve"))).catch(() => {});
    }
  });

  // Reject asks for a reason first, in a modal; who may decide is checked before it opens.
  app.action<BlockAction<ButtonAction>>(ACTION.reject, async ({ ack, body, action, client }) => {
    await ack();
    if (!service.rolesOf(body.user.id).approver) {
      await tellPrivately(client, body, NOT_ALLOWED_MESSAGE);
      return;
    }
    const requestId = action.value ?? "";
    const request = await service.getRequest(body.user.id, requestId);
    const at = !isRefusal(request) ? request.approvalMessage : null;
    await client.views.open({
      trigger_id: body.trigger_id,
      view: rejectReasonView(requestId, {
        channel: at?.channel ?? body.channel?.id ?? "",
        ts: at?.ts ?? body.message?.ts ?? "",
      }),
    });
  });

  app.view<ViewSubmitAction>(CALLBACK.rejectReason, async ({ ack, body, view, client }) => {
    const meta = readMetadata(rejectMeta, view.private_metadata);
    if (!meta) {
      await ack({
        response_action: "update",
        view: errorView(reportFailure(deps, "bad reject metadata", "reject")),
      });
      return;
    }
    const reason = (view.state.values[BLOCK.rejectReason]?.[ACTION.value]?.value ?? "").trim();
    const outcome = await service.reject(body.user.id, meta.requestId, reason);
    if (isRefusal(outcome)) {
      await ack({ response_action: "errors", errors: { [BLOCK.rejectReason]: outcome.message } });
      if (outcome.code === "expired" || outcome.code === "not_pending") {
        await settle(client, meta.requestId, outcome.code === "expired");
      }
      return;
    }
    await ack();
    await refreshApprovalMessage(client, deps, outcome.request);
    await notifyRequester(client, outcome.request);
  });

  // In the requester's DM after an approved replace: a fresh temporary password, shown once.
  app.action<BlockAction<ButtonAction>>(ACTION.getPassword, async ({ ack, body, action, client }) => {
    await ack();
    const opened = await client.views.open({
      trigger_id: body.trigger_id,
      view: loadingView("Temporary password", "Setting a new temporary password…"),
    });
    const viewId = opened.view?.id;
    if (!viewId) return;
    try {
      const issued = await service.issueTemporaryPassword(body.user.id, action.value ?? "");
      const view = isRefusal(issued)
        ? refusalView(issued, "No password")
        : temporaryPasswordView(issued.account, issued.temporaryPassword);
      await client.views.update({ view_id: viewId, view });
    } catch (error) {
      await client.views.update({ view_id: viewId, view: errorView(reportFailure(deps, error, "password")) });
    }
  });
}
