import type {
  AckFn,
  App,
  BlockAction,
  ButtonAction,
  ExternalSelectAction,
  PlainTextInputAction,
  ViewResponseAction,
  ViewSubmitAction,
} from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { z } from "zod";
import type { Translator } from "../../i18n/translator.ts";
import { isRefusal, refusalText } from "../../restore/outcome.ts";
import type { DeletedAccountView } from "../../restore/search.ts";
import { ACTION, BLOCK, blockForField, CALLBACK } from "../blocks/ids.ts";
import { batchConfirmView, planView, readPlanChoices } from "../blocks/plan.ts";
import {
  batchResultView,
  errorView,
  refusalView,
  replaceRequestedView,
  restoreResultView,
  staleButtonView,
} from "../blocks/result.ts";
import { accountOptions, BATCH_MAX } from "../blocks/search.ts";
import type { SlackDeps } from "../deps.ts";
import { readerOf } from "../locales.ts";
import { recordId, recordIdOf } from "./edge.ts";
import { openFilled } from "./open-filled.ts";
import {
  forgedForm,
  LATE,
  loadingFor,
  loadingViewIn,
  planViewFor,
  readMetadata,
  reportFailure,
  searchViewFor,
  showFailure,
  showPlan,
  showSearch,
  TYPE_AHEAD_LIMIT,
  withinBudget,
} from "./support.ts";

const planMeta = z.object({ accountId: recordId, query: z.string().max(3000) });
const batchMeta = z.object({ ids: z.array(recordId).min(1).max(BATCH_MAX), query: z.string().max(3000) });

/** Search, type-ahead, plan, confirm, result: the modal an admin restores from. */
export function registerRestoreFlow(app: App, deps: SlackDeps): void {
  const { service } = deps;

  // Type-ahead: answered from the service within Slack's 3 seconds, or with nothing.
  app.options(ACTION.lookup, async ({ body, options, ack }) => {
    const user = body.user.id;
    const query = String(options.value ?? "").trim();
    if (!service.rolesOf(user).admin || query.length === 0) {
      await ack({ options: [] });
      return;
    }
    try {
      const [result, t] = await Promise.all([
        withinBudget(service.search(user, { query, limit: TYPE_AHEAD_LIMIT }), 2000),
        readerOf(deps.locales, user),
      ]);
      await ack({ options: result === LATE || isRefusal(result) ? [] : accountOptions(result, t) });
    } catch (error) {
      reportFailure(deps, error, "options");
      await ack({ options: [] });
    }
  });

  // Picking an account in the type-ahead, or "Restore…" next to one: the plan for it.
  app.action<BlockAction<ExternalSelectAction>>(ACTION.lookup, async ({ ack, body, action, client }) => {
    await ack();
    if (!body.view) return;
    const accountId = recordIdOf(action.selected_option?.value);
    if (!accountId) {
      const t = await readerOf(deps.locales, body.user.id);
      await client.views.update({ view_id: body.view.id, view: staleButtonView(t) });
      return;
    }
    await inModal(client, deps, body.view.id, body.user.id, "lookup", () =>
      showPlan(
        client,
        deps,
        body.view?.id as string,
        body.user.id,
        accountId,
        body.view?.private_metadata ?? "",
      ),
    );
  });

  app.action<BlockAction<ButtonAction>>(ACTION.planAccount, async ({ ack, body, action, client }) => {
    await ack();
    const accountId = recordIdOf(action.value);
    if (body.view?.type === "modal") {
      // In the search modal: the plan takes its place.
      const id = body.view.id;
      const query = body.view.private_metadata ?? "";
      if (!accountId) {
        const t = await readerOf(deps.locales, body.user.id);
        await client.views.update({ view_id: id, view: staleButtonView(t) });
        return;
      }
      await inModal(client, deps, id, body.user.id, "plan", () =>
        showPlan(client, deps, id, body.user.id, accountId, query),
      );
      return;
    }
    // From the Home tab or a message: a new modal, filled at once when the plan is fast (a
    // provider's account may wait for the provider: then a loading view first).
    await openFilled(
      {
        client,
        deps,
        triggerId: body.trigger_id,
        loading: loadingFor(deps, body.user.id, "loading"),
        where: "plan",
        user: body.user.id,
      },
      accountId
        ? planViewFor(deps, body.user.id, accountId, "")
        : readerOf(deps.locales, body.user.id).then(staleButtonView),
    );
  });

  app.action<BlockAction<PlainTextInputAction>>(ACTION.searchQuery, async ({ ack, body, action, client }) => {
    await ack();
    if (!body.view) return;
    const id = body.view.id;
    await inModal(client, deps, id, body.user.id, "search", () =>
      showSearch(client, deps, id, body.user.id, (action.value ?? "").trim()),
    );
  });

  app.action<BlockAction<ButtonAction>>(ACTION.back, async ({ ack, body, action, client }) => {
    await ack();
    if (!body.view) return;
    const id = body.view.id;
    await inModal(client, deps, id, body.user.id, "back", () =>
      showSearch(client, deps, id, body.user.id, action.value ?? ""),
    );
  });

  app.action<BlockAction<ButtonAction>>(ACTION.restoreFromHome, async ({ ack, body, client }) => {
    await ack();
    await openFilled(
      {
        client,
        deps,
        triggerId: body.trigger_id,
        loading: loadingFor(deps, body.user.id, "loading"),
        where: "home",
        user: body.user.id,
      },
      searchViewFor(deps, body.user.id, ""),
    );
  });

  // "Restore selected": one account goes to its plan, several to a confirmation.
  app.view<ViewSubmitAction>(CALLBACK.search, async ({ ack, body, view, client }) => {
    const user = body.user.id;
    const t = await readerOf(deps.locales, user);
    const picked = view.state.values[BLOCK.selection]?.[ACTION.selection]?.selected_options ?? [];
    const ids = picked.map((o) => o.value).filter((v): v is string => typeof v === "string");
    const query = view.private_metadata ?? "";
    if (ids.length === 0) {
      // Nothing picked (or nothing to pick): the submit button searches for what was typed.
      const typed = (view.state.values[BLOCK.query]?.[ACTION.searchQuery]?.value ?? "").trim();
      if (view.blocks.some((b) => b.block_id === BLOCK.selection) && typed === query) {
        await ack({ response_action: "errors", errors: { [BLOCK.selection]: t.t("plan.error.pickOne") } });
        return;
      }
      await ack({ response_action: "update", view: loadingViewIn(t, "searching") });
      await inModal(client, deps, view.id, user, "search", () =>
        showSearch(client, deps, view.id, user, typed),
      );
      return;
    }
    if (ids.length > BATCH_MAX) {
      await ack({
        response_action: "errors",
        errors: { [BLOCK.selection]: t.t("plan.error.pickAtMost", { max: BATCH_MAX }) },
      });
      return;
    }
    const work = (async () => {
      if (ids.length === 1) {
        const id = ids[0] as string;
        const [plan, directories] = await Promise.all([service.plan(user, id), service.directoryNames()]);
        if (isRefusal(plan)) return refusalView(plan, undefined, t);
        return planView(
          plan,
          { accountId: id, query, directoryName: directories[plan.directory.id] ?? plan.directory.id },
          t,
        );
      }
      const found = await Promise.all(ids.map((id) => service.findAccount(user, id)));
      const refusal = found.find(isRefusal);
      if (refusal) return refusalView(refusal, undefined, t);
      return batchConfirmView(found as DeletedAccountView[], { query }, t);
    })();
    await answerSubmission(ack, work, deps, { client, viewId: view.id, where: "search submit", t });
  });

  // The plan's "Restore": a restore now, or a replace request that waits for a second admin.
  app.view<ViewSubmitAction>(CALLBACK.plan, async ({ ack, body, view, client }) => {
    const user = body.user.id;
    const meta = readMetadata(planMeta, view.private_metadata);
    if (!meta) {
      await ack(await forgedForm(deps, "plan", user));
      return;
    }
    const t = await readerOf(deps.locales, user);
    const { choices, resolution, reason } = readPlanChoices(view.state.values);
    if (resolution === "rename" && !choices.renameTo) {
      await ack({ response_action: "errors", errors: { [BLOCK.renameTo]: t.t("plan.error.renameTo") } });
      return;
    }
    if (resolution === "replace" && !reason.trim()) {
      await ack({ response_action: "errors", errors: { [BLOCK.reason]: t.t("plan.error.reason") } });
      return;
    }
    const fieldsInView = new Set(view.blocks.map((b) => b.block_id));
    const work = (async () => {
      if (resolution === "replace") {
        const { replace: _r, renameTo: _n, ...rest } = choices;
        const requested = await service.requestReplace(user, meta.accountId, reason, rest, {
          idempotencyKey: `slack:${view.id}`,
        });
        // The service wrote the ask to the outbox with the request; its sender posts it.
        if (isRefusal(requested)) return requested;
        return replaceRequestedView(requested.request, deps.settings.adminChannelId, t);
      }
      const done = await service.restore(user, meta.accountId, choices, {
        idempotencyKey: `slack:${view.id}`,
      });
      const directories = await service.directoryNames();
      if (isRefusal(done)) {
        // The provider's active users (checked at submit) hold something the mirror did not know:
        // the plan again, with the controls to resolve it, rather than a dead end.
        const plan = done.code === "blocked" ? done.plan : undefined;
        if (plan?.restorability.state !== "deleted") return done;
        return planView(
          plan,
          {
            ...meta,
            directoryName: directories[plan.directory.id] ?? plan.directory.id,
            checkedAgain: {
              directory: plan.directory.name,
              message: done.message,
              ...(done.said ? { said: done.said } : {}),
            },
          },
          t,
        );
      }
      return restoreResultView(done, directories[done.account.directoryId] ?? done.account.directoryId, t);
    })();
    const at = { client, viewId: view.id, where: "plan submit", t };
    await answerSubmission(ack, work, deps, at, (refusal) => {
      // A choice the service refused (a taken user name) is shown on its field.
      const block = refusal.field ? blockForField(refusal.field) : null;
      return block && fieldsInView.has(block) ? { [block]: refusalText(refusal, t) } : null;
    });
  });

  // "Restore N accounts": each on its own; the result lists every one.
  app.view<ViewSubmitAction>(CALLBACK.batch, async ({ ack, body, view, client }) => {
    const user = body.user.id;
    const meta = readMetadata(batchMeta, view.private_metadata);
    if (!meta) {
      await ack(await forgedForm(deps, "batch", user));
      return;
    }
    const t = await readerOf(deps.locales, user);
    const work = (async () => {
      const items = await service.restoreMany(user, meta.ids, {}, { idempotencyKey: `slack:${view.id}` });
      if (isRefusal(items)) return items;
      const labels = await Promise.all(
        items.map(async (item) => {
          if (!isRefusal(item.outcome))
            return `${item.outcome.account.displayName} (${item.outcome.account.userName})`;
          const found = await service.findAccount(user, item.accountId);
          return isRefusal(found) ? item.accountId : `${found.displayName} (${found.userName})`;
        }),
      );
      return batchResultView(
        items.map((item, i) => ({ label: labels[i] as string, outcome: item.outcome })),
        t,
      );
    })();
    await answerSubmission(ack, work, deps, { client, viewId: view.id, where: "batch submit", t });
  });
}

type Ack = AckFn<ViewResponseAction>;
type Refusal = Parameters<typeof refusalView>[0];
type Surface = Refusal | ReturnType<typeof refusalView>;

/**
 * Acknowledges a submission with its answer: field errors, or the next view. Work that outlasts
 * Slack's 3 seconds is acknowledged with a "working" view and finished with views.update.
 */
async function answerSubmission(
  ack: Ack,
  work: Promise<Surface>,
  deps: SlackDeps,
  at: { client: WebClient; viewId: string; where: string; t: Translator },
  fieldErrors: (refusal: Refusal) => Record<string, string> | null = () => null,
): Promise<void> {
  const settled = work.then(
    (outcome) => ({ ok: true as const, outcome }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const viewOf = (s: Awaited<typeof settled>) => {
    if (!s.ok) return errorView(reportFailure(deps, s.error, at.where), at.t);
    return isRefusal(s.outcome) ? refusalView(s.outcome, undefined, at.t) : s.outcome;
  };
  const first = await withinBudget(settled);
  if (first !== LATE) {
    const errors = first.ok && isRefusal(first.outcome) ? fieldErrors(first.outcome) : null;
    await ack(
      errors ? { response_action: "errors", errors } : { response_action: "update", view: viewOf(first) },
    );
    return;
  }
  await ack({ response_action: "update", view: loadingViewIn(at.t, "working") });
  await at.client.views.update({ view_id: at.viewId, view: viewOf(await settled) });
}

/** Runs a view update, turning a failure into the friendly error view (in `user`'s language). */
async function inModal(
  client: WebClient,
  deps: SlackDeps,
  viewId: string,
  user: string,
  where: string,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    await showFailure(client, deps, viewId, error, where, user);
  }
}
