import { isRefusal, type Refusal } from "../../src/restore/outcome.ts";

/** The service's answer when it did what was asked; a refusal fails the test with its reason. */
export function ok<T>(value: T): Exclude<T, { type: "refused" }> {
  if (isRefusal(value)) throw new Error(`refused: ${value.code}: ${value.message}`);
  return value as Exclude<T, { type: "refused" }>;
}

/** The service's refusal; anything else fails the test, showing what came instead. */
export function refused(value: unknown): Refusal {
  if (!isRefusal(value)) throw new Error(`expected a refusal, got ${JSON.stringify(value)}`);
  return value;
}
