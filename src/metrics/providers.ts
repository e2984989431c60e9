/**
 * Identity provider calls as metrics: each call through the Directory port (a restore, a lookup,
 * a page of the bin), timed with its retries, and counted when it fails. The connector is wrapped
 * where the app is put together, so connectors and their HTTP client stay as they are.
 */
import type { DirectoryConnector } from "../providers/port.ts";
import type { AppMetrics } from "./metrics.ts";

type Operation = "findActive" | "restore" | "recreate" | "removeActive" | "readActive" | "listDepartments";
const OPERATIONS: readonly Operation[] = [
  "findActive",
  "restore",
  "recreate",
  "removeActive",
  "readActive",
  "listDepartments",
];

export function measuredConnector(connector: DirectoryConnector, metrics: AppMetrics): DirectoryConnector {
  const provider = connector.kind;
  const timed = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await call();
      metrics.providerCall(provider, operation, seconds(), false);
      return result;
    } catch (error) {
      metrics.providerCall(provider, operation, seconds(), true);
      throw error;
    }
  };
  const measured: DirectoryConnector = Object.create(connector);
  for (const operation of OPERATIONS) {
    const original = connector[operation] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    if (!original) continue;
    Object.assign(measured, {
      [operation]: (...args: unknown[]) => timed(operation, () => original.apply(connector, args)),
    });
  }
  // The bin is read a page at a time: each page is one call.
  Object.assign(measured, {
    listDeleted: () => measuredPages(connector.listDeleted(), (next) => timed("listDeleted", next)),
  });
  return measured;
}

async function* measuredPages<T>(
  pages: AsyncIterable<T>,
  timed: (next: () => Promise<IteratorResult<T>>) => Promise<IteratorResult<T>>,
): AsyncGenerator<T> {
  const iterator = pages[Symbol.asyncIterator]();
  try {
    for (;;) {
      const page = await timed(() => iterator.next());
      if (page.done) return;
      yield page.value;
    }
  } finally {
    await iterator.return?.();
  }
}
