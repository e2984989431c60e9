import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDatabaseEnv } from "./support/database.ts";

// `npm start` with a user group in RESTORE_ADMINS while Slack's Web API cannot be reached (a port
// nothing listens on): the app starts anyway, with the plain ids only, and says so.
const ROOT = fileURLToPath(new URL("..", import.meta.url));
let app: ChildProcess;
let output = "";
let port = 0;
let drop: () => Promise<void>;

beforeAll(async () => {
  const scratch = await scratchDatabaseEnv();
  drop = scratch.drop;
  app = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      PORT: "0",
      RESTORE_ADMINS: "S0ITADMINS,U0ADMIN1",
      RESTORE_APPROVERS: "U0APPROVER1",
      SLACK_BOT_TOKEN: "xoxb-test-token",
      SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5",
      ADMIN_CHANNEL_ID: "CADMINS01",
      SLACK_API_URL: "http://127.0.0.1:65535/api/",
      ...scratch.env,
    },
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  app.stdout?.on("data", collect);
  app.stderr?.on("data", collect);
  const deadline = Date.now() + 45_000;
  while (!port && Date.now() < deadline) {
    const listening = output.split("\n").find((l) => l.includes('"message":"listening"'));
    if (listening) port = JSON.parse(listening).port;
    else await new Promise((r) => setTimeout(r, 100));
  }
  if (!port) throw new Error(`the app did not start:\n${output}`);
}, 60_000);

afterAll(async () => {
  if (app.exitCode === null) app.kill("SIGKILL");
  await drop();
});

describe("npm start when Slack cannot be asked for a user group's members", () => {
  it("starts, warns naming the group, and says roles: stale on /readyz", async () => {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, database: "up", roles: "stale" });
    expect(output).toMatch(/could not be asked for the members of some user groups.*S0ITADMINS/);
    expect(output).not.toContain("xoxb-test-token");
  });

  it("stops cleanly on SIGTERM", async () => {
    app.kill("SIGTERM");
    const [code] = await once(app, "exit");
    expect(code).toBe(0);
  });
});
