import { readdirSync, readFileSync } from "node:fs";
import type en from "./catalogs/en.json";

/**
 * Message catalogs: one JSON file per language in ./catalogs, named for its language
 * (`nl.json`). The set is read from the folder, so adding a language is adding a file.
 * `en` is the source: its keys are the keys (a key no catalog has fails tsc); a test checks that
 * every other catalog has each of them with the same placeholders. Keys starting with `$` are
 * notes for translators (the glossary), not messages.
 */
export type MessageKey = Exclude<keyof typeof en, `$${string}`>;

export type Catalog = Readonly<Record<string, string>>;

export const SOURCE_LANGUAGE = "en";

const CATALOG_DIR = new URL("./catalogs/", import.meta.url);

function readCatalogs(): ReadonlyMap<string, Catalog> {
  const found = new Map<string, Catalog>();
  for (const file of readdirSync(CATALOG_DIR).sort()) {
    const match = /^([a-z]{2,3})\.json$/.exec(file);
    if (!match?.[1]) continue;
    const parsed = JSON.parse(readFileSync(new URL(file, CATALOG_DIR), "utf8")) as Record<string, unknown>;
    const messages: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (!key.startsWith("$") && typeof value === "string") messages[key] = value;
    }
    found.set(match[1], messages);
  }
  if (!found.has(SOURCE_LANGUAGE)) throw new Error(`the ${SOURCE_LANGUAGE} message catalog is missing`);
  return found;
}

/** Every catalog, by language (`en`, `nl`), read once at start. */
export const catalogs: ReadonlyMap<string, Catalog> = readCatalogs();

/** The languages there are catalogs for. */
export function languages(): string[] {
  return [...catalogs.keys()];
}
