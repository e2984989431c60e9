import type { Translator } from "../../i18n/translator.ts";
import { SLACK_USER_ID, SYSTEM_ACTOR } from "../../restore/access.ts";
import type { Restorability } from "../../restore/window.ts";
import { esc, toDate } from "./mrkdwn.ts";

/**
 * The words the translated builders share, in the reader's language: the Slack-side
 * counterparts of the domain's English describe* functions (which the CLI and logs keep).
 */

/** Where an account stands, in one phrase (plain text: the caller escapes for mrkdwn). */
export function windowText(t: Translator, r: Restorability): string {
  switch (r.state) {
    case "active":
      return t.t("window.active");
    case "deleting":
      return t.t("window.deleting", { time: t.time(r.restorableFrom) });
    case "deleted":
      return r.daysLeft === null
        ? t.t("window.noLimit")
        : t.t("window.daysLeft", { days: Math.max(0, r.daysLeft) });
    case "expired":
      return t.t("window.expired", { time: t.time(r.expiredAt) });
    case "purged":
      return t.t("window.purged");
    case "recreated":
      return t.t("window.recreated");
  }
}

/** The countdown of an option, as short as it can be said. */
export function shortWindowText(t: Translator, r: Restorability): string {
  switch (r.state) {
    case "deleted":
      return windowText(t, r);
    case "deleting":
      return t.t("window.short.deleting", { day: t.day(r.restorableFrom) });
    case "expired":
      return t.t("window.short.expired");
    case "purged":
      return t.t("window.short.purged");
    case "recreated":
      return t.t("window.short.recreated");
    case "active":
      return t.t("window.short.active");
  }
}

/** A day, or the words for not knowing it. */
export function dayText(t: Translator, value: Date | string | null | undefined): string {
  const d = toDate(value);
  return d ? t.day(d) : t.t("common.unknownDate");
}

/** `<@U…>` for a real Slack user id; the app itself and anything else (escaped) in words. */
export function actorText(t: Translator, slackUserId: string | null | undefined): string {
  if (slackUserId === null || slackUserId === undefined || slackUserId.trim() === "")
    return t.t("common.nobody");
  if (SLACK_USER_ID.test(slackUserId)) return `<@${slackUserId}>`;
  if (slackUserId === SYSTEM_ACTOR) return t.t("common.automatically");
  return esc(slackUserId, 200);
}

/** Slack's date token shows each reader their own local time; the fallback is in the reader's words. */
export function slackDateText(t: Translator, value: Date | string | null | undefined): string {
  const d = toDate(value);
  if (!d) return t.t("common.unknownTime");
  return `<!date^${Math.floor(d.getTime() / 1000)}^{date_short_pretty} {time}|${t.time(d)}>`;
}
