/** Timings of one case, in milliseconds, and how many of its calls found what they looked for. */
export interface Samples {
  times: number[];
  /** Calls whose answer was right (the account found, the restore done); null when not judged. */
  found: number | null;
  /** The case hit its time budget before all iterations ran. */
  stoppedEarly: boolean;
}

export interface MeasureOptions<T> {
  /** Warm-up inputs first, then measured ones; cycled if there are fewer than warmup + iterations. */
  inputs: readonly T[];
  warmup: number;
  iterations: number;
  /** Stops measuring (keeping what it has) once the case has run this long; warm-up gets a third. */
  budgetMs: number;
  /** One call; returns whether the answer was right, or undefined when that is not judged. */
  run: (input: T) => Promise<boolean | undefined>;
}

/** Runs the warm-up, then times each call with performance.now(). Bounded by iterations and budget. */
export async function measure<T>(options: MeasureOptions<T>): Promise<Samples> {
  const { inputs, warmup, iterations, budgetMs, run } = options;
  if (inputs.length === 0) throw new Error("no inputs to measure");
  const input = (i: number) => inputs[i % inputs.length] as T;
  const started = performance.now();
  for (let i = 0; i < warmup && performance.now() - started < budgetMs / 3; i++) await run(input(i));
  const times: number[] = [];
  let found: number | null = null;
  let stoppedEarly = false;
  for (let i = 0; i < iterations; i++) {
    if (performance.now() - started > budgetMs) {
      stoppedEarly = true;
      break;
    }
    const t = performance.now();
    const ok = await run(input(warmup + i));
    times.push(performance.now() - t);
    if (ok !== undefined) found = (found ?? 0) + (ok ? 1 : 0);
  }
  return { times, found, stoppedEarly };
}

/** Nearest-rank percentile (q in 0..1) of unsorted samples. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

/** The largest sample; a loop, as spreading 100,000+ samples into Math.max overflows the stack. */
export function maxOf(samples: readonly number[]): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const x of samples) if (x > max) max = x;
  return max;
}

export const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : "-");

/** Left-aligned first column, right-aligned others, columns as wide as their widest cell. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
