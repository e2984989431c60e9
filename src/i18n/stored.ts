/**
 * Texts stored on a directory: its follow-up checklist (what an admin still has to do after a
 * restore) and its note (what to know about it, Okta: no countdown). Our own lines are stored as
 * catalog keys (`followUp.okta.apps`, `directoryNote.okta`), said in the reader's language; any other
 * line is what an admin's own import wrote, and is shown as written.
 */
import { catalogs, type MessageKey, SOURCE_LANGUAGE } from "./catalog.ts";
import { type Said, said, say } from "./said.ts";
import { ENGLISH, type Translator } from "./translator.ts";

const PREFIXES = ["followUp.", "directoryNote."];
const AS_WRITTEN: MessageKey = "followUp.asWritten";

/** Whether a stored line is one of our default lines (a catalog key), not an admin's own text. */
export function isStoredKey(line: string): line is MessageKey {
  return (
    PREFIXES.some((p) => line.startsWith(p)) &&
    line !== AS_WRITTEN &&
    catalogs.get(SOURCE_LANGUAGE)?.[line] !== undefined
  );
}

/**
 * Our own lines by their English text: what a restore's record kept before the keys were stored
 * (an approval notice reads the request's result) is said in the reader's language too.
 */
const byEnglish: ReadonlyMap<string, MessageKey> = new Map(
  Object.entries(catalogs.get(SOURCE_LANGUAGE) ?? {})
    .filter(([key]) => isStoredKey(key))
    .map(([key, text]) => [text, key as MessageKey]),
);

/** A stored line, to be said in the reader's language (an admin's own line: as written). */
export function storedSaid(line: string): Said {
  if (isStoredKey(line)) return said(line);
  const key = byEnglish.get(line);
  return key ? said(key) : said(AS_WRITTEN, { text: line });
}

/** A stored line in English, for `--json`, the logs and stored results. */
export function storedEnglish(line: string): string {
  return say(ENGLISH, storedSaid(line));
}

/**
 * The lines of a plan's or a result's follow-up checklist in `t`'s language, unescaped (a surface
 * escapes each whole line: the defaults quote PowerShell's `<name>`). Without Saids (a record made
 * before they were kept), each line as `storedSaid` reads it: ours in `t`'s language, an admin's as
 * written.
 */
export function sayFollowUp(
  t: Translator,
  followUp: readonly string[],
  followUpSaid?: readonly Said[] | null,
): string[] {
  if (followUpSaid) return followUpSaid.map((s) => say(t, s));
  return followUp.map((line) => say(t, storedSaid(line)));
}
