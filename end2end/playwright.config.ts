import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GRAPH_PORT } from "./fake-graph";

// The real server, started fresh for the run on its own port and an empty SQLite database.
const port = Number(process.env.E2E_PORT ?? 3107);
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "replydesk-e2e-"));
const binary = process.env.E2E_BINARY ?? "target/debug/replydesk";

/** The WhatsApp app secret the tests sign webhooks with (see tests/whatsapp.ts). */
export const APP_SECRET = "e2e-app-secret";

export default defineConfig({
  testDir: "./tests",
  globalSetup: "./fake-graph.ts",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      // Debian's Chromium: Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  webServer: {
    command: binary,
    cwd: "..",
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      HOST: "127.0.0.1",
      PORT: String(port),
      DATA_DIR: dataDir,
      LEPTOS_SITE_ROOT: "target/site",
      RUST_LOG: "warn",
      // A WhatsApp number wired to the fake Graph API (fake-graph.ts).
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: "e2e-verify-token",
      // The access token is saved in Settings by the suite (helpers.ts), like an owner would.
      SECRET_KEY: "e2e-secret-key-0123456789abcdef0123456789",
      WHATSAPP_PHONE_NUMBER_ID: "301122334455667",
      WHATSAPP_GRAPH_URL: `http://127.0.0.1:${GRAPH_PORT}`,
    },
  },
});
