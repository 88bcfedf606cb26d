#!/usr/bin/env node
/**
 * framewire: the command-line client of Framewire.
 *
 *   framewire submit video.mp4 --pipeline text_regions --stride 5 --watch
 *   framewire submit video.mp4 --pipeline ocr --sample-fps 2 --start 1:00 --end 2:00
 *   framewire status <job-id>
 *   framewire results <job-id> [--json | --table]
 *   framewire watch <job-id>                  (ends with the job's text tracks)
 *   framewire export <job-id> --format webvtt -o job.vtt
 *   framewire frame <job-id> <frame-index> -o frame.jpg [--annotate]
 *   framewire cancel <job-id>
 *   framewire pipelines
 *   framewire analyze video.mp4 --pipeline text_regions --stride 5    (in-process: no broker, no database)
 *   framewire keygen --label ci
 *
 * Talks gRPC to intake (--server / FW_GRPC_ADDR, default 127.0.0.1:50051) with
 * an API key when one is given (--api-key / FW_API_KEY). Failures are one line
 * on stderr and a non-zero exit code: 1 the command or the job failed, 2 bad
 * usage, 3 the API could not be reached.
 */
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createJobServiceClient, fromProtoStatus, Job, JobEvent, unary, type JobServiceClient, type SubmitParams } from '@framewire/grpc';
import { apiKeyEntry, generateApiKey, type TextTrack } from '@framewire/contracts';
import { estimateSampledFrames } from '@framewire/media';
import {
  buildTracksForVideo,
  EXPORT_FORMATS,
  formatTracks,
  type ExportFormat,
  type SampledVideo,
  type TrackFrame,
} from '@framewire/tracks';
import type { analyzeVideo as AnalyzeVideo } from './analyze';
import { CliError, describeFailure, EXIT } from './errors';
import { followJob, type FollowState } from './follow';
import { bold, dim, formatBytes, formatMs, green, ProgressLine, red, statusColor, table, truncate, ttyOf, yellow } from './output';
import { resultRow, ResultsWriter } from './results';
import { trackFromMessage, writeTracks } from './tracks';
import { describeSampling, parseSampleFps, parseSampleMode, parseVideoTime, type SamplingOptions } from './sampling';

const stdout = ttyOf(process.stdout);
const stderr = ttyOf(process.stderr);
const DEADLINE_MS = 30_000;

interface GlobalOptions {
  server: string;
  apiKey?: string;
  tls?: boolean;
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(value);
}

function connect(g: GlobalOptions): JobServiceClient {
  return createJobServiceClient(g.server, { apiKey: g.apiKey ?? null, tls: g.tls === true });
}

const deadline = () => ({ deadline: Date.now() + DEADLINE_MS });

/** Run a command with a client that is closed afterwards. */
async function withClient<T>(g: GlobalOptions, fn: (client: JobServiceClient) => Promise<T>): Promise<T> {
  const client = connect(g);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------- submit

function uploadVideo(client: JobServiceClient, path: string, params: SubmitParams, onSent: (bytes: number) => void): Promise<Job> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const file = createReadStream(path, { highWaterMark: 256 * 1024 });
    const call = client.submitJob((err, job) => {
      settled = true;
      file.destroy();
      if (err) reject(err);
      else resolve(job);
    });
    call.write({ part: { $case: 'params', params } });
    let sent = 0;
    file.on('data', (chunk: string | Buffer) => {
      if (settled) return;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      sent += bytes.length;
      onSent(sent);
      if (!call.write({ part: { $case: 'chunk', chunk: bytes } })) {
        file.pause();
        call.once('drain', () => file.resume());
      }
    });
    file.on('end', () => call.end());
    file.on('error', (err) => {
      if (settled) return;
      settled = true;
      call.cancel();
      reject(err);
    });
  });
}

async function submit(video: string, o: SubmitOptions, g: GlobalOptions): Promise<number> {
  const info = await stat(video);
  if (!info.isFile()) throw new CliError(`not a file: ${video}`);
  return withClient(g, async (client) => {
    const upload = new ProgressLine(stderr);
    const job = await uploadVideo(
      client,
      video,
      {
        pipelineId: o.pipeline,
        frameStride: o.stride ?? 0,
        maxFrames: o.maxFrames,
        sampleFps: o.sampleFps,
        startMs: o.start,
        endMs: o.end,
        sample: o.sample,
        clientTag: o.tag,
        idempotencyKey: o.idempotencyKey,
        // --no-reuse; absent: the server's default (on).
        reuse: o.reuse === false ? false : undefined,
        filename: basename(video),
      },
      (sent) => {
        if (stderr.isTTY)
          upload.update(`uploading ${basename(video)} ${formatBytes(sent)} / ${formatBytes(info.size)}`, sent / Math.max(1, info.size));
      },
    );
    upload.done();
    if (o.json && !o.watch) stdout.write(`${JSON.stringify(Job.toJSON(job))}\n`);
    else stdout.write(`${job.jobId}\n`);
    stderr.write(
      `${dim(stderr, 'submitted')} ${basename(video)} (${formatBytes(info.size)}) → job ${bold(stderr, job.jobId)} ` +
        `${dim(stderr, `pipeline ${job.pipelineId} ${job.pipelineVersion}, ${describeSampling(job)}${job.maxFrames ? `, at most ${job.maxFrames} frames` : ''}`)}\n`,
    );
    if (!o.watch) return EXIT.ok;
    const state = await followJob(client, job.jobId, { fromStart: true, progress: stderr });
    const code = finish(job.jobId, state);
    // stdout stays the job id (scripts capture it): the tracks go with the progress, on stderr.
    if (o.tracks !== false && !o.json) await printTracks(client, job.jobId, stderr);
    return code;
  });
}

interface SubmitOptions extends SamplingOptions {
  pipeline: string;
  maxFrames?: number;
  tag?: string;
  idempotencyKey?: string;
  /** --no-reuse */
  reuse?: boolean;
  watch?: boolean;
  json?: boolean;
  /** --no-tracks */
  tracks?: boolean;
}

/** The last word on a followed job, and the exit code it earns. */
function finish(jobId: string, state: FollowState): number {
  switch (state.status) {
    case 'completed':
      stderr.write(
        `${green(stderr, '✔')} job ${jobId} completed: ${state.done} frames${state.failed ? `, ${yellow(stderr, `${state.failed} failed`)}` : ''}` +
          `${state.processingMs !== null ? ` in ${formatMs(state.processingMs)}` : ''} — framewire results ${jobId}\n`,
      );
      return EXIT.ok;
    case 'failed':
      throw new CliError(`job ${jobId} failed: ${state.error?.message ?? 'unknown error'} (${state.error?.code ?? 'INTERNAL'})`);
    case 'cancelled':
      throw new CliError(`job ${jobId} was cancelled${state.reason ? `: ${state.reason}` : ''}`);
    case 'pending':
    case 'running':
      throw new CliError(`stopped following job ${jobId} while it was ${state.status}`);
  }
}

// ---------------------------------------------------------------- status, watch, cancel

async function status(jobId: string, o: { json?: boolean }, g: GlobalOptions): Promise<number> {
  const job = await withClient(g, (client) => unary(client.getJob.bind(client), { jobId }, deadline()));
  if (o.json) {
    stdout.write(`${JSON.stringify(Job.toJSON(job))}\n`);
    return EXIT.ok;
  }
  const s = fromProtoStatus(job.status) ?? 'unknown';
  const v = job.video;
  const seen = job.framesDone + job.framesFailed;
  const rows: Array<[string, string]> = [
    ['job', job.jobId],
    ['status', `${statusColor(stdout, s)}${s === 'running' || s === 'pending' ? ` ${Math.floor(job.progress * 100)}%` : ''}`],
    ['pipeline', `${job.pipelineId} ${job.pipelineVersion}`],
    [
      'frames',
      `${seen}/${job.framesTotal ?? '?'} (${job.framesFailed} failed${job.metrics?.framesReused ? `, ${job.metrics.framesReused} reused` : ''}), ${describeSampling(job)}${job.maxFrames ? `, at most ${job.maxFrames}` : ''}`,
    ],
    [
      'video',
      v
        ? `${v.width}×${v.height} ${v.codec}${v.fps ? ` ${v.fps.toFixed(2)} fps` : ''}${v.durationMs ? `, ${formatMs(v.durationMs)}` : ''}`
        : '-',
    ],
    ['input', `${formatBytes(job.inputSize)} sha256 ${job.inputSha256.slice(0, 12)}…`],
    ['created', job.createdAt?.toISOString() ?? '-'],
    [
      'took',
      job.startedAt && job.finishedAt
        ? `${formatMs(job.finishedAt.getTime() - job.startedAt.getTime())} (queued ${formatMs(job.startedAt.getTime() - (job.createdAt?.getTime() ?? 0))})`
        : '-',
    ],
  ];
  if (job.clientTag) rows.push(['tag', job.clientTag]);
  if (job.errorCode) rows.push(['error', red(stdout, `${job.errorMessage ?? ''} (${job.errorCode})`)]);
  for (const [k, val] of rows) stdout.write(`${dim(stdout, k.padEnd(9))}${val}\n`);
  return EXIT.ok;
}

async function watch(jobId: string, o: { json?: boolean; live?: boolean; tracks?: boolean }, g: GlobalOptions): Promise<number> {
  return withClient(g, async (client) => {
    const state = await followJob(client, jobId, {
      fromStart: !o.live,
      progress: o.json && !stderr.isTTY ? null : stderr,
      ...(o.json ? { onEvent: (ev: JobEvent) => stdout.write(`${JSON.stringify({ sequence: ev.sequence, event: ev.payload })}\n`) } : {}),
    });
    const code = finish(jobId, state);
    if (o.tracks !== false && !o.json) await printTracks(client, jobId, stdout);
    return code;
  });
}

async function cancel(jobId: string, o: { reason?: string }, g: GlobalOptions): Promise<number> {
  const job = await withClient(g, (client) => unary(client.cancelJob.bind(client), { jobId, reason: o.reason }, deadline()));
  // The answer is the job as the status projection recorded the cancel: `cancelled`, or how it ended if it ended first.
  const status = fromProtoStatus(job.status);
  const outcome =
    status === 'cancelled' ? 'cancelled' : status === 'pending' || status === 'running' ? 'cancel requested' : `already ${status}`;
  stderr.write(
    `${yellow(stderr, '■')} job ${job.jobId} ${outcome} (${job.framesDone + job.framesFailed}/${job.framesTotal ?? '?'} frames were done)\n`,
  );
  return EXIT.ok;
}

// ---------------------------------------------------------------- results

async function results(jobId: string, o: { json?: boolean; table?: boolean; pageSize: number }, g: GlobalOptions): Promise<number> {
  if (o.json && o.table) throw new CliError('choose one of --json and --table', EXIT.usage);
  return withClient(g, async (client) => {
    const out = new ResultsWriter(o.json ? 'json' : 'table', stdout);
    let cursor = '';
    let jobStatus = '';
    let complete = false;
    try {
      do {
        const page = await unary(client.listResults.bind(client), { jobId, limit: o.pageSize, cursor }, deadline());
        jobStatus = fromProtoStatus(page.status) ?? '';
        for (const r of page.results) out.add(resultRow(r));
        cursor = page.nextCursor;
      } while (cursor !== '');
      complete = true;
    } finally {
      const n = out.end(complete);
      if (complete && jobStatus !== 'completed') stderr.write(`${dim(stderr, `job is ${jobStatus}: ${n} frame results so far`)}\n`);
    }
    return EXIT.ok;
  });
}

// ---------------------------------------------------------------- tracks, export

/** Every text track of a job (all pages of ListTracks), and whether they are final. */
async function allTracks(client: JobServiceClient, jobId: string): Promise<{ tracks: TextTrack[]; final: boolean; status: string }> {
  const tracks: TextTrack[] = [];
  let cursor = '';
  let final = false;
  let status = '';
  do {
    const page = await unary(client.listTracks.bind(client), { jobId, limit: 1000, cursor }, deadline());
    tracks.push(...page.tracks.map(trackFromMessage));
    final = page.final;
    status = fromProtoStatus(page.status) ?? '';
    cursor = page.nextCursor;
  } while (cursor !== '');
  return { tracks, final, status };
}

async function printTracks(client: JobServiceClient, jobId: string, out: typeof stdout): Promise<void> {
  const { tracks, final } = await allTracks(client, jobId);
  writeTracks(tracks, out, { final });
}

async function exportTracks(jobId: string, o: { format: ExportFormat; output?: string }, g: GlobalOptions): Promise<number> {
  const { tracks, final, status: jobStatus } = await withClient(g, (client) => allTracks(client, jobId));
  // The same bytes as GET /v1/jobs/{id}/export?format=… (one formatter, libs/tracks).
  const body = formatTracks(tracks, o.format, { jobId, final });
  if (o.output && o.output !== '-') await writeFile(o.output, body);
  else stdout.write(body);
  if (!final) stderr.write(`${dim(stderr, `job is ${jobStatus}: the tracks of the frames done so far`)}\n`);
  if (o.output && o.output !== '-') stderr.write(`${dim(stderr, `${tracks.length} tracks → ${o.output}`)}\n`);
  return EXIT.ok;
}

// ---------------------------------------------------------------- frame

function frameIndex(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('must be a frame index (a non-negative integer)');
  return Number(value);
}

async function frame(jobId: string, index: number, o: { output?: string; annotate?: boolean }, g: GlobalOptions): Promise<number> {
  const toStdout = o.output === undefined || o.output === '-';
  if (toStdout && process.stdout.isTTY)
    throw new CliError('a JPEG is not for the terminal: give -o <file> (or redirect stdout)', EXIT.usage);
  const image = await withClient(g, (client) =>
    unary(client.getFrame.bind(client), { jobId, frameIndex: index, annotate: o.annotate === true }, deadline()),
  );
  if (toStdout) await new Promise<void>((done, fail) => process.stdout.write(image.jpeg, (err) => (err ? fail(err) : done())));
  else await writeFile(o.output!, image.jpeg);
  stderr.write(
    `${dim(stderr, 'frame')} ${index} of job ${jobId}${o.annotate ? ' (annotated)' : ''}: ${image.width}×${image.height}, ` +
      `${formatBytes(image.jpeg.length)}${toStdout ? '' : ` → ${o.output}`}\n`,
  );
  return EXIT.ok;
}

// ---------------------------------------------------------------- pipelines

async function pipelines(o: { json?: boolean }, g: GlobalOptions): Promise<number> {
  const res = await withClient(g, (client) => unary(client.listPipelines.bind(client), {}, deadline()));
  if (o.json) {
    stdout.write(`${JSON.stringify(res.pipelines)}\n`);
    return EXIT.ok;
  }
  stdout.write(
    table(
      ['id', 'version', 'nodes', 'description'],
      res.pipelines.map((p) => [
        bold(stdout, p.id),
        p.version,
        p.nodes.map((n) => `${n.plugin}/${n.tool}`).join(' → '),
        truncate(p.description, 70),
      ]),
      stdout,
    ),
  );
  return EXIT.ok;
}

// ---------------------------------------------------------------- analyze

async function analyze(video: string, o: AnalyzeCliOptions): Promise<number> {
  if (o.json && o.table) throw new CliError('choose one of --json and --table', EXIT.usage);
  const out = new ResultsWriter(o.json ? 'json' : 'table', stdout);
  const line = new ProgressLine(stderr);
  const t0 = performance.now();
  let expected: number | null = null;
  let modelsMs = 0;
  let frames = 0;
  let failed = 0;
  let firstFrameAt = 0;
  let complete = false;
  let probed: SampledVideo['video'] = null;
  const sampled: TrackFrame[] = [];
  // Loaded here: ONNX Runtime and sharp cost the other commands start-up time they do not need.
  const { analyzeVideo } = (await import('./analyze.js')) as { analyzeVideo: typeof AnalyzeVideo };
  try {
    for await (const r of analyzeVideo(video, {
      pipeline: o.pipeline,
      stride: o.stride,
      maxFrames: o.maxFrames,
      sampleFps: o.sampleFps,
      startMs: o.start,
      endMs: o.end,
      sample: o.sample,
      onVideo: (v, keyframeCount) => {
        probed = v;
        const sampling = {
          frameStride: o.stride ?? 1,
          maxFrames: null,
          sampleFps: o.sampleFps,
          startMs: o.start,
          endMs: o.end,
          sample: o.sample,
          keyframeCount,
        };
        const count = estimateSampledFrames(v, sampling);
        if (count !== null) expected = o.maxFrames ? Math.min(count, o.maxFrames) : count;
        line.update(`loading ${o.pipeline} models · ${v.width}×${v.height} ${v.codec}`, null, 'loading', true);
      },
      onModelsLoaded: (ms) => {
        modelsMs = ms;
        firstFrameAt = performance.now();
      },
    })) {
      out.add(r);
      sampled.push({ frame_index: r.frame_index, pts_ms: r.pts_ms, result: r.result });
      frames++;
      if (r.error) failed++;
      const rate = (frames * 1000) / Math.max(1, performance.now() - firstFrameAt);
      line.update(
        `analyzing ${frames}/${expected ?? '?'} frames · ${rate.toFixed(1)} fps${failed ? ` · ${failed} failed` : ''}`,
        expected ? frames / expected : null,
        'analyzing',
      );
    }
    complete = true;
  } finally {
    line.done();
    out.end(complete);
  }
  const total = performance.now() - t0;
  const work = performance.now() - firstFrameAt;
  stderr.write(
    `${green(stderr, '✔')} analyzed ${frames} frames of ${basename(video)} in ${formatMs(total)} ` +
      `(${((frames * 1000) / Math.max(1, work)).toFixed(1)} frames/s after ${formatMs(modelsMs)} loading models${failed ? `; ${failed} failed` : ''})\n`,
  );
  if (o.tracks !== false && !o.json) {
    // The status service's builder over the same frames: the tracks a job over this video would have.
    const tracks = buildTracksForVideo(sampled, { video: probed, frameStride: o.stride ?? 1, sampleFps: o.sampleFps });
    stdout.write('\n');
    writeTracks(tracks, stdout, { final: true });
  }
  return EXIT.ok;
}

interface AnalyzeCliOptions extends SamplingOptions {
  pipeline: string;
  maxFrames?: number;
  json?: boolean;
  table?: boolean;
  /** false with --no-tracks. */
  tracks?: boolean;
}

/** --stride, --sample-fps, --start and --end, as submit and analyze both take them. */
function samplingOptions(cmd: Command): Command {
  return cmd
    .option('--stride <n>', 'keep every n-th frame', positiveInt)
    .option('--sample-fps <fps>', 'sample by time: n frames per second of video (e.g. 2 or 0.5; not with --stride)', parseSampleFps)
    .option('--start <time>', 'analyse from this video time on: 90 or 90s, 1500ms, 1:30, 1:02:03.5', parseVideoTime)
    .option('--end <time>', 'analyse up to this video time (exclusive), same forms as --start', parseVideoTime)
    .option(
      '--sample <mode>',
      'keyframes: decode and analyse only the keyframes, a fast preview of a long video (not with --stride or --sample-fps); frames: every frame (the default)',
      parseSampleMode,
    );
}

// ---------------------------------------------------------------- program

function program(): Command {
  const p = new Command()
    .name('framewire')
    .description('Submit videos to Framewire, follow jobs, read their results, or analyse a video locally.')
    .version('0.1.0')
    .addOption(new Option('-s, --server <host:port>', 'gRPC address of the Framewire API').env('FW_GRPC_ADDR').default('127.0.0.1:50051'))
    .addOption(new Option('-k, --api-key <key>', 'API key (when the server requires one)').env('FW_API_KEY'))
    .option('--tls', 'connect with TLS (system roots)')
    .showHelpAfterError('(run framewire --help for usage)')
    .configureOutput({ outputError: (str, write) => write(`framewire: ${str.replace(/^error: /, '')}`) })
    .exitOverride();

  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) => {
      process.exitCode = await fn(...args);
    };
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

  samplingOptions(
    p
      .command('submit')
      .description('upload a video and create a job (prints the job id)')
      .argument('<video>', 'the video file')
      .addOption(
        new Option('-p, --pipeline <id>', 'pipeline to run (see `framewire pipelines`)').env('FW_PIPELINE').default('text_regions'),
      ),
  )
    .option('--max-frames <n>', 'stop after n sampled frames', positiveInt)
    .option('--tag <tag>', 'a client tag stored with the job')
    .option('--idempotency-key <key>', 'retrying with the same key returns the same job')
    .option('--no-reuse', 'run the models on every sampled frame (no temporal reuse of an identical-looking earlier frame)')
    .option('-w, --watch', 'follow the job to its end with a progress bar, then print its text tracks (on stderr)')
    .option('--no-tracks', 'with --watch: do not print the text tracks at the end')
    .option('--json', 'print the created job as JSON instead of its id')
    .action(run((video: string, o: SubmitOptions, cmd: Command) => submit(video, o, globals(cmd))));

  p.command('status')
    .description("a job's status, progress, video and timings")
    .argument('<job-id>')
    .option('--json', 'the job as JSON')
    .action(run((id: string, o: { json?: boolean }, cmd: Command) => status(id, o, globals(cmd))));

  p.command('results')
    .description("a job's per-frame results (all pages)")
    .argument('<job-id>')
    .option('--json', 'a JSON array of {frame_index, pts_ms, result, error, timings_ms, geometry}')
    .option('--table', 'a table, one frame per line (the default)')
    .option('--page-size <n>', 'results fetched per request', positiveInt, 500)
    .action(run((id: string, o: { json?: boolean; table?: boolean; pageSize: number }, cmd: Command) => results(id, o, globals(cmd))));

  p.command('watch')
    .description("follow a job's events to its end with a progress bar, then print its text tracks")
    .argument('<job-id>')
    .option('--live', 'only what happens from now on (default: replay from the start)')
    .option('--json', 'print each event as a JSON line {sequence, event} (and no tracks)')
    .option('--no-tracks', 'do not print the text tracks at the end')
    .action(run((id: string, o: { json?: boolean; live?: boolean; tracks?: boolean }, cmd: Command) => watch(id, o, globals(cmd))));

  p.command('export')
    .description("a job's text tracks as subtitles (WebVTT, SRT), CSV or JSON; while it runs, those of the frames done so far")
    .argument('<job-id>')
    .addOption(new Option('-f, --format <format>', 'file format').choices(EXPORT_FORMATS).default('webvtt'))
    .option('-o, --output <file>', 'write to this file (default: stdout)')
    .action(run((id: string, o: { format: ExportFormat; output?: string }, cmd: Command) => exportTracks(id, o, globals(cmd))));

  p.command('cancel')
    .description('cancel a pending or running job')
    .argument('<job-id>')
    .option('--reason <text>', 'why (kept with the cancelled event)')
    .action(run((id: string, o: { reason?: string }, cmd: Command) => cancel(id, o, globals(cmd))));

  p.command('frame')
    .description("a sampled frame of a job as JPEG, optionally with its result's boxes and text drawn over it")
    .argument('<job-id>')
    .argument('<frame-index>', 'the frame_index of its result', frameIndex)
    .option('-o, --output <file>', 'write the JPEG here (default: stdout, when it is not a terminal)')
    .option('-a, --annotate', "draw the frame result's boxes and read text over it")
    .action(
      run((id: string, index: number, o: { output?: string; annotate?: boolean }, cmd: Command) => frame(id, index, o, globals(cmd))),
    );

  p.command('pipelines')
    .description('the pipelines the server offers')
    .option('--json', 'as JSON')
    .action(run((o: { json?: boolean }, cmd: Command) => pipelines(o, globals(cmd))));

  samplingOptions(
    p
      .command('analyze')
      .description('run a pipeline on a video in this process (no server, broker or database): the baseline a job is measured against')
      .argument('<video>', 'the video file')
      .addOption(new Option('-p, --pipeline <id>', 'pipeline to run').env('FW_PIPELINE').default('text_regions')),
  )
    .option('--max-frames <n>', 'stop after n sampled frames', positiveInt)
    .option('--json', 'a JSON array of {frame_index, pts_ms, result, error, timings_ms, geometry}, as `results --json` prints')
    .option('--table', 'a table, one frame per line (the default), then the text tracks')
    .option('--no-tracks', 'do not print the text tracks after the table')
    .action(run((video: string, o: AnalyzeCliOptions) => analyze(video, o)));

  p.command('keygen')
    .description('create an API key and the FW_API_KEYS entry (its hash) that lets it in')
    .option('--label <label>', 'names the key in server logs', 'default')
    .action(
      run(async (o: { label: string }) => {
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(o.label)) throw new CliError('--label must be 1-64 of [A-Za-z0-9._-]', EXIT.usage);
        const key = generateApiKey();
        stdout.write(`${key}\n`);
        stderr.write(
          `${dim(stderr, 'the key above is shown once: give it to the client (FW_API_KEY or --api-key).')}\n` +
            `${dim(stderr, 'add this entry to the server’s FW_API_KEYS (comma-separated):')}\n${apiKeyEntry(o.label, key)}\n`,
        );
        return EXIT.ok;
      }),
    );
  return p;
}

async function main(argv: string[]): Promise<void> {
  // A closed pipe (`framewire results … | head`) is the reader saying "enough", not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
    throw err;
  });
  const p = program();
  try {
    await p.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    const { line, exitCode } = describeFailure(err, p.opts<GlobalOptions>().server);
    stderr.write(`${red(stderr, 'framewire:')} ${line}\n`);
    process.exitCode = exitCode;
  }
}

void main(process.argv);
