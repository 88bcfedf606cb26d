import { cleanLine, LineSplitter, LineTail, summarizeStderr } from './ffmpeg-log';

describe('LineSplitter', () => {
  it('splits on \\n, \\r\\n and \\r across chunk boundaries and flushes the rest at the end', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    splitter.push('one\ntw');
    splitter.push(Buffer.from('o\r\nthree\rfo'));
    expect(lines).toEqual(['one', 'two', 'three']);
    splitter.push('ur');
    splitter.end();
    expect(lines).toEqual(['one', 'two', 'three', 'four']);
  });

  it('skips empty lines', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    splitter.push('\n\na\n\n');
    splitter.end();
    expect(lines).toEqual(['a']);
  });
});

describe('LineTail', () => {
  it('keeps the last lines, each cut to a maximum length', () => {
    const tail = new LineTail(2, 5);
    for (const line of ['a', 'b', 'abcdefgh']) tail.push(line);
    expect(tail.toArray()).toEqual(['b', 'abcde…']);
  });
});

describe('cleanLine', () => {
  it('removes demuxer tags and the input path', () => {
    expect(cleanLine('[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5583a9c0] moov atom not found', '/tmp/x.mp4')).toBe('moov atom not found');
    expect(cleanLine('file:/tmp/x.mp4: Invalid data found when processing input', '/tmp/x.mp4')).toBe(
      'Invalid data found when processing input',
    );
    expect(cleanLine('/tmp/x.mp4: No such file or directory', '/tmp/x.mp4')).toBe('No such file or directory');
  });
});

describe('summarizeStderr', () => {
  const path = '/data/job/input.mp4';

  it('names well-known causes in plain words', () => {
    expect(summarizeStderr(["Stream map '0:V:0' matches no streams.", "To ignore this, add a trailing '?' to the map."], path)).toBe(
      'file has no video stream (audio only?)',
    );
    expect(
      summarizeStderr(
        ['[mov,mp4,m4a,3gp,3g2,mj2 @ 0x1] moov atom not found', `file:${path}: Invalid data found when processing input`],
        path,
      ),
    ).toBe('moov atom not found, the MP4/MOV file is incomplete');
    expect(summarizeStderr([`file:${path}: Invalid data found when processing input`], path)).toBe(
      'invalid data found when processing input',
    );
  });

  it('otherwise keeps the last few meaningful lines, without paths or stream details', () => {
    const lines = [
      "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/data/job/input.mp4':",
      '    Stream #0:0(und): Video: h264',
      '[h264 @ 0x1] error while decoding MB 1 2',
      '[h264 @ 0x1] error while decoding MB 1 2',
      `Error while decoding stream #0:0 of ${path}: Invalid argument`,
    ];
    expect(summarizeStderr(lines, path)).toBe('error while decoding MB 1 2; Error while decoding stream #0:0 of <input>: Invalid argument');
  });

  it('says so when there is nothing to say, and keeps long output short', () => {
    expect(summarizeStderr([], path)).toBe('no error output');
    expect(summarizeStderr(['x'.repeat(400)], path, 50)).toHaveLength(51);
  });
});
