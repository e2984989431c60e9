/**
 * Microsoft Entra ID (Office 365) over Microsoft Graph v1.0, with an app registration's client
 * credentials. Deleted users sit in the directory's deleted items for 30 days; a restore brings one
 * back with its id, data, groups and roles, and can settle a user name conflict (newUserPrincipalName)
 * and proxy address conflicts (autoReconcileProxyConflict) as it runs.
 *
 * Permissions (application, admin consent): User.Read.All to list and look up users,
 * User.DeleteRestore.All to restore and delete them, and User.ReadUpdate.All (the least privileged
 * for PATCH /users/{id}) only to set a department the admin chose that differs from the restored one.
 *
 * API facts, from learn.microsoft.com/graph:
 * - api/directory-deleteditems-list, api/directory-deleteditems-restore, api/user-delete,
 *   api/user-list, api/user-get (404 Request_ResourceNotFound), api/user-update (204 No Content),
 *   api/resources/user (proxyAddresses: `SMTP:` is the primary, `smtp:` the others),
 *   errors (the error body), throttling (429 + Retry-After), paging (@odata.nextLink).
 * - entra/identity-platform/v2-oauth2-client-creds-grant-flow (the token request).
 */
import { z } from "zod";
import { type Said, said as toSay } from "../i18n/said.ts";
import { baseUrl, dateOrNull, requiredVar } from "./env.ts";
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
import { CachedToken, type HttpAnswer, ProviderHttp } from "./provider-http.ts";

const NAME = "Microsoft Entra ID";
const DEFAULT_GRAPH_URL = "https://graph.microsoft.com";
const DEFAULT_LOGIN_URL = "https://login.microsoftonline.com";

/** The properties we read; proxyAddresses, department and assignedLicenses are returned only on $select. */
const USER_FIELDS = [
  "id",
  "userPrincipalName",
  "displayName",
  "givenName",
  "surname",
  "mail",
  "proxyAddresses",
  "mobilePhone",
  "businessPhones",
  "department",
  "assignedLicenses",
];

/** Directory queries return at most 999 objects a page. */
const PAGE_SIZE = 999;

/** Graph refuses a $filter with more than 15 `or` clauses ("Max allowed: 15"). */
const MAX_FILTER_CLAUSES = 15;

export interface EntraSettings {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Without a trailing slash: https://graph.microsoft.com, or a national cloud's. */
  graphUrl: string;
  /** Without a trailing slash: https://login.microsoftonline.com, or a national cloud's. */
  loginUrl: string;
}

/** Parses the environment; each issue's path names its variable (the registry prefixes it). */
export const entraSettings: z.ZodType<EntraSettings> = z
  .object({
    ENTRA_TENANT_ID: requiredVar("the directory (tenant) id or its domain").pipe(
      z
        .string()
        .regex(
          /^[A-Za-z0-9.-]+$/,
          "must be the directory (tenant) id or a domain such as contoso.onmicrosoft.com",
        ),
    ),
    ENTRA_CLIENT_ID: requiredVar("the app registration's application (client) id").pipe(
      z
        .string()
        .regex(
          /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
          "must be the application (client) id, a GUID",
        ),
    ),
    ENTRA_CLIENT_SECRET: requiredVar("a client secret of the app registration"),
    ENTRA_GRAPH_URL: baseUrl(DEFAULT_GRAPH_URL),
    ENTRA_LOGIN_URL: baseUrl(DEFAULT_LOGIN_URL),
  })
  .transform(
    (env): EntraSettings => ({
      tenantId: env.ENTRA_TENANT_ID,
      clientId: env.ENTRA_CLIENT_ID,
      clientSecret: env.ENTRA_CLIENT_SECRET,
      graphUrl: env.ENTRA_GRAPH_URL,
      loginUrl: env.ENTRA_LOGIN_URL,
    }),
  );

/** Exchange Online's own restore of a deleted mailbox's content into a mailbox that exists. */
const MAILBOX_RESTORE =
  "New-MailboxRestoreRequest -SourceMailbox <its ExchangeGuid> -TargetMailbox <mailbox> -AllowLegacyDNMismatch";

/** Past the window the user is gone; only a mailbox that was on hold (inactive) is left. */
const PAST_WINDOW =
  "Past the 30 days only a mailbox that was on hold is left: in Exchange Online PowerShell, " +
  `Get-Mailbox -InactiveMailboxOnly <name> shows its ExchangeGuid, then ${MAILBOX_RESTORE} copies it into a mailbox.`;

/**
 * From Microsoft's help articles: "Restore a user in the Microsoft 365 admin center"
 * (learn.microsoft.com/microsoft-365/admin/add-users/restore-user, the Office 365 seed) and
 * "Restore or remove a recently deleted user" (learn.microsoft.com/entra/fundamentals/users-restore).
 * The mailbox: the seed says a user restored within 30 days gets the mailbox back, and points to
 * "Delete or restore user mailboxes in Exchange Online" when the mailbox is what is needed; the
 * cmdlets are Exchange Online PowerShell's (learn.microsoft.com/powershell/module/exchange:
 * Get-Mailbox -SoftDeletedMailbox / -InactiveMailboxOnly, New-MailboxRestoreRequest).
 */
export const ENTRA_PROFILE: DirectoryProfile = {
  capabilities: {
    canRestore: true,
    batchRestore: true,
    hasDeletingState: false,
    setsPassword: false,
    resolves: ["rename", "dropAliases"],
    // Proxy addresses are unique in a tenant; phone numbers are not.
    unique: ["email", "alias"],
    listsWholeBin: true,
    // A catalog key: said in the reader's language (src/i18n/stored.ts).
    note: "directoryNote.entra",
  },
  retentionDays: 30,
  // Catalog keys (followUp.*): said in the reader's language.
  followUp: [
    "followUp.entra.password",
    "followUp.entra.mailbox",
    "followUp.entra.licences",
    "followUp.entra.seats",
    "followUp.entra.addresses",
    "followUp.entra.mailOnly",
    "followUp.entra.pastWindow",
  ],
};

const assignedLicense = z.object({ skuId: z.string().nullish() });

const graphUser = z.object({
  id: z.string().min(1),
  userPrincipalName: z.string().nullish(),
  displayName: z.string().nullish(),
  givenName: z.string().nullish(),
  surname: z.string().nullish(),
  mail: z.string().nullish(),
  proxyAddresses: z.array(z.string()).nullish(),
  mobilePhone: z.string().nullish(),
  businessPhones: z.array(z.string()).nullish(),
  department: z.string().nullish(),
  assignedLicenses: z.array(assignedLicense).nullish(),
  deletedDateTime: z.string().nullish(),
});
type GraphUser = z.infer<typeof graphUser>;

const userPage = z.object({
  value: z.array(graphUser),
  "@odata.nextLink": z.string().nullish(),
});

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
});

/** Graph's error body (learn.microsoft.com/graph/errors). */
const graphError = z.object({
  error: z.object({
    code: z.string().optional(),
    message: z.string().optional(),
    details: z
      .array(z.object({ code: z.string().optional(), target: z.string().optional() }).loose())
      .optional(),
  }),
});

/** The identity platform's token error body. */
const tokenError = z.object({
  error: z.string(),
  error_codes: z.array(z.number()).optional(),
});

/** What each conflicting property means to us, how to say it, and the plan's choice that settles it. */
const CONFLICTS: Record<string, { kind: ProviderConflict; message: string; nextStep: Said }> = {
  userprincipalname: {
    kind: "userName",
    message: "another active user already has this user name",
    nextStep: toSay("provider.entra.userNameTaken"),
  },
  proxyaddresses: {
    kind: "alias",
    message: "another object already uses one of this user's email addresses (proxy addresses)",
    nextStep: toSay("provider.entra.aliasTaken"),
  },
  mail: {
    kind: "email",
    message: "another object already uses this user's email address",
    nextStep: toSay("provider.entra.emailTaken"),
  },
};

const PERMISSION_HINT =
  "the app is not allowed to do this: grant it the Microsoft Graph application permissions " +
  "User.Read.All and User.DeleteRestore.All with admin consent (restoring an administrator also needs a privileged role)";

const PERMISSION_STEP = toSay("provider.entra.permission");

/** An answer we cannot read: Graph changed, or the configured host is not Graph. */
const UNEXPECTED_STEP = toSay("provider.entra.unexpected");

/** Graph's own words for a user name outside the tenant's domains (Request_BadRequest). */
const BAD_DOMAIN = /domain portion of the userPrincipalName/i;

/** Maps Graph's and the token endpoint's error answers to ProviderErrors. Never echoes a request. */
export function entraErrorOf(answer: HttpAnswer): ProviderError {
  const { status, body } = answer;
  const token = tokenError.safeParse(body);
  if (token.success) return tokenErrorOf(status, token.data);
  const parsed = graphError.safeParse(body);
  const code = (parsed.success && parsed.data.error.code) || `HTTP ${status}`;
  const graphMessage = parsed.success ? parsed.data.error.message : undefined;
  const details = parsed.success ? (parsed.data.error.details ?? []) : [];

  const conflictDetail = details.find((d) => d.code === "ObjectConflict");
  if (conflictDetail || /ObjectConflict|same value for property/i.test(graphMessage ?? "")) {
    const property = (
      conflictDetail?.target ??
      /property (\w+)/i.exec(graphMessage ?? "")?.[1] ??
      ""
    ).toLowerCase();
    const known = CONFLICTS[property];
    return new ProviderError(
      NAME,
      code,
      known?.message ?? "another object already has one of this user's names",
      {
        status,
        conflict: known?.kind ?? null,
        ...step(known?.nextStep ?? toSay("provider.entra.conflict")),
      },
    );
  }
  // Throttling and outages are retried; when the retries run out, ProviderHttp says how long to wait.
  if (status === 429) {
    return new ProviderError(NAME, code, "is throttling requests", { status, transient: true });
  }
  if (status >= 500) {
    return new ProviderError(NAME, code, "is unavailable", { status, transient: true });
  }
  if (status === 403 || code === "Authorization_RequestDenied") {
    return new ProviderError(NAME, code, PERMISSION_HINT, { status, ...step(PERMISSION_STEP) });
  }
  if (status === 401) {
    // A fresh token was refused too (ProviderHttp fetches one once): it is for another cloud or app.
    return new ProviderError(NAME, code, "refused the access token", {
      status,
      ...step(toSay("provider.entra.tokenRefused")),
    });
  }
  if (status === 404 || code === "Request_ResourceNotFound") {
    return new ProviderError(NAME, code, "has no such user", {
      status,
      ...step(toSay("provider.entra.noSuchUser")),
    });
  }
  return new ProviderError(NAME, code, safeText(graphMessage) ?? `refused the request (HTTP ${status})`, {
    status,
    ...step(
      BAD_DOMAIN.test(graphMessage ?? "")
        ? toSay("provider.entra.badDomain")
        : toSay("provider.entra.refused"),
    ),
  });
}

/** The identity platform's refusals of the token request: each is fixed in the settings or the app registration. */
function tokenErrorOf(status: number, body: z.infer<typeof tokenError>): ProviderError {
  const sts = body.error_codes?.[0];
  const code = sts ? `AADSTS${sts}` : body.error;
  const transient = status === 429 || status >= 500;
  // error_description is not used: it is long, and names the app and tenant in ways we do not control.
  let message: string;
  let nextStep: Said | null;
  if (sts === 90002 || sts === 900023) {
    message = "does not know this tenant: check ENTRA_TENANT_ID";
    nextStep = toSay("provider.entra.tenant");
  } else if (sts === 700016) {
    message = "does not know this app in the tenant: check ENTRA_CLIENT_ID";
    nextStep = toSay("provider.entra.clientId");
  } else if (sts === 7000222) {
    message = "says the client secret has expired: create a new one";
    nextStep = toSay("provider.entra.secretExpired");
  } else if (body.error === "invalid_client") {
    message = "refused the client secret: check ENTRA_CLIENT_SECRET";
    nextStep = toSay("provider.entra.secretRefused");
  } else if (body.error === "unauthorized_client") {
    message = "refused the app: check ENTRA_CLIENT_ID";
    nextStep = toSay("provider.entra.appRefused");
  } else {
    message = `refused to issue a token (${body.error})`;
    // A passing outage is retried, and ProviderHttp says when to try again.
    nextStep = transient ? null : toSay("provider.entra.tokenSettings");
  }
  return new ProviderError(NAME, code, message, { status, transient, ...stepOrNone(nextStep) });
}

/** A provider message for an admin: one line, bounded, nothing that looks like a token. */
function safeText(message: string | undefined): string | null {
  if (!message) return null;
  const line = message
    .replace(/Bearer\s+\S+/gi, "Bearer …")
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, "…")
    .replace(/\s+/g, " ")
    .trim();
  if (!line) return null;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** `SMTP:a@x` → a@x; other address types (SIP:, X500:) are not email addresses. */
function smtpAddresses(proxyAddresses: readonly string[] | null | undefined) {
  let primary: string | null = null;
  const others: string[] = [];
  for (const proxy of proxyAddresses ?? []) {
    const match = /^smtp:(.+)$/i.exec(proxy.trim());
    if (!match?.[1]) continue;
    const address = match[1].trim();
    if (proxy.startsWith("SMTP:") && primary === null) primary = address;
    else others.push(address);
  }
  return { primary, others };
}

/**
 * A deleted user's userPrincipalName is prefixed with its object id without hyphens
 * (`1f3c…9a2balice@contoso.com`), which frees the name; the original is what comes back on restore.
 */
export function originalUserName(id: string, userPrincipalName: string): string {
  const prefix = id.replace(/-/g, "").toLowerCase();
  return prefix.length > 0 && userPrincipalName.toLowerCase().startsWith(prefix)
    ? userPrincipalName.slice(prefix.length)
    : userPrincipalName;
}

function toProviderUser(user: GraphUser): ProviderUser {
  const userName = originalUserName(user.id, user.userPrincipalName ?? "");
  const { primary, others } = smtpAddresses(user.proxyAddresses);
  const email = primary ?? user.mail ?? null;
  const seen = new Set(email ? [email.toLowerCase()] : []);
  const aliases: string[] = [];
  for (const address of others) {
    const key = address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    aliases.push(address);
  }
  return {
    externalId: user.id,
    userName,
    email,
    aliases,
    phone: user.mobilePhone || user.businessPhones?.find((p) => p.trim() !== "") || null,
    displayName: user.displayName || userName,
    givenName: user.givenName ?? null,
    familyName: user.surname ?? null,
    department: user.department ?? null,
    license: user.assignedLicenses?.find((l) => l.skuId)?.skuId ?? null,
  };
}

function toDeletedUser(user: GraphUser): DeletedProviderUser {
  return {
    ...toProviderUser(user),
    status: "deleted",
    deletedAt: dateOrNull(user.deletedDateTime),
    // Graph does not say who deleted a user (the audit log does).
    deletedBy: null,
  };
}

/** An OData string literal: quotes doubled. */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** One `or` clause per property that makes a conflict, in requests of at most 15 clauses. */
export function conflictFilters(keys: ConflictKeys): string[] {
  const clauses = new Set<string>();
  for (const name of keys.userNames) {
    if (name.trim()) clauses.add(`userPrincipalName eq ${literal(name.trim())}`);
  }
  for (const raw of keys.addresses) {
    const address = raw.trim();
    if (!address) continue;
    clauses.add(`userPrincipalName eq ${literal(address)}`);
    clauses.add(`mail eq ${literal(address)}`);
    clauses.add(`proxyAddresses/any(p:p eq ${literal(`smtp:${address}`)})`);
  }
  // Entra does not hold phone numbers unique, so a phone never blocks a restore: keys.phones is not asked.
  const all = [...clauses];
  const filters: string[] = [];
  for (let i = 0; i < all.length; i += MAX_FILTER_CLAUSES) {
    filters.push(all.slice(i, i + MAX_FILTER_CLAUSES).join(" or "));
  }
  return filters;
}

class EntraConnector implements DirectoryConnector {
  readonly kind = "entra" as const;
  readonly name = NAME;
  readonly profile = ENTRA_PROFILE;
  private readonly graph: ProviderHttp;
  private readonly login: ProviderHttp;
  private readonly token: CachedToken;
  private readonly graphOrigin: string;
  /**
   * A token request the identity platform refused (bad secret, unknown tenant) during the current
   * operation: reported as itself rather than as "could not be reached", and not asked again.
   */
  private tokenRefusal: ProviderError | null = null;

  constructor(
    private readonly settings: EntraSettings,
    private readonly deps: ConnectorDeps,
  ) {
    this.graphOrigin = new URL(settings.graphUrl).origin;
    this.login = new ProviderHttp({
      provider: NAME,
      baseUrl: settings.loginUrl,
      authHeaders: async () => ({}),
      errorOf: entraErrorOf,
      deps,
    });
    this.token = new CachedToken(() => this.fetchToken(), deps.now);
    this.graph = new ProviderHttp({
      provider: NAME,
      baseUrl: settings.graphUrl,
      authHeaders: async () => ({ authorization: `Bearer ${await this.token.get()}` }),
      onUnauthorized: () => this.token.invalidate(),
      errorOf: entraErrorOf,
      deps,
    });
  }

  async *listDeleted(): AsyncIterable<DeletedProviderUser[]> {
    let next: string | null = "/v1.0/directory/deletedItems/microsoft.graph.user";
    let query: Record<string, string | number> | undefined = {
      $select: [...USER_FIELDS, "deletedDateTime"].join(","),
      $top: PAGE_SIZE,
    };
    while (next) {
      const path: string = next;
      const answer = await this.authorized(() => this.graph.get(path, { query }));
      const page = this.pageOf(answer.body);
      yield page.value.map(toDeletedUser);
      next = this.nextLinkOf(page["@odata.nextLink"]);
      query = undefined; // the next link carries the query
    }
  }

  async findActive(keys: ConflictKeys): Promise<ProviderUser[]> {
    const found = new Map<string, ProviderUser>();
    for (const filter of conflictFilters(keys)) {
      let next: string | null = "/v1.0/users";
      let query: Record<string, string | number> | undefined = {
        $filter: filter,
        $select: USER_FIELDS.join(","),
        $top: PAGE_SIZE,
      };
      while (next) {
        const path: string = next;
        const answer = await this.authorized(() => this.graph.get(path, { query }));
        const page = this.pageOf(answer.body);
        for (const user of page.value) found.set(user.id, toProviderUser(user));
        next = this.nextLinkOf(page["@odata.nextLink"]);
        query = undefined;
      }
    }
    return [...found.values()];
  }

  async restore(input: RestoreInput): Promise<RestoredUser> {
    const body: { autoReconcileProxyConflict?: true; newUserPrincipalName?: string } = {};
    // Entra drops every conflicting proxy address itself; it cannot be told which ones.
    if (input.dropAliases.length > 0 || input.dropEmail) body.autoReconcileProxyConflict = true;
    if (input.newUserName) body.newUserPrincipalName = input.newUserName;
    const path = `/v1.0/directory/deletedItems/${encodeURIComponent(input.externalId)}/restore`;
    let answer: HttpAnswer;
    try {
      answer = await this.authorized(() =>
        this.graph.post(path, Object.keys(body).length > 0 ? { json: body } : {}),
      );
    } catch (error) {
      if (error instanceof ProviderError && error.status === 404) {
        throw new ProviderError(
          NAME,
          error.code,
          "this user is no longer among the deleted users: it was purged, or restored already",
          { status: 404, conflict: "expired", nextStep: PAST_WINDOW },
        );
      }
      throw error;
    }
    const restored = this.restoredUser(answer.body, input);
    // From here on the user is restored in Entra: nothing below may say otherwise.
    return this.withChosenDepartment(restored, input);
  }

  /**
   * A department is a free-text attribute in Entra, never "gone": the restore brings back the old
   * one, and a different one the admin chose is set afterwards. If that fails, the user is still
   * restored, with the department Entra has (the mirror follows Entra); the admin sets it in Entra.
   */
  private async withChosenDepartment(restored: RestoredUser, input: RestoreInput): Promise<RestoredUser> {
    const chosen = input.department?.trim() || null;
    if (!chosen || chosen === (input.user.department ?? null)) return restored;
    try {
      await this.authorized(() =>
        this.graph.request("PATCH", `/v1.0/users/${encodeURIComponent(restored.externalId)}`, {
          json: { department: chosen },
        }),
      );
    } catch (error) {
      this.deps.log.warn("restored Entra user, but could not set the chosen department", {
        provider: NAME,
        code: error instanceof ProviderError ? error.code : null,
      });
      return restored;
    }
    return { ...restored, department: chosen };
  }

  /** Entra restores deleted users; re-creating one would make a stranger with the same name. */
  async recreate(_input: RestoreInput): Promise<RestoredUser> {
    throw new ProviderError(
      NAME,
      "not_supported",
      "restores deleted users within 30 days and does not re-create them from a snapshot",
      { ...step(toSay("provider.entra.notSupported")) },
    );
  }

  /**
   * The user by id (GET /users/{id}, strongly consistent). A disabled user (accountEnabled false)
   * still holds its names, so it counts as active here as in findActive; 404: not an active user.
   */
  async readActive(externalId: string): Promise<ProviderUser | null> {
    let answer: HttpAnswer;
    try {
      answer = await this.authorized(() =>
        this.graph.get(`/v1.0/users/${encodeURIComponent(externalId)}`, {
          query: { $select: USER_FIELDS.join(",") },
        }),
      );
    } catch (error) {
      if (error instanceof ProviderError && error.status === 404) return null;
      throw error;
    }
    const user = graphUser.safeParse(answer.body);
    if (!user.success) {
      throw new ProviderError(NAME, "unexpected_answer", "answered a user lookup in an unexpected shape", {
        status: answer.status,
        ...step(UNEXPECTED_STEP),
      });
    }
    return toProviderUser(user.data);
  }

  /** Deletes an active user: it goes to the deleted users for 30 days, like any other. */
  async removeActive(externalId: string): Promise<void> {
    await this.authorized(() =>
      this.graph.request("DELETE", `/v1.0/users/${encodeURIComponent(externalId)}`),
    );
  }

  /** The restore answers with the user's default properties; what it leaves out comes from the snapshot. */
  private restoredUser(body: unknown, input: RestoreInput): RestoredUser {
    const parsed = graphUser.safeParse(body);
    const snapshot = input.user;
    const dropped = new Set(input.dropAliases.map((a) => a.toLowerCase()));
    const fromSnapshot: RestoredUser = {
      ...snapshot,
      externalId: input.externalId,
      userName: input.newUserName ?? snapshot.userName,
      email: input.dropEmail ? null : snapshot.email,
      aliases: snapshot.aliases.filter((a) => !dropped.has(a.toLowerCase())),
    };
    if (!parsed.success) {
      // Graph answered 200: the user is restored. Say what was asked for rather than "nothing restored".
      this.deps.log.warn("restored Entra user, but the answer had an unexpected shape", { provider: NAME });
      return fromSnapshot;
    }
    const user = parsed.data;
    const restored = toProviderUser(user);
    return {
      ...restored,
      userName: user.userPrincipalName ? restored.userName : fromSnapshot.userName,
      email: restored.email ?? fromSnapshot.email,
      aliases: user.proxyAddresses != null ? restored.aliases : fromSnapshot.aliases,
      phone: restored.phone ?? snapshot.phone,
      givenName: restored.givenName ?? snapshot.givenName,
      familyName: restored.familyName ?? snapshot.familyName,
      department: user.department !== undefined ? restored.department : snapshot.department,
      license: user.assignedLicenses != null ? restored.license : snapshot.license,
    };
  }

  private pageOf(body: unknown): z.infer<typeof userPage> {
    const page = userPage.safeParse(body);
    if (!page.success) {
      throw new ProviderError(NAME, "unexpected_answer", "answered a user list in an unexpected shape", {
        status: 200,
        ...step(UNEXPECTED_STEP),
      });
    }
    return page.data;
  }

  /** Follows a next link only to the configured Graph host: the access token goes with it. */
  private nextLinkOf(link: string | null | undefined): string | null {
    if (!link) return null;
    let url: URL;
    try {
      url = new URL(link, this.settings.graphUrl);
    } catch {
      throw new ProviderError(NAME, "unexpected_answer", "sent a next page link that is not a URL", {
        ...step(UNEXPECTED_STEP),
      });
    }
    if (url.origin !== this.graphOrigin) {
      throw new ProviderError(
        NAME,
        "unexpected_answer",
        `sent a next page link to another host (${url.host})`,
        { ...step(UNEXPECTED_STEP) },
      );
    }
    return url.toString();
  }

  /**
   * Fetches the token before the request, so a refused secret is reported as such. ProviderHttp
   * reads auth headers inside its network try/catch, where a token failure would read "could not
   * be reached"; when a re-fetch after a 401 is refused, that refusal is reported instead.
   */
  private async authorized<T>(send: () => Promise<T>): Promise<T> {
    this.tokenRefusal = null;
    await this.token.get();
    try {
      return await send();
    } catch (error) {
      const refusal = this.tokenRefusal;
      if (refusal && error instanceof ProviderError && error.code === "unreachable") throw refusal;
      throw error;
    }
  }

  private async fetchToken(): Promise<{ token: string; expiresInSeconds: number }> {
    // Refused once in this operation: ProviderHttp's retries must not ask again and again.
    if (this.tokenRefusal) throw this.tokenRefusal;
    const { tenantId, clientId, clientSecret, graphUrl } = this.settings;
    let answer: HttpAnswer;
    try {
      answer = await this.login.post(`/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`, {
        anonymous: true,
        form: {
          client_id: clientId,
          client_secret: clientSecret,
          // The scope follows the Graph host: national clouds have their own.
          scope: `${graphUrl}/.default`,
          grant_type: "client_credentials",
        },
      });
    } catch (error) {
      if (error instanceof ProviderError && !error.transient) this.tokenRefusal = error;
      throw error;
    }
    const parsed = tokenAnswer.safeParse(answer.body);
    if (!parsed.success) {
      throw new ProviderError(
        NAME,
        "unexpected_answer",
        "answered the token request in an unexpected shape",
        {
          status: answer.status,
          ...step(toSay("provider.entra.loginUrl")),
        },
      );
    }
    return { token: parsed.data.access_token, expiresInSeconds: parsed.data.expires_in };
  }
}

export const entraModule: ConnectorModule<EntraSettings> = {
  kind: "entra",
  name: NAME,
  required: ["ENTRA_TENANT_ID", "ENTRA_CLIENT_ID", "ENTRA_CLIENT_SECRET"],
  optional: ["ENTRA_GRAPH_URL", "ENTRA_LOGIN_URL"],
  settings: entraSettings,
  create: (settings, deps) => new EntraConnector(settings, deps),
};
