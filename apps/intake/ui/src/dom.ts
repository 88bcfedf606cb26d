type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** A tiny element builder: attributes (`on…` ones become listeners), then children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
}

export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** 1234 ms → "1.23 s"; null → "–". */
export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(2)} s`;
  return `${Math.floor(v / 60_000)} min ${Math.round((v % 60_000) / 1000)} s`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge status-${status}`, 'data-status': status }, status);
}

export function progressBar(fraction: number, label: string): HTMLElement {
  const pct = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  return h(
    'div',
    { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct, 'data-percent': pct },
    h('div', { class: 'bar', style: `width:${pct}%` }),
    h('span', { class: 'label' }, `${pct} % ${label}`),
  );
}

export function errorBox(err: unknown): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err));
}

/** Navigate inside the app without a reload. */
export function go(path: string): void {
  history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** A link that navigates inside the app. */
export function link(path: string, ...children: Child[]): HTMLAnchorElement {
  return h(
    'a',
    {
      href: path,
      onclick: ((ev: MouseEvent) => {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
        ev.preventDefault();
        go(path);
      }) as EventListener,
    },
    ...children,
  );
}

/** Run `fn` now and again `everyMs` after each run ends (never two at once, e.g. while the key is asked for), until `signal` aborts. */
export function poll(fn: () => Promise<void>, everyMs: number, signal: AbortSignal): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    void fn().finally(() => {
      if (!signal.aborted) timer = setTimeout(run, everyMs);
    });
  };
  signal.addEventListener('abort', () => clearTimeout(timer));
  run();
}
