/**
 * Okta connector. Okta has no bin: a "deleted" user here is a deactivated one (status
 * DEPROVISIONED), kept with no countdown until an admin deletes it for good, after which it is gone.
 * Restoring is activating it again; it comes back without a password unless it still had one.
 *
 * API (Okta Management API, API token auth `Authorization: SSWS <token>`):
 * - list:    GET  /api/v1/users?search=status eq "DEPROVISIONED"&limit=200, paged by Link rel="next"
 * - find:    GET  /api/v1/users?search=profile.login eq "…" or profile.email eq "…" (ne is not
 *            supported, so deactivated users are dropped here rather than in the query), then
 *            confirmed by ID lookups: the search is eventually consistent and Okta's reference says
 *            to "use an ID lookup for records that you update". Each user name is looked up as
 *            GET /api/v1/users/{login} (the path takes "an ID, login, or login shortname") and each
 *            user the search calls active is read again by id, so a holder created or deactivated
 *            seconds ago is seen as it is now. Calls: the searches, one per user name, one per hit.
 * - read:    GET  /api/v1/users/{id} (readActive: the mirror follows this answer)
 * - restore: POST /api/v1/users/{id}/lifecycle/activate?sendEmail=false, then, for a chosen
 *            department, POST /api/v1/users/{id} {"profile":{"department":…}} (partial update:
 *            POST changes only what it names; PUT would null the rest), else GET /api/v1/users/{id}
 * - replace: POST /api/v1/users/{id}/lifecycle/deactivate?sendEmail=false
 * Every error names its next step (ProviderError.details.nextStep): a choice in the plan, a retry,
 * or what to fix in the Okta Admin Console.
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/User/
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserLifecycle/
 */
import { z } from "zod";
import { type Said, said as toSay } from "../i18n/said.ts";
import { dateOrNull } from "./env.ts";
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
import { type HttpAnswer, ProviderHttp } from "./provider-http.ts";

const OKTA = "Okta";

export interface OktaSettings {
  /** https://example.okta.com, without a trailing slash: every API path hangs off it. */
  orgUrl: string;
  /** The API token, sent as `SSWS <token>`. Never logged. */
  apiToken: string;
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** URL.parse arrived in Node 20.18; the app supports 20.11. */
function urlOrNull(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

const orgUrl = z
  .string({ error: "missing: your Okta org URL, e.g. https://example.okta.com" })
  .trim()
  .pipe(z.url({ protocol: /^https?$/, error: "must be your Okta org URL, e.g. https://example.okta.com" }))
  .refine((u) => {
    const url = urlOrNull(u);
    return !url || url.protocol === "https:" || LOCAL_HOSTS.has(url.hostname);
  }, "must be an https:// URL: the API token travels with every request")
  .refine(
    (u) => !/-admin\./i.test(urlOrNull(u)?.hostname ?? ""),
    "must be the org URL, not the Admin Console's (drop -admin: https://example.okta.com)",
  )
  .transform((u) => u.replace(/\/+$/, ""));

const apiToken = z
  .string({ error: "missing: an API token from Security → API → Tokens in the Okta Admin Console" })
  .trim()
  // People paste the header value; the prefix is ours to add.
  .transform((t) => t.replace(/^SSWS\s+/i, ""))
  .pipe(z.string().min(1, "must not be empty"));

export const oktaModule: ConnectorModule<OktaSettings> = {
  kind: "okta",
  name: OKTA,
  required: ["OKTA_ORG_URL", "OKTA_API_TOKEN"],
  optional: [],
  settings: z
    .object({ OKTA_ORG_URL: orgUrl, OKTA_API_TOKEN: apiToken })
    .transform((env) => ({ orgUrl: env.OKTA_ORG_URL, apiToken: env.OKTA_API_TOKEN })),
  create: (settings, deps) => new OktaConnector(settings, deps),
};

/**
 * What Okta does and does not do. Sources: Okta help "Activate and deactivate users"
 * (deactivated users lose their app assignments; reactivated users need them reassigned), Okta
 * support "Can an application be assigned to a deactivated user" (group memberships are kept),
 * the activateUser reference (users without a password must finish the welcome flow), and
 * "How to reset MFA for end users".
 */
export const OKTA_PROFILE: DirectoryProfile = {
  capabilities: {
    canRestore: true,
    batchRestore: false,
    hasDeletingState: false,
    setsPassword: false,
    resolves: [],
    // Only the login must be unique in Okta.
    unique: [],
    // A deactivated user keeps its login: deactivating the holder would not free it.
    replaceFreesUserName: false,
    listsWholeBin: true,
    // A catalog key: said in the reader's language (src/i18n/stored.ts).
    note: "directoryNote.okta",
  },
  retentionDays: null,
  followUp: [
    "followUp.okta.activation",
    "followUp.okta.apps",
    "followUp.okta.appData",
    "followUp.okta.authenticators",
    "followUp.okta.roles",
  ],
};

/** The Okta user object, as far as we read it. */
interface OktaUser {
  id: string;
  status?: string;
  statusChanged?: string | null;
  transitioningToStatus?: string | null;
  profile?: {
    login?: string | null;
    email?: string | null;
    secondEmail?: string | null;
    firstName?: string | null;
    lastName?: string | null;
    displayName?: string | null;
    mobilePhone?: string | null;
    primaryPhone?: string | null;
    department?: string | null;
  } | null;
}

interface OktaErrorBody {
  errorCode?: string;
  errorSummary?: string;
  errorCauses?: { errorSummary?: string }[];
}

const DEPROVISIONED = "DEPROVISIONED";
/** Okta's largest page for /api/v1/users. */
const PAGE_SIZE = 200;
/** Search terms per findActive request: an overly long search expression is refused. */
const TERMS_PER_SEARCH = 10;

// Next steps, one sentence each: what the admin does about an error (ProviderError.details.nextStep).
const CHECK_ORG_URL = toSay("provider.okta.checkOrgUrl");
const NEW_TOKEN = toSay("provider.okta.newToken");
const ADMIN_ROLE = toSay("provider.okta.adminRole");
const LOGIN_TAKEN = toSay("provider.okta.loginTaken");
const EMAIL_TAKEN = toSay("provider.okta.emailTaken");
const USER_GONE = toSay("provider.okta.userGone");
const OKTA_DOWN = toSay("provider.okta.down");

/** For an answer without an Okta error code (a proxy's page, an empty body): what to fix, by status. */
function nextStepOfStatus(status: number): Said {
  if (status === 401) return NEW_TOKEN;
  if (status === 403) return ADMIN_ROLE;
  if (status === 404) return CHECK_ORG_URL;
  return toSay("provider.okta.systemLog");
}

class OktaConnector implements DirectoryConnector {
  readonly kind = "okta" as const;
  readonly name = OKTA;
  readonly profile = OKTA_PROFILE;
  private readonly http: ProviderHttp;
  private readonly origin: string;

  constructor(
    private readonly settings: OktaSettings,
    private readonly deps: ConnectorDeps,
  ) {
    this.origin = new URL(settings.orgUrl).origin;
    this.http = new ProviderHttp({
      provider: OKTA,
      baseUrl: `${settings.orgUrl}/`,
      // An API token cannot be renewed by us: a 401 is final (no onUnauthorized).
      authHeaders: async () => ({ authorization: `SSWS ${settings.apiToken}` }),
      errorOf: (answer) => this.errorOf(answer),
      deps,
      // Okta's rate limits are per minute: waiting out a window (X-Rate-Limit-Reset) can take up to 60 s.
      retry: { maxDelayMs: 60_000 },
    });
  }

  async *listDeleted(): AsyncIterable<DeletedProviderUser[]> {
    const first = `api/v1/users?search=${searchParam(`status eq ${quoted(DEPROVISIONED)}`)}&limit=${PAGE_SIZE}`;
    for await (const users of this.pages(first)) {
      yield users.filter((u) => u.status === DEPROVISIONED).map(deletedUserOf);
    }
  }

  /**
   * The search finds candidates; ID lookups decide. A login is unique in Okta, so looking each user
   * name up directly finds its holder even when the search has not caught up, and each user the
   * search calls active is read again by id, so one deactivated (or deleted) seconds ago drops out.
   */
  async findActive(keys: ConflictKeys): Promise<ProviderUser[]> {
    const [searched, byLogin] = await Promise.all([
      this.search(keys),
      Promise.all([...new Set(keys.userNames)].map((name) => this.userByLogin(name))),
    ]);
    const read = new Map<string, OktaUser | null>();
    for (const user of byLogin) if (user) read.set(user.id, user);
    // Users the search calls deactivated are not read again, so the calls stay one per hit that
    // counts: one reactivated since is found by the login lookups when it holds a user name (Okta
    // lets users share emails and phones, so only the login makes a holder there).
    const toRead = [...new Set(searched.filter(holdsAsActive).map((u) => u.id))].filter(
      (id) => !read.has(id),
    );
    const reread = await Promise.all(toRead.map(async (id) => [id, await this.userById(id)] as const));
    for (const [id, user] of reread) read.set(id, user);
    const found = new Map<string, ProviderUser>();
    for (const id of [...searched.map((u) => u.id), ...read.keys()]) {
      const user = read.get(id);
      // As Okta has the user now: still active, and still holding what the search matched.
      if (user && holdsAsActive(user) && holdsAnyOf(user, keys) && !found.has(user.id)) {
        found.set(user.id, providerUserOf(user));
      }
    }
    return [...found.values()];
  }

  async readActive(externalId: string): Promise<ProviderUser | null> {
    const user = await this.userById(externalId);
    return user && holdsAsActive(user) ? providerUserOf(user) : null;
  }

  /** Every user the search matches, deactivated ones included (the caller decides). */
  private async search(keys: ConflictKeys): Promise<OktaUser[]> {
    const terms = new Set<string>();
    for (const name of keys.userNames) terms.add(`profile.login eq ${quoted(name)}`);
    for (const address of keys.addresses) {
      terms.add(`profile.login eq ${quoted(address)}`);
      terms.add(`profile.email eq ${quoted(address)}`);
    }
    for (const phone of keys.phones) {
      terms.add(`profile.mobilePhone eq ${quoted(phone)}`);
      terms.add(`profile.primaryPhone eq ${quoted(phone)}`);
    }
    const all = [...terms];
    const found: OktaUser[] = [];
    for (let i = 0; i < all.length; i += TERMS_PER_SEARCH) {
      const expression = all.slice(i, i + TERMS_PER_SEARCH).join(" or ");
      for await (const users of this.pages(
        `api/v1/users?search=${searchParam(expression)}&limit=${PAGE_SIZE}`,
      )) {
        found.push(...users);
      }
    }
    return found;
  }

  /** The user with this id as Okta has it now; null when Okta has no such user (E0000007). */
  private async userById(id: string): Promise<OktaUser | null> {
    const user = await this.userAt(id);
    // The path also takes a login: only the user with this very id is an answer.
    return user?.id === id ? user : null;
  }

  /**
   * The user whose login this is, by ID lookup. The path also matches a login *shortname* ("ada"
   * for ada@example.com), so only an exact login counts. Okta cannot look up logins with a `/` by
   * path: those rest on the search (as does an empty one, whose path would list every user).
   */
  private async userByLogin(login: string): Promise<OktaUser | null> {
    if (!login.trim() || login.includes("/")) return null;
    const user = await this.userAt(login);
    return user && text(user.profile?.login)?.toLowerCase() === login.trim().toLowerCase() ? user : null;
  }

  private async userAt(idOrLogin: string): Promise<OktaUser | null> {
    let answer: HttpAnswer<unknown>;
    try {
      answer = await this.http.get<unknown>(`api/v1/users/${encodeURIComponent(idOrLogin)}`);
    } catch (error) {
      // Not found: deleted for good, or never there. Any other refusal is the caller's to report.
      if (error instanceof ProviderError && error.code === "E0000007") return null;
      throw error;
    }
    if (!isOktaUser(answer.body)) {
      throw new ProviderError(OKTA, "unexpected_answer", "answered a user lookup with something else", {
        status: answer.status,
        ...step(CHECK_ORG_URL),
      });
    }
    return answer.body;
  }

  async restore(input: RestoreInput): Promise<RestoredUser> {
    refuseWhatOktaCannotDo(input);
    const id = encodeURIComponent(input.externalId);
    // With sendEmail=false the answer carries an activation link and token: secrets for the user
    // alone. They are dropped here unread and never logged.
    await this.http.post(`api/v1/users/${id}/lifecycle/activate`, { query: { sendEmail: false } });
    // From here on the user is active in Okta: nothing below may report the restore as failed.
    const department = chosenDepartment(input);
    if (department !== null) {
      try {
        // POST is Okta's partial update: only the department changes.
        const answer = await this.http.post<unknown>(`api/v1/users/${id}`, {
          json: { profile: { department } },
        });
        if (isOktaUser(answer.body)) return providerUserOf(answer.body);
      } catch (error) {
        // Restored, in its old department: the read-back below says which, so the mirror follows Okta.
        this.deps.log.warn("okta user restored but its department could not be set", {
          provider: OKTA,
          code: error instanceof ProviderError ? error.code : "unknown",
        });
      }
    }
    try {
      const answer = await this.http.get<OktaUser>(`api/v1/users/${id}`);
      if (isOktaUser(answer.body)) return providerUserOf(answer.body);
    } catch (error) {
      // The user is active again; only the read-back failed. Say so, and answer with the snapshot.
      this.deps.log.warn("okta user restored but could not be read back", {
        provider: OKTA,
        code: error instanceof ProviderError ? error.code : "unknown",
      });
    }
    return { ...input.user, externalId: input.externalId };
  }

  async recreate(_input: RestoreInput): Promise<RestoredUser> {
    throw new ProviderError(
      OKTA,
      "not_supported",
      "a deleted Okta user cannot be created again from here; deactivated users are restored instead",
      {
        ...step(toSay("provider.okta.createAnew")),
      },
    );
  }

  async removeActive(externalId: string): Promise<void> {
    // Deactivated, not deleted: the user becomes DEPROVISIONED, itself restorable with no countdown.
    try {
      await this.http.post(`api/v1/users/${encodeURIComponent(externalId)}/lifecycle/deactivate`, {
        query: { sendEmail: false },
      });
    } catch (error) {
      if (error instanceof ProviderError && error.code === "E0000007") {
        throw new ProviderError(OKTA, error.code, "the active user no longer exists in Okta", {
          status: error.status,
          ...step(toSay("provider.okta.planAgain")),
        });
      }
      throw error;
    }
  }

  /** The pages of a user listing, following Link rel="next" to the end, one page at a time. */
  private async *pages(first: string): AsyncGenerator<OktaUser[]> {
    let next: string | null = first;
    const seen = new Set<string>();
    while (next) {
      seen.add(next);
      const answer: HttpAnswer<unknown> = await this.http.get<unknown>(next);
      if (!Array.isArray(answer.body)) {
        throw new ProviderError(OKTA, "unexpected_answer", "answered the user listing with something else", {
          status: answer.status,
          ...step(CHECK_ORG_URL),
        });
      }
      yield answer.body.filter(isOktaUser);
      next = this.nextLinkOf(answer.headers);
      if (next && seen.has(next)) {
        throw new ProviderError(OKTA, "paging_loop", "sent the same page link twice; the listing stopped", {
          ...step(toSay("provider.okta.pagingLoop")),
        });
      }
    }
  }

  private nextLinkOf(headers: Headers): string | null {
    const next = nextLink(headers.get("link"));
    if (!next) return null;
    // The token goes with every request: only ever follow links back to the org itself.
    let url: URL;
    try {
      url = new URL(next, `${this.settings.orgUrl}/`);
    } catch {
      throw new ProviderError(OKTA, "bad_next_link", "sent a next-page link that is not a URL", {
        ...step(CHECK_ORG_URL),
      });
    }
    if (url.origin !== this.origin) {
      throw new ProviderError(OKTA, "bad_next_link", "sent a next-page link to another site; not followed", {
        ...step(CHECK_ORG_URL),
      });
    }
    return url.toString();
  }

  /**
   * Okta's error body → our ProviderError, with the admin's next step. Messages are ours: short,
   * plain, never a token. Codes: https://developer.okta.com/docs/reference/error-codes/
   */
  private errorOf(answer: HttpAnswer): ProviderError {
    const body: OktaErrorBody =
      answer.body && typeof answer.body === "object" ? (answer.body as OktaErrorBody) : {};
    const status = answer.status;
    const code = typeof body.errorCode === "string" && body.errorCode ? body.errorCode : `HTTP_${status}`;
    const transient = status === 429 || status >= 500;
    const make = (
      message: string,
      next: Said,
      more: { conflict?: ProviderConflict; retryAfterMs?: number | null } = {},
    ) =>
      new ProviderError(OKTA, code, this.scrub(message), {
        status,
        transient,
        conflict: more.conflict ?? null,
        retryAfterMs: more.retryAfterMs,
        ...step(next),
      });

    switch (code) {
      case "E0000001": {
        const causes = (body.errorCauses ?? []).map((c) => String(c?.errorSummary ?? ""));
        const taken = (field: string) =>
          causes.some(
            (c) => c.toLowerCase().startsWith(`${field.toLowerCase()}:`) && /already exists/i.test(c),
          );
        if (taken("login")) {
          return make("the user name (login) now belongs to another Okta user", LOGIN_TAKEN, {
            conflict: "userName",
          });
        }
        if (taken("email")) {
          return make("the email address now belongs to another Okta user", EMAIL_TAKEN, {
            conflict: "email",
          });
        }
        const detail = causes.find(Boolean) ?? body.errorSummary ?? "";
        return make(
          detail ? `refused the request: ${short(detail)}` : "refused the request",
          toSay("provider.okta.fixProfile"),
        );
      }
      case "E0000011":
        return make("the API token is not valid (expired, revoked, or its admin was deactivated)", NEW_TOKEN);
      case "E0000006":
        return make("the API token's admin is not allowed to do this", ADMIN_ROLE);
      case "E0000007":
        return make(
          "the user no longer exists in Okta: it was deleted and cannot be brought back",
          USER_GONE,
          {
            conflict: "expired",
          },
        );
      case "E0000016":
        return make("the user is already active in Okta", toSay("provider.okta.alreadyActive"));
      case "E0000038":
        return make("the user's current status in Okta does not allow this", toSay("provider.okta.status"));
      case "E0000047": {
        const retryAfterMs = rateLimitResetMs(answer.headers, this.deps.now());
        const next =
          retryAfterMs === null
            ? toSay("provider.okta.rateLimit")
            : toSay("provider.okta.rateLimitAt", {
                time: new Date(this.deps.now().getTime() + retryAfterMs).toISOString().slice(11, 19),
              });
        return make("Okta's rate limit was reached", next, { retryAfterMs });
      }
      default:
        if (status >= 500) return make(`had a problem of its own (HTTP ${status})`, OKTA_DOWN);
        if (typeof body.errorSummary === "string" && body.errorSummary) {
          return make(`refused the request: ${short(body.errorSummary)}`, nextStepOfStatus(status));
        }
        return make(`answered HTTP ${status}`, nextStepOfStatus(status));
    }
  }

  /** Belt and braces: whatever Okta echoes, the token never leaves in a message. */
  private scrub(message: string): string {
    const token = this.settings.apiToken;
    return token ? message.split(token).join("[token]") : message;
  }
}

/** The plan offered only what `resolves: []` allows; anything else would be silently wrong. */
function refuseWhatOktaCannotDo(input: RestoreInput): void {
  const refuse = (what: string, next: Said) =>
    new ProviderError(OKTA, "not_supported", `cannot ${what} while restoring a user; nothing was changed`, {
      ...step(next),
    });
  const asItWas = toSay("provider.okta.asItWas");
  if (input.newUserName !== null && input.newUserName !== input.user.userName) {
    throw refuse("rename", toSay("provider.okta.keepLogin"));
  }
  if (input.dropAliases.length > 0) throw refuse("drop addresses", asItWas);
  if (input.dropEmail) throw refuse("drop the email address", asItWas);
  if (input.dropPhone) throw refuse("drop the phone number", asItWas);
}

/** The department the admin chose, when it is not the one the user already had; null otherwise. */
function chosenDepartment(input: RestoreInput): string | null {
  const chosen = text(input.department);
  return chosen !== null && chosen !== text(input.user.department) ? chosen : null;
}

/** Whether the user (as read by id) holds one of the keys, matched as the search matches them. */
function holdsAnyOf(user: OktaUser, keys: ConflictKeys): boolean {
  const p = user.profile ?? {};
  const lower = (value: string | null | undefined) => text(value)?.toLowerCase() ?? null;
  const names = new Set([...keys.userNames, ...keys.addresses].map(lower));
  const addresses = new Set(keys.addresses.map(lower));
  const phones = new Set(keys.phones.map((phone) => phone.trim()));
  const login = lower(p.login);
  const email = lower(p.email);
  return (
    (login !== null && names.has(login)) ||
    (email !== null && addresses.has(email)) ||
    [p.mobilePhone, p.primaryPhone].some((phone) => text(phone) !== null && phones.has(text(phone) as string))
  );
}

/**
 * Whether Okta counts the user as holding its login as an active account: every status but
 * DEPROVISIONED (staged, pending, suspended, locked out and expired users all keep it).
 */
function holdsAsActive(user: OktaUser): boolean {
  return user.status !== DEPROVISIONED;
}

function providerUserOf(user: OktaUser): ProviderUser {
  const p = user.profile ?? {};
  const givenName = text(p.firstName);
  const familyName = text(p.lastName);
  const userName = text(p.login) ?? text(p.email) ?? user.id;
  return {
    externalId: user.id,
    userName,
    email: text(p.email),
    // secondEmail is a recovery address (often personal), not one the user answers to at work.
    aliases: [],
    phone: text(p.mobilePhone) ?? text(p.primaryPhone),
    displayName: text(p.displayName) ?? ([givenName, familyName].filter(Boolean).join(" ") || userName),
    givenName,
    familyName,
    department: text(p.department),
    license: null,
  };
}

function deletedUserOf(user: OktaUser): DeletedProviderUser {
  return {
    ...providerUserOf(user),
    status: "deleted",
    deletedAt: dateOrNull(user.statusChanged),
    // Who deactivated is in the System Log, not on the user.
    deletedBy: null,
  };
}

function isOktaUser(value: unknown): value is OktaUser {
  return !!value && typeof value === "object" && typeof (value as { id?: unknown }).id === "string";
}

function text(value: string | null | undefined): string | null {
  const trimmed = typeof value === "string" ? value.trim() : "";
  return trimmed ? trimmed : null;
}

/** A string literal in an Okta search expression: `"` and `\` escaped with a backslash. */
function quoted(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Percent-encoded as Okta documents it (%20 for spaces, not +). */
function searchParam(expression: string): string {
  return encodeURIComponent(expression);
}

/** The rel="next" target of a Link header (Okta sends rel="self" and rel="next", possibly joined). */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(/,\s*(?=<)/)) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match?.[1] && /(^|;)\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(match[2] ?? "")) {
      return match[1];
    }
  }
  return null;
}

/** X-Rate-Limit-Reset is the UTC epoch second the window resets: as a wait from now. */
function rateLimitResetMs(headers: Headers, now: Date): number | null {
  const reset = Number(headers.get("x-rate-limit-reset"));
  if (!Number.isFinite(reset) || reset <= 0) return null;
  const ms = reset * 1000 - now.getTime();
  return ms > 0 ? ms : null;
}

function short(message: string): string {
  const oneLine = message.replace(/\s+/g, " ").trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 197)}…` : oneLine;
}
