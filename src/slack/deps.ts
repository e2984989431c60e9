/**
 * What the Slack layer is given: the service, the clock, settings, the log, metrics and roles. Its
 * own module so the listeners and the app that registers them do not import each other.
 */
import type { Clock } from "../clock.ts";
import type { SlackSettings } from "../config.ts";
import type { DigestSettings } from "../digest/settings.ts";
import type { Logger } from "../log.ts";
import type { AppMetrics } from "../metrics/metrics.ts";
import type { RestoreService } from "../restore/service.ts";
import type { GroupRoles } from "../roles/group-roles.ts";
import type { ReaderLocales } from "./locales.ts";

export interface SlackDeps {
  service: RestoreService;
  clock: Clock;
  settings: SlackSettings;
  /** For `/restore-user digest`: the daily digest's time zone, window and channel. */
  digest: DigestSettings;
  log: Logger;
  /** Acks and Web API calls are recorded here when given. */
  metrics?: AppMetrics;
  /** User groups named in RESTORE_ADMINS or RESTORE_APPROVERS, kept current by Slack's events. */
  roles?: GroupRoles | null;
  /** Each reader's language; without it every surface is in English. */
  locales?: ReaderLocales;
}
