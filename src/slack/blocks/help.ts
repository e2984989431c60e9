import { ENGLISH, type Translator } from "../../i18n/translator.ts";

/** `/restore-user help`, in mrkdwn (no user data in it), in the reader's language. */
export function helpText(t: Translator = ENGLISH): string {
  return [
    t.t("help.intro"),
    "",
    t.t("help.command.search"),
    t.t("help.command.name"),
    t.t("help.command.help"),
    "",
    t.t("help.restore"),
    "",
    t.t("help.replace"),
    t.t("help.approval"),
    "",
    t.t("help.password"),
    t.t("help.roles"),
  ].join("\n");
}
