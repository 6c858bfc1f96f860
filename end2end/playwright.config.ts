import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GRAPH_PORT } from "./fake-graph";
import { HTTPS_OWNER, HTTPS_PORT, serverLog } from "./servers";

// The real server, started fresh for the run on its own port and an empty SQLite database.
// The config is evaluated again in each worker: the data directory is made once and passed on
// through the environment, so every process agrees on it (and on the server's log in it).
const port = Number(process.env.E2E_PORT ?? 3107);
const baseURL = `http://127.0.0.1:${port}`;
process.env.E2E_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "replydesk-e2e-"));
const dataDir = process.env.E2E_DATA_DIR;
const binary = process.env.E2E_BINARY ?? "target/debug/replydesk";
const httpsDataDir = path.join(dataDir, "https");

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
  webServer: [
    {
      // The log goes to a file, as an operator's log would: the owner is created with the
      // setup token printed there.
      command: `exec ${binary} >> '${serverLog()}' 2>&1`,
      cwd: "..",
      url: `${baseURL}/api/health`,
      reuseExistingServer: false,
      timeout: 60_000,
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
    {
      command: binary,
      cwd: "..",
      url: `http://127.0.0.1:${HTTPS_PORT}/api/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        HOST: "127.0.0.1",
        PORT: String(HTTPS_PORT),
        DATA_DIR: httpsDataDir,
        LEPTOS_SITE_ROOT: "target/site",
        RUST_LOG: "warn",
        PUBLIC_URL: "https://support.example.com",
        ADMIN_EMAIL: HTTPS_OWNER.email,
        ADMIN_PASSWORD: HTTPS_OWNER.password,
        BUSINESS_NAME: "Café Lima",
      },
    },
  ],
});
