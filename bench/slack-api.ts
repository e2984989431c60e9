/**
 * A fake Slack Web API for bench/slack.ts, in a process of its own (forked by it): every POST
 * /api/* is answered {"ok":true,"view":{"id":"V1"}} and counted by method; a views.open of a
 * loading view (one with no callback_id: no form, nothing to submit) is also counted as
 * "views.open (loading)", so the bench knows how many views.update calls are still owed.
 * Listens on 127.0.0.1 only; exits when told to stop or when its parent goes away.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";

export type ApiRequest = { type: "counts" } | { type: "stop" };
export type ApiMessage =
  | { type: "ready"; port: number }
  | { type: "counts"; counts: Record<string, number>; cpuMs: number };

const ANSWER = JSON.stringify({ ok: true, view: { id: "V1" } });
/** The count of views.open calls that opened a loading view (a views.update is owed for each). */
export const LOADING_OPENS = "views.open (loading)";

function main(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error("bench/slack-api.ts is started by bench/slack.ts");
  const counts: Record<string, number> = {};
  const server = createServer((req, res) => {
    // Read the whole body, so the connection stays usable for the next request.
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "";
      if (req.method !== "POST" || !path.startsWith("/api/")) {
        res.writeHead(404, { "content-type": "application/json" }).end('{"ok":false,"error":"not_found"}');
        return;
      }
      const method = path.slice("/api/".length).split("?")[0] ?? "";
      counts[method] = (counts[method] ?? 0) + 1;
      if (method === "views.open" && !Buffer.concat(chunks).includes("callback_id"))
        counts[LOADING_OPENS] = (counts[LOADING_OPENS] ?? 0) + 1;
      res.writeHead(200, { "content-type": "application/json" }).end(ANSWER);
    });
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on("disconnect", stop);
  process.on("message", (message: ApiRequest) => {
    if (message.type === "counts") {
      const usage = process.cpuUsage();
      send({
        type: "counts",
        counts: { ...counts },
        cpuMs: (usage.user + usage.system) / 1000,
      } as ApiMessage);
    } else if (message.type === "stop") {
      stop();
    }
  });
  server.listen(0, "127.0.0.1", () => {
    send({ type: "ready", port: (server.address() as AddressInfo).port } as ApiMessage);
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
