/**
 * A minimal Server-Sent Events client for tests (what an EventSource does):
 * parses `id`, `event`, `data` and `retry` fields, ignores comments, and can
 * stop after n events (closing the connection, like a dropped client).
 */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

export interface SseResult {
  status: number;
  contentType: string | null;
  events: SseEvent[];
  retry: number | null;
  /** True when the server ended the stream (false when we stopped reading). */
  ended: boolean;
}

export async function readSse(
  url: string,
  opts: { lastEventId?: string; headers?: Record<string, string>; stopAfter?: number; timeoutMs?: number } = {},
): Promise<SseResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? 120_000);
  try {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers };
    if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
    const res = await fetch(url, { headers, signal: controller.signal });
    const out: SseResult = { status: res.status, contentType: res.headers.get('content-type'), events: [], retry: null, ended: false };
    if (!res.body) return out;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let current: { id: string | null; event: string; data: string[] } = { id: null, event: 'message', data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        out.ended = true;
        return out;
      }
      buffer += value;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          if (current.data.length > 0) {
            out.events.push({ id: current.id, event: current.event, data: current.data.join('\n') });
            if (opts.stopAfter !== undefined && out.events.length >= opts.stopAfter) {
              await reader.cancel();
              controller.abort();
              return out;
            }
          }
          current = { id: null, event: 'message', data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') current.id = val;
        else if (field === 'event') current.event = val;
        else if (field === 'data') current.data.push(val);
        else if (field === 'retry') out.retry = Number(val);
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
