import { errorFields, type Logger } from "../log.ts";

export interface Loop {
  /** Runs the work now (or right after the run under way). */
  wake(): void;
  /** No more runs; resolves when the run under way ends. */
  stop(): Promise<void>;
}

/**
 * One job's own timer: the work runs, then again `everyMs` after it ended. A job stuck in its
 * work holds up nothing but itself; a failure is logged and the next run comes as usual.
 */
export function startLoop(job: string, everyMs: number, work: () => Promise<void>, log: Logger): Loop {
  let stopped = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  const run = () => {
    timer = undefined;
    running = work()
      .catch((error: unknown) => log.error("scheduled work failed", { job, ...errorFields(error) }))
      .finally(() => {
        running = null;
        if (stopped) return;
        if (again) {
          again = false;
          run();
          return;
        }
        timer = setTimeout(run, everyMs);
        timer.unref();
      });
  };
  run();
  return {
    wake: () => {
      if (stopped) return;
      if (running) again = true;
      else {
        clearTimeout(timer);
        run();
      }
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
