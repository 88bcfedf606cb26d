import { SseParser, type SseMessage } from './sse.js';

const KEY_STORAGE = 'framewire.apiKey';

/** An answer of the API that is not 2xx, with its problem details (RFC 9457) when it has them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

let keyPrompt: Promise<string> | null = null;

function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

/**
 * Ask for the API key in the page's dialog; every request that got a 401
 * meanwhile waits for the same answer. The key is kept in sessionStorage
 * (this tab, until it closes) and sent as `Authorization: Bearer <key>`.
 */
function askForKey(refused: boolean): Promise<string> {
  keyPrompt ??= new Promise<string>((resolve) => {
    const dialog = document.getElementById('key-dialog') as HTMLDialogElement;
    const form = document.getElementById('key-form') as HTMLFormElement;
    const input = document.getElementById('key-input') as HTMLInputElement;
    const hint = document.getElementById('key-hint') as HTMLElement;
    hint.textContent = refused
      ? 'That API key was refused. Enter a valid one (kept in this browser tab only).'
      : 'This Framewire requires an API key. It is kept in this browser tab only.';
    input.value = '';
    const done = (ev: Event) => {
      ev.preventDefault();
      const key = input.value.trim();
      if (key === '') return;
      form.removeEventListener('submit', done);
      sessionStorage.setItem(KEY_STORAGE, key);
      dialog.close();
      keyPrompt = null;
      resolve(key);
    };
    form.addEventListener('submit', done);
    dialog.showModal();
    input.focus();
  });
  return keyPrompt;
}

function withKey(init: RequestInit, key: string | null): RequestInit {
  const headers = new Headers(init.headers);
  if (key !== null) headers.set('Authorization', `Bearer ${key}`);
  return { ...init, headers };
}

/** fetch with the session's API key; a 401 asks for the key (once for all waiting requests) and retries. */
export async function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  let key = storedKey();
  for (;;) {
    const res = await fetch(path, withKey(init, key));
    if (res.status !== 401) return res;
    const sent = key;
    await res.body?.cancel();
    // Another request may have got a new key while this one was in flight.
    key = storedKey();
    if (key === null || key === sent) {
      if (sent !== null) sessionStorage.removeItem(KEY_STORAGE);
      key = await askForKey(sent !== null);
    }
  }
}

async function failure(res: Response): Promise<ApiError> {
  let code: string | null = null;
  let detail = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { code?: string; detail?: string; title?: string };
    code = body.code ?? null;
    detail = body.detail ?? body.title ?? detail;
  } catch {
    // Not problem+json: the status line says enough.
    detail = `${res.status} ${res.statusText}`;
  }
  return new ApiError(res.status, code, detail);
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await authorizedFetch(path, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) init.body = body instanceof FormData ? body : JSON.stringify(body);
  if (body !== undefined && !(body instanceof FormData)) init.headers = { ...init.headers, 'Content-Type': 'application/json' };
  const res = await authorizedFetch(path, init);
  if (!res.ok) throw await failure(res);
  return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
}

/** A binary resource (a frame image) as an object URL, or null when the API has none (404). */
export async function getBlobUrl(path: string): Promise<string | null> {
  const res = await authorizedFetch(path);
  if (res.status === 404) return null;
  if (!res.ok) throw await failure(res);
  return URL.createObjectURL(await res.blob());
}

/**
 * A job's events over SSE, read with fetch so the API key goes in a header
 * (EventSource sends none, and a key in the query string would land in
 * access logs). Resumes with Last-Event-ID after a dropped connection; ends
 * at the job's terminal event (the server closes, then answers 204), or when
 * `signal` aborts.
 */
export async function followEvents(path: string, onEvent: (m: SseMessage) => void, signal: AbortSignal): Promise<void> {
  let lastId: string | null = null;
  let retryMs = 2000;
  while (!signal.aborted) {
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (lastId !== null) headers['Last-Event-ID'] = lastId;
      const res = await authorizedFetch(path, { headers, signal });
      if (res.status === 204) return;
      if (!res.ok || !res.body) throw await failure(res);
      const parser = new SseParser();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const message of parser.push(value)) {
          if (message.id !== null) lastId = message.id;
          onEvent(message);
        }
      }
      retryMs = parser.retryMs ?? retryMs;
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status !== 429 && err.status < 500) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}
