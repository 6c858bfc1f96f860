import { expect, test } from "@playwright/test";
import { hydrated, signedIn } from "./helpers";

// The owner picks and writes prompt templates, tries them on a question through the real
// pipeline, and configures the AI (no provider in this run: the no-key mode).
test.describe.serial("prompts and AI settings", () => {
  test("write a template: unknown variables are refused, chips, preview, try it", async ({ page }) => {
    await signedIn(page);
    await page.goto("/prompts");
    await expect(page.getByRole("heading", { name: "Prompts", exact: true })).toBeVisible();
    await hydrated(page);
    const list = page.getByTestId("templates");
    await expect(list.locator("li")).toHaveCount(14);
    await expect(list.locator("li.active")).toContainText("General business");

    await page.getByRole("button", { name: "New template" }).click();
    const editor = page.getByRole("region", { name: "Template editor" });
    await editor.getByLabel("Name").fill("Bakery, short");
    const body = editor.getByLabel("Template instructions");
    await body.fill("Hello {{customer_nmae}}, answer from:");
    await editor.getByRole("button", { name: "Save", exact: true }).click();
    await expect(editor).toContainText("{{customer_nmae}} is not a variable");

    await body.fill("Answer briefly for {{business_name}} from:");
    await editor.getByRole("button", { name: "{{relevant_documents}}" }).click();
    await expect(body).toHaveValue("Answer briefly for {{business_name}} from: {{relevant_documents}}");
    await editor.getByRole("button", { name: "Save", exact: true }).click();
    await expect(list).toContainText("Bakery, short");
    await expect(editor.getByRole("heading")).toContainText("Edit Bakery, short");

    await editor.getByRole("button", { name: "Preview with sample data" }).click();
    await expect(editor.getByTestId("preview")).toContainText("Answer briefly for Café Lima from:");
    await expect(editor.getByTestId("preview")).toContainText("Opening hours");

    // The knowledge spec wrote an FAQ about vegan dishes: it answers the question, with no API key.
    await editor.getByPlaceholder("Do you deliver on Sundays?").fill("Any vegan dishes on the menu?");
    await editor.getByRole("button", { name: "Try it" }).click();
    const result = editor.getByTestId("try-result");
    await expect(result).toContainText("Answered from the passages");
    await expect(result).toContainText("vegetable paella");
    await result.getByText("Final prompt").click();
    await expect(result).toContainText("Answer briefly for Café Lima from:");

    // Built-ins are read only; the owner's template can be deleted when not in use.
    await list.getByRole("button", { name: "Restaurant" }).click();
    await expect(editor.getByRole("heading")).toContainText("built-in, read only");
    await expect(editor.getByRole("button", { name: "Save", exact: true })).toHaveCount(0);
    const mine = list.locator("li").filter({ hasText: "Bakery, short" });
    await mine.getByRole("button", { name: "Delete" }).click();
    await expect(list).not.toContainText("Bakery, short");
  });

  test("AI settings: no-key mode, behaviour limits, a stored key and a provider test", async ({ page }) => {
    await signedIn(page);
    await page.goto("/ai");
    await expect(page.getByRole("heading", { name: "AI", exact: true })).toBeVisible();
    await hydrated(page);
    await expect(page.getByTestId("ai-mode")).toContainText("no-key mode");

    const burst = page.getByLabel("Burst window (ms): messages within it get one reply");
    await burst.fill("99999");
    await page.getByRole("button", { name: "Save behaviour" }).click();
    await expect(page.locator("#field-burst_ms-error")).toContainText("from 0 to 30000");
    await burst.fill("1500");
    await page.getByRole("button", { name: "Save behaviour" }).click();
    await expect(page.getByTestId("ai-saved")).toHaveText("Behaviour saved.");
    await expect(burst).toHaveValue("1500");
    // How much of a customer's flood one reply reads: checked like every limit.
    const most = page.getByLabel("One reply reads at most this many of the customer's latest messages");
    await most.fill("0");
    await page.getByRole("button", { name: "Save behaviour" }).click();
    await expect(page.locator("#field-burst_messages-error")).toContainText("from 1 to 50");
    await most.fill("10");
    await page.getByRole("button", { name: "Save behaviour" }).click();
    await expect(page.getByTestId("ai-saved")).toHaveText("Behaviour saved.");
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.getByLabel(/Find answers by meaning too/).scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-results/ai-behaviour-${width}.png` });
    }
    await page.setViewportSize({ width: 1280, height: 720 });

    await page.getByRole("button", { name: "Add provider" }).click();
    let row = page.getByTestId("chain-row");
    await row.getByLabel("Provider").selectOption("custom");
    // A closed port: the provider cannot be reached, at once.
    await row.getByLabel(/^Address/).fill("http://127.0.0.1:9/v1");
    await row.getByLabel("Model").fill("local-model");
    await row.getByLabel("API key").fill("sk-test-123");
    await page.getByRole("button", { name: "Save providers" }).click();
    await expect(page.getByTestId("ai-saved")).toHaveText("Providers saved.");
    // The key is stored encrypted (SECRET_KEY is set) and never shown again.
    row = page.getByTestId("chain-row");
    await expect(row.getByLabel("API key")).toHaveValue("");
    await expect(row.getByLabel("API key")).toHaveAttribute("placeholder", "Stored (leave blank to keep)");
    await row.getByRole("button", { name: "Test" }).click();
    await expect(row.getByTestId("provider-check")).toContainText("local-model did not answer: could not reach the provider");
    await row.getByRole("button", { name: "Remove" }).click();
    await page.getByRole("button", { name: "Save providers" }).click();
    await expect(page.getByTestId("ai-saved")).toHaveText("Providers saved.");
    await expect(page.getByTestId("ai-mode")).toContainText("no-key mode");
  });
});
