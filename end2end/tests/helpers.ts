import { expect, type Page } from "@playwright/test";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { serverLog } from "../servers";

export const OWNER = {
  business: "Café Lima",
  email: "owner@example.com",
  password: "correct horse battery",
};

/** The owner's password once accounts.spec has changed it (the specs after it sign in with it). */
export const CHANGED_PASSWORD = "a better passphrase 2";

/** The setup link the server printed in its log ("No owner yet. Create the owner account at
 * http://…/setup?token=…"), as the person who runs the server finds it. */
export async function setupLinkFromLog(): Promise<URL> {
  let link = "";
  await expect
    .poll(() => {
      const log = fs.existsSync(serverLog()) ? fs.readFileSync(serverLog(), "utf8") : "";
      link = log.match(/No owner yet\. Create the owner account at (\S+\/setup\?token=[0-9A-Z-]+)/)?.[1] ?? "";
      return link;
    })
    .not.toBe("");
  return new URL(link);
}

/** Waits until the WASM has hydrated the page: before that, clicks land on dead HTML. */
export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

export async function logIn(page: Page, email: string, password: string) {
  await hydrated(page);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** The access token the fake Graph API accepts (fake-graph.ts). */
export const WHATSAPP_TOKEN = "e2e-access-token";

/** Signs in as the owner, creating the owner first when this spec runs on its own, and makes
 * sure the WhatsApp access token is saved in Settings (the environment has the rest). */
export async function signedIn(page: Page) {
  const state = await (await page.request.post("/api/auth/state", { data: {} })).json();
  if (state.needs_setup) {
    const token = (await setupLinkFromLog()).searchParams.get("token");
    const res = await page.request.post("/api/auth/setup", {
      data: {
        input: { business_name: OWNER.business, email: OWNER.email, password: CHANGED_PASSWORD, setup_token: token },
      },
    });
    expect(res.status()).toBe(200);
  } else {
    const res = await page.request.post("/api/auth/login", {
      data: { email: OWNER.email, password: CHANGED_PASSWORD },
    });
    expect(res.status(), await res.text()).toBe(200);
  }
  const settings = await (await page.request.post("/api/settings", { data: {} })).json();
  if (settings.whatsapp.access_token.source === "unset") {
    const res = await page.request.post("/api/settings/whatsapp", { data: { input: { access_token: WHATSAPP_TOKEN } } });
    expect(res.status(), await res.text()).toBe(200);
  }
}

/** Uploads a text document to the knowledge base and waits until it is searchable; its id. */
export async function uploadDocument(page: Page, name: string, text: string): Promise<number> {
  const upload = await page.request.post(`/api/knowledge/upload?name=${encodeURIComponent(name)}`, {
    headers: { "content-type": "text/plain" },
    data: text,
  });
  expect(upload.status(), await upload.text()).toBe(201);
  const title = name.replace(/\.[^.]+$/, "");
  let id = 0;
  await expect
    .poll(async () => {
      const library = await (await page.request.post("/api/knowledge/library", { data: {} })).json();
      const doc = library.documents.find((d: { title: string }) => d.title === title);
      id = doc?.id ?? 0;
      return doc?.status;
    })
    .toBe("ready");
  return id;
}

/** The code an authenticator app with `secret` (base32) shows now (RFC 6238: SHA-1, 6 digits,
 * 30 s), `stepsAhead` steps later. */
export function totp(secret: string, stepsAhead = 0): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + stepsAhead));
  const mac = crypto.createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}
