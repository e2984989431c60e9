/** The zod pieces every connector's settings are made of: a variable set to "" counts as unset. */
import { z } from "zod";

export const blankIsUnset = (value: unknown) =>
  typeof value === "string" && value.trim() === "" ? undefined : value;

/** A variable that must be set; `what` says what to put in it. */
export const requiredVar = (what: string) =>
  z.preprocess(
    blankIsUnset,
    z
      .string({ error: `is required: ${what}` })
      .trim()
      .min(1, `is required: ${what}`),
  );

/** An optional variable. */
export const optionalVar = () => z.preprocess(blankIsUnset, z.string().optional());

/** A provider's base URL (national clouds, EU data centres, tests), without a trailing slash. */
export const baseUrl = (fallback: string) =>
  z.preprocess(
    blankIsUnset,
    z
      .url({ protocol: /^https?$/, error: `must be an http(s) URL, e.g. ${fallback}` })
      .default(fallback)
      .transform((url) => url.replace(/\/+$/, "")),
  );

/** A provider's timestamp, or null when it is missing or not a date. */
export function dateOrNull(value: string | null | undefined): Date | null {
  if (!value) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at;
}
