import nock from "nock";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { Fields, Logger } from "../../src/log.ts";
import type { ConnectorDeps } from "../../src/providers/port.ts";

/** Connector deps for tests: waits are recorded, not waited; warnings are kept for assertions. */
export function quietDeps(now = () => new Date("2026-11-24T10:00:00Z")) {
  const waits: number[] = [];
  const warnings: { message: string; fields?: Fields }[] = [];
  const log: Logger = {
    info: () => {},
    warn: (message, fields) => warnings.push({ message, fields }),
    error: (message, fields) => warnings.push({ message, fields }),
  };
  const deps: ConnectorDeps = {
    now,
    sleep: async (ms) => {
      waits.push(ms);
    },
    log,
  };
  return { deps, waits, warnings };
}

/**
 * The network off for the file; after each test, every nock expectation must have been used.
 * Mocks are cleared before the check, so one test's leftovers never fail the next.
 */
export function useNockedNetwork() {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
}
