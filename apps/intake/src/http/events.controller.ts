import { once } from 'node:events';
import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError } from '@framewire/contracts';
import type { ReceivedJobEvent, StartAt } from '@framewire/events';
import { JobWatchService } from '../events/watch.service';
import { ApiJobId, ApiRoute } from './api-doc';
import { EventsQueryDto } from './dtos';
import { jobEventDocSchema } from './schemas';

const HEARTBEAT_MS = 15_000;
const RETRY_MS = 2000;

/**
 * A job's events as Server-Sent Events: the stored ones first, then live,
 * until the job's terminal event. Each event's `id` is its stream sequence,
 * so a client that reconnects with `Last-Event-ID` gets exactly the events it
 * had not seen. Reconnecting after the terminal event answers 204, which
 * tells an EventSource to stop.
 */
@Controller('v1/jobs')
export class JobEventsController {
  constructor(private readonly watcher: JobWatchService) {}

  @Get(':id/events')
  @ApiRoute({
    tag: 'events',
    summary: "The job's events as Server-Sent Events",
    description:
      'Replays the stored events, then streams live ones until the terminal event (completed, failed, cancelled), then closes. ' +
      'Past FW_MAX_EVENT_STREAMS open streams: 429 with `Retry-After`. ' +
      'Each SSE has `id` = the event sequence, `event` = its type, `data` = the versioned JSON payload (schema JobEvent). ' +
      'Reconnect with `Last-Event-ID` to resume without gaps or repeats; a finished job with nothing after that id answers 204 ' +
      '(an EventSource stops there). Progress (`frames`) events are throttled at the source. Comments (`: keep-alive`) every 15 s.',
    ok: {
      200: ['text/event-stream of JobEvent', jobEventDocSchema, 'text/event-stream'],
      204: ['the job has ended and there is nothing after Last-Event-ID', null],
    },
    errors: [400, 404, 429],
  })
  @ApiJobId()
  @ApiHeader({ name: 'Last-Event-ID', description: 'resume after this event id', schema: { type: 'string', pattern: '^\\d+$' } })
  async events(
    @Param('id') id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query() query: EventsQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const from = startOf(lastEventId ?? query.last_event_id, query.from);
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    const watch = await this.watcher.watch(id, from, closed.signal);

    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache, no-transform');
      res.setHeader('Connection', 'keep-alive');
      res.setHeader('X-Accel-Buffering', 'no');
      res.flushHeaders();
      res.write(`retry: ${RETRY_MS}\n\n`);
    };
    // A running job's stream starts at once; a finished job's replay only if it has anything to replay.
    if (!watch.finished) start();
    const heartbeat = setInterval(() => {
      if (started && !res.writableEnded) res.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
    try {
      for await (const received of watch.events) {
        start();
        if (!res.write(sseFrame(received))) await Promise.race([once(res, 'drain'), once(res, 'close')]);
        if (closed.signal.aborted) break;
      }
    } catch (err) {
      if (!started) throw err;
      // Headers are out: end the stream; the client resumes with Last-Event-ID.
      res.write(`event: error\ndata: ${JSON.stringify({ detail: 'event stream interrupted; reconnect to resume' })}\n\n`);
    } finally {
      clearInterval(heartbeat);
    }
    if (!started) {
      res.status(204).end();
      return;
    }
    res.end();
  }
}

/** One SSE frame: the event's sequence as id, its type as event name, its versioned payload as data. */
export function sseFrame({ sequence, event }: ReceivedJobEvent): string {
  return `id: ${sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function startOf(lastEventId: string | undefined, from: string | undefined): StartAt {
  if (lastEventId !== undefined && lastEventId !== '') {
    if (!/^\d{1,15}$/.test(lastEventId)) {
      throw new DomainError('INVALID_ARGUMENT', 'Last-Event-ID must be the id of an event of this stream (a decimal sequence number)');
    }
    return { afterSequence: Number(lastEventId) };
  }
  if (from === undefined || from === 'start') return 'start';
  if (from === 'now') return 'now';
  throw new DomainError('INVALID_ARGUMENT', "from must be 'start' or 'now'");
}
