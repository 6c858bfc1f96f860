import { expect, test } from "@playwright/test";
import { hydrated, signedIn } from "./helpers";
import { deliver } from "./whatsapp";

const NINA = { waId: "5511911110009", name: "Nina Prado" };

// A customer's file is shown to the owner; one that could run script (an HTML "invoice") is a
// download, never a page on the dashboard's origin, where it would act as the owner.
test("an HTML document from a customer downloads instead of rendering", async ({ page, request }) => {
  await signedIn(page);
  const at = Math.floor(Date.now() / 1000);
  await deliver(request, {
    contacts: [{ profile: { name: NINA.name }, wa_id: NINA.waId }],
    messages: [
      {
        from: NINA.waId,
        id: `wamid.in.html.${at}`,
        timestamp: String(at),
        type: "document",
        document: { id: "e2e-html-document", mime_type: "text/html", filename: "invoice.html" },
      },
    ],
  });
  await page.goto("/inbox");
  await hydrated(page);
  await page.locator(".conversation", { hasText: NINA.name }).getByRole("link").click();
  const link = page.locator(".bubble.customer .document-link");
  await expect(link).toBeVisible();

  // Clicking it downloads the bytes; the dashboard stays where it is, signed in.
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  expect(download.suggestedFilename()).toMatch(/^whatsapp-file-\d+\.bin$/);
  await expect(page.getByTestId("thread-name")).toHaveText(NINA.name);

  // Reached directly (a top-level link carries the session cookie), it is still only bytes.
  const href = await link.getAttribute("href");
  const res = await page.request.get(href ?? "");
  expect(res.headers()["content-type"]).toBe("application/octet-stream");
  expect(res.headers()["content-disposition"]).toMatch(/^attachment;/);
  expect(res.headers()["content-security-policy"]).toMatch(/^sandbox/);
  await page.goto(href ?? "").catch(() => undefined); // a download aborts the navigation
  expect(await page.title()).not.toBe("pwned");
  const state = await page.request.post("/api/auth/state", { data: {} });
  expect((await state.json()).owner).not.toBeNull();
});

// A customer who wrote to another number of the same WhatsApp account: the message is shown
// with a note saying so, and the bot does not answer it from this number.
test("a message to another number is shown with a note, not answered", async ({ page, request }) => {
  await signedIn(page);
  const at = Math.floor(Date.now() / 1000);
  const LEO = { waId: "5511911110010", name: "Leo Dias" };
  await deliver(request, {
    metadata: { display_phone_number: "15559990000", phone_number_id: "999888777666555" },
    contacts: [{ profile: { name: LEO.name }, wa_id: LEO.waId }],
    messages: [{ from: LEO.waId, id: `wamid.in.other.${at}`, timestamp: String(at), type: "text", text: { body: "Are you open today?" } }],
  });
  await page.goto("/inbox");
  await hydrated(page);
  await page.locator(".conversation", { hasText: LEO.name }).getByRole("link").click();
  const note = page.getByTestId("message-note");
  await expect(note).toContainText("Sent to +15559990000, not the number this bot answers from");
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: `test-results/inbox-other-number-${width}.png` });
  }
});
