import { randomBytes } from "node:crypto";
import type { ModalView } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import type { z } from "zod";
import type { Translator } from "../../i18n/translator.ts";
import { errorFields } from "../../log.ts";
import { isRefusal } from "../../restore/outcome.ts";
import { planView } from "../blocks/plan.ts";
import { errorView, refusalView, staleButtonView } from "../blocks/result.ts";
import { loadingView, searchView } from "../blocks/search.ts";
import type { SlackDeps } from "../deps.ts";
import { readerOf } from "../locales.ts";

/** The search modal lists this many (and offers them for a batch restore). */
export const SEARCH_LIMIT = 40;
/** A type-ahead answer: enough to pick from while typing. */
export const TYPE_AHEAD_LIMIT = 20;

/**
 * Logs a failure with a short reference and returns it: the admin sees the reference, never
 * the error, and whoever reads the log finds the details under it.
 */
export function reportFailure(deps: SlackDeps, error: unknown, where: string): string {
  const reference = randomBytes(4).toString("hex");
  deps.log.error("slack request failed", { where, reference, ...errorFields(error) });
  return reference;
}

/**
 * The answer to a form whose private_metadata no view of ours wrote (tampered, or from an older
 * version): a plain refusal in the modal (in `user`'s language), and a warning without the
 * metadata in the log.
 */
export async function forgedForm(deps: SlackDeps, where: string, user: string) {
  deps.log.warn("a form came back with metadata no view of ours wrote", { where });
  return { response_action: "update" as const, view: staleButtonView(await readerOf(deps.locales, user)) };
}

/** What a loading view says while it waits. */
export type Waiting = "loading" | "searching" | "working";

/**
 * The loading view for `user`, in their language. A promise: a new modal opens it only when
 * its content is late, by when the user's language has long been looked up.
 */
export async function loadingFor(deps: SlackDeps, user: string, waiting: Waiting): Promise<ModalView> {
  const t = await readerOf(deps.locales, user);
  return loadingViewIn(t, waiting);
}

export function loadingViewIn(t: Translator, waiting: Waiting): ModalView {
  switch (waiting) {
    case "loading":
      return loadingView(t.t("search.title"), t.t("loading.loading"), t);
    case "searching":
      return loadingView(t.t("search.title"), t.t("search.loading"), t);
    case "working":
      return loadingView(t.t("loading.working.title"), t.t("loading.working"), t);
  }
}

/** Slack's private_metadata, parsed as the view that wrote it left it; null when it was tampered with. */
export function readMetadata<T>(schema: z.ZodType<T>, raw: string | undefined): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(raw ?? ""));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Runs work that an acknowledgement may wait for, within Slack's 3 seconds: the answer when it
 * comes in time, otherwise `late` (the caller acknowledges with a "working" view and finishes
 * the job with views.update when the work is done).
 */
export async function withinBudget<T>(work: Promise<T>, budgetMs = 2500): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), budgetMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
export const LATE = Symbol("late");

/** The search modal for `query`: results, or the refusal. */
export async function searchViewFor(deps: SlackDeps, user: string, query: string): Promise<ModalView> {
  // Even the empty search form is for admins: it names the directories.
  const [result, directories, t] = await Promise.all([
    query || !deps.service.rolesOf(user).admin
      ? deps.service.search(user, { query, limit: SEARCH_LIMIT })
      : Promise.resolve(null),
    deps.service.directoryNames(),
    readerOf(deps.locales, user),
  ]);
  return isRefusal(result)
    ? refusalView(result, t.t("search.title"), t)
    : searchView({ query, result, directories, t });
}

/** What a restore of the account would do (a provider's account may ask the provider first). */
export async function planViewFor(
  deps: SlackDeps,
  user: string,
  accountId: string,
  query: string,
): Promise<ModalView> {
  const [plan, directories, t] = await Promise.all([
    deps.service.plan(user, accountId),
    deps.service.directoryNames(),
    readerOf(deps.locales, user),
  ]);
  return isRefusal(plan)
    ? refusalView(plan, undefined, t)
    : planView(
        plan,
        { accountId, query, directoryName: directories[plan.directory.id] ?? plan.directory.id },
        t,
      );
}

/** The search modal for `query`, in place of the view `viewId`. */
export async function showSearch(
  client: WebClient,
  deps: SlackDeps,
  viewId: string,
  user: string,
  query: string,
): Promise<void> {
  await client.views.update({ view_id: viewId, view: await searchViewFor(deps, user, query) });
}

/** What a restore of the account would do, in place of the view `viewId`. */
export async function showPlan(
  client: WebClient,
  deps: SlackDeps,
  viewId: string,
  user: string,
  accountId: string,
  query: string,
): Promise<void> {
  await client.views.update({ view_id: viewId, view: await planViewFor(deps, user, accountId, query) });
}

/**
 * Replaces a view with the friendly failure (in `user`'s language), logging the details under its
 * reference.
 */
export async function showFailure(
  client: WebClient,
  deps: SlackDeps,
  viewId: string | undefined,
  error: unknown,
  where: string,
  user: string,
): Promise<void> {
  const reference = reportFailure(deps, error, where);
  if (!viewId) return;
  const view = errorView(reference, await readerOf(deps.locales, user));
  await client.views.update({ view_id: viewId, view }).catch((e: unknown) => {
    deps.log.error("could not show the failure", { reference, ...errorFields(e) });
  });
}
