/**
 * Google Workspace through the Admin SDK Directory API, as a service account with domain-wide
 * delegation acting for one admin of the domain.
 *
 * - Auth: a JWT (RS256) signed with the service account's private key, exchanged at Google's token
 *   endpoint for an access token (https://developers.google.com/identity/protocols/oauth2/service-account).
 * - Bin: users.list with showDeleted=true lists the recently deleted users (kept 20 days).
 * - Restore: users.undelete by the immutable user id (several deleted users may share an address),
 *   into an organizational unit; it answers with an empty body, so the user is read again after.
 * - Google cannot rename, drop an alias or re-create at restore: a conflicting user or alias must be
 *   freed first (the approved "replace", or the admin renames it in the Admin console).
 * - Org units: orgunits.list (type=all: every unit below the top one, which it leaves out) is
 *   where a restored user can go; the sync mirrors it so a plan can offer them when the user's own
 *   unit is gone. It needs its own scope, asked for with its own token: an admin who has not granted
 *   it yet keeps restores working, and only the list is missing (departments stay free text).
 * - Every error says what to do next (`nextStep`): a choice in the plan, a retry, or what to change
 *   in the Admin console (domain-wide delegation's scopes, the admin the service account acts as).
 *
 * Settings come from separate variables (not the JSON key file): GOOGLE_SERVICE_ACCOUNT_EMAIL and
 * GOOGLE_PRIVATE_KEY are the key file's `client_email` and `private_key`.
 */
import { createPrivateKey, createSign, type KeyObject } from "node:crypto";
import { z } from "zod";
import { type Said, said as toSay } from "../i18n/said.ts";
import { baseUrl, blankIsUnset, dateOrNull } from "./env.ts";
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
import {
  CachedToken,
  type HttpAnswer,
  ProviderHttp,
  type RequestOptions,
  retryAfterMs,
} from "./provider-http.ts";

const NAME = "Google Workspace";
export const GOOGLE_SCOPE = "https://www.googleapis.com/auth/admin.directory.user";
/** Only for orgunits.list; its own token, so that without it users can still be restored. */
export const GOOGLE_ORGUNIT_SCOPE = "https://www.googleapis.com/auth/admin.directory.orgunit.readonly";
/** Where domain-wide delegation is granted, for next steps. */
const DELEGATION_PAGE = "Security > Access and data control > API controls > Domain-wide delegation";
const JWT_LIFETIME_SECONDS = 3600;
/** users.list accepts 1 to 500. */
const PAGE_SIZE = 500;

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

export interface GoogleSettings {
  serviceAccountEmail: string;
  /** Parsed once; a KeyObject prints and serializes as `{}`, so a settings dump never shows it. */
  privateKey: KeyObject;
  /** The admin the service account acts for (the JWT's `sub`). */
  adminEmail: string;
  customerId: string;
  /** Without a trailing slash. */
  apiUrl: string;
  tokenUrl: string;
}

const required = (what: string) =>
  z.preprocess(
    blankIsUnset,
    z.string({ error: (issue) => (issue.input === undefined ? `is required: ${what}` : `must be text`) }),
  );

const email = (what: string) =>
  required(what).pipe(z.email({ error: `must be an email address (${what})` }).transform((e) => e.trim()));

/** The PEM key, with `\n` escapes (one-line .env files) turned into newlines. Never echoed. */
const privateKey = required("the service account's private key (private_key in its JSON key file)").transform(
  (raw, ctx): KeyObject => {
    const pem = raw
      .trim()
      .replace(/^"|"$/g, "")
      .replace(/\\r\\n|\\n/g, "\n");
    try {
      const key = createPrivateKey({ key: pem, format: "pem" });
      if (key.asymmetricKeyType === "rsa") return key;
    } catch {
      // Said below, without the value or the parser's message (which may quote it).
    }
    ctx.issues.push({
      code: "custom",
      message: "must be the service account's RSA private key in PEM form (-----BEGIN PRIVATE KEY-----…)",
      input: undefined,
    });
    return z.NEVER;
  },
);

const settings = z
  .object({
    GOOGLE_SERVICE_ACCOUNT_EMAIL: email("the service account's client_email"),
    GOOGLE_PRIVATE_KEY: privateKey,
    GOOGLE_ADMIN_EMAIL: email("a super admin of the domain for the service account to act as"),
    GOOGLE_CUSTOMER_ID: z.preprocess(
      blankIsUnset,
      z
        .string()
        .regex(/^(my_customer|C[0-9a-z]+)$/i, "must be my_customer or the account's customer ID (C0…)")
        .default("my_customer"),
    ),
    GOOGLE_API_URL: baseUrl("https://admin.googleapis.com"),
    GOOGLE_TOKEN_URL: baseUrl("https://oauth2.googleapis.com/token"),
  })
  .transform(
    (env): GoogleSettings => ({
      serviceAccountEmail: env.GOOGLE_SERVICE_ACCOUNT_EMAIL,
      privateKey: env.GOOGLE_PRIVATE_KEY,
      adminEmail: env.GOOGLE_ADMIN_EMAIL,
      customerId: env.GOOGLE_CUSTOMER_ID,
      apiUrl: env.GOOGLE_API_URL,
      tokenUrl: env.GOOGLE_TOKEN_URL,
    }),
  );

// ---------------------------------------------------------------------------------------------
// Profile
// ---------------------------------------------------------------------------------------------

/** From "Restore a recently deleted user" (https://support.google.com/a/answer/1397578). */
export const GOOGLE_PROFILE: DirectoryProfile = {
  capabilities: {
    canRestore: true,
    batchRestore: false,
    hasDeletingState: false,
    setsPassword: false,
    resolves: [],
    // Primary emails and aliases are unique across the account; phones are not.
    unique: ["email", "alias"],
    listsWholeBin: true,
    note: null,
  },
  retentionDays: 20,
  followUp: [
    "followUp.google.suspended",
    "followUp.google.licences",
    "followUp.google.drive",
    "followUp.google.orgUnit",
    "followUp.google.delay",
  ],
};

// ---------------------------------------------------------------------------------------------
// Google's shapes (only the fields we read)
// ---------------------------------------------------------------------------------------------

const googleUser = z.object({
  id: z.string(),
  primaryEmail: z.string(),
  name: z
    .object({
      givenName: z.string().nullish(),
      familyName: z.string().nullish(),
      fullName: z.string().nullish(),
    })
    .nullish(),
  aliases: z.array(z.string()).nullish(),
  nonEditableAliases: z.array(z.string()).nullish(),
  phones: z
    .array(z.object({ value: z.string().nullish(), primary: z.boolean().nullish() }).loose())
    .nullish()
    .catch(null),
  orgUnitPath: z.string().nullish(),
  suspended: z.boolean().nullish(),
  deletionTime: z.string().nullish(),
});
type GoogleUser = z.infer<typeof googleUser>;

const usersPage = z.object({
  users: z.array(googleUser).nullish(),
  nextPageToken: z.string().nullish(),
});

/** orgunits.list: `organizationUnits` is left out when there is no unit below the top one. */
const orgUnitsAnswer = z.object({
  organizationUnits: z.array(z.object({ orgUnitPath: z.string().startsWith("/") })).nullish(),
});

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive().default(3600),
});

interface GoogleErrorBody {
  error?:
    | string
    | {
        code?: number;
        message?: string;
        status?: string;
        errors?: { domain?: string; reason?: string; message?: string }[];
      };
  error_description?: string;
}

// ---------------------------------------------------------------------------------------------
// The connector
// ---------------------------------------------------------------------------------------------

/** One OAuth scope: its own token, and the client that sends it (errors name the scope). */
interface ScopedClient {
  scope: string;
  token: CachedToken;
  http: ProviderHttp;
}

class GoogleConnector implements DirectoryConnector {
  readonly kind = "google" as const;
  readonly name = NAME;
  readonly profile = GOOGLE_PROFILE;
  private readonly users: ScopedClient;
  private readonly orgUnits: ScopedClient;

  constructor(
    private readonly settings: GoogleSettings,
    private readonly deps: ConnectorDeps,
  ) {
    this.users = this.client(GOOGLE_SCOPE);
    this.orgUnits = this.client(GOOGLE_ORGUNIT_SCOPE);
  }

  private client(scope: string): ScopedClient {
    const token: CachedToken = new CachedToken(() => this.fetchToken(client), this.deps.now);
    const http: ProviderHttp = new ProviderHttp({
      provider: NAME,
      baseUrl: `${this.settings.apiUrl}/admin/directory/v1/`,
      authHeaders: async () => ({ authorization: `Bearer ${await token.get()}` }),
      onUnauthorized: () => token.invalidate(),
      errorOf: (answer) => this.errorOf(answer, scope),
      deps: this.deps,
    });
    const client = { scope, token, http };
    return client;
  }

  async *listDeleted(): AsyncIterable<DeletedProviderUser[]> {
    let pageToken: string | undefined;
    const seen = new Set<string>();
    do {
      const answer = await this.call("GET", "users", {
        query: {
          customer: this.settings.customerId,
          showDeleted: true,
          maxResults: PAGE_SIZE,
          pageToken,
        },
      });
      const page = this.parse(usersPage, answer.body, "the list of deleted users");
      const users = (page.users ?? []).map((u) => toDeleted(u));
      if (users.length > 0) yield users;
      pageToken = page.nextPageToken || undefined;
      if (pageToken && seen.has(pageToken)) {
        throw new ProviderError(NAME, "paging_loop", "sent the same page of deleted users twice", {
          transient: true,
          ...step(toSay("provider.google.pagingLoop")),
        });
      }
      if (pageToken) seen.add(pageToken);
    } while (pageToken);
  }

  /**
   * users.get takes a primary address or an alias and answers with the user who holds it (404: no
   * user does). Phones are not unique in Google and cannot be searched: they are not checked.
   * Groups holding an address are not seen either (that needs another scope).
   */
  async findActive(keys: ConflictKeys): Promise<ProviderUser[]> {
    const wanted = [
      ...new Set([...keys.userNames, ...keys.addresses].map((k) => k.trim().toLowerCase()).filter(Boolean)),
    ];
    const found = new Map<string, ProviderUser>();
    for (const key of wanted) {
      const user = await this.readUser(key);
      if (user) found.set(user.externalId, user);
    }
    return [...found.values()];
  }

  /**
   * users.get by the immutable id. A suspended user is active here, as in findActive: it still
   * holds its address and aliases, and its licence (Google's "suspend" is not "delete").
   */
  readActive(externalId: string): Promise<ProviderUser | null> {
    return this.readUser(externalId);
  }

  /**
   * Every org unit path, the top one ("/") included: orgunits.list with type=all lists all units
   * below the one asked for (the top, by default) and never that one itself. One answer, no paging.
   */
  async listDepartments(): Promise<string[]> {
    const customer = encodeURIComponent(this.settings.customerId);
    const answer = await this.call(
      "GET",
      `customer/${customer}/orgunits`,
      { query: { type: "all" } },
      this.orgUnits,
    );
    const list = this.parse(orgUnitsAnswer, answer.body, "the list of organizational units");
    const paths = new Set(["/", ...(list.organizationUnits ?? []).map((u) => u.orgUnitPath)]);
    return [...paths].sort();
  }

  async restore(input: RestoreInput): Promise<RestoredUser> {
    if (input.newUserName !== null && input.newUserName !== input.user.userName) {
      throw new ProviderError(
        NAME,
        "not_supported",
        "cannot rename a user while restoring: rename or remove the user holding the name first",
        {
          ...step(toSay("provider.google.noRename")),
        },
      );
    }
    if (input.dropEmail || input.dropAliases.length > 0) {
      throw new ProviderError(
        NAME,
        "not_supported",
        "cannot leave out an address while restoring: free the address from the user holding it first",
        {
          ...step(toSay("provider.google.noDrop")),
        },
      );
    }
    // Phones are not unique in Google: dropPhone needs nothing here.
    // The org unit the admin chose (the plan checked it against the mirrored list) wins over the
    // one the user was deleted from, which may be gone.
    const orgUnitPath = input.department ?? input.user.department ?? "/";
    const id = encodeURIComponent(input.externalId);
    try {
      await this.call("POST", `users/${id}/undelete`, { json: { orgUnitPath } });
    } catch (error) {
      throw this.restoreError(error);
    }
    try {
      const answer = await this.call("GET", `users/${id}`);
      return toUser(this.parse(googleUser, answer.body, "the restored user"));
    } catch (error) {
      // The restore itself went through: say so rather than fail it (a retry would be refused).
      this.deps.log.warn("restored user could not be read back; using the snapshot", {
        provider: NAME,
        externalId: input.externalId,
        code: error instanceof ProviderError ? error.code : "unknown",
      });
      return { ...input.user, externalId: input.externalId, department: orgUnitPath };
    }
  }

  async recreate(_input: RestoreInput): Promise<RestoredUser> {
    throw new ProviderError(
      NAME,
      "not_supported",
      "re-creating is not needed: Google Workspace restores deleted users for 20 days",
      {
        ...step(toSay("provider.google.notSupported")),
      },
    );
  }

  /** Deleting an already deleted user is done, not an error: a replace can be retried. */
  async removeActive(externalId: string): Promise<void> {
    try {
      await this.call("DELETE", `users/${encodeURIComponent(externalId)}`);
    } catch (error) {
      if (error instanceof ProviderError && error.status === 404) {
        this.deps.log.info("user to remove was already gone", { provider: NAME, externalId });
        return;
      }
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------

  /** users.get by address, alias or id: the active user, or null (404, or only in the bin). */
  private async readUser(key: string): Promise<ProviderUser | null> {
    let answer: HttpAnswer;
    try {
      answer = await this.call("GET", `users/${encodeURIComponent(key)}`);
    } catch (error) {
      if (error instanceof ProviderError && error.status === 404) return null;
      throw error;
    }
    const user = this.parse(googleUser, answer.body, "a user");
    return user.deletionTime ? null : toUser(user);
  }

  /**
   * The token is fetched before the request: a refusal at the token endpoint then reaches the
   * caller as itself, rather than as "could not be reached" from inside the request's auth headers.
   */
  private async call(
    method: string,
    path: string,
    options: RequestOptions = {},
    client: ScopedClient = this.users,
  ): Promise<HttpAnswer> {
    await client.token.get();
    return client.http.request(method, path, options);
  }

  private async fetchToken(client: ScopedClient): Promise<{ token: string; expiresInSeconds: number }> {
    const answer = await client.http.post(this.settings.tokenUrl, {
      anonymous: true,
      form: {
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion: this.assertion(client.scope),
      },
    });
    const token = this.parse(tokenAnswer, answer.body, "the token answer");
    return { token: token.access_token, expiresInSeconds: token.expires_in };
  }

  /** RFC 7523 JWT: the service account (iss) acting for the admin (sub), for one scope. */
  private assertion(scope: string): string {
    const iat = Math.floor(this.deps.now().getTime() / 1000);
    const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
    const claims = base64url(
      JSON.stringify({
        iss: this.settings.serviceAccountEmail,
        sub: this.settings.adminEmail,
        scope,
        aud: this.settings.tokenUrl,
        iat,
        exp: iat + JWT_LIFETIME_SECONDS,
      }),
    );
    const signature = createSign("RSA-SHA256")
      .update(`${header}.${claims}`)
      .sign(this.settings.privateKey)
      .toString("base64url");
    return `${header}.${claims}.${signature}`;
  }

  private parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw new ProviderError(NAME, "unexpected_answer", `sent ${what} in a shape we do not know`, {
      ...step(toSay("provider.google.shape")),
    });
  }

  /** An undelete's refusal, in the terms of a restore. */
  private restoreError(error: unknown): unknown {
    if (!(error instanceof ProviderError) || error.provider !== NAME) return error;
    if (error.status === 404) {
      return new ProviderError(
        NAME,
        error.code,
        "the user is no longer among the recently deleted users (Google keeps them 20 days)",
        {
          ...error.details,
          conflict: "expired",
          ...step(toSay("provider.google.gone")),
        },
      );
    }
    return error;
  }

  /**
   * Google's error body (API or token endpoint) → our error, with what to do next. Messages are
   * ours or Google's, scrubbed. `scope` is the one the failed request's token was asked for.
   */
  private errorOf(answer: HttpAnswer, scope: string): ProviderError {
    const body = (answer.body && typeof answer.body === "object" ? answer.body : {}) as GoogleErrorBody;
    const status = answer.status;
    const admin = this.settings.adminEmail;
    const where = { page: DELEGATION_PAGE, scope, admin };

    // The token endpoint: {"error": "invalid_grant", "error_description": "…"}.
    if (typeof body.error === "string") {
      const code = body.error;
      const said = body.error_description ? `: ${scrub(body.error_description)}` : "";
      const token = (message: string, next: Said) =>
        new ProviderError(NAME, code, message, { status, transient: status >= 500, ...step(next) });
      if (code === "unauthorized_client") {
        return token(
          `refused a token to the service account: in the Admin console, allow its client ID the scope ${scope} (domain-wide delegation)`,
          toSay("provider.google.delegate", where),
        );
      }
      if (code === "invalid_grant") {
        return token(
          `refused a token (${scrub(body.error_description ?? "invalid grant")}): check the service account email, its private key, GOOGLE_ADMIN_EMAIL and the server clock`,
          toSay("provider.google.invalidGrant", where),
        );
      }
      return token(
        `refused a token${said}`,
        status >= 500 ? toSay("provider.google.down") : toSay("provider.google.key"),
      );
    }

    const error = body.error && typeof body.error === "object" ? body.error : undefined;
    const first = error?.errors?.[0];
    const reason = first?.reason ?? error?.status ?? (status >= 500 ? "unavailable" : String(status));
    const said = scrub(
      error?.message ?? first?.message ?? (typeof answer.body === "string" ? answer.body : ""),
    );
    const make = (message: string, next: Said, conflict: ProviderConflict | null = null, transient = false) =>
      new ProviderError(NAME, reason, message, { status, conflict, transient, ...step(next) });

    if (
      status === 429 ||
      reason === "rateLimitExceeded" ||
      reason === "userRateLimitExceeded" ||
      reason === "quotaExceeded"
    ) {
      const pause = retryAfterMs(answer.headers, this.deps.now());
      return make(
        "is limiting how fast we may ask",
        pause !== null && pause >= 60_000
          ? toSay("refusal.provider.askedToWait", {
              provider: "Google",
              minutes: String(Math.ceil(pause / 60_000)),
            })
          : toSay("provider.google.quota"),
        null,
        true,
      );
    }
    if (status >= 500) {
      return make("is not available right now", toSay("provider.google.down"), null, true);
    }
    if (status === 401) {
      return make("refused the access token", toSay("provider.google.delegateAgain", where));
    }
    if (status === 403 && reason === "dailyLimitExceeded") {
      return make(
        "refused: the project's daily quota for the Admin SDK is used up",
        toSay("provider.google.dailyQuota"),
      );
    }
    if (status === 403) {
      return make(
        `refused: ${admin} must be a super admin, and the service account needs domain-wide delegation for ${scope}`,
        toSay("provider.google.delegateSuper", where),
      );
    }
    if (status === 409 || reason === "duplicate") {
      return /alias/i.test(said)
        ? make(
            "an alias of the user now belongs to another user or group: free it first",
            toSay("provider.google.aliasTaken"),
            "alias",
          )
        : make(
            "the user's address is now used by another user, alias or group: rename or remove it first",
            toSay("provider.google.addressTaken"),
            "userName",
          );
    }
    if (/INVALID_OU_ID|Invalid Ou Id|org ?unit/i.test(said)) {
      return make(
        "the organizational unit does not exist any more: choose another one",
        toSay("provider.google.orgUnit"),
        "department",
      );
    }
    if (status === 412 || /user limit|licen[cs]e/i.test(said)) {
      return make(
        "has no free user licence: free or buy one, then try again",
        toSay("provider.google.licence"),
        "seat",
      );
    }
    if (status === 404) {
      return make("found no such user", toSay("provider.google.noSuchUser"));
    }
    return make(
      said ? `refused the request: ${said}` : `refused the request (HTTP ${status})`,
      toSay("provider.google.refused"),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------

function toUser(user: GoogleUser): ProviderUser {
  const primary = user.primaryEmail;
  const aliases: string[] = [];
  const seen = new Set([primary.toLowerCase()]);
  for (const alias of [...(user.aliases ?? []), ...(user.nonEditableAliases ?? [])]) {
    const key = alias.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      aliases.push(alias);
    }
  }
  const phones = (user.phones ?? []).filter((p) => p.value);
  const phone = (phones.find((p) => p.primary) ?? phones[0])?.value ?? null;
  const givenName = user.name?.givenName || null;
  const familyName = user.name?.familyName || null;
  const displayName =
    user.name?.fullName ||
    [givenName, familyName].filter(Boolean).join(" ") ||
    primary.split("@")[0] ||
    primary;
  return {
    externalId: user.id,
    userName: primary,
    email: primary,
    aliases,
    phone,
    displayName,
    givenName,
    familyName,
    // The organizational unit: what an undelete restores into.
    department: user.orgUnitPath || null,
    // The Directory API does not say; licences live in the Enterprise License Manager API.
    license: null,
  };
}

function toDeleted(user: GoogleUser): DeletedProviderUser {
  return {
    ...toUser(user),
    status: "deleted",
    deletedAt: dateOrNull(user.deletionTime),
    // Who deleted the user is in the Reports API's audit log, not in the Directory API.
    deletedBy: null,
  };
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

/** Google's own words, short, with anything that looks like a key or a token taken out. */
function scrub(text: string): string {
  return text
    .replace(/-----BEGIN[^-]*-----[\s\S]*?(-----END[^-]*-----|$)/g, "[key]")
    .replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, "[jwt]")
    .replace(/ya29\.[\w.-]+/g, "[token]")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 200);
}

export const googleModule: ConnectorModule<GoogleSettings> = {
  kind: "google",
  name: NAME,
  required: ["GOOGLE_SERVICE_ACCOUNT_EMAIL", "GOOGLE_PRIVATE_KEY", "GOOGLE_ADMIN_EMAIL"],
  optional: ["GOOGLE_CUSTOMER_ID", "GOOGLE_API_URL", "GOOGLE_TOKEN_URL"],
  settings,
  create: (s, deps) => new GoogleConnector(s, deps),
};
