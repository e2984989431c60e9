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
 *
 * Settings come from separate variables (not the JSON key file): GOOGLE_SERVICE_ACCOUNT_EMAIL and
 * GOOGLE_PRIVATE_KEY are the key file's `client_email` and `private_key`.
 */
import { createPrivateKey, createSign, type KeyObject } from "node:crypto";
import { z } from "zod";
import { baseUrl, blankIsUnset, dateOrNull } from "./env.ts";
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
import { CachedToken, type HttpAnswer, ProviderHttp, type RequestOptions } from "./provider-http.ts";

const NAME = "Google Workspace";
export const GOOGLE_SCOPE = "https://www.googleapis.com/auth/admin.directory.user";
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
    "If the user was suspended or had their data transferred before the deletion, Google restores them suspended: reactivate them in the Admin console.",
    "If you assign licences by hand, assign the user's licences again: only services with automatic licence assignment come back on their own.",
    "Drive files transferred to another user before the deletion stay with that user: transfer them back if needed.",
    "Check the organizational unit the user was restored into: its settings and apps apply to them now.",
    "The restore can take up to 24 hours to reach every Google service.",
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

class GoogleConnector implements DirectoryConnector {
  readonly kind = "google" as const;
  readonly name = NAME;
  readonly profile = GOOGLE_PROFILE;
  private readonly http: ProviderHttp;
  private readonly token: CachedToken;

  constructor(
    private readonly settings: GoogleSettings,
    private readonly deps: ConnectorDeps,
  ) {
    this.token = new CachedToken(() => this.fetchToken(), deps.now);
    this.http = new ProviderHttp({
      provider: NAME,
      baseUrl: `${settings.apiUrl}/admin/directory/v1/`,
      authHeaders: async () => ({ authorization: `Bearer ${await this.token.get()}` }),
      onUnauthorized: () => this.token.invalidate(),
      errorOf: (answer) => this.errorOf(answer),
      deps,
    });
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
      let answer: HttpAnswer;
      try {
        answer = await this.call("GET", `users/${encodeURIComponent(key)}`);
      } catch (error) {
        if (error instanceof ProviderError && error.status === 404) continue;
        throw error;
      }
      const user = this.parse(googleUser, answer.body, "a user");
      if (user.deletionTime) continue;
      found.set(user.id, toUser(user));
    }
    return [...found.values()];
  }

  async restore(input: RestoreInput): Promise<RestoredUser> {
    if (input.newUserName !== null && input.newUserName !== input.user.userName) {
      throw new ProviderError(
        NAME,
        "not_supported",
        "cannot rename a user while restoring: rename or remove the user holding the name first",
      );
    }
    if (input.dropEmail || input.dropAliases.length > 0) {
      throw new ProviderError(
        NAME,
        "not_supported",
        "cannot leave out an address while restoring: free the address from the user holding it first",
      );
    }
    // Phones are not unique in Google: dropPhone needs nothing here.
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

  /**
   * The token is fetched before the request: a refusal at the token endpoint then reaches the
   * caller as itself, rather than as "could not be reached" from inside the request's auth headers.
   */
  private async call(method: string, path: string, options: RequestOptions = {}): Promise<HttpAnswer> {
    await this.token.get();
    return this.http.request(method, path, options);
  }

  private async fetchToken(): Promise<{ token: string; expiresInSeconds: number }> {
    const answer = await this.http.post(this.settings.tokenUrl, {
      anonymous: true,
      form: {
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion: this.assertion(),
      },
    });
    const token = this.parse(tokenAnswer, answer.body, "the token answer");
    return { token: token.access_token, expiresInSeconds: token.expires_in };
  }

  /** RFC 7523 JWT: the service account (iss) acting for the admin (sub). */
  private assertion(): string {
    const iat = Math.floor(this.deps.now().getTime() / 1000);
    const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
    const claims = base64url(
      JSON.stringify({
        iss: this.settings.serviceAccountEmail,
        sub: this.settings.adminEmail,
        scope: GOOGLE_SCOPE,
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
    throw new ProviderError(NAME, "unexpected_answer", `sent ${what} in a shape we do not know`);
  }

  /** An undelete's refusal, in the terms of a restore. */
  private restoreError(error: unknown): unknown {
    if (!(error instanceof ProviderError) || error.provider !== NAME) return error;
    if (error.status === 404) {
      return new ProviderError(
        NAME,
        error.code,
        "the user is no longer among the recently deleted users (Google keeps them 20 days)",
        { ...error.details, conflict: "expired" },
      );
    }
    return error;
  }

  /** Google's error body (API or token endpoint) → our error. Messages are ours or Google's, scrubbed. */
  private errorOf(answer: HttpAnswer): ProviderError {
    const body = (answer.body && typeof answer.body === "object" ? answer.body : {}) as GoogleErrorBody;
    const status = answer.status;

    // The token endpoint: {"error": "invalid_grant", "error_description": "…"}.
    if (typeof body.error === "string") {
      const code = body.error;
      const said = body.error_description ? `: ${scrub(body.error_description)}` : "";
      const message =
        code === "unauthorized_client"
          ? `refused a token to the service account: in the Admin console, allow its client ID the scope ${GOOGLE_SCOPE} (domain-wide delegation)`
          : code === "invalid_grant"
            ? `refused a token (${scrub(body.error_description ?? "invalid grant")}): check the service account email, its private key, GOOGLE_ADMIN_EMAIL and the server clock`
            : `refused a token${said}`;
      return new ProviderError(NAME, code, message, { status, transient: status >= 500 });
    }

    const error = body.error && typeof body.error === "object" ? body.error : undefined;
    const first = error?.errors?.[0];
    const reason = first?.reason ?? error?.status ?? (status >= 500 ? "unavailable" : String(status));
    const said = scrub(
      error?.message ?? first?.message ?? (typeof answer.body === "string" ? answer.body : ""),
    );
    const make = (message: string, conflict: ProviderConflict | null = null, transient = false) =>
      new ProviderError(NAME, reason, message, { status, conflict, transient });

    if (
      status === 429 ||
      reason === "rateLimitExceeded" ||
      reason === "userRateLimitExceeded" ||
      reason === "quotaExceeded"
    ) {
      return make("is limiting how fast we may ask", null, true);
    }
    if (status >= 500) return make("is not available right now", null, true);
    if (status === 401) return make("refused the access token");
    if (status === 403 && reason === "dailyLimitExceeded") {
      return make("refused: the project's daily quota for the Admin SDK is used up");
    }
    if (status === 403) {
      return make(
        `refused: ${this.settings.adminEmail} must be a super admin, and the service account needs domain-wide delegation for ${GOOGLE_SCOPE}`,
      );
    }
    if (status === 409 || reason === "duplicate") {
      return /alias/i.test(said)
        ? make("an alias of the user now belongs to another user or group: free it first", "alias")
        : make(
            "the user's address is now used by another user, alias or group: rename or remove it first",
            "userName",
          );
    }
    if (/INVALID_OU_ID|Invalid Ou Id|org ?unit/i.test(said)) {
      return make("the organizational unit does not exist any more: choose another one", "department");
    }
    if (status === 412 || /user limit|licen[cs]e/i.test(said)) {
      return make("has no free user licence: free or buy one, then try again", "seat");
    }
    if (status === 404) return make("found no such user");
    return make(said ? `refused the request: ${said}` : `refused the request (HTTP ${status})`);
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
