import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { WebhookTarget } from './target';

export interface WebhookResponse {
  status: number;
  durationMs: number;
}

/** Bytes of a response body read (and dropped) before the connection is closed. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POST `body` to the target's URL, connecting to its resolved address only
 * (the Host header and TLS server name stay the URL's host). No redirects are
 * followed. Resolves with the status of any response; rejects on a connection
 * error or when `timeoutMs` passes before the response has been read.
 */
export function postWebhook(
  target: WebhookTarget,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<WebhookResponse> {
  const t0 = performance.now();
  const pinned = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as unknown as LookupFunction;
  const request = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<WebhookResponse>((resolve, reject) => {
    const req = request(target.url, {
      method: 'POST',
      lookup: pinned,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
    });
    const timer = setTimeout(() => req.destroy(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.once('response', (res: IncomingMessage) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) res.destroy();
      });
      const done = () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, durationMs: Math.round(performance.now() - t0) });
      };
      res.once('end', done);
      res.once('close', done);
      res.once('error', done);
    });
    req.end(body);
  });
}
