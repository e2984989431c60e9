import type { App } from "@slack/bolt";
import { isRefusal } from "../../restore/outcome.ts";
import { homeView } from "../blocks/home.ts";
import type { SlackDeps } from "../deps.ts";
import { readerOf } from "../locales.ts";
import { reportFailure } from "./support.ts";

/** The Home tab: pending approvals, what expires soonest, recent restores. */
export function registerHome(app: App, deps: SlackDeps): void {
  const { service } = deps;
  app.event("app_home_opened", async ({ event, client }) => {
    if (event.tab !== "home") return;
    const user = event.user;
    const roles = service.rolesOf(user);
    try {
      const [pending, expiring, recent, attention, t] = await Promise.all([
        roles.admin || roles.approver ? service.listRequests(user, { pendingOnly: true }) : [],
        roles.admin ? service.search(user, { limit: 10 }) : null,
        roles.admin || roles.approver ? service.recentRestores(user, 10) : [],
        roles.admin || roles.approver ? service.needingAttention(user) : [],
        readerOf(deps.locales, user),
      ]);
      await client.views.publish({
        user_id: user,
        view: homeView({
          now: deps.clock.now(),
          isAdmin: roles.admin,
          isApprover: roles.approver,
          viewerId: user,
          pending: isRefusal(pending) ? [] : pending,
          expiring: expiring && !isRefusal(expiring) ? expiring.items : [],
          recent: isRefusal(recent) ? [] : recent,
          attention: isRefusal(attention) ? [] : attention,
          t,
        }),
      });
    } catch (error) {
      reportFailure(deps, error, "home");
    }
  });
}
