import type { ModalView } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { errorView } from "../blocks/result.ts";
import type { SlackDeps } from "../deps.ts";
import { readerOf } from "../locales.ts";
import { LATE, reportFailure, showFailure, withinBudget } from "./support.ts";

/**
 * How long a new modal waits for its content before a loading view is opened instead. A trigger
 * id opens a modal only within 3 s of the click: 1 s leaves room for a slow views.open.
 */
export const OPEN_FILLED_WITHIN_MS = 1000;

export interface OpenRequest {
  client: WebClient;
  deps: SlackDeps;
  triggerId: string;
  /** Shown while slow content is still coming (a promise: see loadingFor). */
  loading: ModalView | Promise<ModalView>;
  /** Named in the log when the content fails. */
  where: string;
  /** Who opens it: a failure is told in their language. */
  user: string;
}

/**
 * Opens a modal showing `content`: in one views.open when it comes within the fast-open threshold
 * (settings.openFilledWithinMs), otherwise the loading view is opened first and replaced with
 * views.update (its id and hash) once the content comes. A failed content is shown as the
 * friendly error view, with its details logged under a reference.
 */
export async function openFilled(request: OpenRequest, content: Promise<ModalView>): Promise<void> {
  const { client, deps, triggerId, where, user } = request;
  const settled = content.catch(async (error: unknown) =>
    errorView(reportFailure(deps, error, where), await readerOf(deps.locales, user)),
  );
  const within = deps.settings.openFilledWithinMs ?? OPEN_FILLED_WITHIN_MS;
  // 0 turns the fast path off: no race, the loading view always goes first.
  const first = within > 0 ? await withinBudget(settled, within) : LATE;
  if (first !== LATE) {
    await client.views.open({ trigger_id: triggerId, view: wired(first) });
    return;
  }
  // Decided: the content, whenever it comes, only ever replaces this loading view.
  const opened = await client.views.open({ trigger_id: triggerId, view: await request.loading });
  const viewId = opened.view?.id;
  const view = await settled;
  if (!viewId) return;
  try {
    await client.views.update({ view_id: viewId, hash: opened.view?.hash, view: wired(view) });
  } catch (error) {
    await showFailure(client, deps, viewId, error, where, user);
  }
}

/**
 * A view as the JSON text the Web API is sent anyway. Before each call, WebClient copies every
 * argument (redact) and serializes it for a debug line that it then drops, even with debug off:
 * given an object, that walks a 40-result search view's blocks twice more per call, about half
 * the CPU of a views.open (bench/slack.ts). Given text, it copies a string; the request Slack
 * receives is the same, byte for byte.
 */
export function wired(view: ModalView): ModalView {
  return JSON.stringify(view) as unknown as ModalView;
}
