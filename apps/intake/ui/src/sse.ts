/** One Server-Sent Event as the wire carries it. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * An incremental parser of `text/event-stream` (the WHATWG rules the
 * dashboard needs: `id`, `event`, `data` over several lines, comments,
 * `retry`, CRLF or LF). EventSource cannot send an Authorization header, so
 * the dashboard reads the stream with fetch and feeds the chunks here.
 */
export class SseParser {
  private buffer = '';
  private id: string | null = null;
  private event = '';
  private data: string[] = [];
  /** The last `retry:` the server asked for, in ms. */
  retryMs: number | null = null;

  /** Feed decoded text; returns the events completed by it. */
  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const nl = this.buffer.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl);
      const eolLength = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      // A lone CR at the very end may be the first half of a CRLF still to come.
      if (this.buffer[nl] === '\r' && eolLength === 1 && nl === this.buffer.length - 1) break;
      this.buffer = this.buffer.slice(nl + eolLength);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return null;
      }
      const message = { id: this.id, event: this.event || 'message', data: this.data.join('\n') };
      this.event = '';
      this.data = [];
      return message;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
    return null;
  }
}
