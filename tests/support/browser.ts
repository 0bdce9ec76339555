/** Helpers for the inspector's browser tests (Debian chromium through playwright-core). */
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (installed by `.ci/run`), headless and without the network chatter of a desktop browser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

interface SearchPage {
  readonly document: { querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }> };
}

/**
 * Waits until the connection list shows the search for `itemId`: every row shown matches it, and
 * one of them is this connection's. Until the page renders again the previous list is still there,
 * and a click on this connection's row in it would wait on a row the render then hides.
 */
export async function waitForSearch(page: Page, itemId: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    (id) => {
      const { document } = globalThis as unknown as SearchPage;
      const shown = Array.from(document.querySelectorAll('[data-testid="connection-row"]:not([hidden])'), (row) => row.getAttribute('data-item-id') ?? '');
      return shown.length > 0 && shown.every((shownId) => shownId.includes(id)) && shown.includes(id);
    },
    itemId,
    { timeout: timeoutMs },
  );
}
