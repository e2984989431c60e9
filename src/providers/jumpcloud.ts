/**
 * JumpCloud. JumpCloud cannot restore a deleted user: the account is gone. What is left is the
 * `user_delete` event in Directory Insights (kept 90 days), which holds the user name, email, first
 * and last name; from that snapshot the user is *re-created* as a new account (a new id).
 *
 * - listDeleted: `POST {insights}/insights/directory/v1/events`, service `directory`, event type
 *   `user_delete`, paged with the `X-Search_after` response header until a page is shorter than
 *   `X-Limit`. A feed of deletions, not a bin: the mirror keeps what it learned.
 * - recreate: `POST {api}/api/systemusers` (email and username are required), then
 *   `POST /api/systemusers/{id}/expire` so the temporary password must be changed at first sign-in.
 * - findActive: `GET /api/systemusers?filter=username:$eq:…` / `filter=email:$eq:…`.
 * - readActive: `GET /api/systemusers/{id}`, null on a 404. JumpCloud has no bin: a deleted user is
 *   gone (404). Every user it still returns (Systemuserreturn's `state`: STAGED, ACTIVATED or
 *   SUSPENDED) exists and holds its user name and email, so it is returned: a suspended user
 *   reported as gone would let the mirror diverge from JumpCloud.
 * - removeActive: `DELETE /api/systemusers/{id}`.
 *
 * Auth: the admin's API key in `x-api-key`.
 *
 * Three points where JumpCloud's Directory Insights spec disagrees with itself, decided from the
 * spec (the OpenAPI 2.0 document JumpCloud ships in TheJumpCloud/jcapi-powershell,
 * SwaggerSpecs/JumpCloud.SDK.DirectoryInsights.json, whose description is the published API
 * reference) and from what JumpCloud's own SDKs send:
 * 1. `x-org-id` is sent only when JUMPCLOUD_ORG_ID is set. The events operation's security
 *    requirement lists `x-api-key` and `x-org-id` together, but the same document's prose sends
 *    `x-api-key` alone and adds `x-org-id` only under "Managed Service Providers"; the v1 spec's
 *    "Multi-Tenant Portal Headers" says single-tenant admins need not send it, and answers a
 *    malformed or unknown id with 400/404. jcapi-python (jcapiv1) sends `x-org-id` only when the
 *    caller gives one; the PowerShell SDK's Module.cs always adds the header, asking for the id at
 *    the prompt. We have no id to send for a single-tenant admin, and an empty or guessed one is
 *    what the v1 spec refuses, so we send none; an MSP admin sets JUMPCLOUD_ORG_ID and it goes on
 *    every request, Directory Insights and the console API alike.
 * 2. `search_term.and` is an object of field → value: `{"and": {"event_type": "user_delete"}}`. The
 *    schema types it (TermConjunction) as an object with additionalProperties; the prose examples
 *    wrap terms in an array. JumpCloud's PowerShell SDK (Get-JcSdkEvent, Get-JCEvent) takes
 *    `-SearchTermAnd` as a hashtable and serializes it as that object, and its documented examples
 *    AND two fields in one object. The object is what both the schema and JumpCloud's own client
 *    send; with one term it means the same as the prose's one-element array.
 * 3. `search_after` items are strings. The schema says `items: {type: string}`; the example
 *    `X-Search_after` header is `[1576181718000, "DZrPyW8BNsa9iKWoOm7h"]` and the prose says to send
 *    the header's value back. The PowerShell SDK parses that header into its `string[]` SearchAfter,
 *    so the timestamp goes back as "1576181718000"; we do the same (strings also keep a sort value
 *    exact where a JSON number would not).
 *
 * Every error the connector creates carries a next step (ProviderError.details.nextStep, listed in
 * JUMPCLOUD_NEXT_STEPS): the plan's choice for a conflict, a retry, or what to fix in JumpCloud's
 * Admin Portal or in our settings.
 */
import { z } from "zod";
// Our own messages are `toSay(key)`: `said` below is what JumpCloud answered.
import { type Said, said as toSay } from "../i18n/said.ts";
import { step } from "./next-step.ts";
import type {
  ConflictKeys,
  ConnectorDeps,
  ConnectorModule,
  DeletedProviderUser,
  DirectoryConnector,
  DirectoryProfile,
  ProviderConflict,
  ProviderUser,
  RestoredUser,
  RestoreInput,
} from "./port.ts";
import { ProviderError } from "./port.ts";
import { type HttpAnswer, ProviderHttp, retryAfterMs } from "./provider-http.ts";

const NAME = "JumpCloud";
/** Directory Insights keeps events this long; a deletion older than that is no longer reported. */
const INSIGHTS_RETENTION_DAYS = 90;
/** Rows per Directory Insights page (the service's default; at most 10,000). */
const PAGE_LIMIT = 1000;

const httpUrl = (fallback: string, example: string) =>
  z
    .url({ protocol: /^https?$/, error: `must be an http(s) URL, e.g. ${example}` })
    .default(fallback)
    .transform((u) => u.replace(/\/+$/, ""));

export const jumpcloudSettings = z.object({
  /** An administrator's API key (Admin Portal → API Settings). */
  JUMPCLOUD_API_KEY: z
    .string({ error: "JUMPCLOUD_API_KEY is required: an administrator's API key" })
    .trim()
    .min(1, "JUMPCLOUD_API_KEY is required: an administrator's API key"),
  /** Directory Insights; the EU data center uses https://api.eu.jumpcloud.com. */
  JUMPCLOUD_INSIGHTS_URL: httpUrl("https://api.jumpcloud.com", "https://api.jumpcloud.com"),
  /** The console API (system users); `/api` is added. EU: https://console.eu.jumpcloud.com. */
  JUMPCLOUD_API_URL: httpUrl("https://console.jumpcloud.com", "https://console.jumpcloud.com").transform(
    (u) => u.replace(/\/api$/, ""),
  ),
  /** For multi-tenant (MSP) administrators: the organization to work in. */
  JUMPCLOUD_ORG_ID: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : null)),
});

export type JumpCloudSettings = z.infer<typeof jumpcloudSettings>;

export const JUMPCLOUD_PROFILE: DirectoryProfile = {
  capabilities: {
    canRestore: false,
    batchRestore: false,
    hasDeletingState: false,
    setsPassword: true,
    // A re-creation can take another user name. JumpCloud requires an email on every user, so a
    // re-creation cannot go ahead without one: the address must be freed first.
    resolves: ["rename"],
    // JumpCloud requires unique user names and emails.
    unique: ["email"],
    listsWholeBin: false,
    // A catalog key: said in the reader's language (src/i18n/stored.ts).
    note: "directoryNote.jumpcloud",
  },
  retentionDays: INSIGHTS_RETENTION_DAYS,
  followUp: [
    "followUp.jumpcloud.newAccount",
    "followUp.jumpcloud.password",
    "followUp.jumpcloud.groups",
    "followUp.jumpcloud.devices",
    "followUp.jumpcloud.access",
    "followUp.jumpcloud.mfa",
    "followUp.jumpcloud.attributes",
  ],
};

// ─── JumpCloud's shapes (only the fields we read) ────────────────────────────────────────────

/** A Directory Insights event; `resource` is the deleted user, `initiated_by` who deleted it. */
interface InsightsEvent {
  id?: string;
  event_type?: string;
  timestamp?: string;
  success?: boolean;
  resource?: Record<string, unknown> | null;
  initiated_by?: Record<string, unknown> | null;
  changes?: { field?: string; from?: unknown; to?: unknown }[] | null;
}

/** A v1 system user (Systemuserreturn). */
interface SystemUser {
  _id?: string;
  id?: string;
  username?: string;
  email?: string;
  firstname?: string;
  lastname?: string;
  displayname?: string;
  department?: string;
  phoneNumbers?: { type?: string; number?: string }[];
}

interface SystemUsersList {
  totalCount?: number;
  results?: SystemUser[];
}

// ─── errors ──────────────────────────────────────────────────────────────────────────────────

const TAKEN = /already (exists|in use|taken|registered)|must be unique|not unique|duplicate|is taken|in use/i;

/**
 * The next step of each error the connector creates: one sentence, what the admin does next.
 * Conflicts point to the plan's choices for JumpCloud (a re-creation can take another user name or
 * replace the holder; it cannot leave the email out). Sources: the API key's place and "Command
 * runners receive a 403" (Directory Insights spec, "Authentication"), roles applying to the API key
 * (JumpCloud help, "Admin Portal Roles"), the EU hosts (both specs), the x-org-id answers (v1 spec,
 * "Multi-Tenant Portal Headers").
 */
const JUMPCLOUD_NEXT_STEPS = {
  usernameTaken: toSay("provider.jumpcloud.usernameTaken"),
  emailTaken: toSay("provider.jumpcloud.emailTaken"),
  conflict: toSay("provider.jumpcloud.conflict"),
  unauthorized: toSay("provider.jumpcloud.unauthorized"),
  unauthorizedMsp: toSay("provider.jumpcloud.unauthorizedMsp"),
  paymentRequired: toSay("provider.jumpcloud.paymentRequired"),
  forbidden: toSay("provider.jumpcloud.forbidden"),
  insightsNotFound: toSay("provider.jumpcloud.insightsNotFound"),
  consoleNotFound: toSay("provider.jumpcloud.consoleNotFound"),
  orgNotFound: toSay("provider.jumpcloud.orgNotFound"),
  orgIdInvalid: toSay("provider.jumpcloud.orgIdInvalid"),
  throttled: toSay("provider.jumpcloud.throttled"),
  down: toSay("provider.jumpcloud.down"),
  passwordRejected: toSay("provider.jumpcloud.passwordRejected"),
  insightsRefused: toSay("provider.jumpcloud.insightsRefused"),
  consoleRefused: toSay("provider.jumpcloud.consoleRefused"),
  notSupported: toSay("provider.jumpcloud.notSupported"),
  emailRequired: toSay("provider.jumpcloud.emailRequired"),
  emailMissing: toSay("provider.jumpcloud.emailMissing"),
  unreadableUser: toSay("provider.jumpcloud.unreadableUser"),
  badAnswer: toSay("provider.jumpcloud.badAnswer"),
} as const;

/** What an error mapper knows besides the answer: which API answered, and how we are set up. */
export interface JumpCloudErrorContext {
  /** Directory Insights or the console API (system users): a wrong URL names its variable. */
  api: "insights" | "console";
  /** JUMPCLOUD_ORG_ID is set: an MSP admin, whose organization id may be what is wrong. */
  orgIdSet: boolean;
  /** Never echoed: the API key, a temporary password. */
  secrets: readonly string[];
  now: Date;
}

/** JumpCloud's error answer → a ProviderError an admin can read and act on; never echoes a secret. */
export function jumpcloudErrorOf(
  answer: HttpAnswer,
  context: Partial<JumpCloudErrorContext> = {},
): ProviderError {
  const { api = "console", orgIdSet = false, secrets = [], now = new Date() } = context;
  const body = answer.body;
  const raw =
    typeof body === "string"
      ? body
      : body && typeof body === "object"
        ? firstString(body as Record<string, unknown>, ["message", "error", "status"])
        : null;
  const said = raw ? tidy(redact(raw, secrets)) : null;
  const status = answer.status;
  const error = (code: string, message: string, next: Said, more: { transient?: boolean } = {}) =>
    new ProviderError(NAME, code, message, { status, ...step(next), ...more });

  if (status === 409 || ((status === 400 || status === 422) && said && TAKEN.test(said))) {
    const conflict = conflictOf(said ?? "");
    if (conflict === "userName") {
      return new ProviderError(NAME, "username_taken", "another user already has this user name", {
        status,
        conflict,
        ...step(JUMPCLOUD_NEXT_STEPS.usernameTaken),
      });
    }
    if (conflict === "email") {
      return new ProviderError(NAME, "email_taken", "another user already has this email address", {
        status,
        conflict,
        ...step(JUMPCLOUD_NEXT_STEPS.emailTaken),
      });
    }
    return error(
      "conflict",
      said ? `conflict: ${said}` : "conflict with another user",
      JUMPCLOUD_NEXT_STEPS.conflict,
    );
  }
  // The v1 spec's x-org-id answers: 400 "Malformed ID.", 400 "x-org-id and Organization path ID do
  // not match", 404 "Organization ID Not Found.". Only an MSP admin sends the header.
  const aboutOrgId = orgIdSet && said !== null && /x-org-id|organi[sz]ation id|malformed id/i.test(said);
  switch (status) {
    case 401:
      return error(
        "unauthorized",
        "refused the API key (check JUMPCLOUD_API_KEY)",
        orgIdSet ? JUMPCLOUD_NEXT_STEPS.unauthorizedMsp : JUMPCLOUD_NEXT_STEPS.unauthorized,
      );
    case 402:
      return error(
        "payment_required",
        "refused: the organization's subscription does not cover this (payment required)",
        JUMPCLOUD_NEXT_STEPS.paymentRequired,
      );
    case 403:
      return error(
        "forbidden",
        api === "insights"
          ? "the API key's administrator may not read Directory Insights"
          : "the API key's administrator may not manage users",
        JUMPCLOUD_NEXT_STEPS.forbidden,
      );
    case 404:
      if (aboutOrgId) {
        return error("org_not_found", `no such organization: ${said}`, JUMPCLOUD_NEXT_STEPS.orgNotFound);
      }
      return api === "insights"
        ? error(
            "not_found",
            "found no Directory Insights at this address",
            JUMPCLOUD_NEXT_STEPS.insightsNotFound,
          )
        : error(
            "not_found",
            said ? `not found: ${said}` : "not found",
            orgIdSet ? JUMPCLOUD_NEXT_STEPS.orgNotFound : JUMPCLOUD_NEXT_STEPS.consoleNotFound,
          );
    case 429: {
      const waitMs = retryAfterMs(answer.headers, now);
      return error(
        "throttled",
        "asked us to slow down",
        waitMs !== null && waitMs >= 60_000
          ? toSay("refusal.provider.askedToWait", {
              provider: "JumpCloud",
              minutes: String(Math.ceil(waitMs / 60_000)),
            })
          : JUMPCLOUD_NEXT_STEPS.throttled,
        { transient: true },
      );
    }
  }
  if (status >= 500) {
    return error(`http_${status}`, "is not answering properly", JUMPCLOUD_NEXT_STEPS.down, {
      transient: true,
    });
  }
  if (aboutOrgId) {
    return error("org_id_invalid", `refused the organization id: ${said}`, JUMPCLOUD_NEXT_STEPS.orgIdInvalid);
  }
  if (api === "console" && said && /password/i.test(said)) {
    return error(
      "password_rejected",
      `refused the temporary password: ${said}`,
      JUMPCLOUD_NEXT_STEPS.passwordRejected,
    );
  }
  return error(
    `http_${status}`,
    said ? `refused: ${said}` : "refused the request",
    api === "insights" ? JUMPCLOUD_NEXT_STEPS.insightsRefused : JUMPCLOUD_NEXT_STEPS.consoleRefused,
  );
}

function conflictOf(message: string): ProviderConflict | null {
  if (/e-?mail/i.test(message)) return "email";
  if (/user ?name|login/i.test(message)) return "userName";
  return null;
}

function firstString(record: Record<string, unknown>, keys: string[]): string | null {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === "string" && value.trim()) return value;
  }
  return null;
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join("[redacted]");
  }
  return out;
}

/** One short line: a provider's message can be long, or an HTML error page. */
function tidy(text: string): string {
  const plain = text
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return plain.length > 200 ? `${plain.slice(0, 197)}...` : plain;
}

// ─── the connector ───────────────────────────────────────────────────────────────────────────

export class JumpCloudConnector implements DirectoryConnector {
  readonly kind = "jumpcloud" as const;
  readonly name = NAME;
  readonly profile = JUMPCLOUD_PROFILE;
  private readonly insights: ProviderHttp;
  private readonly api: ProviderHttp;

  constructor(
    settings: JumpCloudSettings,
    private readonly deps: ConnectorDeps,
  ) {
    const authHeaders = async (): Promise<Record<string, string>> => ({
      "x-api-key": settings.JUMPCLOUD_API_KEY,
      ...(settings.JUMPCLOUD_ORG_ID ? { "x-org-id": settings.JUMPCLOUD_ORG_ID } : {}),
    });
    const errorOf = (api: JumpCloudErrorContext["api"]) => (answer: HttpAnswer) =>
      jumpcloudErrorOf(answer, {
        api,
        orgIdSet: settings.JUMPCLOUD_ORG_ID !== null,
        secrets: [settings.JUMPCLOUD_API_KEY],
        now: deps.now(),
      });
    this.insights = new ProviderHttp({
      provider: NAME,
      baseUrl: settings.JUMPCLOUD_INSIGHTS_URL,
      authHeaders,
      errorOf: errorOf("insights"),
      deps,
    });
    this.api = new ProviderHttp({
      provider: NAME,
      baseUrl: `${settings.JUMPCLOUD_API_URL}/api`,
      authHeaders,
      errorOf: errorOf("console"),
      deps,
    });
  }

  /**
   * The `user_delete` events of the last 90 days, one Directory Insights page at a time. The next
   * page is asked for with the `X-Search_after` header of the last one; the header is always
   * present, so the end is a page shorter than `X-Limit`.
   */
  async *listDeleted(): AsyncIterable<DeletedProviderUser[]> {
    const now = this.deps.now();
    const start = new Date(now.getTime() - INSIGHTS_RETENTION_DAYS * 86_400_000);
    const query = {
      service: ["directory"],
      start_time: rfc3339(start),
      sort: "ASC",
      limit: PAGE_LIMIT,
      // An object, not the prose's array: see point 2 in the header.
      search_term: { and: { event_type: "user_delete" } },
    };
    let searchAfter: string[] | null = null;
    const seen = new Set<string>();
    for (;;) {
      const answer: HttpAnswer<unknown> = await this.insights.post<unknown>("/insights/directory/v1/events", {
        json: searchAfter ? { ...query, search_after: searchAfter } : query,
      });
      const events = Array.isArray(answer.body) ? (answer.body as InsightsEvent[]) : [];
      const page = events.flatMap((event) => {
        const user = deletedUserOf(event);
        return user ? [user] : [];
      });
      if (page.length > 0) yield page;

      const count = headerNumber(answer.headers, "x-result-count") ?? events.length;
      const limit = headerNumber(answer.headers, "x-limit") ?? PAGE_LIMIT;
      if (events.length === 0 || count < limit) return;
      const next = parseSearchAfter(answer.headers.get("x-search_after"));
      if (!next) {
        throw new ProviderError(
          NAME,
          "no_cursor",
          "Directory Insights sent a full page but no X-Search_after to continue from",
          { status: answer.status, ...step(syncAgain(answer.headers)) },
        );
      }
      const key = JSON.stringify(next);
      if (seen.has(key)) {
        throw new ProviderError(NAME, "cursor_loop", "Directory Insights sent the same page cursor twice", {
          status: answer.status,
          ...step(syncAgain(answer.headers)),
        });
      }
      seen.add(key);
      searchAfter = next;
    }
  }

  async findActive(keys: ConflictKeys): Promise<ProviderUser[]> {
    const found = new Map<string, ProviderUser>();
    const lookups: [field: "username" | "email", value: string][] = [
      ...unique(keys.userNames).map((v) => ["username", v] as ["username", string]),
      ...unique(keys.addresses).map((v) => ["email", v] as ["email", string]),
    ];
    // Phones are not unique in JumpCloud and cannot block a re-creation: not looked up.
    for (const [field, value] of lookups) {
      const answer = await this.api.get<SystemUsersList>("/systemusers", {
        query: { filter: `${field}:$eq:${value}`, limit: 100 },
      });
      for (const raw of answer.body?.results ?? []) {
        const user = providerUserOf(raw);
        if (!user) continue;
        const held = field === "username" ? user.userName : (user.email ?? "");
        // The filter is the provider's; keep only exact (case-insensitive) matches.
        if (held.toLowerCase() === value.toLowerCase()) found.set(user.externalId, user);
      }
    }
    return [...found.values()];
  }

  async restore(_input: RestoreInput): Promise<RestoredUser> {
    throw new ProviderError(
      NAME,
      "not_supported",
      "cannot restore a deleted user; restoring re-creates the user as a new account",
      { ...step(JUMPCLOUD_NEXT_STEPS.notSupported) },
    );
  }

  async recreate(input: RestoreInput): Promise<RestoredUser> {
    const { user } = input;
    const userName = (input.newUserName ?? user.userName).trim();
    const recorded = user.email?.trim() || null;
    if (!recorded) {
      // Nothing the plan can choose: the snapshot has no address to give the new account.
      throw new ProviderError(
        NAME,
        "email_missing",
        "needs an email address to create a user, and none is recorded",
        {
          ...step(JUMPCLOUD_NEXT_STEPS.emailMissing),
        },
      );
    }
    // A rename takes an email that followed the user name along (the plan says which).
    const email = input.newEmail ?? (input.dropEmail ? null : recorded);
    if (!email) {
      throw new ProviderError(
        NAME,
        "email_required",
        "needs an email address to create a user; the address cannot be left out",
        { conflict: "email", ...step(JUMPCLOUD_NEXT_STEPS.emailRequired) },
      );
    }
    const password = input.temporaryPassword;
    const phone = input.dropPhone ? null : user.phone;
    const department = input.department ?? user.department;
    const body: Record<string, unknown> = {
      username: userName,
      email,
      ...(user.givenName ? { firstname: user.givenName } : {}),
      ...(user.familyName ? { lastname: user.familyName } : {}),
      ...(user.displayName && user.displayName !== userName ? { displayname: user.displayName } : {}),
      ...(department ? { department } : {}),
      ...(phone ? { phoneNumbers: [{ type: "work", number: phone }] } : {}),
      // With a password the user is live at once and JumpCloud sends no activation email; without
      // one, the organization's default state applies (and JumpCloud invites the user by email).
      ...(password ? { password, state: "ACTIVATED" } : {}),
    };
    const secrets = password ? [password] : [];
    const answer = await withoutSecrets(secrets, () =>
      this.api.post<SystemUser>("/systemusers", { json: body }),
    );
    const created = providerUserOf(answer.body);
    if (!created) {
      throw new ProviderError(NAME, "bad_answer", "created the user but did not say its id", {
        status: answer.status,
        ...step(JUMPCLOUD_NEXT_STEPS.badAnswer),
      });
    }
    if (password) {
      try {
        await withoutSecrets(secrets, () =>
          this.api.post(`/systemusers/${encodeURIComponent(created.externalId)}/expire`),
        );
      } catch (error) {
        // The account exists: failing here would invite a second re-creation that then conflicts.
        this.deps.log.warn("JumpCloud re-created the user but did not expire the temporary password", {
          provider: NAME,
          externalId: created.externalId,
          code: error instanceof ProviderError ? error.code : "unknown",
        });
      }
    }
    this.deps.log.info("JumpCloud user re-created", {
      provider: NAME,
      oldExternalId: input.externalId,
      externalId: created.externalId,
    });
    return created;
  }

  /**
   * The user with this id as JumpCloud has it now, read by id. null only for a 404 about the user:
   * JumpCloud deletes users outright, so "not found" is "deleted or never there". A 404 about an
   * MSP admin's organization id (org_not_found) is a setup fault and is thrown, not read as "gone".
   * Suspended and staged users are returned: they exist and hold their user name and email.
   */
  async readActive(externalId: string): Promise<ProviderUser | null> {
    let answer: HttpAnswer<SystemUser>;
    try {
      answer = await this.api.get<SystemUser>(`/systemusers/${encodeURIComponent(externalId)}`);
    } catch (error) {
      if (error instanceof ProviderError && error.code === "not_found") return null;
      throw error;
    }
    const user = providerUserOf(answer.body);
    if (!user) {
      throw new ProviderError(NAME, "bad_answer", "answered without the user's id or user name", {
        status: answer.status,
        ...step(JUMPCLOUD_NEXT_STEPS.unreadableUser),
      });
    }
    return user;
  }

  async removeActive(externalId: string): Promise<void> {
    try {
      await this.api.request("DELETE", `/systemusers/${encodeURIComponent(externalId)}`);
    } catch (error) {
      // Already gone is what we wanted; an MSP organization JumpCloud does not know is not that.
      if (error instanceof ProviderError && error.code === "not_found") return;
      throw error;
    }
  }
}

/** A paging fault of Directory Insights: the next sync starts over; JumpCloud can trace the request. */
function syncAgain(headers: Headers): Said {
  const requestId = headers.get("x-request-id")?.trim();
  return requestId
    ? toSay("provider.jumpcloud.syncAgainRequest", { requestId })
    : toSay("provider.jumpcloud.syncAgain");
}

/** Runs a request; a ProviderError whose message would carry one of the secrets is rebuilt without it. */
async function withoutSecrets<T>(secrets: readonly string[], run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ProviderError && secrets.some((s) => s && error.message.includes(s))) {
      const message = redact(error.message.replace(`${NAME}: `, "").replace(/ \([^()]*\)$/, ""), secrets);
      throw new ProviderError(NAME, error.code, message, error.details);
    }
    throw error;
  }
}

// ─── mapping ─────────────────────────────────────────────────────────────────────────────────

/** A `user_delete` event → the deleted user, or null when it is not one we can re-create. */
export function deletedUserOf(event: InsightsEvent): DeletedProviderUser | null {
  if (event.event_type !== "user_delete" || event.success === false) return null;
  const resource = event.resource ?? {};
  const externalId = text(resource.id);
  // The event's fields first; `changes` may carry what the resource does not (the old values).
  const pick = (...fields: string[]) => {
    for (const field of fields) {
      const value = text(resource[field]);
      if (value) return value;
    }
    for (const field of fields) {
      const change = event.changes?.find((c) => c.field === field);
      const value = text(change?.from) ?? text(change?.to);
      if (value) return value;
    }
    return null;
  };
  const email = pick("email", "recipient_email");
  const userName = pick("username") ?? email;
  if (!externalId || !userName) return null;
  const givenName = pick("firstname");
  const familyName = pick("lastname");
  const displayName =
    pick("displayname", "name") ?? ([givenName, familyName].filter(Boolean).join(" ") || userName);
  const by = event.initiated_by ?? {};
  const at = event.timestamp ? new Date(event.timestamp) : null;
  return {
    externalId,
    userName,
    email,
    aliases: [],
    phone: null,
    displayName,
    givenName,
    familyName,
    department: pick("department"),
    license: null,
    status: "deleted",
    deletedAt: at && !Number.isNaN(at.getTime()) ? at : null,
    deletedBy: text(by.email) ?? text(by.username) ?? text(by.id),
  };
}

/** A v1 system user → ours. */
export function providerUserOf(raw: SystemUser | null | undefined): ProviderUser | null {
  if (!raw || typeof raw !== "object") return null;
  const externalId = text(raw._id) ?? text(raw.id);
  const userName = text(raw.username);
  if (!externalId || !userName) return null;
  const givenName = text(raw.firstname);
  const familyName = text(raw.lastname);
  return {
    externalId,
    userName,
    email: text(raw.email),
    aliases: [],
    phone: raw.phoneNumbers?.map((p) => text(p.number)).find((n) => n !== null) ?? null,
    displayName: text(raw.displayname) ?? ([givenName, familyName].filter(Boolean).join(" ") || userName),
    givenName,
    familyName,
    department: text(raw.department),
    license: null,
  };
}

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() ? value.trim() : null;
}

function unique(values: string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter(Boolean))];
}

function headerNumber(headers: Headers, name: string): number | null {
  const value = headers.get(name);
  if (value === null || value.trim() === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * `X-Search_after: [1576181718000, "DZrPyW8BNsa9iKWoOm7h"]` → `["1576181718000", "DZrPyW8BNsa9iKWoOm7h"]`,
 * the spec's `string[]` (point 3 in the header). null when the header is missing or not a list of
 * strings and numbers.
 */
export function parseSearchAfter(value: string | null): string[] | null {
  if (!value) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return null;
  const items = parsed.map((item) =>
    typeof item === "string" ? item : typeof item === "number" && Number.isFinite(item) ? String(item) : null,
  );
  return items.every((item): item is string => item !== null) ? items : null;
}

/** RFC 3339 in UTC, without milliseconds: `2026-08-26T10:00:00Z`. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export const jumpcloudModule: ConnectorModule<JumpCloudSettings> = {
  kind: "jumpcloud",
  name: NAME,
  required: ["JUMPCLOUD_API_KEY"],
  optional: ["JUMPCLOUD_INSIGHTS_URL", "JUMPCLOUD_API_URL", "JUMPCLOUD_ORG_ID"],
  settings: jumpcloudSettings,
  create: (settings, deps) => new JumpCloudConnector(settings, deps),
};
