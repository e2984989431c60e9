import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDatabaseEnv } from "./support/database.ts";

// `npm start` as a new admin runs it: the real entry point, on a scratch database.
const ROOT = fileURLToPath(new URL("..", import.meta.url));
let app: ChildProcess;
let output = "";
let port = 0;
let drop: () => Promise<void>;
const METRICS_TOKEN = "main-test-metrics-token-0001";

beforeAll(async () => {
  const scratch = await scratchDatabaseEnv();
  drop = scratch.drop;
  app = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", PORT: "0", DEMO_DATA: "1", METRICS_TOKEN, ...scratch.env },
  });
  app.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  app.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 45_000;
  while (!port && Date.now() < deadline) {
    const listening = output.split("\n").find((l) => l.includes('"message":"listening"'));
    if (listening) port = JSON.parse(listening).port;
    else await new Promise((r) => setTimeout(r, 100));
  }
  if (!port) throw new Error(`the app did not start:\n${output}`);
});

afterAll(async () => {
  if (app.exitCode === null) app.kill("SIGKILL");
  await drop();
});

describe("npm start", () => {
  it("serves /healthz and /readyz", async () => {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(await ready.json()).toEqual({ ok: true, database: "up" });
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
  });

  it("loads the demo data into an empty database and says which Slack settings are missing", () => {
    expect(output).toMatch(/"message":"demo data loaded","directory":"builtin","accounts":300/);
    expect(output).toMatch(
      /Slack is not connected yet\. Set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, ADMIN_CHANNEL_ID, RESTORE_ADMINS, RESTORE_APPROVERS/,
    );
  });

  it("serves /metrics to the bearer of METRICS_TOKEN: the demo load's rows and Node's process metrics", async () => {
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    const scraped = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    expect(text).toContain('restore_user_import_rows_total{directory="builtin",outcome="inserted"} 300');
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^restore_user_replace_requests_pending 0$/m);
    expect(output).not.toContain(METRICS_TOKEN);
  });

  it("stops cleanly on SIGTERM", async () => {
    app.kill("SIGTERM");
    const [code] = await once(app, "exit");
    expect(code).toBe(0);
    expect(output).toMatch(/"message":"stopping","signal":"SIGTERM"/);
  });
});
