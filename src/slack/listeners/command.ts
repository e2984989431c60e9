import type { App } from "@slack/bolt";
import { said } from "../../i18n/said.ts";
import { NOT_ALLOWED_MESSAGE } from "../../restore/access.ts";
import { QUERY_MAX } from "../../restore/names.ts";
import { isRefusal } from "../../restore/outcome.ts";
import { digestMessages } from "../blocks/digest.ts";
import { helpText } from "../blocks/help.ts";
import { context } from "../blocks/layout.ts";
import { refusalNotice } from "../blocks/notice.ts";
import type { SlackDeps } from "../deps.ts";
import { readerOf } from "../locales.ts";
import { openFilled } from "./open-filled.ts";
import { loadingFor, searchViewFor } from "./support.ts";

/**
 * `/restore-user [text]`: the search modal, opened with the results in one call when the search
 * is fast, else with a loading view first (a trigger id lives 3 seconds) that the results replace.
 * `help` explains the command privately.
 */
export function registerCommand(app: App, deps: SlackDeps): void {
  app.command("/restore-user", async ({ command, ack, client }) => {
    // Cut first: nothing longer is a name, and the rest would only cost time.
    const text = command.text.slice(0, QUERY_MAX).trim().replace(/\s+/g, " ");
    if (text.toLowerCase() === "help") {
      await ack({
        response_type: "ephemeral",
        text: helpText(await readerOf(deps.locales, command.user_id)),
      });
      return;
    }
    if (text.toLowerCase() === "digest") {
      // Today's digest, to the one who asked: the summary (the thread's lists stay for the channel).
      const digest = await deps.service.digest(command.user_id, {
        ...deps.digest,
        channel: deps.digest.channelId ?? deps.settings.adminChannelId,
      });
      // Shown to the one who asked: in their own language, not the channel's.
      const t = await readerOf(deps.locales, command.user_id);
      if (isRefusal(digest)) {
        await ack({ response_type: "ephemeral", ...refusalNotice(digest, t) });
        return;
      }
      const { summary, replies } = digestMessages(digest, { emptyDay: "line" }, t);
      const first = summary ?? { text: t.t("digest.nothingToday"), blocks: [] };
      const more =
        replies.length > 0 ? [context(t.t("digest.inThreadReplies", { count: replies.length }))] : [];
      await ack({
        response_type: "ephemeral",
        text: first.text,
        blocks: [...first.blocks.slice(0, 49 - more.length), ...more],
      });
      return;
    }
    if (!deps.service.rolesOf(command.user_id).admin) {
      const notAllowed = { message: NOT_ALLOWED_MESSAGE, said: said("refusal.notAllowed") };
      await ack({
        response_type: "ephemeral",
        ...refusalNotice(notAllowed, await readerOf(deps.locales, command.user_id)),
      });
      return;
    }
    await ack();
    await openFilled(
      {
        client,
        deps,
        triggerId: command.trigger_id,
        loading: loadingFor(deps, command.user_id, text ? "searching" : "loading"),
        where: "command",
        user: command.user_id,
      },
      searchViewFor(deps, command.user_id, text),
    );
  });
}
