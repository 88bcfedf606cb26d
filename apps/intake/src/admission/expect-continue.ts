import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { AdmissionService } from './admission.service';

/** The routes that take an upload and go through admission control. */
const SUBMIT_PATHS: ReadonlySet<string> = new Set(['/v1/jobs', '/v1/video/submit']);

/**
 * `Expect: 100-continue` on a submit route: when admission control would
 * refuse the job, intake does not ask for the body; the request goes on to
 * its route, which answers 429 before reading anything, so a client that
 * waits for 100 Continue (curl does for large uploads) never sends its video.
 * Everything else is told to continue at once, as Node does by default.
 */
export function installExpectContinue(app: INestApplication): void {
  const admission = app.get(AdmissionService);
  const server = app.getHttpServer() as Server;
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!(req.method === 'POST' && SUBMIT_PATHS.has(pathOf(req.url)) && admission.refusal() !== null)) res.writeContinue();
    server.emit('request', req, res);
  });
}

function pathOf(url: string | undefined): string {
  const path = (url ?? '').split('?')[0] ?? '';
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
