import { resolveFfmpegPath, resolveFfprobePath } from './binaries';

describe('binary resolution', () => {
  it('prefers FFMPEG_PATH / FFPROBE_PATH', () => {
    expect(resolveFfmpegPath({ FFMPEG_PATH: '/opt/ffmpeg/bin/ffmpeg' })).toBe('/opt/ffmpeg/bin/ffmpeg');
    expect(resolveFfprobePath({ FFPROBE_PATH: ' /opt/ffmpeg/bin/ffprobe ' })).toBe('/opt/ffmpeg/bin/ffprobe');
  });

  it('falls back to the installer packages when the variables are unset or blank', () => {
    expect(resolveFfmpegPath({})).toMatch(/@ffmpeg-installer.*ffmpeg$/);
    expect(resolveFfprobePath({ FFPROBE_PATH: '' })).toMatch(/@ffprobe-installer.*ffprobe$/);
  });
});
