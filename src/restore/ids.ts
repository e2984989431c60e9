/**
 * The one check of an id before it reaches a query: Postgres answers a malformed uuid with an
 * error (and the driver would log the value), so anything else is "no such thing" at once.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
