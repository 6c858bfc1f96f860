import { expect, test } from "@playwright/test";
import { hydrated, signedIn, uploadDocument } from "./helpers";

const HOURS =
  "# Opening hours\nThe bakery opens Tuesday to Sunday from 7:00 to 15:00. On Mondays the bakery is closed.\n";

// The simulator answers a question from an uploaded document in no-key mode (no AI provider is
// configured in this run), and hands off what the knowledge base cannot answer.
test("the simulator answers from an uploaded document without any API key", async ({ page }) => {
  await signedIn(page);
  await uploadDocument(page, "bakery-hours.txt", HOURS);

  await page.goto("/simulator");
  await expect(page.getByRole("heading", { name: "Simulator", exact: true })).toBeVisible();
  await hydrated(page);
  const box = page.getByLabel("Message as the customer");
  await box.fill("Is the bakery open on Monday?");
  await box.press("Enter");

  const thread = page.getByTestId("sim-thread");
  await expect(thread.locator(".bubble.customer")).toContainText("Is the bakery open on Monday?");
  const reply = thread.locator(".bubble.bot").first();
  await expect(reply).toContainText("On Mondays the bakery is closed.");
  await expect(reply).toContainText("bakery-hours");
  await expect(reply.locator(".bubble-meta")).toContainText("extractive");
  await expect(reply.locator(".bubble-meta")).toContainText(/\d+ passages?/);

  // Nothing in the knowledge base answers this: the conversation goes to a person.
  await box.fill("Do you repair helicopters?");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("handoff")).toContainText("Handed to a person");
  await expect(thread.locator(".bubble.bot").last()).toContainText("A member of our team");
  await page.getByRole("button", { name: "Switch the AI back on" }).click();
  await expect(page.getByTestId("handoff")).toHaveCount(0);

  await page.getByRole("button", { name: "Clear conversation" }).click();
  await expect(page.getByText("No messages yet")).toBeVisible();
});
