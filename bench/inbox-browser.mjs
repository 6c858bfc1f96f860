// The browser half of bench/inbox.py: drives Chromium against a running server and prints the
// measurements as JSON. Uses the Playwright that end2end/ installs.
import { createRequire } from "node:module";
import * as crypto from "node:crypto";

const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium } = require("@playwright/test");

const base = process.env.BENCH_BASE;
const secret = process.env.BENCH_SECRET;
const messages = Number(process.env.BENCH_MESSAGES ?? 60);
const conversations = Number(process.env.BENCH_CONVERSATIONS ?? 5000);
const log = (m) => process.stderr.write(`${m}\n`);

async function deliver(value) {
  const body = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [{ id: "1", changes: [{ field: "messages", value: { messaging_product: "whatsapp", ...value } }] }],
  });
  const signature = crypto.createHmac("sha256", secret).update(body).digest("hex");
  const res = await fetch(`${base}/api/webhook/whatsapp`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-signature-256": `sha256=${signature}` },
    body,
  });
  if (res.status !== 200) throw new Error(`webhook: ${res.status}`);
}

function text(waId, name, body) {
  const at = Math.floor(Date.now() / 1000);
  return {
    contacts: [{ profile: { name }, wa_id: waId }],
    messages: [{ from: waId, id: `wamid.bench.${crypto.randomUUID()}`, timestamp: String(at), type: "text", text: { body } }],
  };
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))];
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const page = await browser.newPage({ baseURL: base, viewport: { width: 1280, height: 900 } });
const login = await page.request.post("/api/auth/login", {
  data: { email: process.env.BENCH_EMAIL, password: process.env.BENCH_PASSWORD },
});
if (login.status() !== 200) throw new Error(`login: ${login.status()}`);

// The list: first rows after navigation, then every page scrolled in.
let started = Date.now();
await page.goto("/inbox");
await page.locator(".conversation").first().waitFor();
const firstRows = Date.now() - started;
await page.locator("body[data-hydrated=true]").waitFor();
await page.getByTestId("live-status").filter({ hasText: "Live" }).waitFor();
started = Date.now();
let pages = 1;
for (;;) {
  const count = await page.locator(".conversation").count();
  if (count >= conversations) break;
  await page.locator(".conversation-scroll").evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await page.waitForFunction((n) => document.querySelectorAll(".conversation").length > n, count, { timeout: 30_000 });
  pages += 1;
}
const allRows = Date.now() - started;
const rows = await page.locator(".conversation").count();
log(`list: ${rows} rows, first ${firstRows} ms, all ${allRows} ms`);

// A new message from the last customer in the list moves its row to the top.
const last = await page.locator(".conversation").last().locator(".conversation-name").innerText();
const lastWaId = `55119${last.replace(/\D/g, "").padStart(8, "0")}`;
started = Date.now();
await deliver(text(lastWaId, last, "Moving to the top"));
await page
  .waitForFunction(() => document.querySelector(".conversation")?.textContent?.includes("Moving to the top"))
  .catch(async (e) => {
    log(`first row: ${await page.locator(".conversation").first().innerText()} (moving ${last} / ${lastWaId})`);
    log(`status: ${await page.getByTestId("live-status").innerText()}`);
    throw e;
  });
const moveToTop = Date.now() - started;

// Latency: webhook POST -> the bubble in the open thread's DOM.
const customer = { waId: "5511988887777", name: "Latency Probe" };
await deliver(text(customer.waId, customer.name, "hello"));
await page.locator(".conversation", { hasText: customer.name }).getByRole("link").click();
await page.locator(".bubbles .bubble.customer", { hasText: "hello" }).waitFor();
await page.evaluate(() => {
  window.benchSeen = {};
  new MutationObserver(() => {
    for (const el of document.querySelectorAll(".bubbles .bubble.customer")) {
      const m = el.textContent.match(/probe-(\d+)\./);
      if (m && !(m[1] in window.benchSeen)) window.benchSeen[m[1]] = Date.now();
    }
  }).observe(document.querySelector(".messages"), { childList: true, subtree: true, characterData: true });
});
const latencies = [];
for (let i = 0; i < messages; i++) {
  const sentAt = Date.now();
  await deliver(text(customer.waId, customer.name, `probe-${i}.`));
  await page.waitForFunction((n) => n in window.benchSeen, String(i), { timeout: 10_000, polling: 5 });
  const seen = await page.evaluate((n) => window.benchSeen[n], String(i));
  latencies.push(seen - sentAt);
  await page.waitForTimeout(150);
}
await browser.close();
console.log(
  JSON.stringify({
    list: { rows, first_rows_ms: firstRows, all_rows_ms: allRows, pages, move_to_top_ms: moveToTop },
    latency: {
      count: latencies.length,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      max: Math.max(...latencies),
    },
  }),
);
