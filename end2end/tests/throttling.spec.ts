import { expect, test } from "@playwright/test";
import { CHANGED_PASSWORD, hydrated, OWNER } from "./helpers";

// Runs last (files run in name order): it leaves this address waiting before its next try.
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
    // Five tries at this email from this address (the earlier wrong password was forgiven by
    // the login that followed it), then a short wait that doubles with each further try — no
    // lock that a stranger could put on the owner from another address.
    expect(refusedAfter).toBe(5);
    await expect(alert).toContainText(/Try again in \d+ seconds/);
    // Even the right password is refused now.
    await page.getByLabel("Password", { exact: true }).fill(CHANGED_PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(alert).toContainText("Too many failed attempts");
    await expect(page).toHaveURL(/\/login/);
  });
});
