/** Helpers for the inspector's browser tests (Debian chromium through playwright-core). */
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Inspector } from '../../inspector/client';
import type { InspectorServer } from '../../inspector/server';

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

/** Sends what the inspection client still holds and waits until the server has every frame sent (sent is not yet received). */
export async function deliverFrames(inspector: Inspector, server: InspectorServer): Promise<void> {
  await inspector.flush(10_000);
  for (const end = Date.now() + 10_000; server.frames().length < inspector.stats().sent && Date.now() < end; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface ListingPage {
  readonly __inspector?: { readonly ready: boolean; connections(): Array<{ itemId: string; state: string }> };
}

/** Waits until the page lists `total` connections, and answers them with the state each is shown in. */
export async function listedConnections(page: Page, total: number): Promise<Array<{ itemId: string; state: string }>> {
  const shown = await page.waitForFunction(
    (count) => {
      const api = (globalThis as unknown as ListingPage).__inspector;
      const listed = api?.ready ? api.connections() : [];
      return listed.length === count ? listed : false;
    },
    total,
    { timeout: 15_000 },
  );
  return (await shown.jsonValue()) as Array<{ itemId: string; state: string }>;
}
