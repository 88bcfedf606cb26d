import { ApiError, followEvents, getBlobUrl, getJson, sendJson } from './api.js';
import { bytes, clear, errorBox, h, ms, progressBar, statusBadge, when } from './dom.js';
import { overlaysOf } from './geometry.js';
import { frames } from './jobs.js';
import { spanPercent, timelineLength } from './timeline.js';
import { TERMINAL, type FrameResult, type Job, type Page, type TracksPage } from './types.js';

const RESULTS_PAGE = 500;
/** The frame viewer loads at most this many results; a longer job shows its first ones. */
const MAX_FRAMES_SHOWN = 5000;

/** A job: its status and live progress (SSE), video, timings, metrics, text tracks and a frame viewer. */
export function jobPage(view: HTMLElement, id: string, signal: AbortSignal): void {
  const head = h('section', { class: 'card', id: 'job-head' }, h('p', { class: 'muted' }, 'Loading…'));
  const details = h('section', { class: 'grid' });
  const tracks = h('section', { class: 'card', id: 'tracks' }, h('h2', {}, 'Text tracks'));
  const viewer = new FrameViewer(id, signal);
  clear(view, head, details, viewer.element, tracks);

  let job: Job | null = null;
  const load = async () => {
    try {
      job = await getJson<Job>(`/v1/jobs/${encodeURIComponent(id)}`);
      const metrics = await getJson<Record<string, unknown>>(`/v1/jobs/${encodeURIComponent(id)}/metrics`);
      if (signal.aborted) return;
      renderHead(head, job, signal);
      renderDetails(details, job, metrics);
      await viewer.load(job);
      await renderTracks(tracks, job, (frame) => viewer.show(frame));
    } catch (err) {
      if (!signal.aborted) clear(head, errorBox(err));
    }
  };

  void load().then(() => {
    if (job === null || TERMINAL.has(job.status)) return;
    // Live: progress from the events; the whole page again at the end.
    void followEvents(
      `/v1/jobs/${encodeURIComponent(id)}/events`,
      (m) => {
        if (job === null) return;
        const event = JSON.parse(m.data) as { type: string; frames_done?: number; frames_failed?: number; frames_total?: number | null };
        if (event.type === 'frames' || event.type === 'extracted' || event.type === 'started' || event.type === 'extracting') {
          if (job.status === 'pending') job.status = 'running';
          if (typeof event.frames_total === 'number') job.progress.frames_total = event.frames_total;
          if (typeof event.frames_done === 'number') job.progress.frames_done = event.frames_done;
          if (typeof event.frames_failed === 'number') job.progress.frames_failed = event.frames_failed;
          const total = job.progress.frames_total;
          job.progress.fraction = total ? Math.min(1, (job.progress.frames_done + job.progress.frames_failed) / total) : 0;
          renderHead(head, job, signal);
        } else if (TERMINAL.has(event.type)) {
          void load();
        }
      },
      signal,
    ).catch((err: unknown) => {
      if (!signal.aborted) head.append(errorBox(err));
    });
  });
}

function renderHead(head: HTMLElement, job: Job, signal: AbortSignal): void {
  const cancel =
    job.status === 'pending' || job.status === 'running'
      ? h(
          'button',
          {
            class: 'secondary',
            onclick: (() => {
              sendJson('POST', `/v1/jobs/${job.job_id}/cancel`, {}).catch((err: unknown) => {
                if (!signal.aborted) head.append(errorBox(err));
              });
            }) as EventListener,
          },
          'Cancel',
        )
      : null;
  clear(
    head,
    h('div', { class: 'row' }, h('h2', { class: 'mono' }, `Job ${job.job_id}`), statusBadge(job.status), cancel),
    h('div', { id: 'job-progress' }, progressBar(job.progress.fraction, frames(job))),
    job.error ? h('p', { class: 'error' }, `${job.error.code}: ${job.error.message ?? ''}`) : null,
  );
}

function table(rows: [string, string | number | null | undefined][]): HTMLElement {
  return h(
    'table',
    { class: 'kv' },
    ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v === null || v === undefined ? '–' : String(v)))),
  );
}

function renderDetails(el: HTMLElement, job: Job, metrics: Record<string, unknown>): void {
  const v = job.video;
  const t = job.timings;
  const num = (k: string) => {
    const value = metrics[k];
    return typeof value === 'number' ? value : null;
  };
  clear(
    el,
    h(
      'div',
      { class: 'card', id: 'video' },
      h('h3', {}, 'Video'),
      table([
        ['size', v ? `${v.width}×${v.height}` : null],
        ['duration', v ? ms(v.duration_ms) : null],
        ['fps', v ? Number(v.fps.toFixed(3)) : null],
        ['codec', v?.codec],
        ['frames', v?.frame_count],
        ['file', bytes(job.input.size)],
        ['pipeline', `${job.pipeline.id} ${job.pipeline.version}`],
        [
          'sampling',
          Object.entries(job.params)
            .filter(([, value]) => value !== null)
            .map(([k, value]) => `${k}=${String(value)}`)
            .join(', '),
        ],
      ]),
    ),
    h(
      'div',
      { class: 'card', id: 'timings' },
      h('h3', {}, 'Timings'),
      table([
        ['created', when(t.created_at as string | null)],
        ['started', when(t.started_at as string | null)],
        ['extracted', when(t.extracted_at as string | null)],
        ['finished', when(t.finished_at as string | null)],
      ]),
    ),
    h(
      'div',
      { class: 'card', id: 'metrics' },
      h('h3', {}, 'Metrics'),
      table([
        ['queue', ms(num('queue_ms'))],
        ['extraction', ms(num('extraction_ms'))],
        ['inference (sum)', ms(num('inference_ms'))],
        ['per frame', ms(num('mean_frame_ms'))],
        ['processing', ms(num('processing_ms'))],
        ['end to end', ms(num('end_to_end_ms'))],
        ['frames / s', num('frames_per_second')],
        ['frames reused', num('frames_reused')],
      ]),
    ),
  );
}

/** Every page of a paged route, up to `max` items. */
async function allPages<T>(path: string, max: number): Promise<Page<T>> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: Page<T> = await getJson<Page<T>>(
      `${path}${sep}limit=${RESULTS_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor !== null && items.length < max);
  return { items: items.slice(0, max), next_cursor: cursor };
}

function spanStyle({ left, width }: { left: number; width: number }): string {
  return `left:${left}%;width:${width}%`;
}

async function renderTracks(el: HTMLElement, job: Job, onPick: (frame: number) => void): Promise<void> {
  let page: TracksPage;
  try {
    page = (await allPages(`/v1/jobs/${job.job_id}/tracks`, MAX_FRAMES_SHOWN)) as TracksPage;
  } catch (err) {
    // A server without text tracks (before GET /v1/jobs/{id}/tracks) answers 404 for the route.
    if (err instanceof ApiError && err.status === 404)
      clear(el, h('h2', {}, 'Text tracks'), h('p', { class: 'muted' }, 'This server has no text tracks.'));
    else clear(el, h('h2', {}, 'Text tracks'), errorBox(err));
    return;
  }
  const duration = timelineLength(job.video?.duration_ms, page.items);
  const rows = page.items.map((t) =>
    h(
      'div',
      { class: 'track', 'data-track': t.track_index },
      h('span', { class: 'track-text', title: t.text ?? t.kind }, t.text ?? `region ${t.track_index}`),
      h(
        'div',
        { class: 'lane' },
        h(
          'button',
          {
            class: `span kind-${t.kind}`,
            style: spanStyle(spanPercent(t, duration)),
            title: `${ms(t.start_ms)} – ${ms(t.end_ms)}, ${t.frame_count} samples, ${(t.confidence * 100).toFixed(0)} %`,
            onclick: (() => onPick(t.first_frame)) as EventListener,
          },
          '',
        ),
      ),
    ),
  );
  clear(
    el,
    h('h2', {}, 'Text tracks'),
    rows.length === 0
      ? h('p', { class: 'muted' }, TERMINAL.has(job.status) ? 'No text tracks.' : 'No text tracks yet.')
      : h('div', { class: 'timeline' }, h('div', { class: 'axis' }, h('span', {}, '0 s'), h('span', {}, ms(duration))), ...rows),
  );
}

/** The sampled frames one at a time: the image from the API with the result's boxes and text drawn over it. */
class FrameViewer {
  readonly element: HTMLElement;
  private results: FrameResult[] = [];
  private index = 0;
  private job: Job | null = null;
  private imageUrl: string | null = null;
  private readonly stage = h('div', { class: 'stage', id: 'frame-stage' });
  private readonly caption = h('div', { class: 'caption', id: 'frame-caption' });
  private readonly list = h('ol', { class: 'detections', id: 'detections' });
  private readonly prev = h('button', { id: 'frame-prev', title: 'previous frame (←)' }, '◀');
  private readonly next = h('button', { id: 'frame-next', title: 'next frame (→)' }, '▶');
  private shown = -1;

  constructor(
    private readonly jobId: string,
    signal: AbortSignal,
  ) {
    this.prev.addEventListener('click', () => this.step(-1));
    this.next.addEventListener('click', () => this.step(1));
    const keys = (ev: KeyboardEvent) => {
      if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement || ev.target instanceof HTMLTextAreaElement)
        return;
      if (ev.key === 'ArrowLeft') this.step(-1);
      else if (ev.key === 'ArrowRight') this.step(1);
      else return;
      ev.preventDefault();
    };
    document.addEventListener('keydown', keys);
    signal.addEventListener('abort', () => {
      document.removeEventListener('keydown', keys);
      if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
    });
    this.element = h(
      'section',
      { class: 'card', id: 'frames' },
      h('div', { class: 'row' }, h('h2', {}, 'Frames'), this.prev, this.caption, this.next),
      h('div', { class: 'viewer' }, this.stage, this.list),
    );
  }

  async load(job: Job): Promise<void> {
    this.job = job;
    const page = await allPages<FrameResult>(`/v1/jobs/${this.jobId}/results`, MAX_FRAMES_SHOWN);
    this.results = page.items;
    if (this.results.length === 0) {
      clear(this.caption, 'no frames yet');
      return;
    }
    this.index = Math.min(this.index, this.results.length - 1);
    this.shown = -1;
    await this.render();
  }

  /** Show the sampled frame with this frame index (or the nearest one after it). */
  show(frameIndex: number): void {
    const i = this.results.findIndex((r) => r.frame_index >= frameIndex);
    if (i < 0) return;
    this.index = i;
    void this.render();
    this.element.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  private step(delta: number): void {
    const i = this.index + delta;
    if (i < 0 || i >= this.results.length) return;
    this.index = i;
    void this.render();
  }

  private async render(): Promise<void> {
    const r = this.results[this.index];
    if (!r || !this.job || this.shown === this.index) return;
    const index = this.index;
    this.shown = index;
    this.prev.disabled = index === 0;
    this.next.disabled = index === this.results.length - 1;
    const reused = r.reused_from == null ? '' : ` · reused from frame ${r.reused_from}`;
    clear(this.caption, `frame ${r.frame_index} · ${ms(r.pts_ms)} · ${index + 1} / ${this.results.length}${reused}`);
    const video = this.job.video;
    const size = r.geometry?.source ?? (video ? { width: video.width, height: video.height } : { width: 16, height: 9 });
    const overlays = overlaysOf(r.result, r.geometry ?? null, video);

    let url: string | null = null;
    try {
      url = await getBlobUrl(`/v1/jobs/${this.jobId}/frames/${r.frame_index}`);
    } catch {
      url = null;
    }
    if (this.shown !== index) {
      if (url) URL.revokeObjectURL(url);
      return;
    }
    if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
    this.imageUrl = url;

    // The image (or, without one, a plain frame of the video's shape) sets the size; boxes are placed in % of it.
    let picture: HTMLElement | null = null;
    if (url) {
      const img = h('img', { id: 'frame-image', src: url, alt: `frame ${r.frame_index}`, draggable: 'false' });
      // Decoded before it is shown, so the frame never flashes at zero height under its boxes.
      picture = await img.decode().then(
        () => img,
        () => null,
      );
      if (this.shown !== index) return;
    }
    picture ??= h(
      'div',
      { id: 'frame-image', class: 'placeholder', style: `aspect-ratio:${size.width}/${size.height}` },
      h('span', {}, 'frame image not available'),
    );
    const boxes = overlays.map((o, i) =>
      h(
        'div',
        {
          class: `box kind-${o.kind}`,
          'data-box': i,
          'data-output': o.output,
          style: `left:${o.rect.x * 100}%;top:${o.rect.y * 100}%;width:${o.rect.width * 100}%;height:${o.rect.height * 100}%`,
          title: o.label,
        },
        o.label ? h('span', { class: 'box-label' }, o.label) : null,
      ),
    );
    clear(this.stage, h('div', { class: 'frame', 'data-frame-index': r.frame_index }, picture, h('div', { class: 'overlay' }, ...boxes)));
    clear(
      this.list,
      ...(overlays.length === 0
        ? [h('li', { class: 'muted' }, r.error ? 'this frame failed' : 'nothing found in this frame')]
        : overlays.map((o) =>
            h(
              'li',
              {},
              h('span', { class: `dot kind-${o.kind}` }),
              o.kind === 'text' ? o.label || '(unread)' : 'text region',
              o.score === null ? '' : h('span', { class: 'muted' }, ` ${(o.score * 100).toFixed(0)} %`),
            ),
          )),
    );
  }
}
