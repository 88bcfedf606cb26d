import type { Plugin } from './plugin';
import { PaddleOcrPlugin, type PaddleOcrPluginOptions } from './plugins/paddleocr/paddleocr.plugin';

export interface BuiltinPluginOptions {
  paddleocr?: PaddleOcrPluginOptions;
}

/** The plugins that ship with Framewire. Constructing them loads nothing; models load on init. */
export function builtinPlugins(options: BuiltinPluginOptions = {}): Plugin[] {
  return [new PaddleOcrPlugin(options.paddleocr)];
}
