/**
 * Setup shared by the end-to-end provider tests (flow*, follow*, plan-provider): a world with the
 * network off (support.ts), each provider's connector with the tests' settings on the world's
 * clock, a RestoreService over the world's database with given connectors, and reads of what the
 * mirror holds. Only setup lives here: every test keeps its own nock expectations and assertions.
 */

import { generateKeyPairSync } from "node:crypto";
import { and, eq } from "drizzle-orm";
import nock from "nock";
import { accountAddresses, accounts, auditEvents } from "../../src/db/schema.ts";
import { entraModule } from "../../src/providers/entra.ts";
import { GOOGLE_ORGUNIT_SCOPE, GOOGLE_SCOPE, googleModule } from "../../src/providers/google.ts";
import { jumpcloudModule } from "../../src/providers/jumpcloud.ts";
import { larkModule } from "../../src/providers/lark.ts";
import { oktaModule } from "../../src/providers/okta.ts";
import type { DirectoryConnector } from "../../src/providers/port.ts";
import { policyFrom } from "../../src/restore/access.ts";
import { RestoreService } from "../../src/restore/service.ts";
import * as entraFx from "../fixtures/entra.ts";
import * as googleFx from "../fixtures/google.ts";
import * as larkFx from "../fixtures/lark.ts";
import * as oktaFx from "../fixtures/okta.ts";
import { ADMIN, APPROVER, useWorld, type World } from "../support/world.ts";
import { quietDeps, useNockedNetwork } from "./support.ts";

/** Environment variables as a provider's settings read them. */
type Settings = Record<string, string>;

export const ENTRA_GRAPH = "https://graph.test";
export const ENTRA_LOGIN = "https://login.test";
/** Graph's list of deleted users (the bin). */
export const ENTRA_DELETED_USERS = "/v1.0/directory/deletedItems/microsoft.graph.user";

export const JUMPCLOUD_API_KEY = "jc-api-key-0123456789abcdef";
export const JUMPCLOUD_INSIGHTS = "https://insights.test";
export const JUMPCLOUD_CONSOLE = "https://console.test";

export const GOOGLE_API = "https://admin.google.test";
export const GOOGLE_TOKEN_URL = "https://oauth2.google.test/token";
export const GOOGLE_USERS = "/admin/directory/v1/users";
export const GOOGLE_ORG_UNITS = "/admin/directory/v1/customer/my_customer/orgunits";
/** The token Google's token endpoint answers for the users scope, and for the org unit scope. */
export const GOOGLE_USERS_TOKEN = "ya29.users-token";
export const GOOGLE_ORG_UNITS_TOKEN = "ya29.orgunits-token";

/** Google's API, expecting `token` as the bearer. */
export const googleApi = (token = GOOGLE_USERS_TOKEN) =>
  nock(GOOGLE_API, { reqheaders: { authorization: `Bearer ${token}` } });

/** The scope a Google token request's JWT asks for (its claims are plain base64url JSON). */
export function googleScopeOf(body: Record<string, string>): string {
  const claims = (body.assertion ?? "").split(".")[1] ?? "";
  return JSON.parse(Buffer.from(claims, "base64url").toString()).scope;
}

/** Entra's token endpoint (once per connector: the token is cached) and the two pages of the bin. */
export function entraBin(pages: "both" | "without Bob" = "both") {
  nock(ENTRA_LOGIN)
    .post(`/${entraFx.TENANT_ID}/oauth2/v2.0/token`)
    .reply(200, entraFx.tokenResponse(entraFx.ACCESS_TOKEN_1));
  const next = `${ENTRA_GRAPH}${ENTRA_DELETED_USERS}?$skiptoken=page2`;
  const first = entraFx.deletedUsersPage1(next);
  if (pages === "without Bob") first.value = first.value.filter((u) => u.id !== entraFx.BOB_ID);
  nock(ENTRA_GRAPH)
    .get(ENTRA_DELETED_USERS)
    .query((q) => q.$skiptoken === undefined)
    .reply(200, first);
  nock(ENTRA_GRAPH)
    .get(ENTRA_DELETED_USERS)
    .query({ $skiptoken: "page2" })
    .reply(200, entraFx.deletedUsersPage2);
}

/** Google's token endpoint: one token per scope, or a refusal of the org unit scope. */
export function googleTokens(orgUnits: "granted" | "not granted" = "granted") {
  const host = new URL(GOOGLE_TOKEN_URL);
  nock(host.origin)
    .post(host.pathname, (body) => googleScopeOf(body) === GOOGLE_SCOPE)
    .reply(200, googleFx.tokenAnswer(GOOGLE_USERS_TOKEN));
  const refusal = nock(host.origin).post(
    host.pathname,
    (body) => googleScopeOf(body) === GOOGLE_ORGUNIT_SCOPE,
  );
  if (orgUnits === "granted")
    refusal.reply(200, googleFx.tokenAnswer(GOOGLE_ORG_UNITS_TOKEN, GOOGLE_ORGUNIT_SCOPE));
  else refusal.reply(401, googleFx.tokenErrors.unauthorizedClient);
}

/** The bin (Erin only) and, when granted, the org units: what one sync asks Google. */
export function googleBin(orgUnits: object | null = googleFx.orgUnitsAll) {
  googleApi()
    .get(GOOGLE_USERS)
    .query({ customer: "my_customer", showDeleted: "true", maxResults: "500" })
    .reply(200, googleFx.usersPage([googleFx.deletedErin]));
  if (orgUnits)
    googleApi(GOOGLE_ORG_UNITS_TOKEN).get(GOOGLE_ORG_UNITS).query({ type: "all" }).reply(200, orgUnits);
}

let googlePem: string | undefined;
/** A key made for this run only: no key is ever committed. Made on first use (RSA is slow). */
function googlePrivateKey(): string {
  googlePem ??= generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  return googlePem;
}

/**
 * The world of useWorld() with the network off, and what the provider tests build on it. Call once
 * at the top of a test file, as useWorld().
 */
export function useProviderWorld() {
  const world = useWorld();
  useNockedNetwork();
  return {
    world,
    ...providerConnectors(world),
    ...mirrorReads(world),
    /** The service over the world's database and clock; ADMIN may restore, APPROVER approve. */
    serviceWith(...connectors: DirectoryConnector[]) {
      return new RestoreService(
        world.database.db,
        world.clock,
        policyFrom([ADMIN], [APPROVER]),
        { approvalsRequired: 1, approvalTtlHours: 24 },
        new Map(connectors.map((c) => [c.kind, c])),
      );
    },
  };
}

/** Each provider's connector with the tests' settings (`overrides` replace them), on the world's clock. */
function providerConnectors(world: World) {
  const deps = () => quietDeps(() => world.clock.now()).deps;
  return {
    entraConnector(overrides: Settings = {}): DirectoryConnector {
      const settings = {
        ENTRA_TENANT_ID: entraFx.TENANT_ID,
        ENTRA_CLIENT_ID: entraFx.CLIENT_ID,
        ENTRA_CLIENT_SECRET: entraFx.CLIENT_SECRET,
        ENTRA_GRAPH_URL: ENTRA_GRAPH,
        ENTRA_LOGIN_URL: ENTRA_LOGIN,
      };
      return entraModule.create(entraModule.settings.parse({ ...settings, ...overrides }), deps());
    },
    jumpcloudConnector(overrides: Settings = {}): DirectoryConnector {
      const settings = {
        JUMPCLOUD_API_KEY: JUMPCLOUD_API_KEY,
        JUMPCLOUD_INSIGHTS_URL: JUMPCLOUD_INSIGHTS,
        JUMPCLOUD_API_URL: JUMPCLOUD_CONSOLE,
      };
      return jumpcloudModule.create(jumpcloudModule.settings.parse({ ...settings, ...overrides }), deps());
    },
    googleConnector(overrides: Settings = {}): DirectoryConnector {
      const settings = {
        GOOGLE_SERVICE_ACCOUNT_EMAIL: "restore-user@acme-it.iam.gserviceaccount.com",
        GOOGLE_PRIVATE_KEY: googlePrivateKey(),
        GOOGLE_ADMIN_EMAIL: "it-admin@example.com",
        GOOGLE_API_URL: GOOGLE_API,
        GOOGLE_TOKEN_URL: GOOGLE_TOKEN_URL,
      };
      return googleModule.create(googleModule.settings.parse({ ...settings, ...overrides }), deps());
    },
    larkConnector(overrides: Settings = {}): DirectoryConnector {
      const settings = {
        LARK_APP_ID: larkFx.APP_ID,
        LARK_APP_SECRET: larkFx.APP_SECRET,
        LARK_VERIFICATION_TOKEN: "v-verification-token-0001",
      };
      return larkModule.create(larkModule.settings.parse({ ...settings, ...overrides }), deps());
    },
    oktaConnector(overrides: Settings = {}): DirectoryConnector {
      const settings = { OKTA_ORG_URL: oktaFx.ORG, OKTA_API_TOKEN: oktaFx.API_TOKEN };
      return oktaModule.create(oktaModule.settings.parse({ ...settings, ...overrides }), deps());
    },
  };
}

/** What the mirror holds, read straight from the world's database. */
function mirrorReads(world: World) {
  return {
    /** The mirrored account with this provider id, or undefined. */
    async mirrored(externalId: string) {
      const [row] = await world.database.db
        .select()
        .from(accounts)
        .where(eq(accounts.externalId, externalId));
      return row;
    },
    /** The audit events with this action. */
    async audited(action: string) {
      return world.database.db.select().from(auditEvents).where(eq(auditEvents.action, action));
    },
    /** The accounts the address is indexed for as an active holder. */
    async indexedHoldersOf(address: string) {
      const rows = await world.database.db
        .select({ accountId: accountAddresses.accountId })
        .from(accountAddresses)
        .where(and(eq(accountAddresses.address, address), eq(accountAddresses.active, true)));
      return rows.map((r) => r.accountId);
    },
  };
}
