import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (.ci/run installs it); FW_TEST_CHROMIUM points elsewhere. playwright-core never downloads a browser. */
export const CHROMIUM = process.env.FW_TEST_CHROMIUM ?? '/usr/bin/chromium';

export const ARTIFACTS_DIR = join(__dirname, '..', 'artifacts');

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Save a full-page screenshot under test/artifacts/ (on failure, for the CI log to point at). */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Headless chromium with a fresh profile, nothing in the background that reaches the network. */
export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'fw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async screenshot(name) {
      await mkdir(ARTIFACTS_DIR, { recursive: true });
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
