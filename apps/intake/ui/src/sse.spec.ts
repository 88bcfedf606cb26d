import { SseParser } from './sse';

describe('SseParser', () => {
  it('parses events split anywhere across chunks, with ids, names, multi-line data and comments', () => {
    const wire =
      'retry: 2000\n\n: keep-alive\n\nid: 7\nevent: frames\ndata: {"a":1,\ndata: "b":2}\n\nid: 8\r\nevent: completed\r\ndata: {}\r\n\r\n';
    for (let size = 1; size <= wire.length; size++) {
      const parser = new SseParser();
      const got = [];
      for (let i = 0; i < wire.length; i += size) got.push(...parser.push(wire.slice(i, i + size)));
      expect(got).toEqual([
        { id: '7', event: 'frames', data: '{"a":1,\n"b":2}' },
        { id: '8', event: 'completed', data: '{}' },
      ]);
      expect(parser.retryMs).toBe(2000);
    }
  });

  it('keeps the last id for later events, names unnamed events "message", and ignores unknown fields', () => {
    const parser = new SseParser();
    expect(parser.push('id: 3\ndata: x\n\nfoo: bar\ndata\n\n')).toEqual([
      { id: '3', event: 'message', data: 'x' },
      { id: '3', event: 'message', data: '' },
    ]);
  });

  it('emits nothing for an event that has not ended yet', () => {
    const parser = new SseParser();
    expect(parser.push('id: 1\nevent: frames\ndata: {}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ id: '1', event: 'frames', data: '{}' }]);
  });
});
