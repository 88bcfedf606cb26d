/**
 * The dashboard in a real browser (headless Debian chromium through
 * playwright-core): with API keys on, the page asks for the key once;
 * a video submitted through the drop zone's input is followed to 100 %
 * over SSE; the frame viewer draws each box where the API's bbox_norm puts
 * it on the displayed frame. A failing step leaves a screenshot in
 * test/artifacts/.
 */
import { join } from 'node:path';
import { apiKeyEntry } from '@framewire/contracts';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { makeFixtureDir, makeVideo, removeFixtureDir } from '../support/fixtures';
import { startSystem, type TestSystem } from '../support/system';

jest.setTimeout(180_000);

const KEY = 'fw_ui_e2e_key_0123456789abcdef';

interface Box {
  bbox_norm: { x: number; y: number; width: number; height: number };
  text?: string;
}

describe('dashboard (headless chromium)', () => {
  let sys: TestSystem;
  let browser: TestBrowser;
  let fixtures: string;
  let video: string;

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    [video, sys, browser] = await Promise.all([
      makeVideo({
        path: join(fixtures, 'ui.mp4'),
        width: 480,
        height: 270,
        frames: 20,
        texts: [{ text: 'FRAMEWIRE 12', fromFrame: 0, toFrame: 19, x: 40, y: 100, fontSize: 44 }],
      }),
      startSystem({ env: { FW_API_KEYS: apiKeyEntry('ui', KEY) } }),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  /** Run a step; when it fails, keep a screenshot of the page for the log. */
  async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const path = await browser.screenshot(`ui-${name}`).catch(() => 'no screenshot');
      throw new Error(`${name}: ${(err as Error).message} (screenshot: ${path})`);
    }
  }

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${sys.baseUrl}${path}`, { headers: { Authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  it('asks for the key, submits a dropped video, follows it to 100 % and draws the boxes where the API says', async () => {
    const { page } = browser;

    await step('key-prompt', async () => {
      await page.goto(`${sys.baseUrl}/ui/`);
      const dialog = page.locator('#key-dialog');
      await dialog.waitFor({ state: 'visible' });
      // A wrong key is refused and asked for again.
      await page.fill('#key-input', 'fw_wrong');
      await page.click('#key-submit');
      await page.locator('#key-hint', { hasText: 'refused' }).waitFor();
      await page.fill('#key-input', KEY);
      await page.click('#key-submit');
      await dialog.waitFor({ state: 'hidden' });
      await page.locator('#pipeline option[value="ocr"]').waitFor({ state: 'attached' });
      expect(await page.evaluate("sessionStorage.getItem('framewire.apiKey')")).toBe(KEY);
    });

    const jobId = await step('submit', async () => {
      await page.setInputFiles('#file-input', video);
      await page.selectOption('#pipeline', 'ocr');
      await page.fill('#frame-stride', '5');
      await page.uncheck('#reuse'); // the form sends reuse=false (checked below on the job)
      await page.click('#submit');
      await page.waitForURL(/\/ui\/jobs\/[0-9a-f-]{36}$/);
      return /\/ui\/jobs\/([0-9a-f-]{36})$/.exec(page.url())![1];
    });

    await step('progress', async () => {
      await page.locator('#job-progress [data-percent="100"]').waitFor({ timeout: 90_000 });
      await page.locator('#job-head [data-status="completed"]').waitFor({ timeout: 30_000 });
      const job = await api<{ status: string; params: { reuse: boolean }; progress: { frames_done: number; frames_total: number } }>(
        `/v1/jobs/${jobId}`,
      );
      expect(job.status).toBe('completed');
      expect(job.params.reuse).toBe(false);
      await page.locator('#job-progress', { hasText: `${job.progress.frames_total}/${job.progress.frames_total} frames` }).waitFor();
      await page.locator('#metrics td', { hasText: /\d/ }).first().waitFor();
      await page.locator('#metrics', { hasText: 'frames reused' }).waitFor();
    });

    await step('frame-viewer', async () => {
      const results = await api<{ items: { frame_index: number; result: Record<string, { lines?: Box[] }> }[] }>(
        `/v1/jobs/${jobId}/results?limit=500`,
      );
      expect(results.items.length).toBe(4);
      const at = results.items.findIndex((r) => (r.result.read?.lines ?? []).length > 0);
      expect(at).toBeGreaterThanOrEqual(0);
      const target = results.items[at];
      const lines = target.result.read!.lines!;

      // Step there with the keyboard, and one back and forth with the buttons.
      await page.locator('#frame-caption', { hasText: `1 / ${results.items.length}` }).waitFor();
      for (let i = 0; i < at; i++) await page.keyboard.press('ArrowRight');
      if (at > 0) {
        await page.click('#frame-prev');
        await page.click('#frame-next');
      }
      // The sampled frame itself (GET /v1/jobs/{id}/frames/{i}), decoded, under the boxes.
      await page.locator(`#frame-stage [data-frame-index="${target.frame_index}"] img#frame-image`).waitFor();

      const image = await page.locator('#frame-image').boundingBox();
      expect(image).not.toBeNull();
      const boxes = page.locator('#frame-stage .box');
      expect(await boxes.count()).toBe(lines.length);
      for (let i = 0; i < lines.length; i++) {
        const drawn = await boxes.nth(i).boundingBox();
        const want = lines[i].bbox_norm;
        expect(drawn).not.toBeNull();
        const near = (got: number, expected: number) => expect(Math.abs(got - expected)).toBeLessThanOrEqual(2);
        near(drawn!.x - image!.x, want.x * image!.width);
        near(drawn!.y - image!.y, want.y * image!.height);
        near(drawn!.width, want.width * image!.width);
        near(drawn!.height, want.height * image!.height);
        expect(await boxes.nth(i).getAttribute('title')).toBe(lines[i].text);
      }
      await page.locator('#detections', { hasText: lines[0].text }).waitFor();
    });

    await step('tracks', async () => {
      // The timeline shows the job's text tracks as GET /v1/jobs/{id}/tracks gives them.
      const tracks = await api<{ final: boolean; items: { track_index: number; text: string | null }[] }>(`/v1/jobs/${jobId}/tracks`);
      expect(tracks.final).toBe(true);
      expect(tracks.items).toHaveLength(1);
      expect(tracks.items[0].text).toMatch(/^FRAMEWIRE ?12$/);
      await page.locator('.timeline .track[data-track="0"] .track-text', { hasText: tracks.items[0].text! }).waitFor();
      expect(await page.locator('.timeline .track').count()).toBe(tracks.items.length);
    });

    await step('list', async () => {
      await page.click('nav a[data-nav="jobs"]');
      await page.selectOption('#status-filter', 'completed');
      await page.locator(`tr[data-job-id="${jobId}"] [data-status="completed"]`).waitFor();
      await page.selectOption('#status-filter', 'failed');
      await page.locator('#jobs', { hasText: 'No jobs yet.' }).waitFor();
      // A deep link is served index.html and routes itself.
      await page.goto(`${sys.baseUrl}/ui/workers`);
      await page.locator('[data-stage="inference"] strong', { hasText: '1' }).waitFor();
      await page.click('nav a[data-nav="dlq"]');
      await page.locator('main', { hasText: 'No dead letters.' }).waitFor();
    });
  });
});
