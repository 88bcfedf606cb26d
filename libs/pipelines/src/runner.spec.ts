import { DomainError } from '@framewire/contracts';
import { FakeCodec, FakePlugin } from '../test-support/fake-plugins';
import { FrameImage } from './frame';
import { PluginRegistry } from './plugin';
import { PipelineRegistry } from './registry';
import { InProcessPipelineRunner } from './runner';

const pipeline = (
  id: string,
  nodes: Array<[string, string, Record<string, unknown>?]>,
  edges: Array<[string, string]>,
  entry: string[],
  outputs: string[],
) => ({
  source: id,
  raw: {
    id,
    name: id,
    version: '2.1.0',
    nodes: nodes.map(([nid, tool, params]) => ({ id: nid, plugin: 'fake', tool, ...(params ? { params } : {}) })),
    edges: edges.map(([from, to]) => ({ from, to })),
    entry,
    outputs,
  },
});

const DEFS = [
  pipeline(
    'diamond',
    [
      ['total', 'sum'],
      ['x3', 'scaled', { factor: 3 }],
      ['x2', 'double'],
      ['src', 'source'],
      ['size', 'size'],
      ['size2', 'size'],
    ],
    [
      ['src', 'x2'],
      ['src', 'x3'],
      ['x2', 'total'],
      ['x3', 'total'],
    ],
    ['src', 'size', 'size2'],
    ['total', 'x2', 'size', 'size2'],
  ),
  pipeline(
    'failing',
    [
      ['src', 'source'],
      ['bad', 'boom'],
      ['after', 'double'],
    ],
    [
      ['src', 'after'],
      ['bad', 'after'],
    ],
    ['src', 'bad'],
    ['after'],
  ),
  pipeline('leaky', [['raw', 'bytes']], [], ['raw'], ['raw']),
  pipeline('decode', [['size', 'size']], [], ['size'], ['size']),
];

const frame = { jpeg: Buffer.from([1, 2, 3]), width: 64, height: 48, index: 7, ptsMs: 280 };

function setup() {
  const fake = new FakePlugin();
  const plugins = new PluginRegistry([fake]);
  const codec = new FakeCodec(64, 48);
  let clock = 0;
  const runner = new InProcessPipelineRunner(new PipelineRegistry(plugins, DEFS), plugins, { codec, now: () => (clock += 1.5) });
  return { fake, runner, codec };
}

async function failure(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('InProcessPipelineRunner', () => {
  it('runs nodes in topological order, feeding each its predecessors and returning only outputs', async () => {
    const { fake, runner } = setup();
    const { result, timings_ms } = await runner.run('diamond', frame);

    // Kahn's algorithm, ready nodes taken in declaration order (total, x3, x2, src, size, size2).
    expect(fake.calls.map((c) => c.nodeId)).toEqual(['src', 'x3', 'x2', 'total', 'size', 'size2']);

    const total = fake.calls.find((c) => c.nodeId === 'total')!;
    expect(total.inputs).toEqual({ x2: [2, 4, 6], x3: [3, 6, 9] });
    expect(total.inputsByType).toEqual({
      numbers: [
        [2, 4, 6],
        [3, 6, 9],
      ],
    });
    expect(fake.calls.find((c) => c.nodeId === 'x3')!.params).toEqual({ factor: 3 });

    expect(result).toEqual({
      total: { total: 30 },
      x2: [2, 4, 6],
      size: { width: 64, height: 48 },
      size2: { width: 64, height: 48 },
    });
    expect(Object.keys(timings_ms).sort()).toEqual(['size', 'size2', 'src', 'total', 'x2', 'x3']);
    for (const ms of Object.values(timings_ms)) expect(ms).toBe(1.5);
  });

  it('decodes a frame at most once however many nodes read it', async () => {
    const { runner, codec } = setup();
    await runner.run('diamond', frame);
    expect(codec.decodes).toBe(1);
    // A FrameImage handed in keeps its own cache across runs.
    const shared = new FrameImage(frame, codec);
    await runner.run('diamond', shared);
    await runner.run('decode', shared);
    expect(codec.decodes).toBe(2);
  });

  it('does not decode when no node reads pixels', async () => {
    const { runner, codec } = setup();
    await runner.run('failing', frame).catch(() => undefined);
    expect(codec.decodes).toBe(0);
  });

  it('turns a failing node into FRAME_FAILED naming the node and stops there', async () => {
    const { fake, runner } = setup();
    const err = await failure(runner.run('failing', frame));
    expect(err.code).toBe('FRAME_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toBe("node 'bad' (fake/boom) failed: kaboom");
    expect(err.details).toEqual({ node_id: 'bad', plugin: 'fake', tool: 'boom' });
    expect(fake.calls.map((c) => c.nodeId)).not.toContain('after');
  });

  it('reports an undecodable frame as FRAME_FAILED', async () => {
    const { runner } = setup();
    const err = await failure(runner.run('decode', { ...frame, jpeg: Buffer.alloc(0) }));
    expect(err.code).toBe('FRAME_FAILED');
    expect(err.message).toBe("node 'size' (fake/size) failed: cannot decode frame 7 (0 bytes): empty input");
  });

  it('reports a frame whose JPEG size differs from the declared one', async () => {
    const { runner } = setup();
    const err = await failure(runner.run('decode', { ...frame, width: 640 }));
    expect(err.message).toBe("node 'size' (fake/size) failed: frame 7 declares 640x48 but its JPEG is 64x48");
  });

  it('never lets image bytes into a result', async () => {
    const { runner } = setup();
    const err = await failure(runner.run('leaky', frame));
    expect(err.code).toBe('FRAME_FAILED');
    expect(err.message).toBe("node 'raw' (fake/bytes) failed: returned binary data at 'pixels'; results must be JSON data");
  });

  it('throws UNKNOWN_PIPELINE for an unknown id', async () => {
    const { runner } = setup();
    const err = await failure(runner.run('nope', frame));
    expect(err.code).toBe('UNKNOWN_PIPELINE');
    expect(err.message).toBe("unknown pipeline 'nope' (known: decode, diamond, failing, leaky)");
  });

  it('initialises plugins once for the tools in use and reports versions for pinning', async () => {
    const { fake, runner } = setup();
    expect(() => runner.versionInfo('diamond')).toThrow(/call PipelineRunner.init\(\) first/);
    await runner.init(['diamond']);
    await runner.run('diamond', frame);
    await runner.run('diamond', frame);
    expect(fake.inits).toHaveLength(1);
    expect([...fake.inits[0]].sort()).toEqual(['double', 'scaled', 'size', 'source', 'sum']);
    expect(runner.versionInfo('diamond')).toEqual({
      id: 'diamond',
      version: '2.1.0',
      plugins: [{ id: 'fake', version: '0.1.0' }],
      models: [{ name: 'scale.onnx', sha256: 'ab'.repeat(32) }],
    });
    // A pipeline run without init() initialises what it lacks.
    await runner.run('leaky', frame).catch(() => undefined);
    expect(fake.inits).toHaveLength(2);
    await runner.close();
    expect(fake.closed).toBe(1);
  });
});
