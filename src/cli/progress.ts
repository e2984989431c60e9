import { ENGLISH, type Translator } from "../i18n/translator.ts";

/**
 * The import's progress line on a terminal: rows validated, rows loaded, the rate and the time
 * left. Redrawn at most a few times a second (a page of rows takes well under that on Postgres,
 * and a terminal flooded with redraws slows the import it reports on).
 */
export const PROGRESS_INTERVAL_MS = 250;

export interface ImportProgress {
  validated(rows: number): void;
  loaded(rows: number, total: number): void;
  /** A file read as a stream: rows checked and loaded so far; the total is not known. */
  streamed(validated: number, loaded: number): void;
  /** Clears the line, so the summary that follows starts on a clean one. */
  done(): void;
}

/**
 * `total` 0: nothing loaded yet; null: a stream, whose total is known only at its end. In the
 * reader's language (`t`), numbers grouped as it groups them.
 */
export function progressLine(
  p: {
    validated: number;
    loaded: number;
    total: number | null;
    elapsedMs: number;
  },
  t: Translator = ENGLISH,
): string {
  const parts = [t.t("cli.progress.validated", { count: p.validated })];
  if (p.total === null) {
    parts.push(t.t("cli.progress.loaded", { count: p.loaded }));
    const rate = p.elapsedMs > 0 ? (p.loaded * 1000) / p.elapsedMs : 0;
    if (rate > 0) parts.push(t.t("cli.progress.rate", { rate: Math.round(rate) }));
  } else if (p.total > 0) {
    parts.push(t.t("cli.progress.loadedOf", { loaded: p.loaded, total: p.total }));
    const rate = p.elapsedMs > 0 ? (p.loaded * 1000) / p.elapsedMs : 0;
    if (rate > 0) {
      const left = Math.ceil((p.total - p.loaded) / rate);
      parts.push(
        t.t("cli.progress.rate", { rate: Math.round(rate) }),
        left > 0 ? t.t("cli.progress.left", { seconds: left }) : t.t("cli.progress.finishing"),
      );
    }
  }
  return parts.join(", ");
}

/** `draw` shows a line in place ("" clears it); `now` is a clock in milliseconds; `t` the reader's language. */
export function importProgress(
  draw: (line: string) => void,
  now: () => number = () => performance.now(),
  t: Translator = ENGLISH,
): ImportProgress {
  let validated = 0;
  let loadStarted: number | null = null;
  let lastDrawn = Number.NEGATIVE_INFINITY;
  return {
    validated(rows) {
      validated = rows;
      loadStarted = now(); // the load starts as validation ends
      draw(progressLine({ validated, loaded: 0, total: 0, elapsedMs: 0 }, t));
      lastDrawn = now();
    },
    loaded(rows, total) {
      const at = now();
      if (at - lastDrawn < PROGRESS_INTERVAL_MS && rows < total) return;
      lastDrawn = at;
      draw(progressLine({ validated, loaded: rows, total, elapsedMs: at - (loadStarted ?? at) }, t));
    },
    streamed(rows, loaded) {
      const at = now();
      loadStarted ??= at; // reading and loading start together
      if (at - lastDrawn < PROGRESS_INTERVAL_MS) return;
      lastDrawn = at;
      draw(progressLine({ validated: rows, loaded, total: null, elapsedMs: at - loadStarted }, t));
    },
    done() {
      draw("");
    },
  };
}
