/** Plugins and codecs for unit tests: no models, no sharp. */
import type { ImageCodec, RgbImage } from '../src/frame';
import type { Plugin, PluginInitContext, PluginManifest, Tool, ToolContext, ToolInput } from '../src/plugin';

export interface Call {
  nodeId: string;
  tool: string;
  inputs: Record<string, unknown>;
  inputsByType: Record<string, readonly unknown[]>;
  params: unknown;
}

export const FAKE_MANIFEST: PluginManifest = {
  id: 'fake',
  version: '0.1.0',
  tools: [
    { id: 'source', description: 'emits [1, 2, 3]', inputs: ['image'], outputs: ['numbers'], capabilities: [] },
    { id: 'double', description: 'doubles numbers', inputs: ['numbers'], outputs: ['numbers'], capabilities: [] },
    { id: 'sum', description: 'adds all numbers it receives', inputs: ['numbers'], outputs: ['total'], capabilities: [] },
    { id: 'size', description: 'reads the decoded frame size', inputs: ['image'], outputs: ['size'], capabilities: [] },
    { id: 'boom', description: 'always fails', inputs: ['image'], outputs: ['numbers'], capabilities: [] },
    { id: 'bytes', description: 'returns image bytes', inputs: ['image'], outputs: ['blob'], capabilities: [] },
    { id: 'read', description: 'needs text regions', inputs: ['image', 'text_regions'], outputs: ['text'], capabilities: [] },
    { id: 'scaled', description: 'takes a numeric factor', inputs: ['numbers'], outputs: ['numbers'], capabilities: [] },
  ],
};

export class FakePlugin implements Plugin {
  readonly manifest = FAKE_MANIFEST;
  readonly calls: Call[] = [];
  readonly inits: string[][] = [];
  closed = 0;
  readonly tools: Record<string, Tool>;

  constructor() {
    const record = (tool: string, input: ToolInput, ctx: ToolContext) =>
      this.calls.push({
        nodeId: ctx.nodeId,
        tool,
        inputs: { ...input.inputs },
        inputsByType: { ...input.inputsByType },
        params: ctx.params,
      });
    const numbers = (input: ToolInput) => Object.values(input.inputs).flatMap((v) => v as number[]);
    this.tools = {
      source: { run: async (i, c) => (record('source', i, c), [1, 2, 3]) },
      double: { run: async (i, c) => (record('double', i, c), numbers(i).map((n) => n * 2)) },
      sum: { run: async (i, c) => (record('sum', i, c), { total: numbers(i).reduce((a, b) => a + b, 0) }) },
      size: {
        run: async (i, c) => {
          record('size', i, c);
          const rgb = await i.frame.rgb();
          return { width: rgb.width, height: rgb.height };
        },
      },
      boom: {
        run: async (i, c) => {
          record('boom', i, c);
          throw new Error('kaboom');
        },
      },
      bytes: { run: async (i, c) => (record('bytes', i, c), { pixels: (await i.frame.rgb()).data }) },
      read: { run: async (i, c) => (record('read', i, c), { text: [] }) },
      scaled: {
        parseParams: (raw) => {
          const factor = (raw as { factor?: unknown } | undefined)?.factor ?? 1;
          if (typeof factor !== 'number') throw new Error('factor must be a number');
          return { factor };
        },
        run: async (i, c) => {
          record('scaled', i, c);
          const { factor } = c.params as { factor: number };
          return numbers(i).map((n) => n * factor);
        },
        models: () => [{ name: 'scale.onnx', sha256: 'ab'.repeat(32) }],
      },
    };
  }

  async init(ctx: PluginInitContext): Promise<void> {
    this.inits.push([...ctx.tools]);
  }

  async close(): Promise<void> {
    this.closed++;
  }
}

/** A codec that "decodes" any bytes to a fixed-size grey image and counts calls. */
export class FakeCodec implements ImageCodec {
  decodes = 0;
  resizes = 0;
  constructor(
    private readonly width: number,
    private readonly height: number,
  ) {}

  async decodeRgb(jpeg: Uint8Array): Promise<RgbImage> {
    this.decodes++;
    if (jpeg.length === 0) throw new Error('empty input');
    return { data: Buffer.alloc(this.width * this.height * 3, 128), width: this.width, height: this.height, channels: 3 };
  }

  async resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
    this.resizes++;
    return { data: Buffer.alloc(width * height * 3, image.data[0] ?? 0), width, height, channels: 3 };
  }
}
