// The servers the suite runs (playwright.config.ts starts them; tests reach them): shared
// here so both sides agree without the tests importing the config.
import * as path from "node:path";

/** The suite's data directory, made once by the config and handed on through the environment. */
export function dataDir(): string {
  const dir = process.env.E2E_DATA_DIR;
  if (!dir) throw new Error("E2E_DATA_DIR is set by playwright.config.ts");
  return dir;
}

/** Where the main server writes its log: the first-run test reads the setup token there. */
export function serverLog(): string {
  return path.join(dataDir(), "server.log");
}

/** A second server, deployed as behind https (PUBLIC_URL), its owner made from ADMIN_*. */
export const HTTPS_PORT = Number(process.env.E2E_HTTPS_PORT ?? 3109);
export const HTTPS_OWNER = { email: "https-owner@example.com", password: "https owner password" };
