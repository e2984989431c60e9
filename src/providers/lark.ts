/**
 * Lark / Feishu connector (Open API, contact v3), for self-built apps with a tenant access token.
 *
 * - Auth: `POST /open-apis/auth/v3/tenant_access_token/internal` with app_id/app_secret, cached.
 * - Lark answers many errors with HTTP 200 (or 400) and `code` ≠ 0: `bodyError`/`errorOf` read the code.
 * - Restore: `POST /open-apis/contact/v3/users/:open_id/resurrect` (10 requests a minute, paced here;
 *   scope contact:contact, and "Assign user seats" for subscription_ids).
 * - A member by id: `GET /open-apis/contact/v3/users/:open_id` (`data.user`, `status.is_resigned`;
 *   41012 for an unknown id, 41050 outside the app's contacts data scope).
 * - Errors end in a next step: a plan choice, a retry, or the scope or setting to fix.
 * - Lark has no API listing deleted members: departures arrive as `contact.user.deleted_v3` events,
 *   parsed by the pure helpers at the bottom (`readLarkEvent`, `deletedUserFromEvent`); `listDeleted()`
 *   yields nothing.
 *
 * Ids: `externalId` is the user's open_id (stable, and the only id Lark accepts for a resurrect when
 * another active member has taken the user_id: error 44032); `userName` is the tenant's user_id.
 */
import { createDecipheriv, createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { MessageKey } from "../i18n/catalog.ts";
import { type Said, said as toSay } from "../i18n/said.ts";
import { blankIsUnset, optionalVar } from "./env.ts";
import { step, stepOrNone } from "./next-step.ts";
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
import { CachedToken, type HttpAnswer, ProviderHttp, type RetryPolicy } from "./provider-http.ts";

const PROVIDER = "Lark";
export const LARK_DEFAULT_API_URL = "https://open.larksuite.com";

export const larkSettingsSchema = z.object({
  LARK_APP_ID: z.string({ error: "is required" }).trim().min(1, "is required"),
  LARK_APP_SECRET: z.string({ error: "is required" }).min(1, "is required"),
  /** https://open.larksuite.com (Lark) or https://open.feishu.cn (Feishu). */
  LARK_API_URL: z.preprocess(
    blankIsUnset,
    z
      .url({ error: "must be an https:// URL, e.g. https://open.feishu.cn" })
      .default(LARK_DEFAULT_API_URL)
      .transform((u) => u.replace(/\/+$/, "")),
  ),
  /** The event subscription's Verification Token (checks that events come from Lark). */
  LARK_VERIFICATION_TOKEN: optionalVar(),
  /** The event subscription's Encrypt Key (decrypts events, checks X-Lark-Signature). */
  LARK_ENCRYPT_KEY: optionalVar(),
});

export type LarkSettings = z.infer<typeof larkSettingsSchema>;

export const LARK_FOLLOW_UP: MessageKey[] = [
  "followUp.lark.department",
  "followUp.lark.roles",
  "followUp.lark.dynamicGroups",
  "followUp.lark.transferred",
  "followUp.lark.approvals",
  "followUp.lark.calendars",
  "followUp.lark.seat",
];

export const LARK_PROFILE: DirectoryProfile = {
  capabilities: {
    canRestore: true,
    batchRestore: false,
    hasDeletingState: true,
    setsPassword: false,
    resolves: ["chooseDepartment"],
    // Lark refuses a restore whose email (44031) or mobile (44030) another member has.
    unique: ["email", "phone"],
    listsWholeBin: false,
    // A catalog key: said in the reader's language (src/i18n/stored.ts).
    note: "directoryNote.lark",
  },
  retentionDays: 30,
  followUp: LARK_FOLLOW_UP,
};

/** Lark's resurrect endpoint allows 10 requests a minute. */
export const RESTORES_PER_MINUTE = 10;
const MINUTE_MS = 60_000;
/** Lark's lookups take at most 50 emails, 50 mobiles, or 50 ids per request. */
const BATCH = 50;

/** Codes Lark answers when the tenant access token is invalid or expired (oapi-sdk-go and the issue). */
const TOKEN_INVALID = new Set([99991661, 99991663, 99991664, 99991668, 99991671]);
const RATE_LIMITED = 99991400;

// Next steps name where a restore can be done by hand (Deleted Members, where the department and
// seat are picked on screen: the Lark seed) and where an app's scopes are enabled (a change takes
// effect once a new app version is published): see the provider.lark.* messages.

/** What Lark said, in our words, and what the admin does next. */
interface Mapped {
  message: string;
  nextStep: Said;
}

/** Lark's conflict codes (contact v3 user resurrect): the plan offers the same choices as ours. */
const CONFLICTS: Record<number, Mapped & { conflict: ProviderConflict }> = {
  44028: {
    conflict: "expired",
    message: "the member was deleted more than 30 days ago and cannot be restored",
    nextStep: toSay("provider.lark.addAgain"),
  },
  44030: {
    conflict: "phone",
    message: "another active member has this phone number; change theirs first, then retry",
    nextStep: toSay("provider.lark.phoneTaken"),
  },
  44031: {
    conflict: "email",
    message: "another active member has this email address; change theirs first, then retry",
    nextStep: toSay("provider.lark.emailTaken"),
  },
  44032: {
    conflict: "userName",
    message: "another active member now has this user ID",
    nextStep: toSay("provider.lark.userIdTaken"),
  },
  44034: {
    conflict: "deleting",
    message: "Lark is still finishing the deletion; retry later (it takes at most 48 hours)",
    nextStep: toSay("provider.lark.deleting"),
  },
  41007: {
    conflict: "seat",
    message: "the organization has reached its member limit; free a seat, then retry",
    nextStep: toSay("provider.lark.memberLimit"),
  },
  41008: {
    conflict: "seat",
    message: "the organization has reached its seat limit; free or buy a seat, then retry",
    nextStep: toSay("provider.lark.memberLimit"),
  },
  44023: {
    conflict: "seat",
    message: "the plan's member limit is reached; upgrade the plan or free a seat",
    nextStep: toSay("provider.lark.upgrade"),
  },
  44046: {
    conflict: "seat",
    message: "this organization has several licences: a seat must be chosen for the member",
    nextStep: toSay("provider.lark.chooseSeat"),
  },
  44047: {
    conflict: "seat",
    message: "no seat of this licence is left; free or buy a seat, then retry",
    nextStep: toSay("provider.lark.freeSeat"),
  },
  44048: {
    conflict: "seat",
    message: "the seat chosen for the member is not valid",
    nextStep: toSay("provider.lark.validSeat"),
  },
};

/** Lark's other codes we name; 99991672 (a scope is missing) is read apart, to name the scope. */
const PLAIN: Record<number, Mapped> = {
  44029: {
    message: "the app is not allowed to restore members (Lark must enable it)",
    nextStep: toSay("provider.lark.enableRestore"),
  },
  44033: {
    message: "the member is not deleted (already active)",
    nextStep: toSay("provider.lark.active"),
  },
  44041: {
    message: "the member's information was anonymized and cannot be restored",
    nextStep: toSay("provider.lark.addAgain"),
  },
  44050: {
    message: "the app lacks the Lark permission to assign seats",
    nextStep: toSay("provider.lark.assignSeats"),
  },
  41050: {
    message: "the member is outside the app's contacts data scope",
    nextStep: toSay("provider.lark.dataScope"),
  },
  41012: {
    message: "Lark knows no member with this ID",
    nextStep: toSay("provider.lark.unknownMember"),
  },
  10003: {
    message: "the app ID was not recognized",
    nextStep: toSay("provider.lark.appId"),
  },
  10014: {
    message: "the app secret was not accepted",
    nextStep: toSay("provider.lark.appSecret"),
  },
};

const MISSING_SCOPE = 99991672;
/** user get: "user id invalid error", Lark's answer for an id it does not know. */
const USER_ID_INVALID = 41012;

/**
 * The scopes a 99991672 answer names: `error.permission_violations[].subject`, or the list in
 * `msg` ("Access denied. One of the following scopes is required: [contact:contact]").
 */
export function missingScopes(body: unknown): string[] {
  const violations = (body as { error?: { permission_violations?: unknown } } | null)?.error
    ?.permission_violations;
  const named = Array.isArray(violations)
    ? violations.map((v) => (v as { subject?: unknown } | null)?.subject)
    : [];
  const listed = /\[([^\]]*)\]/.exec(msgOf(body) ?? "")?.[1]?.split(",") ?? [];
  const scopes = [...named, ...listed]
    .filter((s): s is string => typeof s === "string")
    .map((s) => s.trim())
    // A scope is a short name like contact:user.id:readonly; anything else is not Lark's list.
    .filter((s) => /^[a-z][a-z0-9_.:-]{2,80}$/i.test(s));
  return unique(scopes);
}

// ---- Lark's shapes (only what we read) --------------------------------------------------------

interface LarkBody {
  code?: number;
  msg?: string;
}

/** A user as contact v3 returns it (user/get, users/batch) and as the deleted event's `object`. */
export interface LarkUser {
  open_id?: string;
  union_id?: string;
  user_id?: string;
  name?: string;
  en_name?: string;
  nickname?: string;
  email?: string;
  enterprise_email?: string;
  mobile?: string;
  department_ids?: string[];
  status?: { is_resigned?: boolean; is_activated?: boolean; is_frozen?: boolean; is_exited?: boolean };
}

interface TokenAnswer extends LarkBody {
  tenant_access_token?: string;
  expire?: number;
}

interface BatchGetIdAnswer extends LarkBody {
  data?: { user_list?: { user_id?: string; email?: string; mobile?: string; status?: LarkUser["status"] }[] };
}

// ---- the connector ----------------------------------------------------------------------------

export class LarkConnector implements DirectoryConnector {
  readonly kind = "lark" as const;
  readonly name = PROVIDER;
  readonly profile = LARK_PROFILE;

  private readonly http: ProviderHttp;
  private readonly token: CachedToken;
  /** A token-invalid code fetches a new token once; the next one in a row is a refusal. */
  private tokenRetryUsed = false;
  /** When the last resurrects went out (ms), to stay under Lark's 10 a minute. */
  private readonly restoreTimes: number[] = [];
  private restoreQueue: Promise<void> = Promise.resolve();

  constructor(
    private readonly settings: LarkSettings,
    private readonly deps: ConnectorDeps,
    retry?: Partial<RetryPolicy>,
  ) {
    this.http = new ProviderHttp({
      provider: PROVIDER,
      baseUrl: settings.LARK_API_URL,
      authHeaders: async () => ({ authorization: `Bearer ${await this.token.get()}` }),
      onUnauthorized: () => this.token.invalidate(),
      errorOf: (answer) => this.errorOf(answer),
      bodyError: (answer) => this.bodyError(answer),
      deps,
      retry,
    });
    this.token = new CachedToken(() => this.fetchToken(), deps.now);
  }

  /** Deleted members cannot be listed in Lark: they arrive as events (see `readLarkEvent`). */
  async *listDeleted(): AsyncGenerator<DeletedProviderUser[]> {
    yield* [] as DeletedProviderUser[][];
  }

  async findActive(keys: ConflictKeys): Promise<ProviderUser[]> {
    const openIds = new Set<string>();
    const emails = unique(keys.addresses.map((a) => a.trim().toLowerCase()));
    const mobiles = unique(keys.phones.map((p) => p.trim()));
    for (let i = 0; i < Math.max(emails.length, mobiles.length); i += BATCH) {
      const json = { emails: emails.slice(i, i + BATCH), mobiles: mobiles.slice(i, i + BATCH) };
      const answer = await this.call<BatchGetIdAnswer>("POST", "/open-apis/contact/v3/users/batch_get_id", {
        query: { user_id_type: "open_id" },
        json,
      });
      for (const entry of answer.data?.user_list ?? []) {
        if (entry.user_id && !entry.status?.is_resigned) openIds.add(entry.user_id);
      }
    }
    const found = new Map<string, ProviderUser>();
    const keep = (users: LarkUser[]) => {
      for (const u of users) {
        const user = providerUserOf(u);
        if (user && !u.status?.is_resigned) found.set(user.externalId, user);
      }
    };
    keep(await this.batchUsers([...openIds], "open_id"));
    keep(await this.batchUsers(unique(keys.userNames.map((n) => n.trim())), "user_id"));
    return [...found.values()];
  }

  async restore(input: RestoreInput): Promise<RestoredUser> {
    if (input.newUserName && input.newUserName !== input.user.userName) {
      throw new ProviderError(
        PROVIDER,
        "not_supported",
        "Lark cannot restore a member under a new user ID; free the user ID first",
        {
          ...step(toSay("provider.lark.keepUserId")),
        },
      );
    }
    if (input.dropEmail || input.dropPhone) {
      throw new ProviderError(
        PROVIDER,
        "not_supported",
        "Lark restores the member with their email and phone; change the other member's first, then retry",
        {
          conflict: input.dropEmail ? "email" : "phone",
          ...step(input.dropEmail ? toSay("provider.lark.changeEmail") : toSay("provider.lark.changePhone")),
        },
      );
    }
    const department = input.department ?? input.user.department;
    const license = input.license ?? input.user.license;
    const json: { departments?: { department_id: string }[]; subscription_ids?: string[] } = {};
    if (department) json.departments = [{ department_id: department }];
    if (license) json.subscription_ids = [license];
    const path = `/open-apis/contact/v3/users/${encodeURIComponent(input.externalId)}/resurrect`;
    await this.paced(() =>
      this.call("POST", path, {
        query: { user_id_type: "open_id", department_id_type: "open_department_id" },
        json,
      }),
    );
    const snapshot = { ...input.user, externalId: input.externalId, department: department ?? null };
    try {
      const user = await this.describe(input.externalId);
      return (user && providerUserOf(user)) ?? snapshot;
    } catch (error) {
      // The restore went through; only reading it back failed: answer with what was restored.
      this.deps.log.warn("restored Lark member could not be read back", {
        provider: PROVIDER,
        code: error instanceof ProviderError ? error.code : null,
      });
      return snapshot;
    }
  }

  /** Lark restores (resurrect); it never needs a re-creation. */
  async recreate(_input: RestoreInput): Promise<RestoredUser> {
    throw new ProviderError(PROVIDER, "not_supported", "Lark restores members; it does not re-create them", {
      ...step(toSay("provider.lark.notSupported")),
    });
  }

  /** A contact.user.deleted_v3 event (or Lark's URL check) sent to our events endpoint. */
  readEvent(request: { rawBody: string; headers: Record<string, string | undefined> }): LarkEventResult {
    // Without either secret anyone could post made-up departures into the mirror.
    if (!this.settings.LARK_VERIFICATION_TOKEN && !this.settings.LARK_ENCRYPT_KEY) {
      return {
        kind: "rejected",
        reason: "set LARK_VERIFICATION_TOKEN or LARK_ENCRYPT_KEY to receive Lark's events",
      };
    }
    return readLarkEvent({
      ...request,
      verificationToken: this.settings.LARK_VERIFICATION_TOKEN ?? null,
      encryptKey: this.settings.LARK_ENCRYPT_KEY ?? null,
    });
  }

  /**
   * The member by open_id (contact v3 user get, strongly consistent). A resigned member (Lark's
   * deleted) and an id Lark does not know (41012) are no active member: null.
   */
  async readActive(externalId: string): Promise<ProviderUser | null> {
    let user: LarkUser | null;
    try {
      user = await this.describe(externalId);
    } catch (error) {
      if (error instanceof ProviderError && error.code === String(USER_ID_INVALID)) return null;
      throw error;
    }
    if (!user || user.status?.is_resigned) return null;
    return providerUserOf(user);
  }

  async removeActive(externalId: string): Promise<void> {
    await this.call("DELETE", `/open-apis/contact/v3/users/${encodeURIComponent(externalId)}`, {
      query: { user_id_type: "open_id" },
    });
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async call<T>(
    method: string,
    path: string,
    options: { query?: Record<string, string>; json?: unknown } = {},
  ): Promise<T> {
    // Fetch the token first: a refused secret then surfaces as itself, not as "could not be reached".
    await this.token.get();
    this.tokenRetryUsed = false;
    const answer = await this.http.request<T>(method, path, options);
    return answer.body;
  }

  private async fetchToken(): Promise<{ token: string; expiresInSeconds: number }> {
    const answer = await this.http.post<TokenAnswer>("/open-apis/auth/v3/tenant_access_token/internal", {
      anonymous: true,
      json: { app_id: this.settings.LARK_APP_ID, app_secret: this.settings.LARK_APP_SECRET },
    });
    const token = answer.body.tenant_access_token;
    if (!token) {
      throw new ProviderError(PROVIDER, "no_token", "gave no tenant access token", {
        status: answer.status,
        ...step(toSay("provider.lark.apiUrl")),
      });
    }
    return { token, expiresInSeconds: answer.body.expire ?? 7200 };
  }

  private async batchUsers(ids: string[], type: "open_id" | "user_id"): Promise<LarkUser[]> {
    const users: LarkUser[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      // user_ids repeats in the query string, which ProviderHttp's query map cannot say.
      const query = new URLSearchParams();
      for (const id of ids.slice(i, i + BATCH)) query.append("user_ids", id);
      query.set("user_id_type", type);
      query.set("department_id_type", "open_department_id");
      const answer = await this.call<LarkBody & { data?: { items?: LarkUser[] } }>(
        "GET",
        `/open-apis/contact/v3/users/batch?${query}`,
      );
      users.push(...(answer.data?.items ?? []));
    }
    return users;
  }

  /** GET contact/v3/users/:user_id with the open_id the connector keeps as externalId. */
  private async describe(openId: string): Promise<LarkUser | null> {
    const answer = await this.call<LarkBody & { data?: { user?: LarkUser } }>(
      "GET",
      `/open-apis/contact/v3/users/${encodeURIComponent(openId)}`,
      { query: { user_id_type: "open_id", department_id_type: "open_department_id" } },
    );
    return answer.data?.user ?? null;
  }

  /**
   * At most 10 resurrects in any minute. Slots are reserved in order; the wait is computed from the
   * slot times, not by polling the clock, so an injected clock need not move.
   */
  private paced<T>(send: () => Promise<T>): Promise<T> {
    const turn = this.restoreQueue.then(async () => {
      const now = this.deps.now().getTime();
      while (this.restoreTimes.length > 0 && (this.restoreTimes[0] ?? 0) <= now - MINUTE_MS) {
        this.restoreTimes.shift();
      }
      let at = now;
      if (this.restoreTimes.length >= RESTORES_PER_MINUTE) {
        const oldest = this.restoreTimes[this.restoreTimes.length - RESTORES_PER_MINUTE] ?? now;
        at = Math.max(now, oldest + MINUTE_MS);
      }
      this.restoreTimes.push(at);
      if (this.restoreTimes.length > RESTORES_PER_MINUTE) this.restoreTimes.shift();
      if (at > now) {
        this.deps.log.info("pacing Lark restores", { provider: PROVIDER, waitMs: at - now });
        await this.deps.sleep(at - now);
      }
    });
    this.restoreQueue = turn.catch(() => {});
    return turn.then(send);
  }

  // ---- errors ---------------------------------------------------------------------------------

  private bodyError(answer: HttpAnswer): ProviderError | null {
    const code = codeOf(answer.body);
    return code === null || code === 0 ? null : this.errorOf(answer);
  }

  /** Lark's error body (`{code, msg}`) → ProviderError with our conflict kind. */
  errorOf(answer: HttpAnswer): ProviderError {
    const code = codeOf(answer.body);
    const status = answer.status;
    if (code !== null && TOKEN_INVALID.has(code)) {
      // ProviderHttp fetches a new token on a 401 only; Lark says "invalid token" with 200/400 too.
      // Forget the token and mark the error transient so the retry sends a new one — once.
      const retry = status !== 401 && !this.tokenRetryUsed;
      this.tokenRetryUsed = retry;
      if (retry) this.token.invalidate();
      return new ProviderError(PROVIDER, String(code), "refused the app's access token", {
        status,
        transient: retry,
        retryAfterMs: retry ? 0 : null,
        ...stepOrNone(retry ? null : toSay("provider.lark.token")),
      });
    }
    if (code === RATE_LIMITED || status === 429) {
      const reset = Number(answer.headers.get("x-ogw-ratelimit-reset"));
      return new ProviderError(PROVIDER, String(code ?? status), "is limiting requests (too many)", {
        status,
        transient: true,
        retryAfterMs: Number.isFinite(reset) && reset > 0 ? reset * 1000 : null,
      });
    }
    const known = code === null ? undefined : CONFLICTS[code];
    if (known) {
      return new ProviderError(PROVIDER, String(code), known.message, {
        status,
        conflict: known.conflict,
        ...step(known.nextStep),
      });
    }
    if (code === MISSING_SCOPE) {
      const scopes = missingScopes(answer.body);
      return new ProviderError(PROVIDER, String(code), "the app lacks a Lark permission this needs", {
        status,
        ...step(
          toSay("provider.lark.scope", {
            which: scopes.length > 0 ? scopes.join(", ") : toSay("provider.lark.scopeNamed"),
          }),
        ),
      });
    }
    const plain = code === null ? undefined : PLAIN[code];
    if (plain)
      return new ProviderError(PROVIDER, String(code), plain.message, { status, ...step(plain.nextStep) });
    const said = this.safeText(msgOf(answer.body));
    const down = status >= 500;
    const what = down ? "had a server error" : "refused the request";
    return new ProviderError(PROVIDER, String(code ?? status), said ? `${what}: ${said}` : what, {
      status,
      transient: down,
      // A server error is retried, and ProviderHttp says when to try again.
      ...stepOrNone(down ? null : toSay("provider.lark.refused")),
    });
  }

  /** Lark's own message, short and without anything secret. */
  private safeText(text: string | null): string | null {
    if (!text) return null;
    let safe = text.split(this.settings.LARK_APP_SECRET).join("[redacted]");
    safe = safe.replace(/\b(Bearer\s+)?[tu]-[A-Za-z0-9._-]{8,}/g, "[redacted]");
    safe = safe.replace(/\s+/g, " ").trim();
    return safe.length > 160 ? `${safe.slice(0, 157)}…` : safe;
  }
}

function codeOf(body: unknown): number | null {
  const code = (body as LarkBody | null)?.code;
  if (typeof code === "number") return code;
  if (typeof code === "string" && /^\d+$/.test(code)) return Number(code);
  return null;
}

function msgOf(body: unknown): string | null {
  if (typeof body === "string") return body.slice(0, 200);
  const msg = (body as LarkBody | null)?.msg;
  return typeof msg === "string" ? msg : null;
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter(Boolean))];
}

/**
 * Lark's own limits (contact v3 user create): name and en_name at most 255 characters, user_id at
 * most 64. Ids (open_id, department ids) are short generated strings, held to the same 64; an email
 * to RFC 5321's 254; a mobile to 32 (E.164 is at most 16 with its "+"). Nothing Lark sends is
 * longer, so a longer value is not Lark's: a name is cut to the limit, an id, address or number
 * that long is dropped (cut, it would name someone else).
 */
export const LARK_LIMITS = { name: 255, id: 64, email: 254, mobile: 32 } as const;

/** A contact v3 user (or a deleted event's object) in our terms; null without a usable open_id. */
export function providerUserOf(u: LarkUser): ProviderUser | null {
  const openId = upTo(nonEmpty(u.open_id), LARK_LIMITS.id);
  if (!openId) return null;
  const email = upTo(nonEmpty(u.email)?.toLowerCase() ?? null, LARK_LIMITS.email);
  const business = upTo(nonEmpty(u.enterprise_email)?.toLowerCase() ?? null, LARK_LIMITS.email);
  const name = nonEmpty(u.name) ?? nonEmpty(u.en_name);
  return {
    externalId: openId,
    userName: upTo(nonEmpty(u.user_id), LARK_LIMITS.id) ?? openId,
    email,
    aliases: business && business !== email ? [business] : [],
    phone: upTo(nonEmpty(u.mobile), LARK_LIMITS.mobile),
    displayName: (name && cut(name, LARK_LIMITS.name)) ?? email ?? openId,
    givenName: null,
    familyName: null,
    department: upTo(nonEmpty(Array.isArray(u.department_ids) ? u.department_ids[0] : null), LARK_LIMITS.id),
    license: null,
  };
}

function nonEmpty(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

/** The value when it fits, otherwise null. */
function upTo(value: string | null, max: number): string | null {
  return value !== null && value.length <= max ? value : null;
}

/** At most `max` UTF-16 units, without leaving half a surrogate pair at the end. */
function cut(value: string, max: number): string {
  return value.length <= max ? value : value.slice(0, max).replace(/[\uD800-\uDBFF]$/, "");
}

// ---- events (pure) ----------------------------------------------------------------------------

export const LARK_DELETED_EVENT = "contact.user.deleted_v3";

/**
 * A `contact.user.deleted_v3` event (schema 2.0, already decrypted) → the deleted member, or null
 * for any other event. Lark sends it when a member is deleted; the deletion may still be finishing
 * (up to 48 hours, error 44034 at restore), but usually is done in minutes, so the member is reported
 * `deleted` rather than blocked for two days.
 */
export function deletedUserFromEvent(body: unknown): DeletedProviderUser | null {
  const payload = body as {
    schema?: string;
    header?: { event_type?: string; create_time?: string | number };
    event?: { object?: LarkUser };
  } | null;
  if (payload?.header?.event_type !== LARK_DELETED_EVENT) return null;
  const object = payload.event?.object;
  const user = object ? providerUserOf(object) : null;
  if (!user) return null;
  const created = Number(payload.header.create_time);
  return {
    ...user,
    status: "deleted",
    deletedAt: Number.isFinite(created) && created > 0 ? new Date(created) : null,
    deletedBy: null,
    deletionCompletesAt: null,
  };
}

/**
 * X-Lark-Signature check (when an Encrypt Key is set): sha256 hex of
 * timestamp + nonce + encryptKey + raw body, from the X-Lark-Request-Timestamp/-Nonce headers.
 */
export function verifyLarkSignature(args: {
  timestamp: string;
  nonce: string;
  encryptKey: string;
  rawBody: string;
  signature: string;
}): boolean {
  const expected = createHash("sha256")
    .update(args.timestamp + args.nonce + args.encryptKey + args.rawBody)
    .digest("hex");
  return safeEqual(expected, args.signature.trim().toLowerCase());
}

/** `{"encrypt": "..."}` → the event JSON text: AES-256-CBC, key sha256(encryptKey), IV the first 16 bytes. */
export function decryptLarkEvent(encrypt: string, encryptKey: string): string {
  const key = createHash("sha256").update(encryptKey).digest();
  const data = Buffer.from(encrypt, "base64");
  const decipher = createDecipheriv("aes-256-cbc", key, data.subarray(0, 16));
  return Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]).toString("utf8");
}

export type LarkEventResult =
  /** Answer `{"challenge": challenge}` with HTTP 200 within a second. */
  | { kind: "challenge"; challenge: string }
  | { kind: "deleted"; user: DeletedProviderUser; eventId: string | null }
  | { kind: "ignored"; eventType: string | null }
  /** Not from Lark (bad token or signature) or not readable: answer 401/400, log the reason. */
  | { kind: "rejected"; reason: string };

/**
 * One request to the event endpoint → what to do. Verifies the signature (Encrypt Key set), decrypts,
 * checks the Verification Token (when set), answers url_verification, and parses member deletions.
 */
export function readLarkEvent(args: {
  rawBody: string;
  headers: Record<string, string | undefined>;
  verificationToken?: string | null;
  encryptKey?: string | null;
}): LarkEventResult {
  const header = (name: string) => {
    const hit = Object.entries(args.headers).find(([k]) => k.toLowerCase() === name);
    return hit?.[1] ?? null;
  };
  let outer: unknown;
  try {
    outer = JSON.parse(args.rawBody);
  } catch {
    return { kind: "rejected", reason: "body is not JSON" };
  }
  let payload = outer as Record<string, unknown>;
  if (args.encryptKey) {
    const signature = header("x-lark-signature");
    // Lark signs events but not the url_verification request.
    if (signature) {
      const ok = verifyLarkSignature({
        timestamp: header("x-lark-request-timestamp") ?? "",
        nonce: header("x-lark-request-nonce") ?? "",
        encryptKey: args.encryptKey,
        rawBody: args.rawBody,
        signature,
      });
      if (!ok) return { kind: "rejected", reason: "signature does not match" };
    }
    if (typeof payload?.encrypt !== "string") return { kind: "rejected", reason: "event is not encrypted" };
    try {
      payload = JSON.parse(decryptLarkEvent(payload.encrypt, args.encryptKey));
    } catch {
      return { kind: "rejected", reason: "event could not be decrypted" };
    }
    if (!signature && payload?.type !== "url_verification") {
      return { kind: "rejected", reason: "event is not signed" };
    }
  } else if (typeof payload?.encrypt === "string") {
    return { kind: "rejected", reason: "event is encrypted: set LARK_ENCRYPT_KEY" };
  }
  const eventHeader = payload?.header as
    | { token?: unknown; event_type?: string; event_id?: string }
    | undefined;
  const token = payload?.type === "url_verification" ? payload.token : eventHeader?.token;
  if (args.verificationToken) {
    if (token === undefined) return { kind: "rejected", reason: "verification token is missing" };
    // Only a string: String(["<token>"]) would match too.
    if (typeof token !== "string") return { kind: "rejected", reason: "verification token is not a string" };
    if (!safeEqual(token, args.verificationToken)) {
      return { kind: "rejected", reason: "verification token does not match" };
    }
  }
  if (payload?.type === "url_verification") {
    return typeof payload.challenge === "string"
      ? { kind: "challenge", challenge: payload.challenge }
      : { kind: "rejected", reason: "challenge is missing" };
  }
  const user = deletedUserFromEvent(payload);
  if (user) return { kind: "deleted", user, eventId: eventHeader?.event_id ?? null };
  return { kind: "ignored", eventType: eventHeader?.event_type ?? null };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// ---- module -----------------------------------------------------------------------------------

export const larkModule: ConnectorModule<LarkSettings> = {
  kind: "lark",
  name: PROVIDER,
  required: ["LARK_APP_ID", "LARK_APP_SECRET"],
  optional: ["LARK_API_URL", "LARK_VERIFICATION_TOKEN", "LARK_ENCRYPT_KEY"],
  settings: larkSettingsSchema,
  create: (settings, deps) => new LarkConnector(settings, deps),
};
