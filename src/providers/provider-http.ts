/**
 * The HTTP client every connector talks through: JSON in and out, the provider's auth header,
 * 429/Retry-After and 5xx retried with backoff within a bound, an expired token fetched again once,
 * and every failure turned into a ProviderError that names the provider and its code. Uses Node's
 * own fetch (nock intercepts it in tests).
 */
import { said, say } from "../i18n/said.ts";
import { ENGLISH } from "../i18n/translator.ts";
import type { ConnectorDeps } from "./port.ts";
import { ProviderError } from "./port.ts";

export interface HttpAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** First backoff; doubles each try. */
  baseDelayMs: number;
  /** No single wait is longer: a Retry-After beyond it fails at once rather than hang a restore. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 30_000 };

export interface ProviderHttpOptions {
  /** The provider's name for messages: "Microsoft Entra ID". */
  provider: string;
  /** Paths are resolved against it; absolute URLs (next links) are used as they are. */
  baseUrl: string;
  /** The auth headers of each request (a bearer token, an API key). Never logged. */
  authHeaders: () => Promise<Record<string, string>>;
  /** Called on a 401: forget the cached token, so the single retry fetches a new one. */
  onUnauthorized?: () => void;
  /** Maps an error answer (status ≥ 400) to the provider's own code and our conflict kinds. */
  errorOf: (answer: HttpAnswer) => ProviderError;
  /**
   * Some providers answer 200 with an error inside (Lark: `code` ≠ 0). Return the error, or null
   * when the body is a success.
   */
  bodyError?: (answer: HttpAnswer) => ProviderError | null;
  deps: ConnectorDeps;
  retry?: Partial<RetryPolicy>;
  /** Per request. */
  timeoutMs?: number;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** application/x-www-form-urlencoded (OAuth token endpoints). */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Skip the auth headers (the token request itself). */
  anonymous?: boolean;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

export class ProviderHttp {
  private readonly retry: RetryPolicy;

  constructor(private readonly options: ProviderHttpOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<HttpAnswer<T>> {
    return this.request<T>("GET", path, options);
  }

  post<T>(path: string, options: RequestOptions = {}): Promise<HttpAnswer<T>> {
    return this.request<T>("POST", path, options);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<HttpAnswer<T>> {
    const { provider, deps } = this.options;
    const url = this.urlOf(path, options.query);
    let reauthorized = false;
    let last: ProviderError | null = null;
    /** A wait the provider asked for that is longer than we wait: said in the next step. */
    let askedToWaitMs: number | null = null;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      let answer: HttpAnswer;
      try {
        answer = await this.send(method, url, options);
      } catch (error) {
        // A token that could not be had already says why (and was retried by its own client).
        if (error instanceof ProviderError) throw error;
        last = new ProviderError(provider, "unreachable", `could not be reached (${reasonOf(error)})`, {
          transient: true,
        });
        if (attempt < this.retry.attempts) await this.wait(attempt, null, method, url, last);
        continue;
      }
      if (answer.status === 401 && !options.anonymous && !reauthorized && this.options.onUnauthorized) {
        // An expired or revoked token: fetch a new one once; a second 401 is a real refusal.
        reauthorized = true;
        this.options.onUnauthorized();
        attempt--;
        continue;
      }
      if (answer.status >= 400) {
        const error = this.options.errorOf(answer);
        if (!RETRYABLE_STATUS.has(answer.status) && !error.transient) throw error;
        last = withTransient(error);
        const after = retryAfterMs(answer.headers, deps.now()) ?? error.details.retryAfterMs ?? null;
        if (after !== null && after > this.retry.maxDelayMs) {
          askedToWaitMs = after;
          break;
        }
        if (attempt < this.retry.attempts) await this.wait(attempt, after, method, url, last);
        continue;
      }
      const inBody = this.options.bodyError?.(answer) ?? null;
      if (inBody) {
        if (!inBody.transient) throw inBody;
        last = inBody;
        const after = inBody.details.retryAfterMs ?? null;
        if (after !== null && after > this.retry.maxDelayMs) {
          askedToWaitMs = after;
          break;
        }
        if (attempt < this.retry.attempts) await this.wait(attempt, after, method, url, last);
        continue;
      }
      return answer as HttpAnswer<T>;
    }
    const error =
      last ?? new ProviderError(provider, "unreachable", "could not be reached", { transient: true });
    const ourNextStep = error.nextStep
      ? null
      : askedToWaitMs !== null
        ? said("refusal.provider.askedToWait", { provider, minutes: Math.ceil(askedToWaitMs / 60_000) })
        : said("refusal.provider.checkStatus", { provider, url: this.options.baseUrl });
    throw new ProviderError(
      provider,
      error.code,
      `${stripProvider(error.message, provider)}; gave up after ${this.retry.attempts} tries`,
      {
        ...error.details,
        transient: true,
        nextStep: ourNextStep ? say(ENGLISH, ourNextStep) : error.nextStep,
        nextStepSaid: ourNextStep ?? error.details.nextStepSaid ?? null,
      },
    );
  }

  private urlOf(path: string, query: RequestOptions["query"]): URL {
    const base = this.options.baseUrl.endsWith("/") ? this.options.baseUrl : `${this.options.baseUrl}/`;
    const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(path.replace(/^\//, ""), base);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  private async send(method: string, url: URL, options: RequestOptions): Promise<HttpAnswer> {
    const headers: Record<string, string> = {
      accept: "application/json",
      ...(options.anonymous ? {} : await this.options.authHeaders()),
      ...options.headers,
    };
    let body: string | undefined;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(options.form).toString();
    }
    const response = await fetch(url, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON (a proxy's error page): the mapper sees the text.
      }
    } else {
      parsed = null;
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  private async wait(
    attempt: number,
    retryAfter: number | null,
    method: string,
    url: URL,
    error: ProviderError,
  ): Promise<void> {
    const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    const ms = retryAfter ?? backoff;
    // The path only, without user names: query strings may carry them, and so may a path segment
    // (Okta's /users/{login}). Nothing here carries a token.
    this.options.deps.log.warn("provider request will be retried", {
      provider: this.options.provider,
      method,
      path: loggablePath(url.pathname),
      code: error.code,
      status: error.status,
      attempt,
      waitMs: ms,
    });
    await this.options.deps.sleep(ms);
  }
}

/** A request path for the log: a segment holding an address (a login, an email) becomes `{user}`. */
export function loggablePath(pathname: string): string {
  return pathname
    .split("/")
    .map((segment) => (/@|%40/i.test(segment) ? "{user}" : segment))
    .join("/");
}

/** Retry-After in seconds or as an HTTP date, as milliseconds from now. */
export function retryAfterMs(headers: Headers, now: Date): number | null {
  const value = headers.get("retry-after");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

function withTransient(error: ProviderError): ProviderError {
  return error.transient
    ? error
    : new ProviderError(error.provider, error.code, stripProvider(error.message, error.provider), {
        ...error.details,
        transient: true,
      });
}

/** ProviderError's message already starts with "<provider>: " and ends with " (<code>)". */
function stripProvider(message: string, provider: string): string {
  return message.replace(`${provider}: `, "").replace(/ \([^()]*\)$/, "");
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError") return "no answer in time";
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? error.message;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : String(error);
}

/**
 * An OAuth-style access token, fetched when first needed and again shortly before it expires.
 * Concurrent callers share one fetch. The token is never logged.
 */
export class CachedToken {
  private value: { token: string; expiresAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly fetchToken: () => Promise<{ token: string; expiresInSeconds: number }>,
    private readonly now: () => Date,
  ) {}

  async get(): Promise<string> {
    const at = this.now().getTime();
    // A minute's margin: a token must not expire between here and the provider.
    if (this.value && this.value.expiresAt - 60_000 > at) return this.value.token;
    this.pending ??= this.fetchToken()
      .then(({ token, expiresInSeconds }) => {
        this.value = { token, expiresAt: at + expiresInSeconds * 1000 };
        return token;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  invalidate(): void {
    this.value = null;
  }
}
