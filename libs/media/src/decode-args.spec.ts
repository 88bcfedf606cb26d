import { buildDecodeArgs, buildFilter, countSampledFrames, expectedSampledIndices, jpegQualityToQscale } from './decode-args';

describe('buildDecodeArgs', () => {
  const args = buildDecodeArgs({ path: '/videos/a:b.mp4', stride: 7, maxFrames: 12, jpegQuality: 85 });

  function valueAfter(flag: string, from = 0): string {
    const at = args.indexOf(flag, from);
    expect(at).toBeGreaterThanOrEqual(0);
    return args[at + 1];
  }

  it('reads the input through the file protocol, after input options', () => {
    const input = args.indexOf('-i');
    expect(args[input + 1]).toBe('file:/videos/a:b.mp4');
    expect(args.indexOf('-reinit_filter')).toBeLessThan(input);
  });

  it('never duplicates or drops frames and reports progress on fd 3', () => {
    expect(valueAfter('-vsync')).toBe('passthrough');
    expect(valueAfter('-progress')).toBe('pipe:3');
    expect(args).toContain('-nostdin');
  });

  it('counts every decoded frame in a first, discarded output, and samples in the second', () => {
    const first = args.indexOf('-map');
    const second = args.indexOf('-map', first + 1);
    expect(args.slice(first, first + 9)).toEqual(['-map', '0:V:0', '-vf', 'setpts=N/(25*TB)', '-r', '25', '-f', 'null', '-']);
    expect(args.slice(second, second + 2)).toEqual(['-map', '0:V:0']);
    expect(valueAfter('-r', second)).toBe('25');
    expect(valueAfter('-vf', second)).toBe(buildFilter({ stride: 7 }));
    expect(valueAfter('-frames:v', second)).toBe('12');
    expect(args.slice(-3)).toEqual(['-f', 'image2pipe', 'pipe:1']);
  });

  it('encodes full-range 4:2:0 MJPEG at the mapped qscale', () => {
    expect(valueAfter('-c:v')).toBe('mjpeg');
    expect(valueAfter('-pix_fmt')).toBe('yuvj420p');
    expect(valueAfter('-q:v')).toBe('5');
  });

  it('has no frame cap when maxFrames is null', () => {
    expect(buildDecodeArgs({ path: 'x.mp4', stride: 1, maxFrames: null, jpegQuality: 85 })).not.toContain('-frames:v');
  });
});

describe('buildFilter', () => {
  it('selects by decoded-frame number, reports, renumbers timestamps, then converts the range', () => {
    expect(buildFilter({ stride: 1 })).toBe("select='not(mod(n\\,1))',showinfo,setpts=N/(25*TB),scale=out_range=full");
    expect(buildFilter({ stride: 30 })).toBe("select='not(mod(n\\,30))',showinfo,setpts=N/(25*TB),scale=out_range=full");
  });

  it('caps the width and keeps the aspect ratio when maxWidth is set', () => {
    expect(buildFilter({ stride: 2, maxWidth: 640 })).toBe(
      "select='not(mod(n\\,2))',showinfo,setpts=N/(25*TB),scale=w='min(iw\\,640)':h=-1:out_range=full",
    );
  });
});

describe('jpegQualityToQscale', () => {
  it.each([
    [100, 2],
    [95, 2],
    [90, 3],
    [85, 5],
    [80, 7],
    [75, 8],
    [50, 17],
    [10, 31],
    [1, 31],
  ])('quality %i → qscale %i', (quality, qscale) => {
    expect(jpegQualityToQscale(quality)).toBe(qscale);
  });

  it('never increases qscale as quality rises', () => {
    for (let q = 2; q <= 100; q++) expect(jpegQualityToQscale(q)).toBeLessThanOrEqual(jpegQualityToQscale(q - 1));
  });
});

describe('expectedSampledIndices', () => {
  it('takes every stride-th frame starting at 0', () => {
    expect(expectedSampledIndices(10, 1, null)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(expectedSampledIndices(45, 7, null)).toEqual([0, 7, 14, 21, 28, 35, 42]);
    expect(expectedSampledIndices(43, 7, null)).toEqual([0, 7, 14, 21, 28, 35, 42]);
    expect(expectedSampledIndices(42, 7, null)).toEqual([0, 7, 14, 21, 28, 35]);
  });

  it('stops at maxFrames', () => {
    expect(expectedSampledIndices(45, 7, 3)).toEqual([0, 7, 14]);
    expect(expectedSampledIndices(45, 1, 1)).toEqual([0]);
    expect(expectedSampledIndices(2, 1, 5)).toEqual([0, 1]);
  });

  it('samples frame 0 of any non-empty video, nothing of an empty one', () => {
    expect(expectedSampledIndices(1, 1000, null)).toEqual([0]);
    expect(expectedSampledIndices(0, 1, null)).toEqual([]);
  });

  it('agrees with countSampledFrames', () => {
    for (const [n, s, m] of [
      [100, 3, null],
      [100, 3, 10],
      [7, 7, null],
      [8, 7, null],
    ] as const) {
      expect(expectedSampledIndices(n, s, m)).toHaveLength(countSampledFrames(n, s, m));
    }
  });
});
