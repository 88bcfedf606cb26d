import { decodeFrameMessage, encodeFrameMessage } from './frame-codec';
import type { InferRequestV1 } from './work';

const JOB = '0b7e6f3e-4a53-4c38-9a4b-1f2d3c4e5f60';

function header(frame: InferRequestV1['frame']): InferRequestV1 {
  return { v: 1, job_id: JOB, pipeline_id: 'text_regions', frame_index: 14, pts_ms: 466.667, width: 640, height: 360, frame };
}

describe('frame message codec', () => {
  it('round-trips an inline JPEG without copying it through base64', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    const bytes = encodeFrameMessage(header({ kind: 'inline', bytes: jpeg.length }), jpeg);
    const decoded = decodeFrameMessage(bytes);
    expect(decoded.header).toEqual(header({ kind: 'inline', bytes: jpeg.length }));
    expect(Buffer.from(decoded.jpeg!)).toEqual(jpeg);
    expect(bytes.length).toBeLessThan(4 + 300 + jpeg.length);
  });

  it('round-trips an object-store reference with no bytes', () => {
    const h = header({ kind: 'object', key: `frames/${JOB}/00000014.jpg`, bytes: 2_000_000 });
    const decoded = decodeFrameMessage(encodeFrameMessage(h, null));
    expect(decoded).toEqual({ header: h, jpeg: null });
  });

  it('refuses a header that disagrees with the payload', () => {
    expect(() => encodeFrameMessage(header({ kind: 'inline', bytes: 3 }), null)).toThrow(/inline frames carry/);
    const bytes = Buffer.from(encodeFrameMessage(header({ kind: 'inline', bytes: 3 }), Buffer.from([1, 2, 3])));
    expect(() => decodeFrameMessage(bytes.subarray(0, bytes.length - 1))).toThrow(/declares 3 bytes/);
  });

  it('refuses truncated or invalid messages', () => {
    expect(() => decodeFrameMessage(new Uint8Array([0, 0]))).toThrow(/shorter/);
    expect(() => decodeFrameMessage(new Uint8Array([0, 0, 1, 0, 1]))).toThrow(/exceeds/);
    const bad = encodeFrameMessage({ ...header({ kind: 'object', key: 'k', bytes: 1 }), job_id: 'not-a-uuid' }, null);
    expect(() => decodeFrameMessage(bad)).toThrow(/uuid/);
  });
});
