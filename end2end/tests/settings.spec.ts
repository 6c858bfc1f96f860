import { expect, test } from "@playwright/test";
import { HTTPS_OWNER, HTTPS_PORT } from "../servers";
import { hydrated, logIn, signedIn, WHATSAPP_TOKEN } from "./helpers";

// Settings: the WhatsApp connection is checked against the fake Graph API (fake-graph.ts),
// which accepts only the suite's token; values from the environment are shown as such.
test.describe.serial("settings", () => {
  test("check connection reports success, then a wrong token in plain words", async ({ page }) => {
    await signedIn(page);
    await page.goto("/settings");
    await hydrated(page);
    const whatsapp = page.locator("#whatsapp");
    await expect(whatsapp.getByLabel("Phone number ID")).toBeDisabled();
    await expect(whatsapp.getByLabel("Phone number ID")).toHaveValue("301122334455667");
    await expect(whatsapp.getByLabel(/^Access token/)).toHaveAttribute("placeholder", "Saved — leave blank to keep");
    await expect(whatsapp.getByLabel(/^App secret/)).toHaveAttribute("placeholder", "Set by WHATSAPP_APP_SECRET in the environment");
    await expect(page.getByTestId("webhook-url")).toHaveText(new RegExp(`^${page.url().split("/settings")[0]}/api/webhook/whatsapp$`));
    await expect(page.getByTestId("verify-token")).toHaveText("e2e-verify-token");
    // This server is reached at http://127.0.0.1: Settings says Meta cannot call it, and how to fix it.
    const warning = page.getByTestId("webhook-warning");
    await expect(warning).toContainText("Meta sends WhatsApp messages only to https:// addresses");
    await expect(warning).toContainText("Set PUBLIC_URL");
    await expect(warning.getByRole("link", { name: "How to connect WhatsApp" })).toHaveAttribute(
      "href",
      /docs\/WHATSAPP_SETUP\.md$/,
    );
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.locator("#whatsapp").screenshot({ path: `test-results/settings-whatsapp-warning-${width}.png` });
    }
    await page.setViewportSize({ width: 1280, height: 720 });

    await whatsapp.getByRole("button", { name: "Check connection" }).click();
    await expect(page.getByTestId("connection-check")).toHaveText("Connected to +1 555-010-0199 (Café Lima), quality rating green.");
    await whatsapp.screenshot({ path: "../docs/screenshots/settings-whatsapp.png" });

    await whatsapp.getByLabel(/^Access token/).fill("EAAGwrongtokenfromanotherapp");
    await whatsapp.getByRole("button", { name: "Save WhatsApp" }).click();
    await expect(page.getByTestId("settings-saved")).toHaveText("WhatsApp settings saved.");
    await page.locator("#whatsapp").getByRole("button", { name: "Check connection" }).click();
    const refused = page.getByTestId("connection-check");
    await expect(refused).toHaveAttribute("role", "alert");
    await expect(refused).toContainText("Meta refused the access token: it is invalid or has expired.");

    // The right token again (the other specs send messages).
    await page.locator("#whatsapp").getByLabel(/^Access token/).fill(WHATSAPP_TOKEN);
    await page.locator("#whatsapp").getByRole("button", { name: "Save WhatsApp" }).click();
    await page.locator("#whatsapp").getByRole("button", { name: "Check connection" }).click();
    await expect(page.getByTestId("connection-check")).toContainText("Connected to");
  });

  test("the business profile and limits are checked and saved; the audit log shows it", async ({ page }) => {
    await signedIn(page);
    await page.goto("/settings");
    await hydrated(page);
    const business = page.locator("#business");
    await business.getByLabel(/^Time zone/).fill("Mars/Olympus");
    await business.getByRole("button", { name: "Save business" }).click();
    await expect(business.locator("#field-timezone-error")).toContainText("Pick a time zone from the list");
    await business.getByLabel(/^Time zone/).fill("America/Sao_Paulo");
    await business.getByLabel(/^Languages/).fill("Português, English");
    await business.getByRole("button", { name: "Save business" }).click();
    await expect(page.getByTestId("settings-saved")).toHaveText("Business profile saved.");
    await expect(page.locator("#business").getByLabel(/^Time zone/)).toHaveValue("America/Sao_Paulo");

    const limits = page.locator("#limits");
    await limits.getByLabel(/^Delete messages older/).fill("3");
    await limits.getByRole("button", { name: "Save limits" }).click();
    await expect(limits.locator("#field-retention_days-error")).toContainText("from 7 to 3650");
    await limits.getByLabel(/^Delete messages older/).fill("0");
    await limits.getByRole("button", { name: "Save limits" }).click();
    await expect(page.getByTestId("settings-saved")).toHaveText("Limits and retention saved.");

    // AI providers are here too, each with a test button.
    await expect(page.locator("#ai").getByRole("heading", { name: "Providers" })).toBeVisible();

    const log = page.getByTestId("audit-log");
    await page.reload();
    await hydrated(page);
    await expect(log.locator("tbody tr").first()).toContainText("Settings changed");
    await expect(log).toContainText("WhatsApp: access token");
    await expect(log).toContainText("Business profile");
    await expect(page.getByTestId("backup-download")).toHaveAttribute("href", "/api/settings/backup");
    await page.locator("#audit").screenshot({ path: "../docs/screenshots/settings-audit.png" });

    await page.setViewportSize({ width: 375, height: 740 });
    await page.reload();
    await hydrated(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  test("behind https (PUBLIC_URL) the callback URL is the public one, with no warning", async ({ page }) => {
    // The second server: PUBLIC_URL=https://support.example.com, owner from ADMIN_EMAIL.
    const base = `http://localhost:${HTTPS_PORT}`;
    await page.goto(`${base}/login`);
    await logIn(page, HTTPS_OWNER.email, HTTPS_OWNER.password);
    await expect(page).toHaveURL(`${base}/`);
    await page.goto(`${base}/settings`);
    await hydrated(page);
    await expect(page.getByTestId("webhook-url")).toHaveText("https://support.example.com/api/webhook/whatsapp");
    await expect(page.getByTestId("secret-key-note")).toContainText("secret.key");
    await expect(page.getByTestId("webhook-warning")).toHaveCount(0);
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.locator("#whatsapp").screenshot({ path: `test-results/settings-whatsapp-https-${width}.png` });
    }
  });
});
