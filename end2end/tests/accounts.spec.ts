import { expect, test } from "@playwright/test";
import { CHANGED_PASSWORD, hydrated, logIn, OWNER, setupLinkFromLog, totp } from "./helpers";

// One owner's first day, in order: each step starts where the previous one left off.
test.describe.serial("owner account", () => {
  test("first visit leads to setup, which needs the token from the server's log", async ({ page }) => {
    await page.goto("/");
    await expect(page).toHaveURL(/\/setup$/);
    await hydrated(page);
    // A stranger who finds the address first: without the token, no owner.
    await expect(page.getByText("printed in the server's log")).toBeVisible();
    await page.getByLabel("Setup token").fill("0000-0000-0000-0000-0000-0000");
    await page.getByLabel("Business name").fill("Not my business");
    await page.getByLabel("Email", { exact: true }).fill("stranger@example.com");
    await page.getByLabel("Password", { exact: true }).fill("a stranger's password");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.locator("#field-setup_token-error")).toContainText("not this server's setup token");
    await expect(page).toHaveURL(/\/setup$/);

    // The operator opens the link the log shows: the token is filled in.
    const link = await setupLinkFromLog();
    await page.goto(link.pathname + link.search);
    await hydrated(page);
    await expect(page.getByLabel("Setup token")).toHaveValue(link.searchParams.get("token") ?? "");
    await expect(page.getByText("Filled in from the link in the server's log.")).toBeVisible();
    await page.screenshot({ path: "../docs/screenshots/setup.png" });
    await page.getByLabel("Business name").fill(OWNER.business);
    await page.getByLabel("Email", { exact: true }).fill(OWNER.email);
    await page.getByLabel("Password", { exact: true }).fill("short");
    await expect(page.getByText("Too short")).toBeVisible();
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByText("Use at least 10 characters.")).toBeVisible();

    await page.getByLabel("Password", { exact: true }).fill(OWNER.password);
    await expect(page.getByText("Strong")).toBeVisible();
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole("heading", { name: "Home" })).toBeVisible();
    await expect(page.locator(".brand-name")).toHaveText(OWNER.business);
    await expect(page.getByText("Healthy")).toBeVisible();
    await expect(page.getByTestId("db-engine")).toHaveText("SQLite");
    await expect(page).toHaveTitle("Home · Replydesk");
  });

  test("setup is closed once an owner exists", async ({ page }) => {
    await page.goto("/setup");
    await expect(page).toHaveURL(/\/login$/);
  });

  test("log out, a wrong password shows an error, then log in returns to the page asked for", async ({
    page,
  }) => {
    // Every test starts in a fresh browser context: signed out.
    await page.goto("/account");
    await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);

    await logIn(page, OWNER.email, "not my password");
    await expect(page.getByRole("alert")).toContainText("do not match");
    await expect(page).toHaveURL(/\/login/);

    await page.getByLabel("Password", { exact: true }).fill(OWNER.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByRole("heading", { name: "Account" })).toBeVisible();

    // A reload keeps the session.
    await page.reload();
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByRole("heading", { name: "Account" })).toBeVisible();

    // The theme is remembered across reloads.
    await hydrated(page);
    await page.getByRole("button", { name: "Dark" }).click();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    await page.reload();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    await hydrated(page);
    await expect(page.getByRole("button", { name: "Dark" })).toHaveAttribute("aria-pressed", "true");
    await page.getByRole("button", { name: "System" }).click();
    await expect(page.locator("html")).not.toHaveAttribute("data-theme", /.+/);

    // Log out from the owner menu.
    await page.locator(".owner-menu summary").click();
    await page.getByRole("button", { name: "Log out" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto("/");
    await expect(page).toHaveURL(/\/login\?next=%2F$/);
  });

  test("at 375 px the sidebar collapses into a menu", async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto("/login");
    await logIn(page, OWNER.email, OWNER.password);
    await expect(page).toHaveURL(/\/$/);
    await hydrated(page);

    const menu = page.getByRole("button", { name: "Menu" });
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(menu).toBeVisible();
    await expect(nav).toBeHidden();
    await expect(menu).toHaveAttribute("aria-expanded", "false");

    await menu.click();
    await expect(nav).toBeVisible();
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    await page.locator(".owner-menu summary").click();
    await nav.getByRole("link", { name: "Change password" }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(nav).toBeHidden(); // following a link closes the menu

    // Nothing overflows sideways at this width.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  test("change password keeps this session and the new password works", async ({ page }) => {
    await page.goto("/account");
    await logIn(page, OWNER.email, OWNER.password);
    await expect(page).toHaveURL(/\/account$/);
    await hydrated(page);
    await page.getByLabel("Current password", { exact: true }).fill(OWNER.password);
    await page.getByLabel("New password", { exact: true }).fill(CHANGED_PASSWORD);
    await page.getByLabel("Repeat the new password").fill("a different one");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByText("The two new passwords differ.")).toBeVisible();

    await page.getByLabel("Repeat the new password").fill(CHANGED_PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByRole("status")).toContainText("Password changed");
    await page.reload();
    await expect(page.getByRole("heading", { name: "Account" })).toBeVisible();
    OWNER.password = CHANGED_PASSWORD;
  });

  test("two-step sign-in: scan, confirm, log in with the app's code, turn it off", async ({ page }) => {
    await page.goto("/account");
    await logIn(page, OWNER.email, OWNER.password);
    await expect(page).toHaveURL(/\/account$/);
    await hydrated(page);
    const section = page.getByTestId("two-step");
    await expect(section).toContainText("Off.");
    await section.getByRole("button", { name: "Set up two-step sign-in" }).click();
    await expect(section.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
    const secret = (await section.getByTestId("two-step-key").textContent()) ?? "";
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await section.screenshot({ path: `test-results/account-two-step-${width}.png` });
    }
    await page.setViewportSize({ width: 1280, height: 720 });
    await section.screenshot({ path: "../docs/screenshots/account-two-step.png" });
    await section.getByLabel("The 6-digit code the app shows").fill("000000");
    await section.getByLabel("Current password").fill(OWNER.password);
    await section.getByRole("button", { name: "Turn on" }).click();
    await expect(section.locator("#field-code-error")).toContainText("not the code the app shows now");
    await section.getByLabel("The 6-digit code the app shows").fill(totp(secret));
    await section.getByRole("button", { name: "Turn on" }).click();
    await expect(section.getByTestId("recovery-codes").locator("li")).toHaveCount(10);

    // Logging in now asks for the code once the password is right.
    await page.context().clearCookies();
    await page.goto("/login");
    await logIn(page, OWNER.email, OWNER.password);
    const code = page.getByLabel("Code from your authenticator app (or a recovery code)");
    await expect(code).toBeVisible();
    await expect(page.locator("#field-code-error")).toContainText("6-digit code");
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 800 });
      await page.screenshot({ path: `test-results/login-code-${width}.png` });
    }
    await page.setViewportSize({ width: 1280, height: 720 });
    // The next step's code: the current one was spent turning it on.
    await code.fill(totp(secret, 1));
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/$/);

    // Off again (the specs after this one log in with the password alone).
    await page.goto("/account");
    await hydrated(page);
    await expect(section).toContainText("On.");
    await section.getByLabel("Current password").fill(OWNER.password);
    await section.getByRole("button", { name: "Turn off two-step sign-in" }).click();
    await expect(section).toContainText("Off.");
  });
});
