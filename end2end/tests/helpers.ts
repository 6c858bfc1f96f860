import { expect, type Page } from "@playwright/test";

export const OWNER = {
  business: "Café Lima",
  email: "owner@example.com",
  password: "correct horse battery",
};

/** Waits until the WASM has hydrated the page: before that, clicks land on dead HTML. */
export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

export async function logIn(page: Page, email: string, password: string) {
  await hydrated(page);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}
