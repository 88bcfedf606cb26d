import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decoderChoice, describeDecoder, parseFfmpegVersion, resolveDecoder, resolveFfmpegPath, resolveFfprobePath } from './binaries';

/** A directory holding executables named `names`: a fake ffmpeg prints a version line. */
function binDir(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fw-bin-'));
  for (const name of names) {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\necho "${name} version 9.9-test Copyright (c) the FFmpeg developers"\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

describe('binary resolution', () => {
  const both = binDir(['ffmpeg', 'ffprobe']);
  const onlyFfmpeg = binDir(['ffmpeg']);
  const empty = binDir([]);

  it('prefers FFMPEG_PATH / FFPROBE_PATH', () => {
    expect(resolveFfmpegPath({ FFMPEG_PATH: '/opt/ffmpeg/bin/ffmpeg', PATH: both })).toBe('/opt/ffmpeg/bin/ffmpeg');
    expect(resolveFfprobePath({ FFPROBE_PATH: ' /opt/ffmpeg/bin/ffprobe ', PATH: both })).toBe('/opt/ffmpeg/bin/ffprobe');
    expect(resolveDecoder({ FFMPEG_PATH: '/opt/ffmpeg', PATH: both })).toEqual({
      ffmpeg: '/opt/ffmpeg',
      ffprobe: join(both, 'ffprobe'),
      source: 'env',
    });
  });

  it('takes the system pair from the first PATH directory that has both', () => {
    expect(resolveDecoder({ PATH: [empty, onlyFfmpeg, both].join(':') })).toEqual({
      ffmpeg: join(both, 'ffmpeg'),
      ffprobe: join(both, 'ffprobe'),
      source: 'system',
    });
  });

  it('falls back to the installer packages when there is no system pair, the variables are blank, or FW_DECODER=bundled', () => {
    for (const env of [{ PATH: `${empty}:${onlyFfmpeg}` }, { PATH: empty, FFPROBE_PATH: '' }, { PATH: both, FW_DECODER: 'bundled' }]) {
      const d = resolveDecoder(env);
      expect(d.source).toBe('bundled');
      expect(d.ffmpeg).toMatch(/@ffmpeg-installer.*ffmpeg$/);
      expect(d.ffprobe).toMatch(/@ffprobe-installer.*ffprobe$/);
    }
  });

  it('refuses FW_DECODER=system without a system pair, and an unknown FW_DECODER', () => {
    expect(() => resolveDecoder({ PATH: onlyFfmpeg, FW_DECODER: 'system' })).toThrow(/no ffmpeg and ffprobe pair is on PATH/);
    expect(resolveDecoder({ PATH: both, FW_DECODER: 'system' }).source).toBe('system');
    expect(() => decoderChoice({ FW_DECODER: 'newest' })).toThrow(/FW_DECODER must be one of auto, system, bundled/);
  });

  it('says which decoder runs and its version', async () => {
    await expect(describeDecoder({ PATH: both })).resolves.toEqual({ source: 'system', path: join(both, 'ffmpeg'), version: '9.9-test' });
    expect(parseFfmpegVersion('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026')).toBe('5.1.9-0+deb12u1');
    expect(parseFfmpegVersion('nonsense')).toBe('unknown');
  });
});
