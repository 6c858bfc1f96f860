import { expect, request as playwrightRequest, test, type Page } from "@playwright/test";
import { hydrated, signedIn, uploadDocument } from "./helpers";
import { customerWrites, sentToWhatsApp, statusUpdate, wamidOf } from "./whatsapp";

const MARTA = { waId: "5511911110001", name: "Marta Lima" };
const RUI = { waId: "5511911110002", name: "Rui Costa" };
const OLGA = { waId: "5511911110003", name: "Olga Nunes" };
const HOURS = "# Opening hours\nThe shop opens Tuesday to Sunday from 8:00 to 18:00. On Mondays the shop is closed.\n";

async function openInbox(page: Page) {
  await signedIn(page);
  await page.goto("/inbox");
  await hydrated(page);
  await expect(page.getByTestId("live-status")).toHaveText("Live");
}

function row(page: Page, name: string) {
  return page.locator(".conversation", { hasText: name });
}

async function openConversation(page: Page, name: string) {
  await row(page, name).getByRole("link").click();
  await expect(page.getByTestId("thread-name")).toHaveText(name);
}

// The inbox reads what WhatsApp delivers, live; the owner answers and manages customers. The
// server runs with a WhatsApp number wired to the fake Graph API (fake-graph.ts).
test.describe.serial("live inbox", () => {
  let documentId: number | undefined;

  test.beforeAll(async ({ browser }) => {
    const page = await browser.newPage();
    await signedIn(page);
    documentId = await uploadDocument(page, "inbox-hours.txt", HOURS);
    await page.close();
  });

  test.afterAll(async ({ browser }) => {
    // The knowledge spec starts from an empty library.
    const page = await browser.newPage();
    await signedIn(page);
    await page.request.post("/api/knowledge/delete", { data: { id: documentId } });
    await page.close();
  });

  test("messages and statuses arrive live; the owner replies by hand", async ({ page, request }) => {
    await openInbox(page);
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    await customerWrites(request, MARTA, "Do you deliver on Sundays?");
    await expect(row(page, MARTA.name)).toContainText("Do you deliver on Sundays?");
    await openConversation(page, MARTA.name);
    const bubbles = page.locator(".bubbles");
    await expect(bubbles.locator(".bubble.customer")).toContainText("Do you deliver on Sundays?");
    // A message arriving while the owner writes leaves the draft alone.
    const box = page.getByLabel("Reply", { exact: true });
    await box.fill("We deliver every day");
    await customerWrites(request, MARTA, "And on holidays?");
    await expect(bubbles.locator(".bubble.customer", { hasText: "And on holidays?" })).toBeVisible();
    await expect(box).toHaveValue("We deliver every day");

    // A reply by hand reaches WhatsApp; its ticks follow the status webhooks.
    await box.fill("We deliver every day, *holidays* too.");
    await box.press("Enter");
    const mine = bubbles.locator(".bubble.agent", { hasText: "We deliver every day" });
    await expect(mine).toHaveAttribute("data-status", "sent");
    await expect(mine.locator("strong")).toHaveText("holidays");
    const sent = (s: { text?: { body: string } }) => s.text?.body === "We deliver every day, *holidays* too.";
    await expect.poll(async () => (await sentToWhatsApp(request)).some(sent)).toBe(true);
    const wamid = await wamidOf(request, sent);
    await statusUpdate(request, wamid, "delivered", MARTA.waId);
    await expect(mine).toHaveAttribute("data-status", "delivered");
    await statusUpdate(request, wamid, "read", MARTA.waId);
    await expect(mine).toHaveAttribute("data-status", "read");
    await expect(mine.locator(".ticks")).toHaveAttribute("aria-label", "Read");

    // All of it without a reload.
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  });

  test("with the AI switched off, a new customer message gets no AI reply", async ({ page, request }) => {
    await openInbox(page);
    await customerWrites(request, RUI, "When do you open?");
    await openConversation(page, RUI.name);
    const ai = page.locator(".bubbles .bubble.ai");
    // The AI answers from the knowledge base while it is on…
    await expect(ai).toHaveCount(1);
    await expect(ai).toContainText("On Mondays the shop is closed.");
    await expect(ai.locator(".ai-note")).toContainText("Excerpt from your documents");
    await ai.getByRole("button", { name: /Sources/ }).click();
    await expect(ai.locator(".passages")).toContainText("inbox-hours");

    // …and not once it is switched off (with the keyboard: a).
    const toggle = page.getByRole("switch", { name: "AI replies" });
    await expect(toggle).toHaveAttribute("aria-checked", "true");
    await page.locator(".messages").focus();
    await page.keyboard.press("a");
    await expect(toggle).toHaveAttribute("aria-checked", "false");
    await expect(row(page, RUI.name)).toContainText("AI off");
    await customerWrites(request, RUI, "And when do you close?");
    await expect(page.locator(".bubbles .bubble.customer", { hasText: "And when do you close?" })).toBeVisible();
    // Well past the burst window (2 s) and an extractive answer's time.
    await page.waitForTimeout(5_000);
    await expect(ai).toHaveCount(1);
    const toRui = (await sentToWhatsApp(request)).filter((s) => s.to === `+${RUI.waId}` && s.status !== "read");
    expect(toRui).toHaveLength(1);
  });

  test("outside the 24-hour window only templates can be sent", async ({ page, request }) => {
    await openInbox(page);
    await customerWrites(request, OLGA, "Is my order ready?", 25 * 3600);
    await expect(row(page, OLGA.name)).toBeVisible();
    await openConversation(page, OLGA.name);
    await expect(page.getByTestId("window")).toHaveText("24-hour window closed: templates only");
    await expect(page.getByLabel("Reply", { exact: true })).toHaveCount(0);
    const picker = page.getByTestId("template-picker");
    await expect(picker).toContainText("No templates registered yet");

    // Register the approved template, then send it with its values.
    await picker.getByRole("button", { name: "Manage templates" }).click();
    await picker.getByRole("button", { name: "Add a template" }).click();
    await picker.getByLabel("Name").fill("order_ready");
    await picker.getByLabel("Language").fill("en_US");
    await picker.getByLabel("Text").fill("Hi {{1}}, your order {{2}} is ready for pickup.");
    await picker.getByRole("button", { name: "Save templates" }).click();
    await picker.getByLabel("Value {{1}}").fill("Olga");
    await picker.getByLabel("Value {{2}}").fill("A-1009");
    await expect(picker.getByLabel("Preview")).toHaveText("Hi Olga, your order A-1009 is ready for pickup.");
    await picker.getByRole("button", { name: "Send template" }).click();
    await expect(page.locator(".bubbles .bubble.agent", { hasText: "order_ready" })).toBeVisible();
    await expect
      .poll(async () => (await sentToWhatsApp(request)).find((s) => s.to === `+${OLGA.waId}` && s.type === "template")?.template?.name)
      .toBe("order_ready");
  });

  test("export downloads the thread; erase removes the customer", async ({ page }) => {
    await openInbox(page);
    await openConversation(page, MARTA.name);
    await page.getByRole("button", { name: "Customer", exact: true }).click();
    const panel = page.getByRole("complementary", { name: "Customer" });
    await expect(panel.getByTestId("customer-name")).toHaveText(MARTA.name);
    await expect(panel).toContainText("2 received");

    const download = page.waitForEvent("download");
    await panel.getByRole("link", { name: "Plain-text transcript" }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/\.txt$/);
    const text = await (await file.createReadStream()).toArray();
    const transcript = Buffer.concat(text as Buffer[]).toString("utf8");
    expect(transcript).toContain(`Conversation with ${MARTA.name}`);
    expect(transcript).toContain("Do you deliver on Sundays?");
    expect(transcript).toContain("You: We deliver every day");

    await panel.getByRole("button", { name: "Erase customer…" }).click();
    await panel.getByRole("button", { name: "Erase for good" }).click();
    await expect(page).toHaveURL(/\/inbox$/);
    await expect(page.getByRole("status").filter({ hasText: "erased" })).toBeVisible();
    await expect(row(page, MARTA.name)).toHaveCount(0);
    const search = await page.request.post("/api/inbox/conversations", { data: { query: { search: MARTA.waId } } });
    expect((await search.json()).items).toHaveLength(0);
  });

  test("after the connection drops and returns, what arrived meanwhile is shown", async ({ page, context }) => {
    await openInbox(page);
    await openConversation(page, RUI.name);
    await context.setOffline(true);
    await expect(page.getByTestId("live-status")).toHaveText("Reconnecting…");
    // Meta keeps delivering while the owner's browser is offline.
    const meta = await playwrightRequest.newContext({ baseURL: test.info().project.use.baseURL });
    await customerWrites(meta, RUI, "Sent while you were offline");
    await customerWrites(meta, OLGA, "Olga wrote too");
    await context.setOffline(false);
    await expect(page.getByTestId("live-status")).toHaveText("Live");
    await expect(page.locator(".bubbles .bubble.customer", { hasText: "Sent while you were offline" })).toBeVisible();
    await expect(row(page, OLGA.name)).toContainText("Olga wrote too");
    await meta.dispose();
  });

  test("while the tab is hidden, new customer messages are counted in its title", async ({ page, request }) => {
    await openInbox(page);
    const visibility = (state: "hidden" | "visible") =>
      page.evaluate((s) => {
        Object.defineProperty(document, "visibilityState", { value: s, configurable: true });
        document.dispatchEvent(new Event("visibilitychange", { bubbles: true }));
      }, state);
    await visibility("hidden");
    await customerWrites(request, OLGA, "Are you there?");
    await customerWrites(request, RUI, "Hello again");
    // Two messages (and a hand-off, if the AI passes one of them to a person).
    await expect(page).toHaveTitle(/^\([23]\) Inbox · /);
    await visibility("visible");
    await expect(page).toHaveTitle(/^Inbox · /);
  });

  test("at 375 px the list and the thread are separate views", async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await openInbox(page);
    await expect(row(page, RUI.name)).toBeVisible();
    await openConversation(page, RUI.name);
    await expect(page.locator(".inbox-list")).toBeHidden();
    await expect(page.getByRole("switch", { name: "AI replies" })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.getByRole("link", { name: "Back to the conversation list" }).click();
    await expect(row(page, RUI.name)).toBeVisible();
    await expect(page.locator(".inbox-main")).toBeHidden();
  });
});
