/**
 * The README's dashboard screenshots, from a real run: the whole system as
 * processes (test/support/system.ts), samples/demo.mp4 analysed with the
 * ocr and text_regions pipelines, headless chromium on /ui. Writes
 * docs/images/dashboard-*.png.
 *
 *   npm run screenshots
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launchBrowser } from './support/browser';
import { eventually, startSystem } from './support/system';

const OUT = join(__dirname, '..', 'docs', 'images');
const DEMO = join(__dirname, '..', 'samples', 'demo.mp4');

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const sys = await startSystem();
  const browser = await launchBrowser({ width: 1280, height: 820 });
  try {
    const video = await readFile(DEMO);
    const submit = async (pipeline: string, stride: number, tag: string) => {
      const form = new FormData();
      form.append('pipeline_id', pipeline);
      form.append('frame_stride', String(stride));
      form.append('client_tag', tag);
      form.append('file', new Blob([video]), 'demo.mp4');
      const res = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form });
      if (res.status !== 202) throw new Error(`submit: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { job_id: string }).job_id;
    };
    const regions = await submit('text_regions', 10, 'regions');
    const ocr = await submit('ocr', 6, 'demo');
    for (const id of [regions, ocr]) {
      await eventually(
        async () => ((await (await fetch(`${sys.baseUrl}/v1/jobs/${id}`)).json()) as { status: string }).status === 'completed',
        120_000,
        `job ${id} completed`,
      );
    }
    // One more, running while the list is taken.
    await submit('ocr', 1, 'live');

    const { page } = browser;
    await page.goto(`${sys.baseUrl}/ui/`);
    await page.locator(`tr[data-job-id="${ocr}"] [data-status="completed"]`).waitFor();
    await page.setInputFiles('#file-input', DEMO);
    await page.screenshot({ path: join(OUT, 'dashboard-jobs.png') });

    // The job page on the first frame with text read, its boxes drawn over the frame.
    const results = (await (await fetch(`${sys.baseUrl}/v1/jobs/${ocr}/results?limit=500`)).json()) as {
      items: { frame_index: number; result: { read?: { lines: unknown[] } } }[];
    };
    const at = Math.max(
      0,
      results.items.findIndex((r) => (r.result.read?.lines.length ?? 0) > 1),
    );
    await page.goto(`${sys.baseUrl}/ui/jobs/${ocr}`);
    await page.locator('#frame-caption', { hasText: ` / ${results.items.length}` }).waitFor();
    for (let i = 0; i < at; i++) await page.keyboard.press('ArrowRight');
    await page.locator(`#frame-stage [data-frame-index="${results.items[at].frame_index}"] img`).waitFor();
    await page.screenshot({ path: join(OUT, 'dashboard-job.png'), fullPage: true });

    await page.goto(`${sys.baseUrl}/ui/workers`);
    await page.locator('[data-stage="inference"] strong').waitFor();
    await page.screenshot({ path: join(OUT, 'dashboard-workers.png') });
    console.log(`screenshots in ${OUT}`);
  } finally {
    await browser.close();
    await sys.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
