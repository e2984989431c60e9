/**
 * npm run bench -- --only render: the search modal with 40 results rendered in Dutch against the
 * same modal in English (target: Dutch ≤ 1.2× English at p50). No database: only our builders,
 * the catalogs and Intl. Rounds alternate the languages so a busy machine slows both alike.
 */

import type { Account } from "../src/db/schema.ts";
import { translator } from "../src/i18n/translator.ts";
import { type SearchResult, toView } from "../src/restore/search.ts";
import { DAY_MS } from "../src/restore/window.ts";
import { searchView } from "../src/slack/blocks/search.ts";
import { ms, percentile } from "./measure.ts";

export const RENDER_FLAGS = {
  "render-iterations": { type: "string", default: "2000" },
} as const;

const RATIO_TARGET = 1.2;
const NOW = new Date("2026-11-22T12:00:00Z");

export interface RenderOptions {
  iterations: number;
  log: (line?: string) => void;
}

export function renderOptionsFrom(
  flags: { "render-iterations"?: string },
  base: { log: (line?: string) => void },
): RenderOptions {
  const iterations = Number(flags["render-iterations"] ?? "2000");
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error(`--render-iterations takes a whole number, not ${flags["render-iterations"]}`);
  return { iterations, log: base.log };
}

function fortyResults(): SearchResult {
  const items = Array.from({ length: 40 }, (_, i) => {
    const deletedAt = new Date(NOW.getTime() - (i % 29) * DAY_MS);
    return toView(
      {
        id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`,
        directoryId: i % 3 ? "builtin" : "entra",
        externalId: `ext-${i}`,
        userName: `jane.doe${i}@example.com`,
        email: `jane.doe${i}@example.com`,
        displayName: `Jane Doe ${i}`,
        status: i % 10 === 1 ? "deleting" : "deleted",
        deletedAt,
        deletedBy: i % 7 ? "U0ADMIN2" : "system",
        deletionCompletesAt: i % 10 === 1 ? new Date(NOW.getTime() + DAY_MS) : null,
        purgeAfter: new Date(deletedAt.getTime() + 30 * DAY_MS),
        recreatedAs: null,
      } as Account,
      NOW,
    );
  });
  return { items, hasMore: true };
}

export async function runRenderBench(options: RenderOptions): Promise<void> {
  const { log, iterations } = options;
  const result = fortyResults();
  const directories = { builtin: "Contoso", entra: "Entra ID" };
  const languages = {
    en: translator("en-US", "America/New_York"),
    nl: translator("nl-NL", "Europe/Amsterdam"),
  };
  const times: Record<keyof typeof languages, number[]> = { en: [], nl: [] };
  let size = 0;
  const render = (language: keyof typeof languages) => {
    const started = performance.now();
    const view = searchView({ query: "jane", result, directories, t: languages[language] });
    times[language].push(performance.now() - started);
    size += view.blocks.length;
  };
  log("render bench: the search modal with 40 results, English and Dutch");
  for (let i = 0; i < 200; i++) {
    render("en");
    render("nl");
  }
  times.en.length = 0;
  times.nl.length = 0;
  for (let i = 0; i < iterations; i++) {
    if (i % 2) {
      render("en");
      render("nl");
    } else {
      render("nl");
      render("en");
    }
  }
  const en50 = percentile(times.en, 0.5);
  const nl50 = percentile(times.nl, 0.5);
  const ratio = nl50 / en50;
  log(`  en  p50 ${ms(en50)} ms  p95 ${ms(percentile(times.en, 0.95))} ms  (${times.en.length} renders)`);
  log(`  nl  p50 ${ms(nl50)} ms  p95 ${ms(percentile(times.nl, 0.95))} ms  (${times.nl.length} renders)`);
  log(
    `  nl / en at p50: ${ratio.toFixed(2)}× (target ≤ ${RATIO_TARGET}×) ${ratio <= RATIO_TARGET ? "ok" : "MISSED"}`,
  );
  if (size === 0) log("  (no blocks rendered?)");
}
