import type { Plugin } from './plugin';
import { ImageStatsPlugin, type ImageStatsPluginOptions } from './plugins/image-stats/image-stats.plugin';
import { PaddleOcrPlugin, type PaddleOcrPluginOptions } from './plugins/paddleocr/paddleocr.plugin';

export interface BuiltinPluginOptions {
  paddleocr?: PaddleOcrPluginOptions;
  imageStats?: ImageStatsPluginOptions;
}

/** The plugins that ship with Framewire. Constructing them loads nothing; models load on init. */
export function builtinPlugins(options: BuiltinPluginOptions = {}): Plugin[] {
  return [new PaddleOcrPlugin(options.paddleocr), new ImageStatsPlugin(options.imageStats)];
}
