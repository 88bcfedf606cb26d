/**
 * The `framewire` CLI as a user runs it: the built bin (package.json "bin")
 * against the running system over gRPC, with an API key; and `analyze`, the
 * same pipeline in one process, giving the per-frame results the distributed
 * run stores.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { apiKeyEntry, generateApiKey } from '@framewire/contracts';
import { makeFixtureDir, makeTextFile, makeVideo, removeFixtureDir } from '../support/fixtures';
import { startSystem, type TestSystem } from '../support/system';

jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '..', '..');
/** The package's bin, as `npm install -g` / `npm link` would put it on the PATH. */
const BIN = join(ROOT, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { framewire: string } }).bin.framewire);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface Row {
  frame_index: number;
  pts_ms: number;
  result: unknown;
  error: string | null;
  timings_ms: Record<string, number>;
  geometry: unknown;
}

describe('framewire CLI', () => {
  let sys: TestSystem;
  let fixtures: string;
  let video: string;
  const key = generateApiKey();

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    video = await makeVideo({
      path: join(fixtures, 'cli.mp4'),
      width: 320,
      height: 240,
      frames: 30,
      texts: [
        { text: 'CLI 42', fromFrame: 4, toFrame: 11, x: 30, y: 60, fontSize: 40 },
        { text: 'BASELINE', fromFrame: 16, toFrame: 25, x: 60, y: 150, fontSize: 36 },
      ],
    });
    sys = await startSystem({ env: { FW_API_KEYS: apiKeyEntry('cli', key) } });
  });

  afterAll(async () => {
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  function framewire(args: string[], env: Record<string, string> = {}): Promise<Run> {
    return new Promise((done) => {
      execFile(
        BIN,
        args,
        {
          cwd: fixtures,
          env: { ...process.env, FW_GRPC_ADDR: sys.grpcAddress, FW_API_KEY: key, NO_COLOR: '1', ...env },
          maxBuffer: 64 * 1024 * 1024,
          timeout: 150_000,
        },
        (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  }

  const comparable = (rows: Row[]) =>
    rows.map(({ frame_index, pts_ms, result, error, geometry }) => ({ frame_index, pts_ms, result, error, geometry }));

  let jobId = '';

  it('submits a video and watches it to completion with a progress display', async () => {
    const run = await framewire(['submit', video, '--pipeline', 'text_regions', '--stride', '2', '--watch']);
    expect(run).toMatchObject({ code: 0 });
    jobId = run.stdout.trim();
    expect(jobId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(run.stderr).toContain(`job ${jobId}`);
    expect(run.stderr).toMatch(/running .*frames/);
    expect(run.stderr).toMatch(new RegExp(`job ${jobId} completed: 15 frames`));
  });

  it('shows status, results as JSON and as a table, and replays the events', async () => {
    const status = await framewire(['status', jobId]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/status\s+completed/);
    expect(status.stdout).toMatch(/frames\s+15\/15 \(0 failed\), stride 2/);
    const asJson = JSON.parse((await framewire(['status', jobId, '--json'])).stdout) as Record<string, unknown>;
    expect(asJson).toMatchObject({ jobId, status: 'JOB_STATUS_COMPLETED', framesDone: 15 });

    const results = await framewire(['results', jobId, '--json', '--page-size', '4']);
    expect(results.code).toBe(0);
    const rows = JSON.parse(results.stdout) as Row[];
    expect(rows.map((r) => r.frame_index)).toEqual(Array.from({ length: 15 }, (_, i) => i * 2));

    const tableRun = await framewire(['results', jobId, '--table']);
    expect(tableRun.code).toBe(0);
    expect(tableRun.stdout.split('\n')[0]).toMatch(/frame\s+pts \(ms\)\s+result/);
    expect(tableRun.stdout).toMatch(/\n\s+4\s+133\s+detect: 1 region\n/);

    const watch = await framewire(['watch', jobId, '--json']);
    expect(watch.code).toBe(0);
    const events = watch.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sequence: number; event: { type: string } });
    expect(events[0].event.type).toBe('submitted');
    expect(events.at(-1)!.event.type).toBe('completed');

    const pipelines = await framewire(['pipelines']);
    expect(pipelines.code).toBe(0);
    expect(pipelines.stdout).toMatch(/text_regions\s+1\.0\.0\s+paddleocr\/detect_text/);
  });

  it('frame writes a sampled frame as JPEG over gRPC GetFrame, raw or annotated', async () => {
    const raw = await framewire(['frame', jobId, '4', '-o', 'f4.jpg']);
    expect(raw).toMatchObject({ code: 0, stdout: '' });
    expect(raw.stderr).toMatch(new RegExp(`frame 4 of job ${jobId}: 320×240, .* → f4\\.jpg`));
    const annotated = await framewire(['frame', jobId, '4', '--annotate', '-o', 'f4a.jpg']);
    expect(annotated.code).toBe(0);
    const [a, b] = [readFileSync(join(fixtures, 'f4.jpg')), readFileSync(join(fixtures, 'f4a.jpg'))];
    expect([a.subarray(0, 2).toString('hex'), b.subarray(0, 2).toString('hex')]).toEqual(['ffd8', 'ffd8']);
    expect(a.equals(b)).toBe(false);
    const missing = await framewire(['frame', jobId, '5', '-o', 'f5.jpg']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^framewire: frame 5 of job .* was not sampled \(NOT_FOUND\)$/);
  });

  it('analyze runs the same pipeline in-process and gives the same per-frame results as the distributed run', async () => {
    const distributed = JSON.parse((await framewire(['results', jobId, '--json'])).stdout) as Row[];
    // No server at all: analyze must not need one.
    const local = await framewire(['analyze', video, '--pipeline', 'text_regions', '--stride', '2', '--json'], {
      FW_GRPC_ADDR: '127.0.0.1:1',
    });
    expect(local.code).toBe(0);
    expect(local.stderr).toMatch(/analyzed 15 frames of cli\.mp4/);
    const rows = JSON.parse(local.stdout) as Row[];
    expect(comparable(rows)).toEqual(comparable(distributed));
    expect(distributed[0]?.geometry).toEqual({ analysed: { width: 320, height: 240 }, source: { width: 320, height: 240 } });
    expect(rows.filter((r) => (r.result as { detect: { regions: unknown[] } }).detect.regions.length > 0).length).toBeGreaterThan(4);
  });

  it('cancels a job, and following it then ends in a clear failure', async () => {
    const long = await makeVideo({ path: join(fixtures, 'long.mp4'), width: 320, height: 240, frames: 90 });
    const submitted = await framewire(['submit', long, '--stride', '1']);
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.trim();
    const cancel = await framewire(['cancel', id, '--reason', 'testing']);
    expect(cancel).toMatchObject({ code: 0 });
    expect(cancel.stderr).toContain(`job ${id} cancelled`);
    const watch = await framewire(['watch', id]);
    expect(watch.code).toBe(1);
    expect(watch.stderr.trim().split('\n').at(-1)).toBe(`framewire: job ${id} was cancelled: testing`);
  });

  it.each([
    [
      'an unknown job',
      ['status', '00000000-0000-4000-8000-000000000000'],
      {},
      1,
      /^framewire: job 00000000-0000-4000-8000-000000000000 not found \(NOT_FOUND\)$/,
    ],
    [
      'cancelling a finished job',
      ['cancel', 'JOB'],
      {},
      1,
      /^framewire: job .* is already completed; only pending or running jobs can be cancelled \(CONFLICT\)$/,
    ],
    ['no API key', ['pipelines'], { FW_API_KEY: '' }, 1, /^framewire: a valid API key is required .*--api-key/],
    ['a wrong API key', ['pipelines', '--api-key', 'fw_nope'], {}, 1, /^framewire: a valid API key is required/],
    ['no server', ['status', 'JOB', '--server', '127.0.0.1:1'], {}, 3, /^framewire: cannot reach the Framewire API at 127\.0\.0\.1:1/],
    ['a text file', ['submit', 'NOTES'], {}, 1, /^framewire: file is not a video: .* \(UNSUPPORTED_MEDIA\)$/],
    ['a missing file', ['analyze', 'missing.mp4'], {}, 1, /^framewire: no such file: missing\.mp4$/],
    ['a bad option', ['submit', 'NOTES', '--stride', '0'], {}, 2, /^framewire: option '--stride <n>' argument '0' is invalid/],
    [
      'an unknown pipeline',
      ['analyze', 'VIDEO', '-p', 'nope'],
      {},
      1,
      /^framewire: unknown pipeline 'nope' \(known: .*text_regions\) \(UNKNOWN_PIPELINE\)$/,
    ],
  ])('fails with one clear line and a non-zero exit code: %s', async (_name, args, env, code, line) => {
    const notes = await makeTextFile(join(fixtures, 'notes.mp4'));
    const resolved = args.map((a) => (a === 'JOB' ? jobId : a === 'NOTES' ? notes : a === 'VIDEO' ? video : a));
    const run = await framewire(resolved, env);
    expect(run.code).toBe(code);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')[0]).toMatch(line);
  });
});
