import type { App } from "@slack/bolt";

/**
 * Bolt runs every listener's matching middleware for every request, each with its own copy of the
 * arguments: with the 17 listeners of this app that cost more CPU than a type-ahead's search
 * (bench/slack.ts). Registered through `routed(app).app`, listeners of one kind (commands,
 * options, actions, views, events) share a single Bolt listener instead, which matches the same
 * ids Bolt would (exactly, by the same fields) and hands the request to the one registered for
 * its id, with the arguments Bolt gives a listener. Anything else passes straight to Bolt.
 */
export function routed(app: App): { app: App; install: () => void } {
  const kinds: Record<Kind, Map<string, Listener>> = {
    command: new Map(),
    options: new Map(),
    action: new Map(),
    view: new Map(),
    event: new Map(),
  };
  const proxy = new Proxy(app, {
    get(target, key, receiver) {
      if (typeof key === "string" && key in kinds) {
        const kind = key as Kind;
        return (id: unknown, ...listeners: unknown[]) => {
          const [listener] = listeners;
          // Only a plain id with a single listener is routed; patterns and listener middleware are Bolt's.
          if (typeof id !== "string" || listeners.length !== 1 || typeof listener !== "function") {
            return (Reflect.get(target, key, target) as (...args: unknown[]) => unknown).apply(target, [
              id,
              ...listeners,
            ]);
          }
          const routes = kinds[kind];
          if (routes.has(id)) throw new Error(`two ${kind} listeners for ${id}: each id has one`);
          routes.set(id, listener as Listener);
        };
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const install = () => {
    for (const kind of Object.keys(kinds) as Kind[]) {
      const routes = kinds[kind];
      if (routes.size === 0) continue;
      const ids = new RegExp(`^(?:${[...routes.keys()].map(escapeRegExp).join("|")})$`);
      const dispatch: Listener = (args) => {
        const listener = routes.get(idOf[kind](args));
        return listener ? listener(args) : undefined;
      };
      // The constraints Bolt builds from a plain id, with every routed id at once.
      const register = app as unknown as Record<Kind, (constraint: unknown, listener: Listener) => void>;
      if (kind === "action" || kind === "options") register[kind]({ action_id: ids }, dispatch);
      else if (kind === "view") register.view({ callback_id: ids, type: "view_submission" }, dispatch);
      else register[kind](ids, dispatch);
    }
  };
  return { app: proxy, install };
}

type Kind = "command" | "options" | "action" | "view" | "event";
// biome-ignore lint/suspicious/noExplicitAny: Bolt's listener arguments differ by kind; each listener is typed where it is registered.
type Listener = (args: any) => unknown;

/** Where each kind's id is, as Bolt's matching reads it. */
const idOf: Record<Kind, (args: Record<string, { [key: string]: unknown }>) => string> = {
  command: (args) => String(args.command?.command),
  options: (args) => String(args.payload?.action_id),
  action: (args) => String(args.payload?.action_id),
  view: (args) => String((args.body?.view as { callback_id?: unknown } | undefined)?.callback_id),
  event: (args) => String(args.event?.type),
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
