import { getJson, sendJson } from './api.js';
import { bytes, clear, errorBox, go, h, link, poll, progressBar, statusBadge, when } from './dom.js';
import { JOB_STATUSES, type Job, type Page, type Pipeline } from './types.js';

const POLL_MS = 2000;

/** The jobs page: submit a video (drag and drop), and the jobs, newest first, refreshed every 2 s, filtered by status. */
export function jobsPage(view: HTMLElement, signal: AbortSignal): void {
  const params = new URLSearchParams(location.search);
  const status = params.get('status') ?? '';
  const list = h('div', { id: 'jobs' }, h('p', { class: 'muted' }, 'Loading…'));
  const filter = h(
    'select',
    {
      id: 'status-filter',
      'aria-label': 'status',
      onchange: ((ev: Event) => {
        const value = (ev.target as HTMLSelectElement).value;
        go(value ? `/ui/?status=${value}` : '/ui/');
      }) as EventListener,
    },
    h('option', { value: '' }, 'all statuses'),
    ...JOB_STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)),
  );
  clear(view, submitPanel(signal), h('section', {}, h('div', { class: 'row' }, h('h2', {}, 'Jobs'), filter), list));

  const refresh = async () => {
    try {
      const page = await getJson<Page<Job>>(`/v1/jobs?limit=50${status ? `&status=${status}` : ''}`);
      if (signal.aborted) return;
      clear(list, page.items.length === 0 ? h('p', { class: 'muted' }, 'No jobs yet.') : jobsTable(page.items));
    } catch (err) {
      if (!signal.aborted) clear(list, errorBox(err));
    }
  };
  poll(refresh, POLL_MS, signal);
}

function jobsTable(jobs: Job[]): HTMLElement {
  return h(
    'table',
    { class: 'jobs' },
    h('thead', {}, h('tr', {}, ...['job', 'status', 'progress', 'pipeline', 'video', 'created'].map((t) => h('th', {}, t)))),
    h(
      'tbody',
      {},
      ...jobs.map((job) =>
        h(
          'tr',
          { 'data-job-id': job.job_id },
          h('td', { class: 'mono' }, link(`/ui/jobs/${job.job_id}`, job.job_id.slice(0, 8)), job.client_tag ? ` ${job.client_tag}` : ''),
          h('td', {}, statusBadge(job.status)),
          h('td', {}, progressBar(job.progress.fraction, frames(job))),
          h('td', {}, `${job.pipeline.id} ${job.pipeline.version}`),
          h(
            'td',
            {},
            job.video ? `${job.video.width}×${job.video.height}, ${(job.video.duration_ms / 1000).toFixed(1)} s` : bytes(job.input.size),
          ),
          h('td', {}, when(job.timings.created_at as string | null)),
        ),
      ),
    ),
  );
}

export function frames(job: Job): string {
  const p = job.progress;
  return p.frames_total === null ? '' : `${p.frames_done + p.frames_failed}/${p.frames_total} frames`;
}

/** Drop a video (or pick one), choose the pipeline, stride and frame budget, submit: the job's page opens. */
function submitPanel(signal: AbortSignal): HTMLElement {
  let file: File | null = null;
  const input = h('input', { type: 'file', id: 'file-input', accept: 'video/*,.mp4,.mov,.mkv,.webm,.avi', hidden: true });
  const fileLabel = h('span', { class: 'file-name' }, 'Drop a video here, or click to choose one');
  const drop = h('label', { class: 'drop', id: 'drop-zone', for: 'file-input', tabindex: 0 }, fileLabel, input);
  const pipeline = h('select', { id: 'pipeline', name: 'pipeline_id', required: true }, h('option', { value: '' }, 'loading…'));
  const stride = h('input', { id: 'frame-stride', name: 'frame_stride', type: 'number', min: 1, value: 5, required: true });
  const maxFrames = h('input', { id: 'max-frames', name: 'max_frames', type: 'number', min: 1, placeholder: 'all' });
  // Keyframes only: a fast preview of a long video (the stride does not apply).
  const sample = h(
    'select',
    { id: 'sample', name: 'sample' },
    h('option', { value: 'frames', selected: true }, 'sampled frames'),
    h('option', { value: 'keyframes' }, 'keyframes only'),
  );
  sample.addEventListener('change', () => {
    stride.disabled = sample.value === 'keyframes';
  });
  // Temporal reuse (on by default): unchecked, every sampled frame runs the models.
  const reuse = h('input', { id: 'reuse', name: 'reuse', type: 'checkbox', checked: true });
  const submit = h('button', { type: 'submit', id: 'submit', disabled: true }, 'Submit');
  const message = h('p', { class: 'message' });

  const choose = (f: File | undefined) => {
    if (!f) return;
    file = f;
    fileLabel.textContent = `${f.name} (${bytes(f.size)})`;
    drop.classList.add('chosen');
    submit.disabled = pipeline.value === '';
  };
  input.addEventListener('change', () => choose(input.files?.[0]));
  drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    choose(ev.dataTransfer?.files[0]);
  });

  void getJson<{ items: Pipeline[] }>('/v1/pipelines')
    .then(({ items }) => {
      if (signal.aborted) return;
      // Reading text is what most come for: ocr is preselected when the server offers it.
      const preferred = items.some((p) => p.id === 'ocr') ? 'ocr' : items[0]?.id;
      clear(
        pipeline,
        ...items.map((p) =>
          h('option', { value: p.id, title: p.description ?? '', selected: p.id === preferred }, `${p.id} (${p.version})`),
        ),
      );
      submit.disabled = file === null || items.length === 0;
    })
    .catch((err: unknown) => clear(message, errorBox(err)));

  const form = h(
    'form',
    { class: 'submit', id: 'submit-form' },
    drop,
    h(
      'div',
      { class: 'fields' },
      h('label', {}, 'Pipeline ', pipeline),
      h('label', {}, 'Every n-th frame ', stride),
      h('label', {}, 'At most ', maxFrames, ' frames'),
      h('label', {}, 'Analyse ', sample),
      h('label', { title: 'a frame that looks like the last computed one takes its result' }, reuse, ' reuse unchanged frames'),
      submit,
    ),
    message,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (file === null) return;
    const body = new FormData();
    body.append('pipeline_id', pipeline.value);
    if (sample.value === 'keyframes') body.append('sample', 'keyframes');
    else body.append('frame_stride', stride.value);
    if (!reuse.checked) body.append('reuse', 'false');
    if (maxFrames.value !== '') body.append('max_frames', maxFrames.value);
    body.append('file', file, file.name);
    submit.disabled = true;
    clear(message, 'Uploading…');
    sendJson<Job>('POST', '/v1/jobs', body)
      .then((job) => go(`/ui/jobs/${job.job_id}`))
      .catch((err: unknown) => {
        clear(message, errorBox(err));
        submit.disabled = false;
      });
  });
  return h('section', { class: 'card' }, h('h2', {}, 'Analyse a video'), form);
}
