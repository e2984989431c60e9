import { z } from "zod";
import { configError, configLine } from "../config.ts";
import { isValidTimeZone } from "./calendar.ts";

/** The daily digest's settings, from DIGEST_* variables (to be folded into config.ts). */
export interface DigestSettings {
  /** Local time of day the digest is sent, "HH:MM" (DIGEST_TIME). */
  time: string;
  /** IANA time zone of that time and of the days in the digest (DIGEST_TIMEZONE). */
  timeZone: string;
  /** Accounts whose window ends within this many local days after today are listed (DIGEST_WINDOW_DAYS). */
  windowDays: number;
  /** Where it is posted (DIGEST_CHANNEL_ID); null: the admin channel. */
  channelId: string | null;
  /** A day with nothing to say: post nothing, or one short line (DIGEST_EMPTY_DAY). */
  emptyDay: "skip" | "line";
}

export const MAX_WINDOW_DAYS = 60;

export const digestSettingsSchema = z.object({
  DIGEST_TIME: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day HH:MM, e.g. 09:00")
    .default("09:00"),
  DIGEST_TIMEZONE: z
    .string()
    .refine(isValidTimeZone, "must be an IANA time zone name, e.g. Europe/Amsterdam or America/New_York")
    .default("UTC"),
  DIGEST_WINDOW_DAYS: z.coerce
    .number({ error: "must be a whole number of days" })
    .int("must be a whole number of days")
    .min(1, "must be at least 1")
    .max(MAX_WINDOW_DAYS, `must be at most ${MAX_WINDOW_DAYS}`)
    .default(7),
  DIGEST_CHANNEL_ID: z
    .string()
    .regex(/^[CG][A-Z0-9]{2,}$/, "must be a Slack channel id, e.g. C012ABCDEF")
    .optional(),
  DIGEST_EMPTY_DAY: z.enum(["skip", "line"], { error: "must be skip or line" }).default("skip"),
});

/** Parses the DIGEST_* variables; a bad one throws a ConfigError naming every variable at fault. */
export function digestSettingsFrom(env: NodeJS.ProcessEnv = process.env): DigestSettings {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k.startsWith("DIGEST_") && v !== undefined && v.trim() !== ""),
  );
  const parsed = digestSettingsSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => configLine(issue.path.join("."), issue.message));
    throw configError("config.digest.invalid", lines);
  }
  const s = parsed.data;
  return {
    time: s.DIGEST_TIME,
    timeZone: s.DIGEST_TIMEZONE,
    windowDays: s.DIGEST_WINDOW_DAYS,
    channelId: s.DIGEST_CHANNEL_ID ?? null,
    emptyDay: s.DIGEST_EMPTY_DAY,
  };
}
