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

const count = (n: number) => n.toLocaleString("en-US");

/** `total` 0: nothing loaded yet; null: a stream, whose total is known only at its end. */
export function progressLine(p: {
  validated: number;
  loaded: number;
  total: number | null;
  elapsedMs: number;
}): string {
  const parts = [`Import: ${count(p.validated)} rows validated`];
  if (p.total === null) {
    parts.push(`${count(p.loaded)} loaded`);
    const rate = p.elapsedMs > 0 ? (p.loaded * 1000) / p.elapsedMs : 0;
    if (rate > 0) parts.push(`${count(Math.round(rate))} rows/s`);
  } else if (p.total > 0) {
    parts.push(`${count(p.loaded)} of ${count(p.total)} loaded`);
    const rate = p.elapsedMs > 0 ? (p.loaded * 1000) / p.elapsedMs : 0;
    if (rate > 0) {
      const left = Math.ceil((p.total - p.loaded) / rate);
      parts.push(`${count(Math.round(rate))} rows/s`, left > 0 ? `about ${left} s left` : "finishing");
    }
  }
  return parts.join(", ");
}

/** `draw` shows a line in place ("" clears it); `now` is a clock in milliseconds. */
export function importProgress(
  draw: (line: string) => void,
  now: () => number = () => performance.now(),
): ImportProgress {
  let validated = 0;
  let loadStarted: number | null = null;
  let lastDrawn = Number.NEGATIVE_INFINITY;
  return {
    validated(rows) {
      validated = rows;
      loadStarted = now(); // the load starts as validation ends
      draw(progressLine({ validated, loaded: 0, total: 0, elapsedMs: 0 }));
      lastDrawn = now();
    },
    loaded(rows, total) {
      const t = now();
      if (t - lastDrawn < PROGRESS_INTERVAL_MS && rows < total) return;
      lastDrawn = t;
      draw(progressLine({ validated, loaded: rows, total, elapsedMs: t - (loadStarted ?? t) }));
    },
    streamed(rows, loaded) {
      const t = now();
      loadStarted ??= t; // reading and loading start together
      if (t - lastDrawn < PROGRESS_INTERVAL_MS) return;
      lastDrawn = t;
      draw(progressLine({ validated: rows, loaded, total: null, elapsedMs: t - loadStarted }));
    },
    done() {
      draw("");
    },
  };
}
