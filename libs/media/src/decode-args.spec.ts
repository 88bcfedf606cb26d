import {
  buildDecodeArgs,
  buildFilter,
  countSampledFrames,
  expectedSampledIndices,
  isTimedPlan,
  jpegQualityToQscale,
  timedSelectExpr,
  unpackTimedPts,
} from './decode-args';

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

describe('timed plans (sample_fps, start/end)', () => {
  it('are only the plans with a rate or a range', () => {
    expect(isTimedPlan({})).toBe(false);
    expect(isTimedPlan({ sampleFps: null, startMs: null, endMs: null })).toBe(false);
    expect(isTimedPlan({ sampleFps: 2 })).toBe(true);
    expect(isTimedPlan({ startMs: 0 })).toBe(true);
    expect(isTimedPlan({ endMs: 1000 })).toBe(true);
  });

  it('pack the decoded index and the time into the pts before select, and select by the time read back', () => {
    expect(buildFilter({ stride: 1, sampleFps: 2 })).toBe(
      "setpts='N*4294967296+round(max(PTS*TB\\,0)*100000)'," +
        "select='if(gte(mod(pts\\,4294967296)/100000\\,0)*gte((mod(pts\\,4294967296)/100000-0)*2\\,ld(0)-0.000010001000)" +
        "\\,1+0*st(0\\,floor((mod(pts\\,4294967296)/100000-0)*2+0.000010001000)+1)\\,0)'," +
        'showinfo,setpts=N/(25*TB),scale=out_range=full',
    );
  });

  it('select a range by pts, end exclusive, measuring the multiples from its start', () => {
    const expr = timedSelectExpr({ stride: 1, sampleFps: 0.5, startMs: 1500, endMs: 4250 });
    expect(expr).toContain('gte(mod(pts\\,4294967296)/100000\\,1.5)*lt(mod(pts\\,4294967296)/100000\\,4.25)');
    expect(expr).toContain('(mod(pts\\,4294967296)/100000-1.5)*0.5');
  });

  it('keep frame_stride by the index in the whole video when a range is given', () => {
    expect(timedSelectExpr({ stride: 4, startMs: 2000 })).toBe('gte(mod(pts\\,4294967296)/100000\\,2)*not(mod(n\\,4))');
  });

  it('stop reading a second past the range end (input -to), and start at the first frame (no input seek)', () => {
    const args = buildDecodeArgs({
      path: 'x.mp4',
      stride: 1,
      maxFrames: null,
      jpegQuality: 85,
      sampleFps: 2,
      startMs: 60_000,
      endMs: 90_500,
    });
    const input = args.indexOf('-i');
    expect(args.indexOf('-to')).toBeGreaterThanOrEqual(0);
    expect(args.indexOf('-to')).toBeLessThan(input);
    expect(args[args.indexOf('-to') + 1]).toBe('91.5');
    expect(args).not.toContain('-ss');
    expect(buildDecodeArgs({ path: 'x.mp4', stride: 1, maxFrames: null, jpegQuality: 85, sampleFps: 2 })).not.toContain('-to');
  });

  it('unpack a printed pts into the index and the time in ms', () => {
    expect(unpackTimedPts(0)).toEqual({ index: 0, ptsMs: 0 });
    expect(unpackTimedPts(40 * 4294967296 + 300_000)).toEqual({ index: 40, ptsMs: 3000 });
    expect(unpackTimedPts(7 * 4294967296 + 333_333)).toEqual({ index: 7, ptsMs: 3333.33 });
    expect(unpackTimedPts(2 ** 21 * 4294967296 + 1)).toBeNull(); // past 2^53: no longer exact
    expect(unpackTimedPts(-1)).toBeNull();
  });
});
