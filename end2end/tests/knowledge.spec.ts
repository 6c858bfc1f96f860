import { expect, test, type Page } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { hydrated, signedIn, uploadDocument } from "./helpers";

const fixtures = path.join(__dirname, "..", "..", "server", "tests", "fixtures");

/** A committed fixture (made by reportlab or python-docx) as a file to upload. */
function fixture(name: string) {
  const mimeType = name.endsWith(".pdf")
    ? "application/pdf"
    : "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  return { name, mimeType, buffer: fs.readFileSync(path.join(fixtures, name)) };
}

async function openKnowledge(page: Page) {
  await signedIn(page);
  await page.goto("/knowledge");
  await expect(page.getByRole("heading", { name: "Knowledge", exact: true })).toBeVisible();
  await hydrated(page);
}

function row(page: Page, title: string) {
  return page.getByTestId("document-row").filter({ has: page.getByRole("link", { name: title, exact: true }) });
}

// An owner fills the knowledge base, searches it, edits and removes documents.
test.describe.serial("knowledge base", () => {
  test("upload several files: progress, live processing, clear errors", async ({ page }) => {
    await openKnowledge(page);
    await expect(page.getByText("No documents yet")).toBeVisible();
    await expect(page.getByTestId("library-limits")).toContainText("0 of 50 documents");

    await page.locator("#knowledge-files").setInputFiles([
      fixture("menu.pdf"),
      fixture("prices.docx"),
      { name: "program.pdf", mimeType: "application/pdf", buffer: Buffer.concat([Buffer.from("\x7fELF\x02\x01\x01\x00", "latin1"), Buffer.alloc(2048)]) },
      fixture("scan.pdf"),
    ]);
    const uploads = page.locator(".upload-row");
    await expect(uploads).toHaveCount(4);
    // Processing state is pushed by the server: no reload.
    await expect(uploads.filter({ hasText: "menu.pdf" })).toContainText(/Ready · \d+ passages/);
    await expect(uploads.filter({ hasText: "prices.docx" })).toContainText(/Ready · \d+ passages/);
    await expect(uploads.filter({ hasText: "program.pdf" })).toContainText("a program");
    await expect(uploads.filter({ hasText: "scan.pdf" })).toContainText("is it a scan?");

    await expect(row(page, "menu")).toHaveAttribute("data-status", "ready");
    await expect(row(page, "prices")).toContainText("Word");
    await expect(row(page, "scan")).toHaveAttribute("data-status", "error");
    await expect(row(page, "scan")).toContainText("no selectable text");
    await expect(page.getByTestId("library-limits")).toContainText("3 of 50 documents");
  });

  test("drop a file on the drop zone", async ({ page }) => {
    await openKnowledge(page);
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File(["Dogs are welcome on the terrace.\n"], "pets.txt", { type: "text/plain" }));
      const zone = document.querySelector(".dropzone")!;
      zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    await expect(page.locator(".upload-row").filter({ hasText: "pets.txt" })).toContainText("Ready · 1 passages");
  });

  test("search while typing, without accents, with highlights", async ({ page }) => {
    await openKnowledge(page);
    const box = page.getByRole("searchbox", { name: "Search the knowledge" });
    await box.pressSequentially("cancelacion");
    const results = page.getByTestId("search-results");
    await expect(results.locator("li").first()).toContainText("menu");
    await expect(results.locator("mark").first()).toHaveText(/cancelación/i);
    await box.fill("corkage");
    await expect(results.locator("li").first()).toContainText("prices");
    await box.fill("zebra crossing");
    await expect(page.getByText("No passage matches.")).toBeVisible();
  });

  test("write an FAQ pair; it is searchable once indexed", async ({ page }) => {
    await openKnowledge(page);
    await page.getByText("Write an entry").click();
    await page.getByLabel("Question or title").fill("Do you have vegan dishes?");
    // Blank (but not empty, so past the browser's own check): the server's message shows.
    await page.getByLabel("Answer").fill("   ");
    await page.getByRole("button", { name: "Add entry" }).click();
    await expect(page.getByText("Enter the answer.")).toBeVisible();
    await page.getByLabel("Answer").fill("Yes: the vegetable paella and three starters are vegan.");
    await page.getByLabel("Category (optional)").fill("Menu");
    await page.getByRole("button", { name: "Add entry" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
    await expect(row(page, "Do you have vegan dishes?")).toHaveAttribute("data-status", "ready");
    await page.getByRole("searchbox", { name: "Search the knowledge" }).fill("vegan");
    await expect(page.getByTestId("search-results").locator("li").first()).toContainText("Do you have vegan dishes?");
  });

  test("a document's page: preview, details, download, delete", async ({ page }) => {
    await openKnowledge(page);
    await row(page, "menu").getByRole("link", { name: "menu" }).click();
    await expect(page).toHaveURL(/\/knowledge\/\d+$/);
    await expect(page.getByRole("heading", { name: "menu" })).toBeVisible();
    await expect(page.getByTestId("text-preview")).toContainText("Opening hours");
    await hydrated(page);

    await page.getByLabel("Title").fill("Menu and policies");
    await page.getByLabel("Category (optional)").fill("Restaurant");
    await page.getByLabel("Tags, comma separated (optional)").fill("menu, policies");
    await page.getByRole("button", { name: "Save details" }).click();
    await expect(page.getByRole("heading", { name: "Menu and policies" })).toBeVisible();

    // A new version: same page, re-read, the new text shown.
    await page.locator('input[aria-label="New version of the file"]').setInputFiles({
      name: "menu-2027.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("Opening hours 2027: every day from 11 am.\n"),
    });
    await expect(page.getByTestId("document-version")).toHaveText("2");
    await expect(page.getByTestId("document-status")).toHaveText("Ready");
    await expect(page.getByTestId("text-preview")).toContainText("every day from 11 am");

    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Download original" }).click();
    expect((await download).suggestedFilename()).toBe("menu-2027.txt");

    await page.getByRole("button", { name: "Delete…" }).click();
    await page.getByRole("button", { name: "Delete permanently" }).click();
    await expect(page).toHaveURL(/\/knowledge$/);
    await expect(row(page, "Menu and policies")).toHaveCount(0);
    await expect(row(page, "prices")).toHaveCount(1);
  });

  test("the languages the business speaks: each document read and searched in its own", async ({ page }) => {
    await signedIn(page);
    const business = (await (await page.request.post("/api/settings", { data: {} })).json()).business;
    const speak = async (languages: string[]) => {
      const res = await page.request.post("/api/settings/business", {
        data: { profile: { name: business.name, timezone: business.timezone, languages } },
      });
      expect(res.status(), await res.text()).toBe(200);
    };
    await speak(["English", "Português"]);
    await uploadDocument(
      page,
      "pagamentos.txt",
      "PAGAMENTOS\n\nAceitamos cartões Visa e Mastercard, e também MB Way. Não aceitamos American Express nem cheques. Pode pagar em numerário nas duas lojas.\n",
    );
    await openKnowledge(page);
    await expect(page.getByText("Customers are answered in English, Português.")).toBeVisible();
    await expect(row(page, "pagamentos")).toContainText("Português");
    await expect(row(page, "prices")).toContainText("English");
    // "cartão" finds "cartões": the passage is stemmed in Portuguese.
    await page.getByRole("searchbox", { name: "Search the knowledge" }).fill("vocês aceitam cartão?");
    await expect(page.getByTestId("search-results").locator("li").first()).toContainText("pagamentos");
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `test-results/knowledge-languages-${width}.png` });
    }
    await speak(business.languages);
  });

  test("at 375 px the library fits the screen", async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await openKnowledge(page);
    await expect(row(page, "prices")).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
