/**
 * The real entry point with Slack configured against a Web API that takes calls and never
 * answers: housekeeping still runs, and SIGTERM stops the app within about ten seconds.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDatabaseEnv } from "./support/database.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
let app: ChildProcess;
let slack: Server;
let output = "";
let drop: () => Promise<void>;
/** Web API methods called so far (none is ever answered). */
const held: string[] = [];

beforeAll(async () => {
  slack = createServer((request) => {
    held.push(String(request.url).replace("/api/", ""));
    request.resume();
  });
  slack.listen(0, "127.0.0.1");
  await once(slack, "listening");
  const scratch = await scratchDatabaseEnv();
  drop = scratch.drop;
  app = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      PORT: "0",
      DEMO_DATA: "1",
      SLACK_BOT_TOKEN: "xoxb-test-token",
      SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5",
      SLACK_API_URL: `http://127.0.0.1:${(slack.address() as AddressInfo).port}/api/`,
      ADMIN_CHANNEL_ID: "C0ADMINS1",
      RESTORE_ADMINS: "U0ADMIN1",
      RESTORE_APPROVERS: "U0APPROVER1",
      // The digest is due at once, so the outbox calls Slack right away.
      DIGEST_TIME: "00:00",
      ...scratch.env,
    },
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  app.stdout?.on("data", collect);
  app.stderr?.on("data", collect);
});

afterAll(async () => {
  if (app.exitCode === null && app.signalCode === null) app.kill("SIGKILL");
  slack.closeAllConnections();
  slack.close();
  await drop();
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("npm start with a Slack that never answers", () => {
  it("runs housekeeping while the digest's first message hangs, and stops on SIGTERM within 10 s", {
    timeout: 90_000,
  }, async () => {
    await until(() => held.includes("chat.postMessage"), "the digest's first post");
    // The demo's accounts past their window are purged regardless.
    await until(() => /"message":"housekeeping".*"purged":\d+/.test(output), "housekeeping");

    const stopping = Date.now();
    app.kill("SIGTERM");
    const [code] = await once(app, "exit");
    // The app's own limit is 10 s; a busy machine may fire that timer a little late.
    expect(Date.now() - stopping).toBeLessThan(12_000);
    expect(code).toBe(0);
    expect(output).toMatch(/"message":"stopping","signal":"SIGTERM"/);
  });
});
