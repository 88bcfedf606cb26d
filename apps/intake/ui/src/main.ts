import { clear, h, link } from './dom.js';
import { jobPage } from './job.js';
import { jobsPage } from './jobs.js';
import { dlqPage, workersPage } from './ops.js';

/**
 * The dashboard's router: /ui/ (jobs), /ui/jobs/{id}, /ui/workers, /ui/dlq.
 * Intake answers every /ui path without a file with index.html, so these are
 * real, linkable URLs. Leaving a page aborts its polls and event streams.
 */
const view = document.getElementById('view') as HTMLElement;
let current: AbortController | null = null;

function route(): void {
  current?.abort();
  current = new AbortController();
  const path = location.pathname.replace(/\/+$/, '');
  const job = /^\/ui\/jobs\/([^/]+)$/.exec(path);
  let section = 'jobs';
  if (job) {
    jobPage(view, decodeURIComponent(job[1]), current.signal);
  } else if (path === '/ui/workers') {
    section = 'workers';
    workersPage(view, current.signal);
  } else if (path === '/ui/dlq') {
    section = 'dlq';
    dlqPage(view, current.signal);
  } else if (path === '/ui' || path === '') {
    jobsPage(view, current.signal);
  } else {
    section = '';
    clear(view, h('section', { class: 'card' }, h('h2', {}, 'Not found'), link('/ui/', 'Back to the jobs')));
  }
  for (const a of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) a.classList.toggle('active', a.dataset.nav === section);
}

for (const a of document.querySelectorAll<HTMLAnchorElement>('[data-nav], a.brand')) {
  a.addEventListener('click', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    history.pushState(null, '', a.getAttribute('href'));
    route();
  });
}
window.addEventListener('popstate', route);
route();
