import type { App } from "@slack/bolt";
import type { SlackDeps } from "../deps.ts";
import { registerApprovals } from "./approvals.ts";
import { registerCommand } from "./command.ts";
import { refuseForgedUsers } from "./edge.ts";
import { registerHome } from "./home.ts";
import { registerRestoreFlow } from "./restore-flow.ts";
import { routed } from "./routes.ts";
import { registerUserGroups } from "./user-groups.ts";

/** Every listener, by the surface it serves. Each stays thin: parse, call the service, render. */
export function registerListeners(bolt: App, deps: SlackDeps): void {
  bolt.use(refuseForgedUsers(deps.log));
  // One Bolt listener per kind, dispatching by id: see routes.ts.
  const { app, install } = routed(bolt);
  registerCommand(app, deps);
  registerRestoreFlow(app, deps);
  registerApprovals(app, deps);
  registerHome(app, deps);
  registerUserGroups(app, deps);
  install();
}
