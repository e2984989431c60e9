/**
 * A fake Microsoft Graph for the sync and plan benches, in a process of its own (forked by
 * bench/sync.ts and bench/plan.ts) so that its memory and CPU are not counted as the app's. It
 * serves a client-credentials token and N deleted users in pages of $top, in the shapes of the
 * Graph docs, generated as they are asked for: it never holds the bin either. The user list
 * (`GET /v1.0/users?$filter=…`, the conflict check) answers after PROVIDER_DELAY_MS, as a real
 * provider across the internet would, with one active holder for every tenth user name.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type ProviderMessage = { type: "ready"; port: number } | { type: "served"; pages: number };

const total = Number(process.env.SYNC_BENCH_USERS ?? 100_000);
const GIVEN = ["Ada", "Ben", "Chloé", "Dmitri", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jonas"];
const FAMILY = ["Smith", "Garcia", "Nguyen", "Müller", "Kowalski", "Okafor", "Rossi", "Tanaka"];
const SKUS = ["c7df2760-2c81-4ef7-b578-5b5392b571df", "18181a46-0d4e-45cd-891e-60aabd171b4e"];
const deletedFrom = Date.parse("2026-11-01T00:00:00Z");
const delayMs = Number(process.env.PROVIDER_DELAY_MS ?? 0);

/** A stable object id for user n. */
function idOf(n: number): string {
  const hex = n.toString(16).padStart(12, "0");
  return `7f3e2a10-0000-4000-8000-${hex}`;
}

function user(n: number) {
  const id = idOf(n);
  const given = GIVEN[n % GIVEN.length] as string;
  const family = FAMILY[Math.floor(n / GIVEN.length) % FAMILY.length] as string;
  const upn = `${given.toLowerCase()}.${family.toLowerCase()}${n}@contoso.com`;
  return {
    id,
    // As Graph shows a deleted user: its object id (without dashes) before the original UPN.
    userPrincipalName: `${id.replaceAll("-", "")}${upn}`,
    displayName: `${given} ${family}`,
    givenName: given,
    surname: family,
    mail: upn,
    proxyAddresses: [`SMTP:${upn}`, `smtp:${given.toLowerCase()}${n}@contoso.onmicrosoft.com`],
    mobilePhone: `+1 555 ${String(n).padStart(7, "0")}`,
    businessPhones: [],
    department: ["Engineering", "Sales", "Finance", "Support"][n % 4],
    assignedLicenses: [{ disabledPlans: [], skuId: SKUS[n % 2] }],
    deletedDateTime: new Date(deletedFrom + (n % 20) * 86_400_000 + n * 1000).toISOString(),
  };
}

let pages = 0;
const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  req.resume();
  if (req.method === "POST" && url.pathname.endsWith("/oauth2/v2.0/token")) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ token_type: "Bearer", expires_in: 3599, access_token: "bench-token" }));
    return;
  }
  if (req.method === "GET" && url.pathname === "/v1.0/directory/deletedItems/microsoft.graph.user") {
    const top = Math.min(999, Number(url.searchParams.get("$top") ?? 100));
    const from = Number(url.searchParams.get("$skiptoken") ?? 0);
    const to = Math.min(total, from + top);
    const value = [];
    for (let n = from; n < to; n++) value.push(user(n));
    const body: Record<string, unknown> = {
      "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects/microsoft.graph.user",
      value,
    };
    if (to < total) {
      const next = new URL(url.toString());
      next.host = req.headers.host ?? next.host;
      next.searchParams.set("$skiptoken", String(to));
      next.searchParams.set("$top", String(top));
      body["@odata.nextLink"] = next.toString();
    }
    pages++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
    return;
  }
  if (req.method === "GET" && url.pathname === "/v1.0/users") {
    // The conflict check: an active holder for user names whose number ends in 0.
    const filter = url.searchParams.get("$filter") ?? "";
    const upn = /userPrincipalName eq '([^']+)'/.exec(filter)?.[1] ?? "";
    const n = Number(/(\d+)@/.exec(upn)?.[1] ?? "1");
    const value =
      n % 10 === 0
        ? [
            {
              id: `5b9c1d2e-0000-4000-8000-${n.toString(16).padStart(12, "0")}`,
              userPrincipalName: upn,
              displayName: "Holder",
              givenName: null,
              surname: null,
              mail: null,
              proxyAddresses: [],
              mobilePhone: null,
              businessPhones: [],
              department: null,
              assignedLicenses: [],
            },
          ]
        : [];
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", value }),
      );
    }, delayMs);
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code: "Request_ResourceNotFound", message: "not here" } }));
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: "ready", port } satisfies ProviderMessage);
});
process.on("message", (m: { type: string }) => {
  if (m.type === "pages") process.send?.({ type: "served", pages } satisfies ProviderMessage);
  if (m.type === "stop") server.close(() => process.exit(0));
});
