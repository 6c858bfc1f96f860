import { expect, test } from "@playwright/test";
import { hydrated, signedIn } from "./helpers";
import { customerWrites, sentToWhatsApp } from "./whatsapp";

const NINA = { waId: "5511911110099", name: "Nina Alves" };

// A question the (empty) knowledge base cannot answer goes to the owner; analytics charts the
// day and lists the question as a knowledge gap, with a way to answer it for next time.
test("analytics charts today's messages and lists what the assistant could not answer", async ({ page, request }) => {
  await signedIn(page);
  await customerWrites(request, NINA, "Can I pay with bitcoin?");
  await expect
    .poll(async () => (await sentToWhatsApp(request)).filter((s) => s.to === `+${NINA.waId}` && s.type === "text").length)
    .toBe(1);

  await page.goto("/analytics?days=7");
  await hydrated(page);
  const stats = page.getByTestId("analytics-stats");
  await expect(stats.locator(".stat", { hasText: "Customer messages" })).toContainText("1");
  await expect(stats.locator(".stat", { hasText: "Hand-off rate" })).toContainText("100%");
  await expect(stats.locator(".stat", { hasText: "Knowledge gaps" })).toContainText("1");

  // Seven days, one bar each; today's has the customer's message and the assistant's hand-off.
  const chart = page.getByTestId("messages-chart");
  await expect(chart.locator("g.chart-day")).toHaveCount(7);
  await expect(chart.locator("rect.bar-customer")).toHaveCount(1);
  await expect(chart.locator("rect.bar-ai")).toHaveCount(1);
  await expect(chart.locator("g.chart-day").last().locator("title")).toContainText("1 from customers, 1 from the assistant");
  await expect(page.getByTestId("cost-chart").locator("g.chart-day")).toHaveCount(7);

  const gap = page.getByTestId("gaps-table").getByRole("row", { name: /bitcoin/ });
  await expect(gap).toContainText("1 (1 handed off)");
  await page.screenshot({ path: "../docs/screenshots/analytics.png", fullPage: true });
  const csv = await page.request.get("/api/analytics/export?table=gaps&days=7");
  expect(await csv.text()).toContain("Can I pay with bitcoin?,1,1,");

  // Another range from the presets, then from the form.
  await page.getByRole("button", { name: "30 days" }).click();
  await expect(page).toHaveURL(/\?days=30$/);
  await expect(page.getByTestId("messages-chart").locator("g.chart-day")).toHaveCount(30);
  await page.getByLabel("From", { exact: true }).fill("2026-01-01");
  await page.getByLabel("To", { exact: true }).fill("2026-01-05");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByTestId("analytics-range")).toContainText("2026-01-01 to 2026-01-05");
  await expect(page.getByTestId("messages-chart").locator("g.chart-day")).toHaveCount(5);
  await expect(page.getByText("Every question in this range found an answer")).toBeVisible();
  await page.getByLabel("From", { exact: true }).fill("2026-01-09");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("alert")).toContainText("The start date is after the end date.");

  // "Add a FAQ entry" opens the entry form with the question filled in.
  await page.goto("/analytics?days=7");
  await hydrated(page);
  await page.getByTestId("gaps-table").getByRole("link", { name: "Add a FAQ entry" }).click();
  await expect(page).toHaveURL(/\/knowledge\?faq=Can%20I%20pay/);
  await expect(page.getByLabel("Question or title")).toHaveValue("Can I pay with bitcoin?");

  // At 375 px the page still fits: no sideways scrolling.
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto("/analytics?days=7");
  await hydrated(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  // The inbox spec expects its own customers only.
  const list = await (await page.request.post("/api/inbox/conversations", { data: { query: { search: NINA.waId } } })).json();
  const erased = await page.request.post("/api/inbox/customer/erase", { data: { conversation_id: list.items[0].id } });
  expect(erased.status()).toBe(200);
});
