/**
 * The logger interface of Bolt and of the Web API client, over our JSON lines, so every line the
 * process writes is one JSON object (their own logger prints `[WARN] web-api:…` text). Never below
 * INFO: Bolt's debug output carries request bodies. An error they log (a listener that threw) is
 * described by its cause, never its query.
 */
import { LogLevel, type Logger as SlackLogger } from "@slack/bolt";
import { describeError, type Logger } from "../log.ts";

const RANK: Record<LogLevel, number> = {
  [LogLevel.DEBUG]: 0,
  [LogLevel.INFO]: 1,
  [LogLevel.WARN]: 2,
  [LogLevel.ERROR]: 3,
};

/** `source` starts each message: "bolt" for the app and its receivers, "web-api" for a client of our own. */
export function slackLogger(log: Logger, source: string, initial: LogLevel = LogLevel.INFO): SlackLogger {
  let level = initial;
  const text = (args: unknown[]) =>
    args.map((a) => (a instanceof Error ? describeError(a) : String(a))).join(" ");
  const at = (l: LogLevel) => RANK[l] >= Math.max(RANK[level], RANK[LogLevel.INFO]);
  return {
    debug: () => {},
    info: (...args: unknown[]) => {
      if (at(LogLevel.INFO)) log.info(`${source}: ${text(args)}`);
    },
    warn: (...args: unknown[]) => {
      if (at(LogLevel.WARN)) log.warn(`${source}: ${text(args)}`);
    },
    error: (...args: unknown[]) => log.error(`${source}: ${text(args)}`),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
