import { getJson, sendJson } from './api.js';
import { bytes, clear, errorBox, h, link, poll, when } from './dom.js';
import type { DeadLetter, Page, WorkerList } from './types.js';

const WORKERS_POLL_MS = 3000;

/** Live replicas per stage, refreshed every 3 s. */
export function workersPage(view: HTMLElement, signal: AbortSignal): void {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  clear(view, h('section', { class: 'card' }, h('h2', {}, 'Workers'), body));
  const refresh = async () => {
    try {
      const list = await getJson<WorkerList>('/v1/workers');
      if (signal.aborted) return;
      clear(
        body,
        h(
          'div',
          { class: 'stages' },
          ...Object.entries(list.stages).map(([stage, n]) =>
            h('div', { class: `stage-count${n === 0 ? ' none' : ''}`, 'data-stage': stage }, h('strong', {}, n), h('span', {}, stage)),
          ),
        ),
        h(
          'table',
          { class: 'workers' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['stage', 'worker', 'host / pid', 'up', 'jobs', 'frames', 'failed', 'redelivered', 'in flight', 'decoder'].map((t) =>
                h('th', {}, t),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            ...list.items.map((w) =>
              h(
                'tr',
                { 'data-worker': w.worker_id },
                h('td', {}, w.stage),
                h('td', { class: 'mono' }, w.worker_id),
                h('td', {}, `${w.host} / ${w.pid}`),
                h('td', {}, `${Math.round(w.uptime_s)} s`),
                h('td', {}, w.jobs_processed),
                h('td', {}, w.frames_processed),
                h('td', {}, w.frames_failed),
                h('td', {}, w.redeliveries),
                h('td', {}, w.in_flight),
                h('td', {}, w.decoder ? `${w.decoder.source} ${w.decoder.version}` : ''),
              ),
            ),
          ),
        ),
        h('p', { class: 'muted' }, `A replica silent for ${list.ttl_ms / 1000} s is not listed.`),
      );
    } catch (err) {
      if (!signal.aborted) clear(body, errorBox(err));
    }
  };
  poll(refresh, WORKERS_POLL_MS, signal);
}

/** Dead letters with their reasons, a page at a time; each can be put back on its work subject. */
export function dlqPage(view: HTMLElement, signal: AbortSignal): void {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  clear(view, h('section', { class: 'card' }, h('h2', {}, 'Dead letters'), body));
  const cursors: (string | null)[] = [null];

  const load = async (cursor: string | null) => {
    try {
      const page = await getJson<Page<DeadLetter>>(`/v1/dlq?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (signal.aborted) return;
      const more = page.next_cursor;
      clear(
        body,
        page.items.length === 0
          ? h('p', { class: 'muted' }, 'No dead letters.')
          : h(
              'table',
              { class: 'dlq' },
              h(
                'thead',
                {},
                h('tr', {}, ...['seq', 'kind', 'job', 'reason', 'deliveries', 'dead at', 'body', ''].map((t) => h('th', {}, t))),
              ),
              h('tbody', {}, ...page.items.map((d) => row(d))),
            ),
        more
          ? h(
              'button',
              {
                class: 'secondary',
                onclick: (() => {
                  cursors.push(more);
                  void load(more);
                }) as EventListener,
              },
              'Older',
            )
          : null,
      );
    } catch (err) {
      if (!signal.aborted) clear(body, errorBox(err));
    }
  };

  const row = (d: DeadLetter) => {
    const action = h('td', {});
    const replay = h(
      'button',
      {
        'data-replay': d.seq,
        onclick: (() => {
          replay.disabled = true;
          sendJson<unknown>('POST', `/v1/dlq/${d.seq}/replay`)
            .then(() => clear(action, h('span', { class: 'ok' }, 'replayed')))
            .catch((err: unknown) => {
              replay.disabled = false;
              action.append(errorBox(err));
            });
        }) as EventListener,
      },
      'Replay',
    );
    action.append(replay);
    return h(
      'tr',
      { 'data-seq': d.seq },
      h('td', {}, d.seq),
      h('td', {}, d.kind),
      h('td', { class: 'mono' }, d.job_id ? link(`/ui/jobs/${d.job_id}`, d.job_id.slice(0, 8)) : '–'),
      h('td', { class: 'reason' }, d.reason),
      h('td', {}, d.deliveries),
      h('td', {}, when(d.dead_at)),
      h('td', {}, bytes(d.body.bytes)),
      action,
    );
  };
  void load(null);
}
