import { expect, test } from "@playwright/test";
import { CHANGED_PASSWORD, hydrated, OWNER } from "./helpers";

// Runs last (files run in name order): it leaves this address throttled for 15 minutes.
test.describe.serial("login throttling", () => {
  test("repeated failures are throttled", async ({ page }) => {
    await page.goto("/login");
    await hydrated(page);
    const alert = page.getByRole("alert");
    let refusedAfter = 0;
    for (let attempt = 1; attempt <= 6; attempt++) {
      await page.getByLabel("Email", { exact: true }).fill(OWNER.email);
      await page.getByLabel("Password", { exact: true }).fill(`wrong password ${attempt}`);
      // The alert keeps the previous attempt's words until this answer arrives: wait for it.
      const answer = page.waitForResponse((res) => res.url().includes("/api/auth/login"));
      await page.getByRole("button", { name: "Log in" }).click();
      if ((await answer).status() === 429) {
        refusedAfter = attempt - 1;
        break;
      }
      await expect(alert).toContainText("do not match");
    }
    // Five failures from this address (one of them from the earlier wrong-password step, which
    // a successful login forgave for the email but not for the address) and then no more.
    expect(refusedAfter).toBe(4);
    // Counted from the oldest failure in the window (the earlier spec's, a minute or two ago).
    await expect(alert).toContainText(/Try again in 1[345] minutes/);
    // Even the right password is refused now.
    await page.getByLabel("Password", { exact: true }).fill(CHANGED_PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(alert).toContainText("Too many failed attempts");
    await expect(page).toHaveURL(/\/login/);
  });
});
